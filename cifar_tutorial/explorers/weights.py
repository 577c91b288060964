"""Which weights an explorer shows: notebook 4's trained ones when they exist, else a fresh
network, and a sentence that says which."""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch.nn as nn

from ..checkpoint import load_checkpoint, load_weights
from ..data import REFERENCE_MEAN, REFERENCE_STD
from ..errors import CheckpointError, first_line
from ..models import Net
from ..paths import pretty_path


@dataclass(frozen=True)
class Weights:
    """A network, how its inputs are normalized, and where its weights come from: ``about`` in a
    few words (for figures), ``detail`` in one line (the file, or why there is none)."""

    net: nn.Module
    mean: Sequence[float]
    std: Sequence[float]
    about: str
    detail: str
    trained: bool


def trained_or_fresh(checkpoint_path: str | os.PathLike, fresh: nn.Module) -> Weights:
    """Notebook 4's weights from ``checkpoint_path`` in a ``Net`` when the file is there and
    readable; otherwise a copy of ``fresh`` (a freshly initialised network), saying why."""
    path = Path(checkpoint_path).expanduser()
    untrained = "a freshly initialised network (untrained)"
    if not path.is_file():
        why = f"notebook 4 has not saved weights at {pretty_path(path)} yet"
        return _fresh(fresh, untrained, f"Showing {untrained}: {why}.")
    try:
        checkpoint = load_checkpoint(path, architecture="Net")
        net = load_weights(Net(), checkpoint)
    except CheckpointError as error:
        return _fresh(fresh, untrained, f"Showing {untrained}: {first_line(error, limit=None)}")
    normalization = checkpoint.get("normalization") or {}
    epochs = checkpoint.get("epoch")
    about = "the trained weights of notebook 4" + (f" ({epochs} epochs)" if epochs else "")
    return Weights(
        net.eval(),
        normalization.get("mean", REFERENCE_MEAN),
        normalization.get("std", REFERENCE_STD),
        about,
        f"Showing {about}, from {pretty_path(path)}.",
        trained=True,
    )


def _fresh(net: nn.Module, about: str, detail: str) -> Weights:
    return Weights(copy.deepcopy(net).eval(), REFERENCE_MEAN, REFERENCE_STD, about, detail, False)
