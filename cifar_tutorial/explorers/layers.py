"""Notebook 2's explorer: a test image's feature maps in one convolution layer, and that layer's
filters, with notebook 4's trained weights when they exist (else a fresh network, saying so)."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..alt_text import describe
from ..data import ImageSet
from ..palette import DIVERGING, SEQUENTIAL, styled
from .drawing import article, mosaic, new_figure, show_picture
from .photo import normalize
from .predictions import conv_layers, feature_maps
from .show import Explorer, hook, number_picker, show_explorer, show_figure
from .weights import Weights

MAP_COLUMNS = 8


def layer_figure(data: ImageSet, index: int, weights: Weights, layer: str) -> Figure:
    """Test image ``index`` of ``data``, its feature maps in ``layer`` (bright: strong response)
    and the layer's filters: colour pictures for ``conv1`` (3 input channels), one small map per
    input channel for a later layer (purple: positive weights, orange: negative)."""
    pixels, label = data.images[index], int(data.labels[index])
    name = data.classes[label]
    maps = feature_maps(weights.net, normalize(pixels, weights.mean, weights.std), layer)
    weight = conv_layers(weights.net)[layer].weight.detach().cpu().float()
    count, inputs, size = weight.shape[0], weight.shape[1], weight.shape[2]
    with styled():
        fig = new_figure(11, 4.6 if inputs == 3 else 7.4)
        grid = fig.add_gridspec(
            2, 2, width_ratios=[1, 4], height_ratios=[1.4 if inputs == 3 else 1.2, 1]
        )
        show_picture(fig.add_subplot(grid[0, 0]), pixels, f"test image {index:,}: {name}")
        strongest = maps.amax().item()
        maps_ax = fig.add_subplot(grid[0, 1])
        canvas, corners = mosaic(maps.numpy(), MAP_COLUMNS, gap=2, label_space=6)
        maps_ax.imshow(canvas, cmap=SEQUENTIAL, vmin=0, vmax=max(strongest, 1e-8),
                       interpolation="nearest")  # fmt: skip
        _label_tiles(maps_ax, corners, maps.shape[2], [f"#{n}" for n in range(count)])
        maps_ax.set_title(f"{layer}'s {count} feature maps (bright: strong response), "
                          f"with {weights.about}", fontsize=10)  # fmt: skip
        filters_ax = fig.add_subplot(grid[1, :])
        _draw_filters(filters_ax, weight)
        filters_ax.set_title(f"{layer}'s {count} filters of {size}x{size} weights"
                             + (" (colour pictures, each stretched to its own range)"
                                if inputs == 3 else ", one row per input map "
                                "(purple: positive, orange: negative)"),
                             fontsize=10)  # fmt: skip
    busiest = int(maps.amax(dim=(1, 2)).argmax())
    return describe(
        fig,
        f"Test image {index:,}, {article(name)} {name}, through {layer} of {weights.about}: "
        f"{count} feature maps of {maps.shape[1]}x{maps.shape[2]}, the strongest response "
        f"{strongest:.2f} in map #{busiest}; below, the layer's {count} filters of "
        f"{size}x{size} weights over {inputs} input channels.",
    )


def explore_layers(data: ImageSet, weights: Weights) -> Explorer:
    """Choose a test image of ``data`` and a convolution layer: the image's feature maps in that
    layer and the layer's filters, for ``weights`` (see :func:`.weights.trained_or_fresh`)."""
    layers = list(conv_layers(weights.net))
    image_picker, choose_image = number_picker("test image", len(data), "image")
    choose_layer = hook(widgets.Dropdown(options=layers, value=layers[0], description="layer"),
                        "layer")  # fmt: skip
    about = hook(widgets.Label(weights.detail), "weights")
    view = hook(widgets.Output(), "view", "features")

    def redraw(_change: object = None) -> None:
        show_figure(view, layer_figure(data, choose_image.value, weights, choose_layer.value))

    choose_image.observe(redraw, names="value")
    choose_layer.observe(redraw, names="value")
    static = layer_figure(data, 0, weights, layers[0])
    show_figure(view, static)
    box = widgets.VBox([widgets.HBox([image_picker, choose_layer]), about, view])
    return show_explorer(hook(box, "layers"), static)


def _draw_filters(ax: Axes, weight: torch.Tensor) -> None:
    """``weight`` ``(out, in, k, k)`` as pictures: in colour for 3 inputs, else one row of small
    maps per input, all on one colour scale centred on 0."""
    count, inputs, size = weight.shape[:3]
    ax.set_axis_off()
    if inputs == 3:  # each filter stretched to its own range, as plots.filter_grid draws them
        low = weight.amin(dim=(1, 2, 3), keepdim=True)
        high = weight.amax(dim=(1, 2, 3), keepdim=True)
        pictures = ((weight - low) / (high - low).clamp_min(1e-8)).permute(0, 2, 3, 1).numpy()
        opaque = np.concatenate([pictures, np.ones((*pictures.shape[:3], 1))], axis=3)
        canvas, corners = mosaic(opaque, count, gap=2, label_space=2)
        ax.imshow(canvas, interpolation="nearest")
        _label_tiles(ax, corners, size, [f"filter {n}" for n in range(count)])
        return
    reach = weight.abs().max().item() or 1.0
    tiles = weight.transpose(0, 1).reshape(inputs * count, size, size).numpy()
    canvas, corners = mosaic(tiles, count, gap=1, label_space=0)
    ax.imshow(canvas, cmap=DIVERGING, vmin=-reach, vmax=reach, interpolation="nearest")
    ax.set_axis_on()  # tick labels name the columns (filters) and rows (input maps)
    ax.set_xticks([left + (size - 1) / 2 for _, left in corners[:count]],
                  [f"#{number}" for number in range(count)], fontsize=7)  # fmt: skip
    ax.set_yticks([top + (size - 1) / 2 for top, _ in corners[::count]],
                  [f"map {source}" for source in range(inputs)], fontsize=7)  # fmt: skip
    ax.tick_params(length=0, labeltop=True, labelbottom=False)
    for side in ax.spines.values():
        side.set_visible(False)


def _label_tiles(ax: Axes, corners: list[tuple[int, int]], width: int, labels: list[str]) -> None:
    """Write each label just above its picture of a :func:`mosaic`."""
    ax.set_axis_off()
    for (top, left), label in zip(corners, labels, strict=True):
        ax.text(left + (width - 1) / 2, top - 0.8, label, ha="center", va="bottom", fontsize=7)
