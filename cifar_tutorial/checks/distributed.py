"""Checks of notebook 08's exercises: sharing a batch, keeping it global, averaging gradients."""

from __future__ import annotations

from collections.abc import Callable

import torch

from .answers import as_number, as_tensor, close, kind
from .feedback import Feedback, NotYet, checker, right


@checker("rank r of W could take every W-th position of the batch, starting at r.")
def share(answer: Callable[[torch.Tensor, int, int], torch.Tensor]) -> Feedback:
    """``answer(batch, rank, world_size)``: rank's part of ``batch``; the parts partition it."""
    if not callable(answer):
        raise NotYet(f"my_share should be a function (def my_share(...)); it is {kind(answer)}.")
    for world_size in (2, 4):
        batch = torch.arange(100, 108)
        parts = [answer(batch, rank, world_size) for rank in range(world_size)]
        for rank, part in enumerate(parts):
            if not isinstance(part, torch.Tensor):
                raise NotYet(f"my_share(batch, {rank}, {world_size}) returned {kind(part)}, "
                             "not a tensor of positions from the batch.")  # fmt: skip
        if all(torch.equal(part, batch) for part in parts):
            raise NotYet("every rank gets the whole batch: the work is repeated, not shared.")
        sizes = {len(part) for part in parts}
        if sizes != {len(batch) // world_size}:
            raise NotYet(f"with {world_size} processes the parts have {sorted(sizes)} images; "
                         f"each should have {len(batch) // world_size}, so that every rank "
                         "takes the same number of steps.")  # fmt: skip
        taken = torch.cat(parts).tolist()
        if not set(taken) <= set(batch.tolist()):
            raise NotYet("the parts hold numbers that are not in the batch: return entries of "
                         "batch (batch[...]), not their positions.")  # fmt: skip
        if sorted(taken) != batch.tolist():
            raise NotYet(f"with {world_size} processes {len(taken) - len(set(taken))} images go "
                         "to two ranks: together the parts should hold each image of the batch "
                         "exactly once.")  # fmt: skip
    return right("the ranks share every batch without overlap, so N processes do 1/N of the "
                 "work each and, together, exactly one process's step.")  # fmt: skip


@checker("the global batch stays 128: how many images does each of the 4 processes take?")
def local_batch(answer: object, global_batch: int, processes: int) -> Feedback:
    """The per-process batch that keeps ``global_batch`` with ``processes`` processes."""
    value = as_number(answer, "my_local_batch")
    if value == global_batch:
        raise NotYet(f"with {processes} processes of {global_batch} the global batch would be "
                     f"{global_batch * processes}: more images per step, so fewer steps and a "
                     "learning rate to retune.")  # fmt: skip
    if value == global_batch * processes:
        raise NotYet("that is larger than the global batch; each process takes a part of it.")
    if value * processes != global_batch:
        raise NotYet(f"{processes} processes of {value:g} images make a global batch of "
                     f"{value * processes:g}, not {global_batch}.")  # fmt: skip
    return right("the global batch, and so the learning rate and the number of steps, stay "
                 "those of one process: the recipe needs no retuning.")  # fmt: skip


@checker("after DDP's all-reduce every rank holds the mean of all ranks' gradients.")
def averaged(answer: object, gradients: list[torch.Tensor]) -> Feedback:
    """What every rank holds after DDP's all-reduce of ``gradients`` (one tensor per rank)."""
    value = as_tensor(answer, "my_averaged")
    stacked = torch.stack([g.float() for g in gradients])
    expected = stacked.mean(0)
    if value.shape != expected.shape:
        raise NotYet(f"my_averaged has shape {tuple(value.shape)}; a gradient has shape "
                     f"{tuple(expected.shape)}: average across ranks, not within one.")  # fmt: skip
    if close(value, stacked.sum(0)):
        raise NotYet("that is the sum (all_reduce's SUM); DDP also divides by the number of "
                     "processes.")  # fmt: skip
    if close(value, stacked[0]):
        raise NotYet("that is rank 0's gradient alone: every rank's share of the batch counts.")
    if not close(value, expected):
        raise NotYet("not the element-wise mean over the ranks' gradients.")
    return right("the mean over ranks of the mean over each share is the mean over the whole "
                 "batch: the same gradient one process would compute.")  # fmt: skip
