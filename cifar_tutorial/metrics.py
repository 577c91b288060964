"""Measuring a trained network, and recording the numbers a run reports."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from .files import atomic_write


@torch.no_grad()
def predict(
    net: nn.Module, loader: Iterable, device: torch.device | str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax probabilities ``(N, 10)`` and true labels ``(N,)`` of all that ``loader`` yields."""
    net.eval()
    probabilities, labels = [], []
    for images, targets in loader:
        outputs = net(images.to(device))
        probabilities.append(outputs.float().softmax(dim=1).cpu())
        labels.append(torch.as_tensor(targets).cpu())
    return torch.cat(probabilities), torch.cat(labels)


def accuracy(predicted: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of predictions that are right."""
    return (predicted == labels).float().mean().item()


def confusion_matrix(
    predicted: torch.Tensor, labels: torch.Tensor, classes: int = 10
) -> torch.Tensor:
    """``matrix[true, predicted]`` counts: each row is one true class."""
    index = labels.long() * classes + predicted.long()
    return torch.bincount(index, minlength=classes * classes).view(classes, classes)


def per_class_accuracy(matrix: torch.Tensor) -> torch.Tensor:
    """Accuracy of each true class, from a confusion matrix."""
    return matrix.diagonal().float() / matrix.sum(dim=1).clamp_min(1).float()


def record_metrics(path: str | os.PathLike | None, **values: Any) -> None:
    """Merge ``values`` into the JSON file at ``path`` (nothing happens when ``path`` is empty).
    Notebooks call this so that ``cifar-tutorial run`` and the tests can read their results. Tensors
    become lists; the file is replaced atomically."""
    if path is None or str(path) == "":
        return
    path = Path(path).expanduser()
    current = json.loads(path.read_text()) if path.is_file() else {}
    current.update({key: _plain(value) for key, value in values.items()})
    atomic_write(path, json.dumps(current, indent=2, sort_keys=True))


def _plain(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return _plain(value.tolist())
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Path) or (isinstance(value, float) and not math.isfinite(value)):
        return str(value)
    return value
