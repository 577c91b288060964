"""Load a split of CIFAR-10 as an :class:`ImageSet`, from whichever source is on disk."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import DataUnavailableError
from ..paths import pretty_path, resolve_data_root
from ..settings import DATASETS
from ..validation import check_bool, check_choice
from . import folders, official
from .cache import cache_file, cached_tensors
from .imageset import ImageSet
from .sample import load_sample

SPLITS = ("train", "test")


def load_split(
    dataset: str = "cifar10",
    split: str = "train",
    data_root: str | os.PathLike | None = None,
    download: bool = True,
) -> ImageSet:
    """One split as uint8 tensors: decoded once, then read from the cache in well under 1 s.

    ``dataset="cifar10"`` looks in ``data_root`` (default ``$CIFAR10_ROOT`` or
    ``~/.cache/cifar-tutorial/data``) for the official batches, the official archive, or
    class folders, in that order; with none there it downloads (when ``download``).
    ``dataset="sample"`` needs no data folder at all.
    """
    dataset = check_choice("dataset", dataset, DATASETS)
    split = check_choice("split", split, SPLITS)
    download = check_bool("download", download)
    if dataset == "sample":
        return load_sample(split)
    root = resolve_data_root(data_root)
    kind = find_source(root, download)
    module = official if kind == "official" else folders
    label = official.OFFICIAL_SOURCE if kind == "official" else folders.FOLDERS_SOURCE
    if kind == "folders":
        folders.check_tree(root)
    decode = official.load_batches if kind == "official" else folders.decode_split
    images, labels = cached_tensors(
        cache_file(root, f"{kind}-{split}"),
        module.fingerprint(root, split),
        lambda: decode(root, split),
    )
    return ImageSet(images, labels, split, f"{label} in {pretty_path(root)}")


def load_splits(
    dataset: str = "cifar10", data_root: str | os.PathLike | None = None, download: bool = True
) -> tuple[ImageSet, ImageSet]:
    """The training and test splits."""
    return (
        load_split(dataset, "train", data_root, download),
        load_split(dataset, "test", data_root, download),
    )


def find_source(root: Path, download: bool = True) -> str:
    """``"official"`` or ``"folders"``: which copy of CIFAR-10 ``root`` holds.

    An official archive found on disk is verified and extracted; with nothing on disk the
    archive is downloaded when ``download`` is true.
    """
    if official.has_batches(root):
        return "official"
    if folders.looks_like_folders(root):
        return "folders"
    if official.has_archive(root):
        official.install_archive(root / official.ARCHIVE_NAME, root)
        return "official"
    if not download:
        raise DataUnavailableError(official.offline_message(root, "downloading is switched off"))
    official.download(root)
    return "official"
