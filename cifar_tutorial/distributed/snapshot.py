"""The snapshot a data-parallel run writes after every epoch, so that a restart loses little.
It holds what the next epoch needs: weights, optimizer state, the schedule's position, the next
epoch's number, the run's settings and history. It is written atomically, the one before kept as
``NAME.previous.pt``; a damaged file (``weights_only`` load, checksum) is refused with a message,
never trusted or overwritten."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from ..checkpoint import checksum
from ..data.cache import atomic_save
from ..errors import CheckpointError, first_line
from ..paths import pretty_path

SNAPSHOT_FORMAT = "cifar-tutorial-ddp-snapshot/1"


def previous_path(path: str | os.PathLike) -> Path:
    """Where the snapshot before the latest one is kept: ``snap.pt`` -> ``snap.previous.pt``."""
    path = Path(path)
    return path.with_name(f"{path.stem}.previous{path.suffix}")


def save_snapshot(
    path: str | os.PathLike,
    net: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    *,
    next_epoch: int,
    settings: dict[str, Any],
    history: list[dict[str, float]],
) -> Path:
    """Write the snapshot atomically, keeping the one it replaces as :func:`previous_path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {
        "format": SNAPSHOT_FORMAT,
        "next_epoch": int(next_epoch),
        "settings": dict(settings),
        "history": [dict(row) for row in history],
        "state_dict": net.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
    }
    entry["checksum"] = checksum(entry)
    if path.is_file():
        _keep_as_previous(path)
    atomic_save(entry, path)
    return path


def load_snapshot(path: str | os.PathLike) -> dict[str, Any] | None:
    """The snapshot at ``path``, ``None`` when there is none; a damaged one raises.
    :class:`CheckpointError` says what is wrong and that the previous snapshot is kept."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        entry = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a damaged file can fail in many ways inside the unpickler
        raise CheckpointError(
            damaged_message(path, first_line(error, limit=100, after="WeightsUnpickler error:"))
        ) from None
    if not isinstance(entry, dict) or entry.get("format") != SNAPSHOT_FORMAT:
        raise CheckpointError(damaged_message(path, "it is not a snapshot of this script"))
    if entry.pop("checksum", None) != checksum(entry):
        raise CheckpointError(damaged_message(path, "its contents do not match its checksum"))
    return entry


def damaged_message(path: Path, reason: str) -> str:
    """One line: which file is refused, why, and what to do, naming the previous snapshot."""
    previous = previous_path(path)
    if previous.is_file():
        what_now = (
            f"The previous snapshot {pretty_path(previous)} is kept: rename it to {path.name} "
            "to resume from it, or delete both to start afresh."
        )
    else:
        what_now = "Delete it to start afresh."
    return (
        f"Refused the snapshot {pretty_path(path)}: it is damaged ({reason}); nothing was "
        f"overwritten. {what_now}"
    )


def _keep_as_previous(path: Path) -> None:
    """Make ``path``'s current file the previous snapshot, atomically (a hard link if possible)."""
    previous = previous_path(path)
    staging = previous.with_name(f".{previous.name}.tmp")
    staging.unlink(missing_ok=True)
    try:
        os.link(path, staging)
    except OSError:  # file systems without hard links
        shutil.copyfile(path, staging)
    os.replace(staging, previous)
