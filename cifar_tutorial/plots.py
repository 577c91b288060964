"""The pictures the notebooks draw, each a small function that returns a matplotlib ``Figure``.
In a notebook, end a cell with the figure to show it; anywhere, ``fig.savefig("name.png")`` writes
it to a file. The figures are closed in pyplot before they are returned, so that Jupyter shows each
one once and a script or test that makes many of them does not pile them up in memory.

Every figure is drawn for everyone (:mod:`cifar_tutorial.palette`): colour-blind-safe colours on
opaque white, right and wrong shown by a mark (✔, ✗) as well as by colour, and a sentence of alt
text made from the data (:mod:`cifar_tutorial.alt_text`) for whoever cannot see the picture."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.transforms import blended_transform_factory

from .alt_text import describe
from .data import CLASSES, REFERENCE_MEAN, REFERENCE_STD
from .palette import (
    DIVERGING,
    GUIDE,
    SEQUENTIAL,
    colour,
    mark,
    right_or_wrong,
    styled,
    text_colour_on,
)

LISTED_IMAGES = 16  # an image grid's alt text names each image up to this many, else counts them


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
    under each: "✔ said cat" (bluish green) when right, "✗ said dog" (vermilion) when wrong.
    Normalized float images are un-normalized with ``mean`` and ``std`` for display."""
    labels = _as_list(labels)
    guesses = _as_list(predicted) if predicted is not None else None
    pictures = unnormalize(images.detach().cpu(), mean, std)
    with styled():
        fig, axes = _grid(len(pictures), columns, cell=(1.4, 1.75 if guesses else 1.5))
        for index, ax in enumerate(axes[: len(pictures)]):  # the slots after them stay empty
            ax.imshow(pictures[index].permute(1, 2, 0).numpy())
            ax.set_title(classes[labels[index]], fontsize=9, pad=2)
            if guesses is not None:
                right = guesses[index] == labels[index]
                ax.text(0.5, -0.06, f"{mark(right)} said {classes[guesses[index]]}",
                        transform=ax.transAxes, ha="center", va="top", fontsize=8,
                        color=right_or_wrong(right))  # fmt: skip
        if title:
            fig.suptitle(title)
        _finish(fig)
    names = [classes[label] for label in labels[: len(pictures)]]
    said = [classes[guess] for guess in guesses[: len(pictures)]] if guesses is not None else None
    return describe(fig, _images_alt(names, said, title))


def _images_alt(names: list[str], said: list[str] | None, title: str | None) -> str:
    """Alt text: "8 images: cat, ship, ...; the network's guesses: 6 right, 2 wrong (...)"."""
    if len(names) <= LISTED_IMAGES:
        shown = f"{_count(len(names), 'image')}: {', '.join(names)}"
    else:
        counts = ", ".join(f"{n} {name}" for name, n in Counter(names).most_common())
        shown = f"{_count(len(names), 'image')} of {_count(len(set(names)), 'class')}: {counts}"
    text = f"{title}: {shown}" if title else shown
    if said is not None:
        pairs = zip(names, said, strict=True)
        wrong = [f"{name} said {guess}" for name, guess in pairs if name != guess]
        text += f"; the network's guesses: {len(names) - len(wrong)} right, {len(wrong)} wrong"
        text += f" ({', '.join(wrong)})" if wrong else ""
    return text


def class_balance_bars(counts: Mapping[str, Mapping[str, int]]) -> Figure:
    """Images per class as grouped bars, one colour per split: ``{"train": {class: n}, ...}``."""
    splits = list(counts)
    classes = list(next(iter(counts.values())))
    with styled():
        fig, ax = plt.subplots(figsize=(9, 3.2))
        width = 0.8 / len(splits)
        positions = np.arange(len(classes))
        for number, split in enumerate(splits):
            values = [counts[split][name] for name in classes]
            offset = (number - (len(splits) - 1) / 2) * width
            ax.bar(positions + offset, values, width, color=colour(number),
                   label=f"{split} ({sum(values):,})")  # fmt: skip
        ax.set_xticks(positions, classes, rotation=30, ha="right")
        ax.set_ylabel("images")
        ax.set_title("Images per class")
        _legend(ax)
        _finish(fig)
    return describe(fig, "Images per class: " + "; ".join(_split_alt(s, counts[s]) for s in splits))


