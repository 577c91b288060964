"""Notebook 5's confusion-matrix explorer: click a cell (true class, predicted class) to see its
test images, the most confident first, with the network's confidence in each."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
import torch
from matplotlib.figure import Figure, SubFigure
from matplotlib.patches import Rectangle

from ..alt_text import describe
from ..data import ImageSet
from ..metrics import confusion_matrix
from ..palette import SEQUENTIAL, WRONG, mark, right_or_wrong, styled, text_colour_on
from .drawing import mosaic, new_figure
from .predictions import pair_indices
from .show import Explorer, hook, show_explorer, show_figure

SHOWN = 16  # images of a cell drawn at most
COLUMNS = 8


def most_confused(matrix: torch.Tensor) -> tuple[int, int]:
    """The (true, predicted) cell off the diagonal with the largest count."""
    mistakes = matrix.clone().fill_diagonal_(-1)
    true, predicted = divmod(int(mistakes.argmax()), matrix.shape[1])
    return true, predicted


def pair_figure(data: ImageSet, probabilities: torch.Tensor, true: int, predicted: int) -> Figure:
    """The test images of class ``true`` predicted as ``predicted``, most confident first."""
    with styled():
        fig = new_figure(11, 3.4)
        text = _draw_pair(fig, data, probabilities, true, predicted)
    return describe(fig, text)


def confusion_figure(data: ImageSet, probabilities: torch.Tensor) -> Figure:
    """The confusion matrix with its most frequent mix-up outlined, and that cell's images."""
    matrix = confusion_matrix(probabilities.argmax(dim=1), data.labels, len(data.classes))
    true, predicted = most_confused(matrix)
    with styled():
        fig = new_figure(15, 5.0)
        left, right = fig.subfigures(1, 2, width_ratios=[1, 1.45])
        _draw_matrix(left, matrix, data.classes, (true, predicted))
        pair = _draw_pair(right, data, probabilities, true, predicted)
    right_count = int(matrix.diagonal().sum())
    return describe(
        fig,
        f"Confusion matrix of {int(matrix.sum()):,} test images ({right_count:,} right, on the "
        f"diagonal); the most frequent mix-up, outlined, is {data.classes[true]} taken for "
        f"{data.classes[predicted]}. {pair}",
    )


def explore_confusion(data: ImageSet, probabilities: torch.Tensor) -> Explorer:
    """The confusion matrix of ``probabilities`` (one row of class probabilities per image of
    ``data``) as buttons: click one to see the test images of that (true, predicted) pair."""
    classes = data.classes
    matrix = confusion_matrix(probabilities.argmax(dim=1), data.labels, len(classes))
    message = hook(widgets.Label(), "pair-message")
    view = hook(widgets.Output(), "view", "pair")

    def show_pair(true: int, predicted: int) -> None:
        count = int(matrix[true, predicted])
        message.value = _pair_words(classes, true, predicted, count)
        show_figure(view, pair_figure(data, probabilities, true, predicted))

    corner = widgets.HTML("<small>true ↓ predicted →</small>")
    cells: list[widgets.Widget] = [corner]
    cells += [widgets.HTML(f"<small>{name}</small>") for name in classes]
    colours = mpl.colormaps[SEQUENTIAL]
    top = max(int(matrix.max()), 1)
    cell_layout = widgets.Layout(width="auto", height="30px", padding="0")  # one for all 100
    for true, name in enumerate(classes):
        cells.append(widgets.HTML(f"<small>{name}</small>"))
        for predicted in range(len(classes)):
            count = int(matrix[true, predicted])
            background = colours(count / top)
            button = widgets.Button(
                description=f"{mark(True)} {count}" if true == predicted else f"{count}",
                tooltip=_pair_words(classes, true, predicted, count),
                layout=cell_layout,
            )
            button.style.button_color = mpl.colors.to_hex(background)
            button.style.text_color = text_colour_on(background)
            hook(button, "confusion-cell", f"confusion-cell-{true}-{predicted}")
            button.on_click(lambda _button, t=true, p=predicted: show_pair(t, p))
            cells.append(button)
    grid = widgets.GridBox(cells, layout=widgets.Layout(
        grid_template_columns=f"90px repeat({len(classes)}, 64px)", grid_gap="2px"))  # fmt: skip
    true, predicted = most_confused(matrix)
    message.value = (
        f"Click a cell to see its test images. Below, the most frequent mix-up: "
        f"{_pair_words(classes, true, predicted, int(matrix[true, predicted]))}."
    )
    static = confusion_figure(data, probabilities)
    show_figure(view, static)
    box = widgets.VBox([hook(grid, "matrix"), message, view])
    return show_explorer(hook(box, "confusion"), static)


