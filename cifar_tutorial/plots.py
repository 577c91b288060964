"""The pictures the notebooks draw, each a small function that returns a matplotlib ``Figure``.
In a notebook, end a cell with the figure to show it; anywhere, ``fig.savefig("name.png")`` writes
it to a file. The figures are closed in pyplot before they are returned, so that Jupyter shows each
one once and a script or test that makes many of them does not pile them up in memory."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from .data import CLASSES, REFERENCE_MEAN, REFERENCE_STD

RIGHT_COLOUR, WRONG_COLOUR = "tab:green", "tab:red"


def unnormalize(
    images: torch.Tensor,
    mean: Sequence[float] = REFERENCE_MEAN,
    std: Sequence[float] = REFERENCE_STD,
) -> torch.Tensor:
    """Undo ``Normalize(mean, std)``: float images back to [0, 1], ready to draw.
    ``uint8`` images (0..255) are only scaled to [0, 1]."""
    if images.dtype == torch.uint8:
        return images.float() / 255
    mean_t = torch.tensor(mean, dtype=images.dtype, device=images.device).view(-1, 1, 1)
    std_t = torch.tensor(std, dtype=images.dtype, device=images.device).view(-1, 1, 1)
    return (images * std_t + mean_t).clamp(0, 1)


def image_grid(
    images: torch.Tensor,
    labels: Sequence[int] | torch.Tensor,
    *,
    predicted: Sequence[int] | torch.Tensor | None = None,
    classes: Sequence[str] = CLASSES,
    mean: Sequence[float] = REFERENCE_MEAN,
    std: Sequence[float] = REFERENCE_STD,
    columns: int = 8,
    title: str | None = None,
) -> Figure:
    """Images ``(N, 3, H, W)`` with their class names; with ``predicted``, the network's guess
    under each, green when right and red when wrong. Normalized float images are un-normalized
    with ``mean`` and ``std`` for display."""
    labels = _as_list(labels)
    guesses = _as_list(predicted) if predicted is not None else None
    pictures = unnormalize(images.detach().cpu(), mean, std)
    fig, axes = _grid(len(pictures), columns, cell=(1.4, 1.75 if guesses else 1.5))
    for index, ax in enumerate(axes[: len(pictures)]):  # the slots after them stay empty
        ax.imshow(pictures[index].permute(1, 2, 0).numpy())
        ax.set_title(classes[labels[index]], fontsize=9, pad=2)
        if guesses is not None:
            right = guesses[index] == labels[index]
            ax.text(0.5, -0.06, f"said {classes[guesses[index]]}", transform=ax.transAxes,
                    ha="center", va="top", fontsize=8,
                    color=RIGHT_COLOUR if right else WRONG_COLOUR)  # fmt: skip
    if title:
        fig.suptitle(title)
    return _finish(fig)


def class_balance_bars(counts: Mapping[str, Mapping[str, int]]) -> Figure:
    """Images per class as grouped bars, one colour per split: ``{"train": {class: n}, ...}``."""
    splits = list(counts)
    classes = list(next(iter(counts.values())))
    fig, ax = plt.subplots(figsize=(9, 3.2))
    width = 0.8 / len(splits)
    positions = np.arange(len(classes))
    for number, split in enumerate(splits):
        values = [counts[split][name] for name in classes]
        offset = (number - (len(splits) - 1) / 2) * width
        ax.bar(positions + offset, values, width, label=f"{split} ({sum(values):,})")
    ax.set_xticks(positions, classes, rotation=30, ha="right")
    ax.set_ylabel("images")
    ax.set_title("Images per class")
    ax.legend()
    return _finish(fig)


def smooth(values: Sequence[float], window: int) -> np.ndarray:
    """Moving average over ``window`` steps (shorter at the start, so no step is lost)."""
    values = np.asarray(values, dtype=float)
    window = max(1, min(int(window), len(values)))
    sums = np.cumsum(np.insert(values, 0, 0.0))
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(0, ends - window)
    return (sums[ends] - sums[starts]) / (ends - starts)


def loss_curve(
    runs: Mapping[str, Sequence[float]] | Sequence[float],
    *,
    steps_per_epoch: int | None = None,
    window: int | None = None,
    title: str = "Training loss",
) -> Figure:
    """Per-step training losses, raw (faint) and smoothed (solid); several runs overlay.
    ``runs`` is one list of losses or ``{"run name": losses, ...}``; ``window`` the smoothing width
    in steps (default: 1/20 of the longest run); ``steps_per_epoch`` marks epochs with dashes."""
    if not isinstance(runs, Mapping):
        runs = {"training loss": runs}
    longest = max((len(losses) for losses in runs.values()), default=0)
    window = window or max(1, longest // 20)
    fig, ax = plt.subplots(figsize=(8, 3.6))
    for name, losses in runs.items():
        steps = np.arange(1, len(losses) + 1)
        (line,) = ax.plot(steps, smooth(losses, window), label=name, linewidth=2)
        ax.plot(steps, losses, color=line.get_color(), alpha=0.25, linewidth=0.8)
    if steps_per_epoch:
        for boundary in range(steps_per_epoch, longest, steps_per_epoch):
            ax.axvline(boundary, color="grey", linestyle="--", linewidth=0.8)
    ax.axhline(math.log(10), color="grey", linestyle=":", linewidth=1)
    ax.text(1, math.log(10), " ln 10: guessing", va="bottom", fontsize=8, color="grey")
    ax.set_xlabel("step (one batch)")
    ax.set_ylabel("cross-entropy loss")
    ax.set_title(f"{title} (solid: average over {window} steps)")
    if len(runs) > 1 or next(iter(runs)) != "training loss":
        ax.legend()
    return _finish(fig)


def per_class_bars(
    accuracies: Mapping[str, float] | Sequence[float] | torch.Tensor,
    *,
    classes: Sequence[str] = CLASSES,
    overall: float | None = None,
) -> Figure:
    """Accuracy of each class (0..1) as bars, with chance (10%) and the overall accuracy."""
    if isinstance(accuracies, Mapping):
        classes, values = list(accuracies), list(accuracies.values())
    else:
        values = _as_list(accuracies)
    values = [100 * float(v) for v in values]
    fig, ax = plt.subplots(figsize=(9, 3.2))
    bars = ax.bar(classes, values, color="tab:blue")
    ax.bar_label(bars, fmt="%.0f", fontsize=8)
    ax.axhline(100 / len(classes), color="grey", linestyle=":", label="chance")
    if overall is not None:
        ax.axhline(100 * overall, color="tab:orange", linestyle="--",
                   label=f"all classes: {100 * overall:.1f}%")  # fmt: skip
    ax.set_ylim(0, 100)
    ax.set_ylabel("accuracy (%)")
    ax.set_title("Accuracy per class on the test images")
    ax.tick_params(axis="x", rotation=30)
    ax.legend(loc="lower right", fontsize=8)
    return _finish(fig)


def confusion_heatmap(
    matrix: torch.Tensor | Sequence[Sequence[int]], *, classes: Sequence[str] = CLASSES
) -> Figure:
    """Counts of (true class, predicted class) as a heat map with the numbers written in."""
    counts = np.asarray(matrix.tolist() if isinstance(matrix, torch.Tensor) else matrix)
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    image = ax.imshow(counts, cmap="Blues")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    bright = counts.max() / 2 if counts.size else 0
    for row in range(counts.shape[0]):
        for col in range(counts.shape[1]):
            ax.text(col, row, f"{counts[row, col]}", ha="center", va="center", fontsize=7,
                    color="white" if counts[row, col] > bright else "black")  # fmt: skip
    ticks = range(len(classes))
    ax.set_xticks(ticks, classes, rotation=45, ha="right")
    ax.set_yticks(ticks, classes)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title("Confusion matrix (rows: true class)")
    return _finish(fig)


def filter_grid(weight: torch.Tensor, *, columns: int = 6, title: str | None = None) -> Figure:
    """A convolution layer's filters ``(out, 3, k, k)`` as small colour pictures.
    Each filter is stretched to its own full range, so the pattern it looks for shows."""
    weight = weight.detach().cpu().float()
    low = weight.amin(dim=(1, 2, 3), keepdim=True)
    high = weight.amax(dim=(1, 2, 3), keepdim=True)
    pictures = (weight - low) / (high - low).clamp_min(1e-8)
    fig, axes = _grid(len(pictures), columns, cell=(1.2, 1.3))
    for index, ax in enumerate(axes[: len(pictures)]):
        ax.imshow(pictures[index].permute(1, 2, 0).numpy(), interpolation="nearest")
        ax.set_title(f"filter {index}", fontsize=8, pad=2)
    fig.suptitle(title or f"{len(pictures)} filters of {weight.shape[2]}x{weight.shape[3]} pixels")
    return _finish(fig)


def feature_map_grid(
    image: torch.Tensor,
    maps: Mapping[str, torch.Tensor],
    *,
    columns: int = 8,
    mean: Sequence[float] = REFERENCE_MEAN,
    std: Sequence[float] = REFERENCE_STD,
) -> Figure:
    """One image ``(3, H, W)``, then each layer's output ``(C, h, w)`` as grey pictures.
    ``maps`` is ``{"layer name": activations of this image}``; each layer starts a new row."""
    layers = {name: m.detach().cpu().float() for name, m in maps.items()}
    rows = 1 + sum(math.ceil(len(m) / columns) for m in layers.values())
    fig, grid = plt.subplots(rows, columns, figsize=(1.3 * columns, 1.45 * rows), squeeze=False)
    for ax in grid.flat:
        ax.axis("off")
    grid[0, 0].imshow(unnormalize(image.detach().cpu(), mean, std).permute(1, 2, 0).numpy())
    grid[0, 0].set_title("input", fontsize=8)
    row = 1
    for name, layer in layers.items():
        for channel, activation in enumerate(layer):
            ax = grid[row + channel // columns, channel % columns]
            ax.imshow(activation.numpy(), cmap="viridis")
            ax.set_title(f"{name} #{channel}", fontsize=7, pad=2)
        row += math.ceil(len(layer) / columns)
    fig.suptitle("What each filter responds to in this image (bright: strong response)")
    return _finish(fig)


def confident_mistakes(
    probabilities: torch.Tensor, labels: torch.Tensor, count: int = 16
) -> torch.Tensor:
    """Indices of the wrong predictions made with the highest confidence, most confident first."""
    confidence, predicted = probabilities.max(dim=1)
    wrong = (predicted != labels).nonzero().flatten()
    order = confidence[wrong].argsort(descending=True)
    return wrong[order[:count]]


def mistakes_grid(
    images: torch.Tensor,
    labels: torch.Tensor,
    probabilities: torch.Tensor,
    *,
    count: int = 16,
    classes: Sequence[str] = CLASSES,
    mean: Sequence[float] = REFERENCE_MEAN,
    std: Sequence[float] = REFERENCE_STD,
    columns: int = 8,
) -> Figure:
    """The network's most confident mistakes: each image, its true class, and what it said."""
    chosen = confident_mistakes(probabilities, labels, count)
    confidence, predicted = probabilities[chosen].max(dim=1)
    pictures = unnormalize(images[chosen].detach().cpu(), mean, std)
    fig, axes = _grid(len(chosen), columns, cell=(1.5, 1.75))
    for index, ax in enumerate(axes[: len(chosen)]):
        ax.imshow(pictures[index].permute(1, 2, 0).numpy())
        ax.set_title(classes[int(labels[chosen[index]])], fontsize=9, pad=2)
        ax.text(0.5, -0.06, f"said {classes[int(predicted[index])]} ({confidence[index]:.0%})",
                transform=ax.transAxes, ha="center", va="top", fontsize=8,
                color=WRONG_COLOUR)  # fmt: skip
    fig.suptitle(
        f"The {len(chosen)} most confident mistakes (above: the true class; below: the guess)"
    )
    return _finish(fig)


def _grid(count: int, columns: int, cell: tuple[float, float]) -> tuple[Figure, list]:
    """A figure with ``count`` picture slots (at least one), axes switched off."""
    columns = max(1, min(columns, count))
    rows = max(1, math.ceil(count / columns))
    fig, grid = plt.subplots(
        rows, columns, figsize=(cell[0] * columns, cell[1] * rows + 0.4), squeeze=False
    )
    axes = list(grid.flat)
    for ax in axes:
        ax.axis("off")
    return fig, axes


def _finish(fig: Figure) -> Figure:
    """Lay the figure out and detach it from pyplot (see the module docstring)."""
    fig.tight_layout()
    plt.close(fig)
    return fig


def _as_list(values: Sequence[int] | Sequence[float] | torch.Tensor) -> list:
    return values.tolist() if isinstance(values, torch.Tensor) else list(values)
