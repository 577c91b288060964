"""Alt text for figures: a sentence that says what a figure shows, for whoever cannot see it.

``describe(fig, "Training loss from 2.30 to 1.12 over 3 epochs")`` attaches the sentence to the
figure. When Jupyter shows the figure, its output carries the sentence as the PNG's ``alt``
metadata (the course website writes it into the page's ``<img alt="...">``) and as the plain-text
version of the output (what a text-only frontend or a screen reader of the saved notebook gets,
instead of ``<Figure size 800x360 with 1 Axes>``).
"""

from __future__ import annotations

import base64
import io
from typing import Any

from matplotlib.figure import Figure

ALT = "alt"  # the key of the PNG's output metadata


def describe(fig: Figure, text: str) -> Figure:
    """Attach the alt text ``text`` to ``fig`` and return ``fig``."""
    text = " ".join(str(text).split())
    if not text:
        raise ValueError("alt text: must say what the figure shows, got an empty string")
    fig._cifar_alt_text = text  # noqa: SLF001 (read back by alt_of)
    fig._repr_mimebundle_ = lambda include=None, exclude=None: mime_bundle(fig)
    return fig


def alt_of(fig: Figure) -> str | None:
    """The alt text attached to ``fig`` by :func:`describe`, or ``None``."""
    return getattr(fig, "_cifar_alt_text", None)


def png_bytes(fig: Figure, dpi: float | None = None) -> bytes:
    """``fig`` as PNG bytes, cut to what it draws, on the figure's own background."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight",
                facecolor=fig.get_facecolor())  # fmt: skip
    return buffer.getvalue()


def mime_bundle(fig: Figure) -> tuple[dict[str, Any], dict[str, Any]]:
    """What Jupyter shows for a described figure: the PNG with its alt text, and the text."""
    text = alt_of(fig) or ""
    png = base64.b64encode(png_bytes(fig)).decode("ascii")
    return {"image/png": png, "text/plain": text}, {"image/png": {ALT: text}}
