"""Notebook 08's checkers: the right answer, and each typical wrong one with its own hint."""

from __future__ import annotations

import torch

from cifar_tutorial.checks import STUB
from cifar_tutorial.checks import distributed as check


def test_share_accepts_every_partition_into_equal_parts():
    assert check.share(lambda batch, rank, world: batch[rank::world]).right
    assert check.share(lambda batch, rank, world: batch.chunk(world)[rank]).right


def test_share_explains_each_typical_mistake():
    whole = check.share(lambda batch, rank, world: batch)
    assert "whole batch" in whole.message and not whole.right
    halves = check.share(lambda batch, rank, world: batch[rank * 4 : rank * 4 + 4])
    assert "each should have 2" in halves.message  # right for 2 processes, wrong for 4
    overlap = check.share(lambda batch, rank, world: batch[rank : rank + len(batch) // world])
    assert "go to two ranks" in overlap.message
    assert "exactly once" in overlap.message
    positions = check.share(lambda batch, rank, world: torch.arange(rank, len(batch), world))
    assert "not their positions" in positions.message
    assert "should be a function" in check.share(3).message
    assert "not a tensor" in check.share(lambda batch, rank, world: rank).message
    assert "replace `...`" in check.share(STUB).message


def test_local_batch_keeps_the_global_batch():
    assert check.local_batch(32, 128, 4).right
    assert "global batch would be 512" in check.local_batch(128, 128, 4).message
    assert "larger than the global batch" in check.local_batch(512, 128, 4).message
    assert "make a global batch of 256" in check.local_batch(64, 128, 4).message
    assert "should be a number" in check.local_batch("32", 128, 4).message


def test_averaged_is_the_mean_over_ranks():
    gradients = [torch.tensor([1.0, -2.0]), torch.tensor([3.0, 0.0]), torch.tensor([2.0, 5.0])]
    assert check.averaged(torch.stack(gradients).mean(0), gradients).right
    assert "the sum" in check.averaged(torch.stack(gradients).sum(0), gradients).message
    assert "rank 0's gradient" in check.averaged(gradients[0], gradients).message
    assert "across ranks" in check.averaged(torch.stack(gradients).mean(), gradients).message
    assert "element-wise mean" in check.averaged(torch.ones(2), gradients).message
    assert "should be a tensor" in check.averaged([2.0, 1.0], gradients).message
