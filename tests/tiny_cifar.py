"""Tiny CIFAR-10 copies made on the spot, in each layout the data layer reads.

The tests never need the real data set (or a network) to exercise a source: these helpers
write a few random 32x32 images as class folders, as the official python batches, or as the
official archive, and point torchvision's md5 sums at the files they wrote.
"""

from __future__ import annotations

import hashlib
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.datasets import CIFAR10

from cifar_tutorial.data import CLASSES, ImageSet

TRAIN_BATCHES = [name for name, _ in CIFAR10.train_list]  # data_batch_1 .. data_batch_5
TEST_BATCHES = [name for name, _ in CIFAR10.test_list]  # test_batch


def subset(data: ImageSet, per_class: int) -> ImageSet:
    """The first ``per_class`` images of each class of ``data``."""
    index = torch.cat([(data.labels == c).nonzero()[:per_class, 0] for c in range(10)])
    return ImageSet(data.images[index], data.labels[index], data.split, data.source)


def random_images(count: int, seed: int = 0) -> torch.Tensor:
    """``count`` random uint8 images of shape (3, 32, 32)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (count, 3, 32, 32), generator=generator, dtype=torch.uint8)


def save_image(image: torch.Tensor, path: Path, **options) -> None:
    """Write one (3, 32, 32) uint8 image; the format follows the suffix (.png, .jpg)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image.permute(1, 2, 0).numpy()).save(path, **options)


def write_class_folders(
    root: Path, per_class: dict[str, int] | None = None, suffix: str = ".png", seed: int = 0
) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """``root/{train,test}/<class>/NNNN<suffix>``; returns each split's images and labels."""
    per_class = per_class or {"train": 3, "test": 2}
    written = {}
    for offset, (split, count) in enumerate(per_class.items()):
        images = random_images(count * len(CLASSES), seed + offset)
        labels = torch.arange(len(CLASSES)).repeat_interleave(count)
        for index, (image, label) in enumerate(zip(images, labels, strict=True)):
            options = {"quality": 95} if suffix in (".jpg", ".jpeg") else {}
            save_image(image, root / split / CLASSES[label] / f"{index:04d}{suffix}", **options)
        written[split] = (images, labels)
    return written


def write_official_batches(
    root: Path, per_batch: int = 4, seed: int = 0
) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """``root/cifar-10-batches-py`` in the official pickle format, ``per_batch`` images a file."""
    folder = root / CIFAR10.base_folder
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for split, names in (("train", TRAIN_BATCHES), ("test", TEST_BATCHES)):
        count = per_batch * len(names)
        images = random_images(count, seed + len(split))
        labels = torch.arange(count) % len(CLASSES)
        for i, name in enumerate(names):
            part = slice(i * per_batch, (i + 1) * per_batch)
            entry = {
                "batch_label": name,
                "data": images[part].reshape(per_batch, -1).numpy(),  # rows of 3072 bytes, CHW
                "labels": labels[part].tolist(),
            }
            (folder / name).write_bytes(pickle.dumps(entry))
        written[split] = (images, labels)
    meta = {"label_names": list(CLASSES), "num_cases_per_batch": per_batch}
    (folder / CIFAR10.meta["filename"]).write_bytes(pickle.dumps(meta))
    return written


def make_archive(root: Path, archive: Path) -> Path:
    """Pack ``root/cifar-10-batches-py`` into ``archive`` (a .tar.gz like the official one)."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(root / CIFAR10.base_folder, arcname=CIFAR10.base_folder)
    return archive


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def trust_official_files(
    monkeypatch: pytest.MonkeyPatch, root: Path, archive: Path | None = None
) -> None:
    """Make torchvision's CIFAR10 accept the tiny batches (and archive) as the official ones."""
    folder = root / CIFAR10.base_folder
    monkeypatch.setattr(CIFAR10, "train_list", [[n, md5(folder / n)] for n in TRAIN_BATCHES])
    monkeypatch.setattr(CIFAR10, "test_list", [[n, md5(folder / n)] for n in TEST_BATCHES])
    meta_file = folder / CIFAR10.meta["filename"]
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": md5(meta_file)})
    if archive is not None:
        monkeypatch.setattr(CIFAR10, "tgz_md5", md5(archive))


def reference_normalize(images: torch.Tensor) -> torch.Tensor:
    """What ``ToTensor`` + ``Normalize(0.5, 0.5)`` make of uint8 images, computed directly."""
    return (images.float() / 255 - 0.5) / 0.5


def as_hwc_array(image: torch.Tensor) -> np.ndarray:
    return image.permute(1, 2, 0).numpy()
