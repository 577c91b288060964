"""The fast path: batches cut from one uint8 tensor in memory, by indexing.
The classic ``DataLoader`` builds a batch image by image (PIL, ``ToTensor``, ``Normalize``,
``collate``), costing more than the tiny network's own work; here a batch is ``images[indices]``
plus a few whole-batch tensor operations, on the CPU or the GPU."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch

from ..allocator import reuse_freed_memory
from ..validation import check_bool, check_int
from .imageset import ImageSet
from .stats import REFERENCE_MEAN, REFERENCE_STD


class FastLoader:
    """Normalized (optionally shuffled, flipped, translated) batches from an :class:`ImageSet`.
    Iterating yields ``(images, labels)`` like a ``DataLoader``: ``float32`` images of shape
    ``(B, 3, 32, 32)`` normalized with ``mean`` and ``std``. Shuffling and augmentation are seeded
    with ``(seed, epoch)``: epoch ``k`` is the same after an interruption (:meth:`set_epoch`). On
    the CPU it calls :func:`~cifar_tutorial.allocator.reuse_freed_memory`."""

    def __init__(
        self,
        data: ImageSet,
        batch_size: int,
        *,
        shuffle: bool = False,
        drop_last: bool = False,
        flip: bool = False,
        translate: int = 0,
        mean: Sequence[float] = REFERENCE_MEAN,
        std: Sequence[float] = REFERENCE_STD,
        device: torch.device | str = "cpu",
        seed: int = 0,
    ) -> None:
        self.drop_last = check_bool("drop_last", drop_last)
        # with drop_last a batch larger than the data set would leave no batch at all
        largest = len(data) if self.drop_last else None
        self.batch_size = check_int("batch_size", batch_size, minimum=1, maximum=largest)
        self.shuffle = check_bool("shuffle", shuffle)
        self.flip = check_bool("flip", flip)
        self.translate = check_int("translate", translate, minimum=0, maximum=16)
        self.seed = check_int("seed", seed, minimum=0)
        self.device = torch.device(device)
        if self.device.type == "cpu":
            reuse_freed_memory()
        self.dataset = data
        self.images = data.images.to(self.device)
        self.labels = data.labels.to(self.device)
        # x / 255 then (x - mean) / std, folded into one multiply and one add
        std_t = torch.tensor(std, device=self.device).view(1, -1, 1, 1)
        mean_t = torch.tensor(mean, device=self.device).view(1, -1, 1, 1)
        self.scale = 1 / (255 * std_t)
        self.shift = -mean_t / std_t
        self.epoch = 0

    def __len__(self) -> int:
        full, rest = divmod(len(self.labels), self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def set_epoch(self, epoch: int) -> None:
        """Choose which epoch's order and augmentation the next iteration produces."""
        self.epoch = epoch

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        generator = epoch_generator(self.seed, self.epoch)
        self.epoch += 1
        count = len(self.labels)
        if self.shuffle:
            order = torch.randperm(count, generator=generator).to(self.device)
        else:
            order = torch.arange(count, device=self.device)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            index = order[start : start + self.batch_size]
            images = self.images[index]
            if self.flip:
                images = random_flip(images, generator)
            if self.translate:
                images = random_translate(images, self.translate, generator)
            yield images.float().mul_(self.scale).add_(self.shift), self.labels[index]


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """A torch generator for one epoch of one seed; ``(seed, epoch)`` pairs never collide.
    (Seeding with ``seed + epoch`` would give seed 1 the orders of seed 0 shifted by an epoch.)"""
    state = np.random.SeedSequence([seed, epoch]).generate_state(1, dtype=np.uint64)[0]
    return torch.Generator().manual_seed(int(state))


def random_flip(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mirror a random half of the batch left to right."""
    mirror = (torch.rand(len(images), generator=generator) < 0.5).to(images.device)
    return torch.where(mirror.view(-1, 1, 1, 1), images.flip(3), images)


def random_translate(images: torch.Tensor, pixels: int, generator: torch.Generator) -> torch.Tensor:
    """Shift each image by up to ``pixels`` in x and y, filling the border by reflection."""
    n, _, height, width = images.shape
    padded = torch.nn.functional.pad(images.float(), (pixels,) * 4, mode="reflect").to(images.dtype)
    dy, dx = (torch.randint(0, 2 * pixels + 1, (2, n), generator=generator)).to(images.device)
    rows = dy.view(n, 1, 1) + torch.arange(height, device=images.device).view(1, height, 1)
    cols = dx.view(n, 1, 1) + torch.arange(width, device=images.device).view(1, 1, width)
    batch = torch.arange(n, device=images.device).view(n, 1, 1)
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)
