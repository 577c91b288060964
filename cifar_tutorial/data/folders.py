"""CIFAR-10 as class folders: ``root/train/<class>/*.jpg`` (or .png) and the same under ``test``."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torchvision.io import ImageReadMode, decode_image

from ..errors import DataCorruptError, DataUnavailableError
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
        empty = [c for c in CLASSES if c in present and not image_files(split_dir / c)]
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


def fingerprint(root: Path, split: str) -> str:
    """Names, sizes and modification times of every file: changes whenever the copy does."""
    parts = []
    for name in CLASSES:
        folder = root / split / name
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                stat = entry.stat()
                parts.append(f"{name}/{entry.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return "\n".join(parts)


def decode_split(root: Path, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Decode every image of a split into ``uint8 (N, 3, 32, 32)`` and ``int64`` labels."""
    images, labels = [], []
    for label, name in enumerate(CLASSES):
        for file in image_files(root / split / name):
            images.append(decode_file(file))
            labels.append(label)
    return torch.stack(images), torch.tensor(labels, dtype=torch.int64)


def decode_file(file: Path) -> torch.Tensor:
    """One image as ``uint8 (3, 32, 32)``; a damaged or wrongly sized file is named."""
    try:
        image = decode_image(
            torch.frombuffer(bytearray(file.read_bytes()), dtype=torch.uint8),
            mode=ImageReadMode.RGB,
        )
    except (RuntimeError, ValueError) as error:
        raise DataCorruptError(
            f"{file} is not a readable image ({error}). Replace it from a good copy of "
            "CIFAR-10, or delete it."
        ) from None
    if tuple(image.shape) != (3, 32, 32):
        raise DataCorruptError(
            f"{file} is {image.shape[2]}x{image.shape[1]} pixels; CIFAR-10 images are 32x32. "
            "Replace it from a good copy of CIFAR-10, or delete it."
        )
    return image
