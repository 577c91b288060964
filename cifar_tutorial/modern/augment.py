"""Data on the device, augmented a whole batch at a time.
The training set is one uint8 tensor on the device (150 MB for CIFAR-10); a batch is cut by
indexing, flipped and shifted, then made normalized floats, by
:class:`~cifar_tutorial.data.FastLoader`; this module picks its settings."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..data import FastLoader, ImageSet
from ..data.fast import epoch_generator, random_flip, random_translate

CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
"""Per-channel mean and spread of CIFAR-10's training images (see ``channel_stats``)."""


def train_batches(
    data: ImageSet,
    batch_size: int,
    *,
    flip: bool = True,
    translate: int = 2,
    device: torch.device | str = "cpu",
    seed: int = 0,
) -> FastLoader:
    """Shuffled, augmented, normalized training batches (the last, partial batch is dropped).
    ``flip`` mirrors a random half of each batch; ``translate`` shifts each image by up to that many
    pixels in x and y, filling the border by reflection (0 switches it off)."""
    return FastLoader(data, batch_size, shuffle=True, drop_last=True, flip=flip,
                      translate=translate, mean=CIFAR10_MEAN, std=CIFAR10_STD, device=device,
                      seed=seed)  # fmt: skip


def test_batches(
    data: ImageSet, batch_size: int = 1000, device: torch.device | str = "cpu"
) -> FastLoader:
    """Normalized batches in order, without augmentation."""
    batch_size = min(batch_size, len(data))
    return FastLoader(data, batch_size, mean=CIFAR10_MEAN, std=CIFAR10_STD, device=device)


def normalized(data: ImageSet, count: int | None = None) -> torch.Tensor:
    """``count`` images spread evenly over the set (all when ``None``), as normalized floats
    (see :meth:`~cifar_tutorial.data.ImageSet.spread`)."""
    images = (data if count is None else data.spread(count)).images.float() / 255
    mean = torch.tensor(CIFAR10_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CIFAR10_STD).view(1, 3, 1, 1)
    return (images - mean) / std


def shrink(images: torch.Tensor, size: int) -> torch.Tensor:
    """A batch of images scaled down smoothly to ``size`` x ``size`` pixels, for progressive
    resizing: a 24x24 image costs about half the work of a 32x32 one, and early in training the
    coarse shapes are what the network learns anyway."""
    return F.interpolate(images, size=(size, size), mode="bilinear", antialias=True)


def augmented_examples(
    images: torch.Tensor, flip: bool = True, translate: int = 2, seed: int = 0
) -> torch.Tensor:
    """``images`` (uint8) as one training epoch would see them: for pictures in the notebook."""
    generator = epoch_generator(seed, 0)
    if flip:
        images = random_flip(images, generator)
    if translate:
        images = random_translate(images, translate, generator)
    return images
