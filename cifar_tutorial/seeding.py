"""Making runs repeatable: one seed for Python, NumPy, torch and DataLoader workers."""

from __future__ import annotations

import random

import numpy as np
import torch

from .validation import check_int


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python's, NumPy's and torch's generators; return a torch generator for a DataLoader.
    Pass it and :func:`seed_worker` to ``DataLoader(generator=..., worker_init_fn=...)`` so that
    shuffling and worker processes follow the seed too."""
    seed = check_int("seed", seed, minimum=0, maximum=2**32 - 1)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def seed_worker(worker_id: int) -> None:
    """``worker_init_fn`` for a DataLoader: derive each worker's seeds from torch's."""
    worker_seed = torch.initial_seed() % 2**32
    random.seed(worker_seed)
    np.random.seed(worker_seed)
