"""The colours and marks of every figure the package draws, chosen so that everyone can read them.

* ``PALETTE``: Okabe and Ito's eight colours ("Color Universal Design", 2008), told apart with
  every common kind of colour blindness; lines and bars take them in this order.
* Right and wrong are never shown by colour alone: ``RIGHT_MARK`` and ``WRONG_MARK`` go with
  ``RIGHT`` and ``WRONG`` (bluish green and vermilion, apart for red-green colour blindness).
* ``SEQUENTIAL``: the colour map for counts and heat maps (``cividis``: even steps of lightness,
  the same for colour-blind eyes); ``DIVERGING`` for values around zero (filters, normalized
  pixels).
* ``STYLE``: an opaque white figure background, so that a figure stays readable in a dark theme
  (JupyterLab's, VS Code's), where a transparent one would put black text on a dark page.

Use ``with styled():`` around the code that makes a figure.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import matplotlib as mpl
from cycler import cycler

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermilion": "#D55E00",
    "reddish purple": "#CC79A7",
}
ORDER = (
    "blue",
    "orange",
    "bluish green",
    "vermilion",
    "reddish purple",
    "sky blue",
    "yellow",
    "black",
)
PALETTE = [OKABE_ITO[name] for name in ORDER]
RIGHT, WRONG = OKABE_ITO["bluish green"], OKABE_ITO["vermilion"]
RIGHT_MARK, WRONG_MARK = "\u2714", "\u2717"  # ✔ and ✗, as the checks print
GUIDE = "#666666"  # reference lines (chance, epoch boundaries): grey, readable on white
SEQUENTIAL, DIVERGING = "cividis", "PuOr"
GREYSCALE = "gray"  # a photo drawn in shades of grey (under a heat map), not values
STYLE = {
    "axes.prop_cycle": cycler(color=PALETTE),
    "image.cmap": SEQUENTIAL,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.transparent": False,
    "axes.facecolor": "white",
    "legend.edgecolor": GUIDE,
}


def text_colour_on(rgba: Sequence[float]) -> str:
    """Black or white, whichever stands out more on the colour ``rgba`` (WCAG's luminance)."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba[:3]]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "black" if luminance > 0.179 else "white"  # equal contrast with both at 0.179


def colour(index: int) -> str:
    """The ``index``-th colour of the palette (it repeats after eight)."""
    return PALETTE[index % len(PALETTE)]


def mark(right: bool) -> str:
    """``✔`` for right, ``✗`` for wrong: what goes beside the colour."""
    return RIGHT_MARK if right else WRONG_MARK


def right_or_wrong(right: bool) -> str:
    """The colour that goes with :func:`mark`."""
    return RIGHT if right else WRONG


@contextmanager
def styled() -> Iterator[None]:
    """Matplotlib's settings for the figures made inside: the palette, opaque white paper."""
    with mpl.rc_context(STYLE):
        yield
