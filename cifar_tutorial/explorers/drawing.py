"""Small pieces the explorers' figures share: a figure in the house style, a photo as pixels."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def new_figure(width: float, height: float) -> Figure:
    """A figure not registered with pyplot, so nothing piles up and nothing needs closing. Make
    it and draw on it inside ``with styled():`` (the palette, white paper)."""
    return Figure(figsize=(width, height), layout="constrained")


def picture(pixels: torch.Tensor) -> np.ndarray:
    """``uint8`` pixels ``(3, H, W)`` as an ``(H, W, 3)`` array for ``imshow``."""
    return pixels.detach().cpu().permute(1, 2, 0).numpy()


def show_picture(ax: Axes, pixels: torch.Tensor, title: str, fontsize: float = 9) -> None:
    """Draw ``pixels`` on ``ax`` as they are (each pixel a square), titled, without axes."""
    ax.imshow(picture(pixels), interpolation="nearest")
    ax.set_title(title, fontsize=fontsize)
    ax.set_axis_off()


def where_in_image(heat: torch.Tensor) -> str:
    """Where in a picture a map ``(H, W)`` peaks, in words: "centre", "top left", ..."""
    row, column = divmod(int(heat.flatten().argmax()), heat.shape[1])
    vertical = ("top", "middle", "bottom")[min(2, 3 * row // heat.shape[0])]
    horizontal = ("left", "centre", "right")[min(2, 3 * column // heat.shape[1])]
    if vertical == "middle":
        return "centre" if horizontal == "centre" else horizontal
    return vertical if horizontal == "centre" else f"{vertical} {horizontal}"


def article(word: str) -> str:
    """The article for ``word``: "an" before a vowel, else "a" (an airplane, a cat)."""
    return "an" if word[:1].lower() in "aeiou" else "a"