def _split_alt(split: str, counts: Mapping[str, int]) -> str:
    """One split: "train 50,000 (5,000 of each class)", "test 900 (from 80 dog to 120 cat)"."""
    fewest, most = min(counts, key=counts.get), max(counts, key=counts.get)
    if counts[fewest] == counts[most]:
        return f"{split} {sum(counts.values()):,} ({counts[most]:,} of each class)"
    return (f"{split} {sum(counts.values()):,} "
            f"(from {counts[fewest]:,} {fewest} to {counts[most]:,} {most})")  # fmt: skip


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
    with styled():
        fig, ax = plt.subplots(figsize=(8, 3.6))
        for number, (name, losses) in enumerate(runs.items()):
            steps = np.arange(1, len(losses) + 1)
            ax.plot(steps, smooth(losses, window), label=name, linewidth=2, color=colour(number))
            ax.plot(steps, losses, color=colour(number), alpha=0.25, linewidth=0.8)
        if steps_per_epoch:
            for boundary in range(steps_per_epoch, longest, steps_per_epoch):
                ax.axvline(boundary, color=GUIDE, linestyle="--", linewidth=0.8)
        ax.axhline(math.log(10), color=GUIDE, linestyle=":", linewidth=1)
        ax.text(1, math.log(10), " ln 10: guessing", va="bottom", fontsize=8, color=GUIDE)
        ax.set_xlabel("step (one batch)")
        ax.set_ylabel("cross-entropy loss")
        ax.set_title(f"{title} (solid: average over {window} steps)")
        if len(runs) > 1 or next(iter(runs)) != "training loss":
            _legend(ax)
        _finish(fig)
    parts = [_run_alt(name, losses, window, steps_per_epoch) for name, losses in runs.items()]
    if list(runs) == ["training loss"]:
        return describe(fig, f"{title} {parts[0].removeprefix('training loss ')}")
    return describe(fig, f"{title}, {_count(len(runs), 'run')}: " + "; ".join(parts))


def _run_alt(name: str, losses: Sequence[float], window: int, steps_per_epoch: int | None) -> str:
    """One run: "batch 4 from 2.30 to 1.12 over 3 epochs (1,170 steps)" (the end smoothed)."""
    if len(losses) == 0:
        return f"{name}: no steps recorded"
    end = smooth(losses, window)[-1]
    steps = _count(len(losses), "step")
    if steps_per_epoch:
        epochs = len(losses) / steps_per_epoch
        epochs_text = f"{epochs:g}" if epochs == int(epochs) else f"{epochs:.1f}"
        steps = f"{epochs_text} epoch{'' if epochs == 1 else 's'} ({steps})"
    return f"{name} from {float(losses[0]):.2f} to {end:.2f} over {steps}"


def per_class_bars(
    accuracies: Mapping[str, float] | Sequence[float] | torch.Tensor,
    *,
    classes: Sequence[str] = CLASSES,
    overall: float | None = None,
) -> Figure:
    """Accuracy of each class (0..1) as bars, with chance (dotted) and the overall accuracy
    (dashed), each line labelled at its right end."""
    if isinstance(accuracies, Mapping):
        classes, values = list(accuracies), list(accuracies.values())
    else:
        values = _as_list(accuracies)
    values = [100 * float(v) for v in values]
    chance = 100 / len(classes)
    with styled():
        fig, ax = plt.subplots(figsize=(9, 3.2))
        bars = ax.bar(classes, values, color=colour(0))
        ax.bar_label(bars, fmt="%.0f", fontsize=8)
        at_right = blended_transform_factory(ax.transAxes, ax.transData)
        ax.axhline(chance, color=GUIDE, linestyle=":", linewidth=1.5)
        ax.text(1.01, chance, f"chance: {chance:.0f}%", transform=at_right, va="top",
                fontsize=8, color=GUIDE)  # fmt: skip
        if overall is not None:
            ax.axhline(100 * overall, color="black", linestyle="--", linewidth=1.2)
            ax.text(1.01, 100 * overall, f"all classes: {100 * overall:.1f}%", transform=at_right,
                    va="bottom", fontsize=8)  # fmt: skip
        ax.set_ylim(0, 100)
        ax.set_ylabel("accuracy (%)")
        ax.set_title("Accuracy per class on the test images")
        ax.tick_params(axis="x", rotation=30)
        _finish(fig)
    best, worst = int(np.argmax(values)), int(np.argmin(values))
    text = (f"Accuracy per class: best {classes[best]} {values[best]:.0f}%, "
            f"worst {classes[worst]} {values[worst]:.0f}%")  # fmt: skip
    if overall is not None:
        text += f"; all classes {100 * overall:.1f}%"
    return describe(fig, f"{text}; chance {chance:.0f}%")


