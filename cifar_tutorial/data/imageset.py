"""A split of CIFAR-10 held in memory as one uint8 tensor, with where it came from."""

from __future__ import annotations

from dataclasses import dataclass

import torch

CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip
"""The ten CIFAR-10 classes in label order (0..9)."""


@dataclass(frozen=True)
class ImageSet:
    """Images as ``uint8`` of shape ``(N, 3, 32, 32)``, labels as ``int64`` of shape ``(N,)``."""

    images: torch.Tensor
    labels: torch.Tensor
    split: str
    source: str
    classes: tuple[str, ...] = CLASSES

    def __len__(self) -> int:
        return len(self.labels)

    def summary(self) -> str:
        """One line saying what was loaded: split, size and source."""
        return f"{self.split}: {len(self):,} images of {len(self.classes)} classes, {self.source}"

    def spread(self, count: int) -> ImageSet:
        """``count`` images spread evenly over the set (all of them if it holds fewer).
        Evenly spread, not the first ``count``: a set stored class by class would otherwise give
        images of one class only."""
        count = min(count, len(self))
        index = torch.arange(count) * len(self) // count
        return ImageSet(self.images[index], self.labels[index], self.split, self.source,
                        self.classes)  # fmt: skip

    def class_counts(self) -> dict[str, int]:
        """How many images each class has."""
        counts = torch.bincount(self.labels, minlength=len(self.classes)).tolist()
        return dict(zip(self.classes, counts, strict=True))
