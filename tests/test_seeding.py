"""One seed makes Python, NumPy, torch and DataLoader workers repeat themselves."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from cifar_tutorial.errors import ParameterError
from cifar_tutorial.seeding import seed_everything, seed_worker


def draws() -> tuple[float, float, float]:
    return random.random(), float(np.random.rand()), float(torch.rand(1))


def test_the_same_seed_repeats_every_generator():
    seed_everything(3)
    first = draws()
    seed_everything(3)
    assert draws() == first
    seed_everything(4)
    assert draws() != first


def test_the_returned_generator_fixes_a_dataloaders_shuffle():
    def order(seed: int) -> list[int]:
        loader = DataLoader(range(20), 5, shuffle=True, generator=seed_everything(seed))
        return torch.cat(list(loader)).tolist()

    first = order(7)
    assert sorted(first) == list(range(20))
    torch.rand(100)  # using the global generator in between changes nothing
    assert order(7) == first
    assert order(8) != first


class NumpyNoise(Dataset):
    """Items drawn from NumPy's global generator, as many augmentation libraries do."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> float:
        return float(np.random.rand())


def test_workers_are_seeded_from_the_seed():
    def run(seed: int) -> list[float]:
        loader = DataLoader(
            NumpyNoise(), 2, num_workers=2, worker_init_fn=seed_worker,
            generator=seed_everything(seed),
        )  # fmt: skip
        return torch.cat(list(loader)).tolist()

    first = run(11)
    assert run(11) == first
    assert run(12) != first
    assert len(set(first)) == 4  # the two workers do not repeat each other


def test_seed_worker_derives_python_and_numpy_seeds_from_torchs():
    torch.manual_seed(1234)  # inside a worker, torch's seed is the loader's base seed + worker id
    seed_worker(0)
    seeded = random.random(), float(np.random.rand())
    random.seed(1234)
    np.random.seed(1234)
    assert seeded == (random.random(), float(np.random.rand()))


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "x", None])
def test_a_bad_seed_is_refused(bad):
    with pytest.raises(ParameterError, match="seed="):
        seed_everything(bad)


def test_a_seed_given_as_text_is_accepted():
    seed_everything("5")
    first = draws()
    seed_everything(5)
    assert draws() == first
