"""``cifar-tutorial prefetch``: put CIFAR-10 on disk once, before a workshop, and verify it.

Without ``--from-archive`` it downloads the official release (or finds it already there).
With it, it installs an archive already on disk: the official ``cifar-10-python.tar.gz``
(checked against its md5 sum) or a ``.tar.gz`` of ``train/`` and ``test/`` class folders
(checked to hold all 60,000 photos, 5,000 and 1,000 per class, before anything is extracted).
Either way both splits are then decoded once, which verifies every file and fills the cache.
:func:`check_archive` is also ``bundle``'s check of the archive it puts in a kit, and the
kit's install scripts' (``python -m cifar_tutorial.course.bundle verify``).
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from collections import Counter
from pathlib import Path

from torchvision.datasets.utils import check_integrity

from ..data import CLASSES, SPLITS, folders, load_split, official
from ..data import load as data_load
from ..data.load import find_source
from ..errors import DataCorruptError, ParameterError
from ..paths import default_data_root, pretty_path
from .options import check_existing_file, check_writable_dir
from .preflight import has_copy

ARCHIVES = (
    f"a complete CIFAR-10 archive (the official {official.ARCHIVE_NAME}, or a .tar.gz of train/ "
    "and test/ class folders with 5,000 and 1,000 photos per class)"
)
"""What ``--from-archive`` and ``bundle --data-archive`` accept, for their messages."""


def archive_layout(archive: Path, names: list[str] | None = None) -> tuple[str, str]:
    """``("official", "")`` or ``("folders", prefix)``: what ``archive`` holds and where
    (from its list of files, ``names`` when already read); anything else is refused."""
    names = archive_names(archive) if names is None else names
    tops = {name.split("/")[0] for name in names}
    if official.BATCHES_DIR in tops:
        return "official", ""
    for prefix in ("", *sorted(f"{top}/" for top in tops)):
        if {f"{prefix}train", f"{prefix}test"} <= {name.rstrip("/") for name in names}:
            return "folders", prefix
    raise DataCorruptError(
        f"{pretty_path(archive)} holds neither {official.BATCHES_DIR}/ (the official "
        f"{official.ARCHIVE_NAME}) nor train/ and test/ class folders."
    )


def archive_names(archive: Path) -> list[str]:
    """The paths in ``archive``; one line naming it when it is not a readable .tar.gz."""
    try:
        with tarfile.open(archive) as tar:
            return [name.removeprefix("./") for name in tar.getnames()]
    except (tarfile.TarError, OSError, EOFError, ValueError):
        raise DataCorruptError(
            f"{pretty_path(archive)} is not a readable .tar.gz archive (cut off, or another kind "
            "of file)."
        ) from None


def check_archive(archive: Path) -> tuple[str, str]:
    """:func:`archive_layout` of a complete CIFAR-10 archive, else :class:`DataCorruptError`
    naming the file and what is wrong: the official archive must have its md5 sum, a
    class-folder archive every photo of both splits (counted from its list of files:
    nothing is extracted)."""
    if check_integrity(str(archive), official.CIFAR10.tgz_md5):
        return "official", ""
    names = archive_names(archive)
    kind, prefix = archive_layout(archive, names)
    if kind == "official":
        raise DataCorruptError(
            f"{pretty_path(archive)} holds {official.BATCHES_DIR}/ but is not the official "
            f"{official.ARCHIVE_NAME}: its md5 sum differs (cut off, or changed)."
        )
    photos = Counter(
        tuple(name[len(prefix) :].split("/")[:2])
        for name in names
        if name.startswith(prefix) and name.lower().endswith(folders.IMAGE_SUFFIXES)
    )
    for split in SPLITS:
        missing = data_load.shortfall([photos[split, c] for c in CLASSES], split)
        if missing:
            raise DataCorruptError(
                f"{pretty_path(archive)} is incomplete: its {split}/ holds {missing}."
            )
    return kind, prefix


def checked_archive(option: str, value: str) -> tuple[Path, str, str]:
    """``value`` as an existing, complete CIFAR-10 archive, with what :func:`check_archive`
    says it holds; else one line naming ``option``, the file and what is wrong with it."""
    archive = check_existing_file(option, value)
    try:
        return archive, *check_archive(archive)
    except DataCorruptError as error:
        what = str(error).removeprefix(f"{pretty_path(archive)} ").rstrip(".")
        raise ParameterError(option, value, f"{ARCHIVES}; this one {what}") from None


def install_folders_archive(archive: Path, prefix: str, root: Path) -> None:
    """Extract ``train/`` and ``test/`` from ``archive`` into ``root``, complete or not at all."""
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".extract-", dir=root) as scratch:
        with tarfile.open(archive) as tar:
            if hasattr(tarfile, "data_filter"):  # refuses links and paths outside scratch
                tar.extractall(scratch, filter="data")
            else:  # pragma: no cover - Python without the extraction filters
                tar.extractall(scratch)
        extracted = Path(scratch) / prefix
        folders.check_tree(extracted)
        for split in ("train", "test"):
            if (root / split).exists():
                shutil.rmtree(root / split)
            os.replace(extracted / split, root / split)


def prefetch_command(data_root: str | None = None, from_archive: str | None = None) -> int:
    """Fetch or install CIFAR-10 under ``data_root``, decode it once, say where it is."""
    root = check_writable_dir("--data-root", data_root) if data_root else default_data_root()
    if from_archive:
        archive, kind, prefix = checked_archive("--from-archive", from_archive)
        print(f"Installing {pretty_path(archive)} into {pretty_path(root)} ...", flush=True)
        if kind == "official":
            official.extract_batches(archive, root)  # its md5 sum checked just above
        else:
            install_folders_archive(archive, prefix, root)
    else:
        if not has_copy(root):
            print(f"Downloading CIFAR-10 into {pretty_path(root)} ...", flush=True)
        find_source(root, download=True)
    train, test = (load_split("cifar10", split, root) for split in SPLITS)
    print(f"Verified: {train.summary()}")
    print(f"Verified: {test.summary()}")
    if root.resolve() != default_data_root().resolve():
        print(
            f"The notebooks look in {pretty_path(default_data_root())} by default: set "
            f"CIFAR10_ROOT={root.resolve()} or give -p data_root {root.resolve()}."
        )
    print("CIFAR-10 is ready.")
    return 0
