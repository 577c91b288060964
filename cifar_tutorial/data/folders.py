"""CIFAR-10 as class folders: ``root/train/<class>/*.jpg`` (or .png) and the same under ``test``."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np
import torch

from ..errors import DataCorruptError, DataUnavailableError
from .decode import UNREADABLE, decode_rgb, stack_images
from .imageset import CLASSES

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
FOLDERS_SOURCE = "CIFAR-10 as class folders"


def looks_like_folders(root: Path) -> bool:
    """True when ``root`` has a ``train`` or ``test`` folder (then it must be a full tree)."""
    return (root / "train").is_dir() or (root / "test").is_dir()


def check_tree(root: Path) -> None:
    """Refuse a wrong or partial tree, naming exactly what is missing or unexpected."""
    problems = []
    for split in ("train", "test"):
        split_dir = root / split
        if not split_dir.is_dir():
            problems.append(f"folder {split}/ is missing")
            continue
        present = {p.name for p in split_dir.iterdir() if p.is_dir()}
        missing = [c for c in CLASSES if c not in present]
        extra = sorted(present - set(CLASSES))
        if missing:
            problems.append(f"{split}/ lacks class folders {', '.join(missing)}")
        if extra:
            problems.append(
                f"{split}/ has folders that are not CIFAR-10 classes: {', '.join(extra)}"
            )
        empty = [c for c in CLASSES if c in present and not has_images(split_dir / c)]
        if empty:
            problems.append(f"{split}/ has empty class folders {', '.join(empty)}")
    if problems:
        raise DataUnavailableError(
            f"The class-folder copy of CIFAR-10 under {root} is incomplete: "
            + "; ".join(problems)
            + f". Expected train/ and test/, each with the ten folders {', '.join(CLASSES)}."
        )


def image_files(folder: Path) -> list[Path]:
    """The image files of one class folder, sorted by name."""
    with os.scandir(folder) as entries:
        names = sorted(e.name for e in entries if e.name.lower().endswith(IMAGE_SUFFIXES))
    return [folder / name for name in names]


def has_images(folder: Path) -> bool:
    """True when ``folder`` holds at least one image file (stops at the first)."""
    with os.scandir(folder) as entries:
        return any(e.name.lower().endswith(IMAGE_SUFFIXES) for e in entries)


def fingerprint(root: Path, split: str) -> str:
    """A digest of every file's name, size and modification time: changes whenever the copy does."""
    digest = hashlib.sha256()
    for name in CLASSES:
        folder = root / split / name
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                stat = entry.stat()
                digest.update(f"{name}/{entry.name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def decode_split(root: Path, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Decode every image of a split into ``uint8 (N, 3, 32, 32)`` and ``int64`` labels."""
    pixels, labels = [], []
    for label, name in enumerate(CLASSES):
        for file in image_files(root / split / name):
            pixels.append(decode_file(file))
            labels.append(label)
    return stack_images(pixels), torch.tensor(labels, dtype=torch.int64)


def decode_file(file: Path) -> np.ndarray:
    """One image as ``uint8 (32, 32, 3)``; a damaged or wrongly sized file is named."""
    try:
        pixels = decode_rgb(file.read_bytes())
    except UNREADABLE as error:
        raise DataCorruptError(
            f"{file} is not a readable image ({_without_addresses(error)}). Replace it from a "
            "good copy of CIFAR-10, or delete it."
        ) from None
    if pixels.shape != (32, 32, 3):
        raise DataCorruptError(
            f"{file} is {pixels.shape[1]}x{pixels.shape[0]} pixels; CIFAR-10 images are 32x32. "
            "Replace it from a good copy of CIFAR-10, or delete it."
        )
    return pixels


def _without_addresses(error: BaseException) -> str:
    """Pillow's message without the ``<_io.BytesIO object at 0x7f...>`` it names the data by."""
    return re.sub(r" ?<[^<>]* object at 0x[0-9a-fA-F]+>", "", str(error)) or type(error).__name__
