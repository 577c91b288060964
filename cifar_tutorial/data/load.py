"""Load a split of CIFAR-10 as an :class:`ImageSet`, from whichever source is on disk."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from ..errors import DataCorruptError, DataUnavailableError
from ..paths import pretty_path, resolve_data_root
from ..settings import DATASETS
from ..validation import check_bool, check_choice
from . import folders
from .cache import cache_file, cached_tensors
from .imageset import CLASSES, ImageSet
from .sample import load_sample

SPLITS = ("train", "test")
PER_CLASS = {"train": 5000, "test": 1000}  # CIFAR-10: 50,000 training and 10,000 test photos


def load_split(
    dataset: str = "cifar10",
    split: str = "train",
    data_root: str | os.PathLike | None = None,
    download: bool = True,
) -> ImageSet:
    """One split as uint8 tensors: decoded once, then read from the cache in well under 1 s.
    ``dataset="cifar10"`` looks in ``data_root`` (default ``$CIFAR10_ROOT`` or
    ``~/.cache/cifar-tutorial/data``) for the official batches, the official archive, or class
    folders, in that order; with none there it downloads (when ``download``). A ``"cifar10"`` split
    must be complete (:func:`check_complete`); ``"cifar10-subset"`` reads the same sources with any
    number of photos. ``dataset="sample"`` needs no data folder at all."""
    dataset = check_choice("dataset", dataset, DATASETS)
    split = check_choice("split", split, SPLITS)
    download = check_bool("download", download)
    if dataset == "sample":
        return load_sample(split)
    from . import official  # torchvision takes ~2 s to import: not for the sample

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
    if dataset == "cifar10":
        check_complete(torch.bincount(labels, minlength=10).tolist(), split, pretty_path(root))
    return ImageSet(images, labels, split, f"{label} in {pretty_path(root)}")


def check_complete(counts: list[int], split: str, where: str) -> None:
    """Refuse a CIFAR-10 split whose photos per class (``counts``) are not the full count."""
    missing = shortfall(counts, split)
    if missing:
        raise DataCorruptError(
            f"The {split} split of CIFAR-10 in {where} is incomplete: {missing}. Get a complete "
            "copy with `cifar-tutorial prefetch` (a download, or --from-archive FILE), try the "
            "sample with dataset='sample', or read a subset on purpose with "
            "dataset='cifar10-subset'."
        )


def shortfall(counts: list[int], split: str) -> str | None:
    """What a split with ``counts`` photos per class lacks, e.g. ``"49 photos instead of 50,000,
    5,000 per class (has: airplane 49, ...)"``; ``None`` when it is complete."""
    full = PER_CLASS[split]
    odd = [f"{c} {n:,}" for c, n in zip(CLASSES, counts, strict=True) if n != full]
    if not odd:
        return None
    return (
        f"{sum(counts):,} photos instead of {full * len(CLASSES):,}, {full:,} per class "
        f"(has: {', '.join(odd)})"
    )


def find_source(root: Path, download: bool = True) -> str:
    """``"official"`` or ``"folders"``: which copy of CIFAR-10 ``root`` holds.
    An official archive found on disk is verified and extracted; with nothing on disk the archive is
    downloaded when ``download`` is true."""
    from . import official

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
