"""Notebook 1's explorer: browse the training set by class and photo, and follow the photo's
pixel values through ``ToTensor`` and ``Normalize``."""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..alt_text import describe
from ..data import REFERENCE_MEAN, REFERENCE_STD, ImageSet
from ..palette import GUIDE, OKABE_ITO, styled
from .drawing import article, new_figure, show_picture
from .photo import normalize
from .show import Explorer, hook, number_picker, show_explorer, show_figure

CHANNELS = ("red", "green", "blue")
CHANNEL_COLOURS = (OKABE_ITO["vermilion"], OKABE_ITO["bluish green"], OKABE_ITO["blue"])


def pixel_stages(
    pixels: torch.Tensor,
    mean: Sequence[float] = REFERENCE_MEAN,
    std: Sequence[float] = REFERENCE_STD,
) -> dict[str, torch.Tensor]:
    """One photo's ``uint8`` pixels ``(3, H, W)`` at the three steps of the tutorial's transform:
    as stored (0..255), after ``ToTensor`` (0..1), after ``Normalize(mean, std)``."""
    return {
        "as stored (uint8)": pixels,
        "after ToTensor": pixels.float() / 255,
        "after Normalize": normalize(pixels, mean, std),
    }


def training_photo_figure(
    data: ImageSet,
    index: int,
    mean: Sequence[float] = REFERENCE_MEAN,
    std: Sequence[float] = REFERENCE_STD,
) -> Figure:
    """Photo ``index`` of ``data`` with its label, and the values of its three channels at each
    step of the transform: a histogram per step, and the numbers of the marked centre pixel."""
    pixels, label = data.images[index], int(data.labels[index])
    name = data.classes[label]
    stages = pixel_stages(pixels, mean, std)
    row, column = pixels.shape[1] // 2, pixels.shape[2] // 2
    with styled():
        fig = new_figure(12, 3.1)
        photo_ax, *value_axes = fig.subplots(1, 4, width_ratios=[1, 1.25, 1.25, 1.25])
        show_picture(photo_ax, pixels, f"{name} (label {label})\ntraining photo {index:,}")
        for colour, width in (("white", 2.5), ("black", 1)):
            photo_ax.add_patch(Rectangle((column - 0.5, row - 0.5), 1, 1, fill=False,
                                         edgecolor=colour, linewidth=width))  # fmt: skip
        summaries = []
        for ax, (stage, values) in zip(value_axes, stages.items(), strict=True):
            low, high = _stage_range(stage, mean, std)
            bins = np.linspace(low, high, 33)
            for channel, name_of_channel in enumerate(CHANNELS):
                ax.hist(values[channel].flatten().float().numpy(), bins=bins, histtype="step",
                        color=CHANNEL_COLOURS[channel], linewidth=1.5,
                        label=name_of_channel)  # fmt: skip
            ax.set_xlim(low, high)
            marked = [_number(values[channel, row, column], stage) for channel in range(3)]
            ax.set_title(f"{stage}: {_number(low, stage)} to {_number(high, stage)}", fontsize=9)
            ax.set_xlabel(f"marked pixel: R {marked[0]}, G {marked[1]}, B {marked[2]}", fontsize=9)
            ax.tick_params(labelsize=8)
            ax.set_yticks([])
            if low < 0 < high:
                ax.axvline(0, color=GUIDE, linewidth=0.8, linestyle=":")
            found = (_number(values.min(), stage), _number(values.max(), stage))
            summaries.append(f"{found[0]} to {found[1]} {stage}, marked pixel {'/'.join(marked)}")
        value_axes[0].set_ylabel("pixels", fontsize=9)
        value_axes[0].legend(fontsize=8, loc="upper right")
    return describe(
        fig,
        f"Training photo {index:,}, {article(name)} {name} (label {label}), and its red, green "
        f"and blue values (centre pixel marked): {'; '.join(summaries)}. The three histograms "
        "have the same shape on three scales.",
    )


def explore_training_set(
    data: ImageSet,
    mean: Sequence[float] = REFERENCE_MEAN,
    std: Sequence[float] = REFERENCE_STD,
) -> Explorer:
    """Choose a class and a photo of it: the photo, its label, and its pixel values as stored,
    after ``ToTensor`` and after ``Normalize(mean, std)``."""
    by_class = [(data.labels == label).nonzero().flatten() for label in range(len(data.classes))]
    first = next(label for label, found in enumerate(by_class) if len(found))
    choose_class = hook(widgets.Dropdown(
        options=[(f"{label} {name} ({len(by_class[label]):,})", label)
                 for label, name in enumerate(data.classes) if len(by_class[label])],
        value=first, description="class"), "class")  # fmt: skip
    photo_picker, choose_photo = number_picker("photo", len(by_class[first]), "index")
    view = hook(widgets.Output(), "view", "training-photo")

    def redraw(_change: object = None) -> None:
        index = int(by_class[choose_class.value][choose_photo.value])
        show_figure(view, training_photo_figure(data, index, mean, std))

    def new_class(_change: object) -> None:
        choose_photo.unobserve(redraw, names="value")  # one drawing for the new class, not two
        choose_photo.value = 0
        choose_photo.max = len(by_class[choose_class.value]) - 1
        choose_photo.observe(redraw, names="value")
        redraw()

    choose_class.observe(new_class, names="value")
    choose_photo.observe(redraw, names="value")
    static = training_photo_figure(data, int(by_class[first][0]), mean, std)
    show_figure(view, static)
    box = widgets.VBox([widgets.HBox([choose_class, photo_picker]), view])
    return show_explorer(hook(box, "training-set"), static)


def _stage_range(stage: str, mean: Sequence[float], std: Sequence[float]) -> tuple[float, float]:
    """The values a step can give: 0..255, 0..1, or what ``Normalize`` makes of 0..1."""
    if stage.startswith("as stored"):
        return 0.0, 255.0
    if stage == "after ToTensor":
        return 0.0, 1.0
    lows = [(0 - m) / s for m, s in zip(mean, std, strict=True)]
    highs = [(1 - m) / s for m, s in zip(mean, std, strict=True)]
    return min(lows), max(highs)


def _number(value: float | torch.Tensor, stage: str) -> str:
    value = float(value)
    return f"{value:.0f}" if stage.startswith("as stored") else f"{value:.2f}"
