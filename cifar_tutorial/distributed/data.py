"""Each process's share of every batch: the fast loader's global batch, split by rank.
With ``W`` processes, rank ``r`` takes images ``r, r + W, r + 2W, ...`` of each global batch (order
and flips drawn for the whole batch from ``(seed, epoch)``), so together they see the batches one
process would, and the run is the same whatever their number (a test checks it).
``DistributedSampler`` shards like this over a whole epoch. The last incomplete batch is dropped, so
that every process takes the same number of steps."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch

from ..data.fast import epoch_generator
from ..data.imageset import ImageSet
from ..data.stats import REFERENCE_MEAN, REFERENCE_STD
from ..errors import ParameterError
from ..validation import check_bool, check_int


class ShardedLoader:
    """Normalized batches of ``batch_size // world_size`` images for one rank (``drop_last``).
    For ``world_size=1`` it yields exactly ``FastLoader(..., drop_last=True)``'s batches."""

    def __init__(
        self,
        data: ImageSet,
        batch_size: int,
        *,
        rank: int,
        world_size: int,
        shuffle: bool = True,
        flip: bool = False,
        seed: int = 0,
        device: torch.device | str = "cpu",
        mean: Sequence[float] = REFERENCE_MEAN,
        std: Sequence[float] = REFERENCE_STD,
    ) -> None:
        self.world_size = check_int("world_size", world_size, minimum=1)
        self.rank = check_int("rank", rank, minimum=0, maximum=self.world_size - 1)
        self.batch_size = check_share(batch_size, self.world_size, len(data))
        self.local_batch_size = self.batch_size // self.world_size
        self.shuffle = check_bool("shuffle", shuffle)
        self.flip = check_bool("flip", flip)
        self.seed = check_int("seed", seed, minimum=0)
        self.device = torch.device(device)
        self.images, self.labels = data.images, data.labels
        self.mean, self.std = mean, std
        self.epoch = 0

    def __len__(self) -> int:
        """Steps per epoch: the same on every rank and for every number of processes."""
        return len(self.labels) // self.batch_size

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose order and flips the next iteration produces."""
        self.epoch = epoch

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        generator = epoch_generator(self.seed, self.epoch)
        self.epoch += 1
        count = len(self.labels)
        order = torch.randperm(count, generator=generator) if self.shuffle else torch.arange(count)
        mine = slice(self.rank, None, self.world_size)  # every world_size-th image, from rank
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            batch = order[start : start + self.batch_size]  # the global batch
            images = self.images[batch[mine]].to(self.device)
            if self.flip:  # drawn for the global batch, so that the same images are mirrored
                mirror = torch.rand(self.batch_size, generator=generator) < 0.5
                mirror = mirror[mine].to(self.device).view(-1, 1, 1, 1)
                images = torch.where(mirror, images.flip(3), images)
            labels = self.labels[batch[mine]].to(self.device)
            yield normalize(images, self.mean, self.std), labels


def share_of(
    data: ImageSet,
    rank: int,
    world_size: int,
    *,
    batch_size: int = 500,
    device: torch.device | str = "cpu",
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Every image of rank's share (``rank, rank + W, ...``) in order, normalized, in batches.
    For testing: the shares of all ranks together hold each image exactly once."""
    images, labels = data.images[rank::world_size], data.labels[rank::world_size]
    for start in range(0, len(labels), batch_size):
        chunk = images[start : start + batch_size].to(device)
        yield normalize(chunk), labels[start : start + batch_size].to(device)


def normalize(
    images: torch.Tensor,
    mean: Sequence[float] = REFERENCE_MEAN,
    std: Sequence[float] = REFERENCE_STD,
) -> torch.Tensor:
    """uint8 pixels to ``(x / 255 - mean) / std``, as ``FastLoader`` computes it."""
    std_t = torch.tensor(std, device=images.device).view(1, -1, 1, 1)
    mean_t = torch.tensor(mean, device=images.device).view(1, -1, 1, 1)
    return images.float().mul_(1 / (255 * std_t)).add_(-mean_t / std_t)


def check_share(batch_size: object, world_size: int, images: int) -> int:
    """The global ``batch_size`` if ``world_size`` processes can share it and ``images`` fill it.
    Raises a one-line :class:`ParameterError` naming what to change otherwise."""
    batch_size = check_int("batch_size", batch_size, minimum=1)
    processes = f"{world_size} process{'es' if world_size > 1 else ''}"
    if world_size > batch_size:
        raise ParameterError(
            "batch_size", batch_size, f"at least the number of processes ({processes}), so "
            f"that each gets one image per step: use at most {batch_size} processes"
        )  # fmt: skip
    if batch_size % world_size:
        lower = batch_size - batch_size % world_size
        raise ParameterError(
            "batch_size", batch_size, f"a multiple of the number of processes ({processes}) so "
            f"that they share it evenly, e.g. {lower} or {lower + world_size}"
        )  # fmt: skip
    if images < batch_size:
        raise ParameterError(
            "batch_size", batch_size, f"at most the {images:,} training images, which cannot "
            f"fill one batch for {processes}: use a smaller batch or more data"
        )  # fmt: skip
    return batch_size
