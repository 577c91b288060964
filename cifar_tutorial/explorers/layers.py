"""Notebook 2's explorer: a test image's feature maps in one convolution layer, and that layer's
filters, with notebook 4's trained weights when they exist (else a fresh network, saying so)."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure

from ..alt_text import describe
from ..data import ImageSet
from ..palette import DIVERGING, SEQUENTIAL, styled
from .drawing import article, new_figure, show_picture
from .photo import normalize
from .predictions import conv_layers, feature_maps
from .show import Explorer, hook, show_explorer, show_figure
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
    map_rows = -(-count // MAP_COLUMNS)
    filter_rows = 1 if inputs == 3 else 0.6 * inputs
    with styled():
        fig = new_figure(11, 1.35 * map_rows + 1.2 * filter_rows + 1.6)
        top, bottom = fig.subfigures(2, 1, height_ratios=[1.35 * map_rows + 0.6,
                                                          1.2 * filter_rows + 0.7])  # fmt: skip
        grid = top.add_gridspec(map_rows, MAP_COLUMNS + 2)
        show_picture(top.add_subplot(grid[:, :2]), pixels, f"test image {index:,}: {name}")
        strongest = maps.amax().item()
        for channel, activation in enumerate(maps):
            ax = top.add_subplot(grid[channel // MAP_COLUMNS, 2 + channel % MAP_COLUMNS])
            ax.imshow(activation.numpy(), cmap=SEQUENTIAL, vmin=0, vmax=max(strongest, 1e-8))
            ax.set_title(f"{layer} #{channel}", fontsize=7, pad=2)
            ax.set_axis_off()
        top.suptitle(f"{layer}'s {count} feature maps (bright: strong response), "
                     f"with {weights.about}", fontsize=10)  # fmt: skip
        _draw_filters(bottom, weight)
        bottom.suptitle(f"{layer}'s {count} filters of {size}x{size} weights"
                        + (" (colour pictures)" if inputs == 3 else
                           ", one row per input map (purple: positive, orange: negative)"),
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
    choose_image = hook(widgets.IntSlider(value=0, min=0, max=len(data) - 1,
                                          description="test image", continuous_update=False),
                        "image")  # fmt: skip
    choose_layer = hook(widgets.Dropdown(options=layers, value=layers[0], description="layer"),
                        "layer")  # fmt: skip
    about = hook(widgets.Label(weights.detail), "message")
    view = hook(widgets.Output(), "view")

    def redraw(_change: object = None) -> None:
        show_figure(view, layer_figure(data, choose_image.value, weights, choose_layer.value))

    choose_image.observe(redraw, names="value")
    choose_layer.observe(redraw, names="value")
    static = layer_figure(data, 0, weights, layers[0])
    show_figure(view, static)
    box = widgets.VBox([widgets.HBox([choose_image, choose_layer]), about, view])
    return show_explorer(hook(box, "layers"), static)


def _draw_filters(subfigure, weight: torch.Tensor) -> None:
    """``weight`` ``(out, in, k, k)`` as pictures: colour for 3 inputs, else one row per input."""
    count, inputs = weight.shape[:2]
    if inputs == 3:  # each filter stretched to its own range, as plots.filter_grid draws them
        low = weight.amin(dim=(1, 2, 3), keepdim=True)
        high = weight.amax(dim=(1, 2, 3), keepdim=True)
        pictures = ((weight - low) / (high - low).clamp_min(1e-8)).permute(0, 2, 3, 1).numpy()
        axes = np.atleast_1d(subfigure.subplots(1, max(count, MAP_COLUMNS)))
        for number, ax in enumerate(axes):
            ax.set_axis_off()
            if number < count:
                ax.imshow(pictures[number], interpolation="nearest")
                ax.set_title(f"filter {number}", fontsize=7, pad=2)
        return
    reach = weight.abs().max().item() or 1.0  # one colour scale for the layer, centred on 0
    size = weight.shape[2]
    step = size + 1  # one blank pixel between filters
    mosaic = np.full((inputs * step - 1, count * step - 1), np.nan)
    for source in range(inputs):
        for number in range(count):
            mosaic[source * step : source * step + size, number * step : number * step + size] = (
                weight[number, source].numpy()
            )
    ax = subfigure.subplots()
    ax.imshow(mosaic, cmap=DIVERGING, vmin=-reach, vmax=reach, interpolation="nearest")
    centres = np.arange(max(inputs, count)) * step + (size - 1) / 2
    ax.set_xticks(centres[:count], [f"#{number}" for number in range(count)], fontsize=7)
    ax.set_yticks(centres[:inputs], [f"map {source}" for source in range(inputs)], fontsize=7)
    ax.tick_params(length=0, labeltop=True, labelbottom=False)
    for side in ax.spines.values():
        side.set_visible(False)
