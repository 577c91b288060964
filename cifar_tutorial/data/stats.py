"""Per-channel statistics of the images, next to the reference tutorial's (0.5, 0.5, 0.5)."""

from __future__ import annotations

import torch

REFERENCE_MEAN = (0.5, 0.5, 0.5)
REFERENCE_STD = (0.5, 0.5, 0.5)
"""The tutorial's ``Normalize`` values: they map [0, 1] to [-1, 1], a round guess, not measured.

:func:`channel_stats` measures mean (0.491, 0.482, 0.447) and std (0.247, 0.243, 0.262) on the
official training set; either trains fine: inputs centred near 0 with a spread near 1 matter.
"""


def channel_stats(images: torch.Tensor, chunk: int = 10_000) -> tuple[tuple[float, ...], ...]:
    """Mean and standard deviation per channel of uint8 images ``(N, C, H, W)``, in [0, 1] units."""
    if images.dim() != 4:
        raise ValueError(f"images must have shape (N, C, H, W), got {tuple(images.shape)}")
    total = torch.zeros(images.shape[1], dtype=torch.float64)
    total_sq = torch.zeros_like(total)
    for start in range(0, len(images), chunk):
        part = images[start : start + chunk].to(torch.float64) / 255
        total += part.sum(dim=(0, 2, 3))
        total_sq += (part**2).sum(dim=(0, 2, 3))
    count = images.numel() / images.shape[1]
    mean = total / count
    std = (total_sq / count - mean**2).clamp_min(0).sqrt()
    return tuple(mean.tolist()), tuple(std.tolist())