def _draw_pair(
    figure: Figure | SubFigure,
    data: ImageSet,
    probabilities: torch.Tensor,
    true: int,
    predicted: int,
) -> str:
    """Draw a cell's images on ``figure``; return a sentence saying what it shows."""
    classes = data.classes
    chosen = pair_indices(probabilities, data.labels, true, predicted)
    right = true == predicted
    words = _pair_words(classes, true, predicted, len(chosen))
    words = words[0].upper() + words[1:]
    if len(chosen) == 0:
        ax = figure.subplots()
        ax.set_axis_off()
        ax.text(0.5, 0.5, f"No test image of a {classes[true]} was predicted "
                f"{classes[predicted]}.", ha="center", va="center")  # fmt: skip
        return f"No test image of class {classes[true]} was predicted {classes[predicted]}."
    shown = chosen[:SHOWN]
    confidence = probabilities[shown, predicted]
    tiles = data.images[shown].permute(0, 2, 3, 1).float().numpy() / 255
    opaque = np.concatenate([tiles, np.ones((*tiles.shape[:3], 1))], axis=3)
    canvas, corners = mosaic(opaque, COLUMNS, gap=3, label_space=12)
    ax = figure.subplots()
    ax.imshow(canvas, interpolation="nearest")
    ax.set_axis_off()
    width = tiles.shape[2]
    for (top, left), index, sure in zip(corners, shown.tolist(), confidence.tolist(), strict=True):
        centre = left + (width - 1) / 2
        ax.text(centre, top - 6.5, f"{mark(right)} {sure:.0%}", ha="center", va="bottom",
                fontsize=9, color=right_or_wrong(right))  # fmt: skip
        ax.text(centre, top - 1, f"#{index:,}", ha="center", va="bottom", fontsize=7)
    most = f", the {len(shown)} most confident" if len(chosen) > len(shown) else ""
    figure.suptitle(f"{words}{most} (above each: the network's confidence)", fontsize=10)
    return f"{words}{most}: confidence from {confidence.max():.0%} to {confidence.min():.0%}."


def _draw_matrix(
    figure: SubFigure, matrix: torch.Tensor, classes: tuple[str, ...], outlined: tuple[int, int]
) -> None:
    counts = matrix.numpy()
    ax = figure.subplots()
    image = ax.imshow(counts, cmap=SEQUENTIAL)
    figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="test images")
    colours = mpl.colormaps[SEQUENTIAL]
    top = max(int(counts.max()), 1)
    for true in range(counts.shape[0]):
        for predicted in range(counts.shape[1]):
            count = int(counts[true, predicted])
            ax.text(predicted, true, f"{mark(True)}{count}" if true == predicted else f"{count}",
                    ha="center", va="center", fontsize=7,
                    color=text_colour_on(colours(count / top)))  # fmt: skip
    true, predicted = outlined
    ax.add_patch(Rectangle((predicted - 0.5, true - 0.5), 1, 1, fill=False, edgecolor=WRONG,
                           linewidth=2.5))  # fmt: skip
    ticks = range(len(classes))
    ax.set_xticks(ticks, classes, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(ticks, classes, fontsize=8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"Confusion matrix ({mark(True)}: right answers, on the diagonal)", fontsize=10)


def _pair_words(classes: tuple[str, ...], true: int, predicted: int, count: int) -> str:
    verdict = f" ({mark(True)} right)" if true == predicted else f" ({mark(False)} wrong)"
    return f"true {classes[true]}, predicted {classes[predicted]}: {count:,}{verdict}"
