"""The one operation data parallelism rests on, on its own: an all-reduce between processes."""

from __future__ import annotations

import os

import torch
import torch.distributed as dist


def all_reduce_demo() -> dict[str, list[float]]:
    """Each rank starts with its own numbers; after ``all_reduce`` every rank holds their sum.
    Run it in several processes (``launch_function(all_reduce_demo, 2)``): it joins the process
    group from torchrun's environment, and returns what this rank had and got."""
    dist.init_process_group("gloo")  # the CPU backend; its address comes from the environment
    try:
        rank, world_size = dist.get_rank(), dist.get_world_size()
        gradient = torch.tensor([1.0, 2.0, 3.0]) * (rank + 1)  # a stand-in for rank's gradient
        had = gradient.tolist()
        dist.all_reduce(gradient, op=dist.ReduceOp.SUM)  # in place: now the sum over ranks
        return {
            "had": had,
            "sum": gradient.tolist(),
            "average": (gradient / world_size).tolist(),
            "pid": [float(os.getpid())],
        }
    finally:
        dist.destroy_process_group()
