"""Joining the process group from torchrun's environment, so that restarts work with gloo too."""

from __future__ import annotations

import os
from datetime import timedelta

import torch.distributed as dist


def join_process_group(backend: str, timeout: timedelta = timedelta(minutes=5)) -> None:
    """``init_process_group`` from the environment torchrun sets (or a group of one without it).
    Each attempt's keys in the rendezvous store (which outlives a restart) get a prefix of their
    own: without it, gloo in a restarted worker reads the crashed attempt's addresses and fails to
    connect (pytorch/pytorch#135712). All workers restart together: one count on every rank."""
    if "RANK" not in os.environ:  # alone: an in-memory store instead of a network address
        dist.init_process_group(backend, store=dist.HashStore(), rank=0, world_size=1)
        return
    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    if os.environ.get("TORCHELASTIC_USE_AGENT_STORE") != "True":
        dist.init_process_group(backend, timeout=timeout)  # MASTER_ADDR, MASTER_PORT, ...
        return
    shared = dist.TCPStore(os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]),
                           world_size, is_master=False, timeout=timeout)  # fmt: skip
    attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
    store = dist.PrefixStore(f"cifar-tutorial/attempt-{attempt}", shared)
    dist.init_process_group(backend, store=store, rank=rank, world_size=world_size,
                            timeout=timeout)  # fmt: skip
