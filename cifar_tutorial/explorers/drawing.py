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


def mosaic(
    tiles: np.ndarray, columns: int, gap: int = 1, label_space: int = 0
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Small pictures ``(n, h, w)`` or ``(n, h, w, 4)`` laid out in rows of ``columns`` on one
    canvas, to draw with a single ``imshow`` (much quicker than one axes each). Between them
    ``gap`` pixels, and ``label_space`` more above each row, left blank (NaN, or transparent for
    RGBA). Returns the canvas and each picture's top-left corner (row, column)."""
    count, height, width = tiles.shape[:3]
    columns = max(1, min(columns, count))
    rows = -(-count // columns)
    canvas = np.full((rows * (height + label_space + gap) - gap, columns * (width + gap) - gap,
                      *tiles.shape[3:]), np.nan if tiles.ndim == 3 else 0.0)  # fmt: skip
    corners = []
    for number in range(count):
        row, column = divmod(number, columns)
        top = row * (height + label_space + gap) + label_space
        left = column * (width + gap)
        canvas[top : top + height, left : left + width] = tiles[number]
        corners.append((top, left))
    return canvas, corners