def confusion_heatmap(
    matrix: torch.Tensor | Sequence[Sequence[int]], *, classes: Sequence[str] = CLASSES
) -> Figure:
    """Counts of (true class, predicted class) as a heat map with the numbers written in; the
    diagonal, where the network was right, is boxed and in bold."""
    counts = np.asarray(matrix.tolist() if isinstance(matrix, torch.Tensor) else matrix)
    with styled():
        fig, ax = plt.subplots(figsize=(6.4, 5.6))
        image = ax.imshow(counts, cmap=SEQUENTIAL)
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        for row in range(counts.shape[0]):
            for col in range(counts.shape[1]):
                on_cell = text_colour_on(image.cmap(image.norm(counts[row, col])))
                ax.text(col, row, f"{counts[row, col]}", ha="center", va="center", fontsize=7,
                        color=on_cell, fontweight="bold" if row == col else "normal")  # fmt: skip
        for cell in range(min(counts.shape)):  # a black box with a white one inside: seen on
            for edge, width in (("black", 2.4), ("white", 1.0)):  # dark and light cells alike
                ax.add_patch(Rectangle((cell - 0.45, cell - 0.45), 0.9, 0.9, fill=False,
                                       edgecolor=edge, linewidth=width))  # fmt: skip
        ticks = range(len(classes))
        ax.set_xticks(ticks, classes, rotation=45, ha="right")
        ax.set_yticks(ticks, classes)
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        ax.set_title("Confusion matrix (rows: true class; boxed: right answers)")
        _finish(fig)
    return describe(fig, _confusion_alt(counts, classes))


def _confusion_alt(counts: np.ndarray, classes: Sequence[str]) -> str:
    """Alt text: "Confusion matrix of 10,000 images: 61% on the diagonal; ... cat taken for dog"."""
    total = int(counts.sum())
    if total == 0:
        return "Confusion matrix with no images counted"
    right = int(np.trace(counts))
    text = f"Confusion matrix of {_count(total, 'image')}: {right / total:.0%} on the diagonal"
    mistakes = counts.copy()
    np.fill_diagonal(mistakes, 0)
    if mistakes.max() == 0:
        return f"{text}; no mistakes"
    true, said = np.unravel_index(int(np.argmax(mistakes)), mistakes.shape)
    return (f"{text} (right answers); most common mistake: {classes[true]} taken for "
            f"{classes[said]} ({_count(int(mistakes[true, said]), 'time')})")  # fmt: skip


