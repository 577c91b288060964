"""The HTML pages the course writes (a run's ``report.html``, a sweep's comparison): one
self-contained page each, with its style inline, that opens offline in any browser."""

from __future__ import annotations

import html
from typing import Any

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 960px; margin: 2em auto; padding: 0 1em;
       color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0; }
td, th { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.numbers { display: flex; gap: 1em; flex-wrap: wrap; align-items: flex-start; }
.number { border: 1px solid #ccc; border-radius: 6px; padding: .6em 1em; min-width: 9em; }
.number b { display: block; font-size: 1.6em; }
.completed { color: #1a7f37; } .failed, .interrupted { color: #c62828; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: .9em; }
code { background: #f6f6f6; padding: 0 .2em; }
"""


def page(title: str, body: str) -> str:
    """A whole page: ``title`` (escaped here) in its head, ``body`` (HTML) as it is."""
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>\n"
        f"{body}\n</body></html>\n"
    )


def table(header: list[str], rows: list[list[Any]]) -> str:
    """A plain HTML table; every cell is escaped."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def image_tag(png_base64: str, alt: str) -> str:
    """An ``<img>`` holding the picture itself."""
    return f'<img src="data:image/png;base64,{png_base64}" alt="{html.escape(alt)}">'
