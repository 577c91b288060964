"""``cifar-tutorial prefetch``: put CIFAR-10 on disk once, before a workshop, and verify it.

Without ``--from-archive`` it downloads the official release (or finds it already there).
With it, it installs an archive already on disk: the official ``cifar-10-python.tar.gz``
(checked against its md5 sum) or a ``.tar.gz`` of ``train/`` and ``test/`` class folders.
Either way both splits are then decoded once, which verifies every file and fills the cache.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from pathlib import Path

from ..data import folders, load_splits, official
from ..data.load import find_source
from ..errors import DataCorruptError
from ..paths import default_data_root, pretty_path
from ..validation import check_existing_file, check_writable_dir
from .preflight import has_copy


def archive_layout(archive: Path) -> tuple[str, str]:
    """``("official", "")`` or ``("folders", prefix)``: what ``archive`` holds and where."""
    try:
        with tarfile.open(archive) as tar:
            names = [name.removeprefix("./") for name in tar.getnames()]
    except (tarfile.TarError, OSError, EOFError) as error:
        raise DataCorruptError(f"{archive} is not a readable .tar.gz archive ({error}).") from None
    tops = {name.split("/")[0] for name in names}
    if official.BATCHES_DIR in tops:
        return "official", ""
    for prefix in ("", *sorted(f"{top}/" for top in tops)):
        if {f"{prefix}train", f"{prefix}test"} <= {name.rstrip("/") for name in names}:
            return "folders", prefix
    raise DataCorruptError(
        f"{archive} holds neither {official.BATCHES_DIR}/ (the official {official.ARCHIVE_NAME}) "
        "nor train/ and test/ class folders. Use one of those two archives."
    )


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
        archive = check_existing_file("--from-archive", from_archive)
        kind, prefix = archive_layout(archive)
        print(f"Installing {pretty_path(archive)} into {pretty_path(root)} ...", flush=True)
        if kind == "official":
            official.install_archive(archive, root)
        else:
            install_folders_archive(archive, prefix, root)
    else:
        if not has_copy(root):
            print(f"Downloading CIFAR-10 into {pretty_path(root)} ...", flush=True)
        find_source(root, download=True)
    train, test = load_splits("cifar10", root)
    print(f"Verified: {train.summary()}")
    print(f"Verified: {test.summary()}")
    if root.resolve() != default_data_root().resolve():
        print(
            f"The notebooks look in {pretty_path(default_data_root())} by default: set "
            f"CIFAR10_ROOT={root.resolve()} or give -p data_root {root.resolve()}."
        )
    print("CIFAR-10 is ready.")
    return 0
