"""The embedded sample: 6,000 real CIFAR-10 photos shipped inside the package.

500 training and 100 test photos per class, stored as their original JPEG bytes in one
compressed ``.npz`` file (about 2 MB). It powers the smoke profile, the tests and offline
demos. ``scripts/build_sample.py`` rebuilds it from a class-folder copy of CIFAR-10.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .decode import decode_rgb, stack_images
from .folders import image_files
from .imageset import CLASSES, ImageSet

SAMPLE_FILE = "cifar10_sample.npz"
SAMPLE_PER_CLASS = {"train": 500, "test": 100}
SAMPLE_SOURCE = "the embedded sample of CIFAR-10 (500 train + 100 test photos per class)"


def sample_path() -> Path:
    """Where the sample file lies inside the installed package."""
    return Path(__file__).resolve().parent.parent / "sample" / SAMPLE_FILE


def load_sample(split: str) -> ImageSet:
    """Decode one split of the embedded sample (well under a second)."""
    with np.load(sample_path(), allow_pickle=False) as archive:
        blob = archive[f"{split}_jpeg"].tobytes()
        offsets = archive[f"{split}_offsets"].tolist()
        labels = torch.from_numpy(archive[f"{split}_labels"].astype(np.int64))
    spans = zip(offsets[:-1], offsets[1:], strict=True)
    images = stack_images([decode_rgb(blob[start:end]) for start, end in spans])
    return ImageSet(images, labels, split, SAMPLE_SOURCE)


def build_sample(folders_root: Path, output: Path, per_class: dict[str, int] | None = None) -> None:
    """Write the sample from ``folders_root/{train,test}/<class>/*``: the first files by name."""
    per_class = per_class or SAMPLE_PER_CLASS
    arrays: dict[str, np.ndarray] = {}
    for split, count in per_class.items():
        chunks, offsets, labels = [], [0], []
        for label, name in enumerate(CLASSES):
            files = image_files(folders_root / split / name)[:count]
            if len(files) < count:
                raise ValueError(
                    f"{folders_root / split / name} has {len(files)} files, need {count}"
                )
            for file in files:
                data = file.read_bytes()
                if decode_rgb(data).shape != (32, 32, 3):
                    raise ValueError(f"{file} is not a 32x32 image")
                chunks.append(np.frombuffer(data, dtype=np.uint8))
                offsets.append(offsets[-1] + len(data))
                labels.append(label)
        arrays[f"{split}_jpeg"] = np.concatenate(chunks)
        arrays[f"{split}_offsets"] = np.array(offsets, dtype=np.int64)
        arrays[f"{split}_labels"] = np.array(labels, dtype=np.uint8)
    output.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(output, **arrays)