def filter_grid(weight: torch.Tensor, *, columns: int = 6, title: str | None = None) -> Figure:
    """A convolution layer's filters ``(out, 3, k, k)``: each as a small colour picture,
    stretched to its own full range so the pattern it looks for shows, and under it its
    weights for the red, green and blue channels (orange below zero, purple above; the same
    scale for the three)."""
    weight = weight.detach().cpu().float()
    if weight.ndim != 4 or weight.shape[1] != 3:
        raise ValueError(f"weight: must be (filters, 3, height, width), got {tuple(weight.shape)}")
    low = weight.amin(dim=(1, 2, 3), keepdim=True)
    high = weight.amax(dim=(1, 2, 3), keepdim=True)
    pictures = (weight - low) / (high - low).clamp_min(1e-8)
    count, columns = len(weight), max(1, min(columns, len(weight)))
    blocks = math.ceil(count / columns)
    with styled():
        inches = (1.2 * columns, 4.4 * blocks + 0.9)
        fig, grid = plt.subplots(4 * blocks, columns, figsize=inches, squeeze=False,
                                 layout="constrained")  # fmt: skip
        for ax in grid.flat:
            ax.axis("off")
        for index in range(count):
            top, col = 4 * (index // columns), index % columns
            grid[top, col].imshow(pictures[index].permute(1, 2, 0).numpy(), interpolation="nearest")
            grid[top, col].set_title(f"filter {index}", fontsize=8, pad=2)
            reach = float(weight[index].abs().max()) or 1.0
            for channel, channel_name in enumerate(("red", "green", "blue")):
                image = grid[top + 1 + channel, col].imshow(
                    weight[index, channel].numpy(), cmap=DIVERGING, vmin=-reach, vmax=reach,
                    interpolation="nearest")  # fmt: skip
                grid[top + 1 + channel, col].set_title(channel_name, fontsize=7, pad=1)
        bar = fig.colorbar(image, ax=grid.ravel().tolist(), orientation="horizontal",
                           fraction=0.03, pad=0.02, ticks=[-reach, 0, reach])  # fmt: skip
        bar.set_ticklabels(["below zero", "0", "above zero"], fontsize=8)
        bar.set_label("weight (each filter on its own scale)", fontsize=8)
        fig.suptitle(title or f"{count} filters of {weight.shape[2]}x{weight.shape[3]} pixels")
        _finish(fig)
    strongest = int(weight.abs().amax(dim=(1, 2, 3)).argmax())
    span = f"from {float(weight.min()):.2f} to {float(weight.max()):.2f}"
    size = f"{weight.shape[2]}x{weight.shape[3]}"
    text = (f"{_count(count, 'filter')} of {size} weights for each of red, green and blue, "
            f"{span}; the largest (either sign) in filter {strongest}")  # fmt: skip
    return describe(fig, f"{title}: {text}" if title else text)


def feature_map_grid(
    image: torch.Tensor,
    maps: Mapping[str, torch.Tensor],
    *,
    columns: int = 8,
    mean: Sequence[float] = REFERENCE_MEAN,
    std: Sequence[float] = REFERENCE_STD,
) -> Figure:
    """One image ``(3, H, W)``, then each layer's output ``(C, h, w)``, one picture per channel
    (dark: no response, bright yellow: its strongest). ``maps`` is ``{"layer name":
    activations of this image}``; each layer starts a new row."""
    layers = {name: m.detach().cpu().float() for name, m in maps.items()}
    rows = 1 + sum(math.ceil(len(m) / columns) for m in layers.values())
    with styled():
        fig, grid = plt.subplots(rows, columns, figsize=(1.3 * columns, 1.45 * rows),
                                 squeeze=False)  # fmt: skip
        for ax in grid.flat:
            ax.axis("off")
        grid[0, 0].imshow(unnormalize(image.detach().cpu(), mean, std).permute(1, 2, 0).numpy())
        grid[0, 0].set_title("input", fontsize=8)
        row = 1
        for name, layer in layers.items():
            for channel, activation in enumerate(layer):
                ax = grid[row + channel // columns, channel % columns]
                ax.imshow(activation.numpy(), cmap=SEQUENTIAL)
                ax.set_title(f"{name} #{channel}", fontsize=7, pad=2)
            row += math.ceil(len(layer) / columns)
        fig.suptitle("What each filter responds to in this image (bright: strong response)")
        _finish(fig)
    listed = "; ".join(_layer_alt(name, layer) for name, layer in layers.items())
    return describe(fig, f"One input image and what each filter responds to in it: {listed}")


def _layer_alt(name: str, layer: torch.Tensor) -> str:
    """One layer: "conv1: 6 maps of 28x28, strongest response 2.10 in #3, 1 channel silent"."""
    peaks = layer.flatten(1).amax(dim=1)
    text = f"{name}: {_count(len(layer), 'map')} of {layer.shape[1]}x{layer.shape[2]}"
    if len(layer) == 0:
        return text
    text += f", strongest response {float(peaks.max()):.2f} in #{int(peaks.argmax())}"
    silent = int((peaks <= 0).sum())
    return text + (f", {_count(silent, 'channel')} silent (zero everywhere)" if silent else "")


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
    """The network's most confident mistakes: each image, its true class, and what it said
    ("✗ said dog (91%)")."""
    chosen = confident_mistakes(probabilities, labels, count)
    confidence, predicted = probabilities[chosen].max(dim=1)
    pictures = unnormalize(images[chosen].detach().cpu(), mean, std)
    truths = [classes[int(labels[index])] for index in chosen]
    pairs = zip(predicted.tolist(), confidence.tolist(), strict=True)
    guesses = [f"{classes[said]} ({sure:.0%})" for said, sure in pairs]
    with styled():
        fig, axes = _grid(len(chosen), columns, cell=(1.5, 1.75))
        for index, ax in enumerate(axes[: len(chosen)]):
            ax.imshow(pictures[index].permute(1, 2, 0).numpy())
            ax.set_title(truths[index], fontsize=9, pad=2)
            ax.text(0.5, -0.06, f"{mark(False)} said {guesses[index]}", transform=ax.transAxes,
                    ha="center", va="top", fontsize=8, color=right_or_wrong(False))  # fmt: skip
        fig.suptitle(
            f"The {len(chosen)} most confident mistakes (above: the true class; below: the guess)"
        )
        _finish(fig)
    if not truths:
        return describe(fig, "No mistakes: the network got every image right")
    pairs = zip(truths, guesses, strict=True)
    listed = ", ".join(f"{truth} taken for {guess}" for truth, guess in pairs)
    return describe(fig, f"The {len(chosen)} most confident mistakes: {listed}")


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


def _legend(ax) -> None:
    """The axes' legend, framed in the palette's grey."""
    ax.legend(edgecolor=GUIDE)


def _finish(fig: Figure) -> Figure:
    """Lay the figure out (unless it has its own layout) and detach it from pyplot (see the
    module docstring)."""
    if fig.get_layout_engine() is None:
        fig.tight_layout()
    plt.close(fig)
    return fig


def _count(number: int, noun: str) -> str:
    """``1 image``, ``1,170 steps``, ``2 classes``."""
    plural = noun + ("es" if noun.endswith("s") else "s")
    return f"{number:,} {noun if number == 1 else plural}"


def _as_list(values: Sequence[int] | Sequence[float] | torch.Tensor) -> list:
    return values.tolist() if isinstance(values, torch.Tensor) else list(values)
