"""Data-parallel training across processes and machines: notebook 8.
``train`` is the script torchrun launches (read it top to bottom); ``launch`` starts it, with the
checks that turn torchrun's failures into one line; ``data`` gives each process its share of every
batch; ``snapshot`` keeps the state a restarted run resumes from; ``allreduce`` shows the one
operation behind it all; ``progress`` lets the notebook watch the ranks while they train, and
``figures`` draws them and the time per epoch."""

from .allreduce import all_reduce_demo
from .data import ShardedLoader, check_share
from .launch import (
    launch_function,
    processes_for_devices,
    resolve_backend,
    run_torchrun,
    threads_per_process,
    torchrun_command,
)
from .snapshot import load_snapshot, previous_path, save_snapshot

__all__ = [
    "ShardedLoader", "all_reduce_demo", "check_share", "launch_function", "load_snapshot",
    "previous_path", "processes_for_devices", "resolve_backend", "run_torchrun", "save_snapshot",
    "threads_per_process", "torchrun_command"
]  # fmt: skip
