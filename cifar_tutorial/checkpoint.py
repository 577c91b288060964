"""Saving and loading trained weights safely.
Saving writes to a temporary file and renames it into place, so an interruption never leaves a
broken checkpoint where a good one was. A checkpoint records what it is (architecture, training
parameters, epoch, optimizer state, data normalization) so that loading the wrong one fails clearly.
Loading always uses ``torch.load(..., weights_only=True)``: a file that would need to run code while
unpickling is refused, and the code never runs."""

from __future__ import annotations

import os
import pickle
import re
import zlib
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from .data.cache import atomic_save
from .errors import CheckpointError, first_line
from .paths import pretty_path
from .validation import check_writable_path

CHECKPOINT_FORMAT = "cifar-tutorial-checkpoint/1"


def save_checkpoint(
    path: str | os.PathLike,
    net: nn.Module,
    *,
    epoch: int,
    params: dict[str, Any] | None = None,
    normalization: dict[str, list[float]] | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any = None,
    history: list[float] | None = None,
) -> Path:
    """Write ``net``'s weights and what they are to ``path``, atomically.
    A checksum of everything stored lets :func:`load_checkpoint` notice a damaged file."""
    path = check_writable_path("checkpoint_path", path)
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {
        "format": CHECKPOINT_FORMAT,
        "architecture": type(net).__name__,
        "epoch": int(epoch),
        "params": dict(params or {}),
        "normalization": dict(normalization or {}),
        "state_dict": net.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "history": list(history or []),
    }
    entry["checksum"] = checksum(entry)
    atomic_save(entry, path)
    return path


def load_checkpoint(path: str | os.PathLike, architecture: str | None = None) -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True``; refuse unsafe, damaged or mismatched files.
    A plain ``state_dict`` saved as in the reference tutorial is accepted too and comes back as
    ``{"state_dict": ..., "architecture": None}``."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise CheckpointError(
            f"No checkpoint at {pretty_path(path)}. Run notebook 04 to train and save one, "
            "or point checkpoint_path at an existing file."
        )
    try:
        entry = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a damaged file can fail in many ways inside the unpickler
        unsafe = re.search(r"Unsupported global: GLOBAL (\S+)", str(error))
        if isinstance(error, pickle.UnpicklingError) and unsafe:
            raise CheckpointError(
                f"Refused to load {pretty_path(path)}: it asks to call {unsafe.group(1)} while "
                "loading, so it is not plain weights and could run code. Only load checkpoints "
                "you made yourself or fully trust."
            ) from None
        raise CheckpointError(
            f"{pretty_path(path)} is not a readable checkpoint (damaged or cut off: "
            f"{first_line(error, after='WeightsUnpickler error:')}). Delete it and train again "
            "with notebook 04."
        ) from None
    if isinstance(entry, dict) and entry.get("format") == CHECKPOINT_FORMAT:
        stored = entry.pop("checksum", None)
        if stored != checksum(entry):
            raise CheckpointError(
                f"{pretty_path(path)} is damaged: its contents no longer match the checksum "
                "written when it was saved. Delete it and train again with notebook 04."
            )
        found = entry.get("architecture")
        if architecture is not None and found != architecture:
            raise CheckpointError(
                f"{pretty_path(path)} holds weights for a {found}, not a {architecture}. "
                "Point checkpoint_path at a checkpoint of the right network."
            )
        return entry
    if isinstance(entry, dict) and entry and all(map(torch.is_tensor, entry.values())):
        return {"state_dict": entry, "architecture": None, "epoch": None, "params": {}}
    raise CheckpointError(
        f"{pretty_path(path)} is neither a cifar-tutorial checkpoint nor a state_dict (damaged, "
        "or saved by another program). Delete it and train again with notebook 04."
    )


def load_weights(net: nn.Module, checkpoint: dict[str, Any]) -> nn.Module:
    """Put a checkpoint's weights into ``net``, with a clear message when they do not fit."""
    mismatch = _mismatch(net.state_dict(), checkpoint["state_dict"])
    try:
        if mismatch:
            raise RuntimeError(mismatch)
        net.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:
        raise CheckpointError(
            f"The checkpoint's weights do not fit a {type(net).__name__}: "
            f"{first_line(error, limit=None)}. "
            "Point checkpoint_path at weights of this network, or train it with notebook 04."
        ) from None
    return net


def resume_or_start(
    path: str | os.PathLike,
    net: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    *,
    this_run: dict[str, Any],
    epochs: int,
    resume: bool,
) -> tuple[int, list[float]]:
    """Continue the run saved at ``path``, or start afresh: return (epochs done, losses so far).
    With ``resume`` and a checkpoint there, the weights, the optimizer's momentum and the schedule's
    position are restored; a checkpoint of another run (its ``params`` differ from ``this_run``) is
    refused rather than mixed in. Says in one line which it does."""
    if not (resume and Path(path).expanduser().is_file()):
        nothing = f"Nothing to resume at {pretty_path(path)}: starting" if resume else "Starting"
        print(f"{nothing} from scratch.")
        return 0, []
    saved = load_checkpoint(path, architecture=type(net).__name__)
    if saved["params"] != this_run:
        raise CheckpointError(
            f"{pretty_path(path)} comes from another run ({saved['params']}). "
            "resume=True continues the same recipe, dataset and seed: use those, or resume=False."
        )
    load_weights(net, saved)
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    print(f"Resuming from {pretty_path(path)}: {saved['epoch']} of {epochs} epochs done.")
    return saved["epoch"], list(saved["history"])


def _mismatch(expected: dict[str, torch.Tensor], found: dict[str, torch.Tensor]) -> str:
    """How two state_dicts' names and shapes differ, in one short line ("" when they agree)."""
    problems = [
        f"{name} has shape {list(found[name].shape)} instead of {list(tensor.shape)}"
        for name, tensor in expected.items()
        if name in found and found[name].shape != tensor.shape
    ][:2]
    missing = [name for name in expected if name not in found]
    unexpected = [name for name in found if name not in expected]
    if missing:
        problems.append(f"{len(missing)} tensors are missing (e.g. {missing[0]})")
    if unexpected:
        problems.append(f"{len(unexpected)} are not this network's (e.g. {unexpected[0]})")
    return "; ".join(problems)


def checksum(value: Any, check: int = 0) -> int:
    """CRC-32 of every tensor's bytes and every other value, in order (catches flipped bits)."""
    if isinstance(value, torch.Tensor):
        tensor = value.detach().cpu().contiguous().reshape(-1)
        check = zlib.crc32(f"{tensor.dtype}{tuple(value.shape)}".encode(), check)
        return zlib.crc32(tensor.view(torch.uint8).numpy(), check)
    if isinstance(value, dict):
        for key, item in value.items():
            check = checksum(item, zlib.crc32(repr(key).encode(), check))
        return check
    if isinstance(value, (list, tuple)):
        for item in value:
            check = checksum(item, check)
        return check
    return zlib.crc32(repr(value).encode(), check)
