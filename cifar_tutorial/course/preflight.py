"""The first step of executing a run: the data set must be there, or be downloaded now.

Without this, a run offline with no CIFAR-10 on disk would start a kernel, import torch and
only then fail inside notebook 01. Here it stops in seconds with the data layer's message,
before any run folder or kernel. It is not part of planning (:func:`.plan.plan_run` fetches
nothing), so that a bad option is refused before anything is downloaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..data import CLASSES, SPLITS, folders, official
from ..data.load import check_complete, find_source
from ..errors import DataUnavailableError
from ..paths import pretty_path, resolve_data_root
from ..settings import resolve_dataset


def ensure_data(profile: str, values: dict[str, Any]) -> str:
    """Make sure the data set the run needs is on disk, and say where it is.

    For the full profile this looks under ``data_root`` (or the default data root), extracts
    an official archive found there, and downloads CIFAR-10 when nothing is on disk: offline
    that fails fast with :class:`~cifar_tutorial.errors.DataUnavailableError`. A class-folder
    copy must be complete for ``cifar10`` (its files are counted, in well under a second), so
    that a partial copy is refused here and not in the first notebook.
    """
    dataset = resolve_dataset(values.get("dataset"), profile)
    if dataset == "sample":
        return f"{dataset} (embedded in the package)"
    root = resolve_data_root(values.get("data_root"))
    if not has_copy(root):
        print(f"CIFAR-10 is not under {pretty_path(root)}: trying to download it.", flush=True)
    try:
        if find_source(root, download=True) == "folders":
            folders.check_tree(root)
            for split in SPLITS if dataset == "cifar10" else ():
                counts = [len(folders.image_files(root / split / c)) for c in CLASSES]
                check_complete(counts, split, pretty_path(root))
    except DataUnavailableError as error:
        raise DataUnavailableError(
            f"{error} On the command line: cifar-tutorial run --profile smoke "
            "(make run PROFILE=smoke)."
        ) from None
    return f"{dataset} in {pretty_path(root)}"


def has_copy(root: Path) -> bool:
    """True when ``root`` holds CIFAR-10 in any form the data layer reads."""
    return (
        official.has_batches(root)
        or folders.looks_like_folders(root)
        or (official.has_archive(root))
    )
