"""The embedded sample: 6,000 real CIFAR-10 photos shipped inside the package.
500 training and 100 test photos per class, as their JPEG bytes in one ``.npz`` file (about 2 MB),
for the smoke profile, the tests and offline demos (built by scripts/build_sample.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .decode import decode_rgb, stack_images
from .imageset import ImageSet

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
