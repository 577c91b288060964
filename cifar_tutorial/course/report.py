"""``report.html``: one self-contained page with a run's numbers and pictures.

The pictures are the figures the executed notebooks drew in cells tagged ``report-*``
(loss curve, confusion matrix, sample predictions), embedded as base64 PNG: the page needs
no other file and opens offline in any browser. A loss curve or confusion matrix that no
notebook drew is drawn here from the recorded metrics with :mod:`cifar_tutorial.plots`, with
the alt text that says what it shows.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any, NamedTuple

import matplotlib

from .html_page import image_tag, page, table
from .notebooks import REPORT_TAG_PREFIX, read_notebook, report_images

matplotlib.use("Agg")  # draws to files only; a command line has no window to show

REPORT_FILE = "report.html"


class ReportFigure(NamedTuple):
    """One picture of the report: where it comes from, the PNG, and its alt text."""

    notebook: str
    tag: str  # report-loss-curve, ...
    png: str  # base64
    alt: str  # what it shows: the figure's own alt text, else its caption

    @property
    def caption(self) -> str:
        return figure_caption(self.notebook, self.tag)


def figure_caption(notebook: str, tag: str) -> str:
    """``loss curve (04_train)`` for the figure tagged ``report-loss-curve`` in ``04_train``."""
    return f"{tag.removeprefix(REPORT_TAG_PREFIX).replace('-', ' ')} ({notebook})"


def figures_from_notebook(path: Path) -> list[tuple[str, str, str | None]]:
    """``(tag, base64 PNG, alt text)`` for each report figure of an executed notebook (none
    when the notebook did not get as far as being written)."""
    return report_images(read_notebook(path)) if path.is_file() else []


def collect_figures(folder: Path, summary: dict[str, Any]) -> list[ReportFigure]:
    """Every report figure of the run's notebooks, then those redrawn from the metrics."""
    figures = [
        ReportFigure(entry["notebook"], tag, png, alt or figure_caption(entry["notebook"], tag))
        for entry in summary["notebooks"]
        for tag, png, alt in figures_from_notebook(folder / f"{entry['notebook']}.ipynb")
    ]
    return figures + redrawn_figures(summary, {figure.tag for figure in figures})


def figure_png(figure: Any) -> str:
    """A matplotlib figure as base64 PNG, on its own (white) background."""
    from ..alt_text import png_bytes

    return base64.b64encode(png_bytes(figure, dpi=100)).decode()


def redrawn_figures(summary: dict[str, Any], drawn: set[str]) -> list[ReportFigure]:
    """The loss curve and confusion matrix from the metrics, where no notebook drew them."""
    from .. import plots
    from ..alt_text import alt_of

    redraw = {  # tag: the metric it is drawn from, and how
        "report-loss-curve": ("loss_history", plots.loss_curve),
        "report-confusion-matrix": ("confusion_matrix", plots.confusion_heatmap),
    }
    figures = []
    for entry in summary["notebooks"]:
        for tag, (metric, draw) in redraw.items():
            if tag not in drawn and entry["metrics"].get(metric):
                figure = draw(entry["metrics"][metric])
                alt = alt_of(figure) or figure_caption(entry["notebook"], tag)
                figures.append(ReportFigure(entry["notebook"], tag, figure_png(figure), alt))
                drawn.add(tag)
    return figures


def percent(value: Any) -> str:
    """``0.628`` as ``62.8%``; anything else as it is."""
    return f"{100 * value:.1f}%" if isinstance(value, (int, float)) else str(value)


def number(value: Any, unit: str = "") -> str:
    """A metric for a table: accuracies as percentages, others rounded; blank when absent."""
    if value is None:
        return ""
    if unit == "%":
        return percent(value)
    return f"{value:.3f}" if unit == "loss" else f"{value:.1f}{unit}"


def headline_numbers(summary: dict[str, Any]) -> str:
    """The boxes at the top: accuracy, loss and training time (with the notebook that
    measured each), and the whole run."""
    results = summary.get("results", {})
    source = results.get("from", {})
    total = sum(e["seconds"] or 0 for e in summary["notebooks"])
    boxes = [
        (f"Test accuracy ({source.get('test_accuracy', '-')})",
         number(results.get("test_accuracy"), "%") or "-"),
        (f"Final training loss ({source.get('final_loss', '-')})",
         number(results.get("final_loss"), "loss") or "-"),
        (f"Training time ({source.get('train_seconds', '-')})",
         number(results.get("train_seconds"), " s") or "-"),
        ("Whole run", f"{total:.1f} s"),
    ]  # fmt: skip
    return (
        '<div class="numbers">'
        + "".join(
            f'<div class="number">{html.escape(label)}<b>{html.escape(value)}</b></div>'
            for label, value in boxes
        )
        + "</div>"
    )


def notebooks_table(summary: dict[str, Any]) -> str:
    """One row per notebook: status, time, what it measured, and any error."""
    rows = []
    for e in summary["notebooks"]:
        m = e["metrics"]
        rows.append([
            e["notebook"], e["status"], number(e["seconds"], " s"),
            number(m.get("test_accuracy"), "%"), number(m.get("final_loss"), "loss"),
            number(m.get("train_seconds"), " s"), e["error"] or "",
        ])  # fmt: skip
    header = ["notebook", "status", "time", "test accuracy", "final loss", "training", "message"]
    return table(header, rows)


def recipe_tables(summary: dict[str, Any]) -> list[str]:
    """Each training recipe a notebook recorded, one setting per row, side by side."""
    tables = [
        f"<div><b>{html.escape(e['notebook'])}</b>"
        + table(["setting", "value"], [[k, v] for k, v in e["metrics"]["recipe"].items()])
        + "</div>"
        for e in summary["notebooks"]
        if isinstance(e["metrics"].get("recipe"), dict)
    ]
    if not tables:
        return []
    return ["<h2>Training recipes</h2>", f'<div class="numbers">{"".join(tables)}</div>']


def render_report(summary: dict[str, Any], figures: list[ReportFigure]) -> str:
    """The whole page as a string."""
    status = summary["status"]
    parts = [
        f"<h1>cifar-tutorial run <code>{html.escape(summary['name'])}</code>: "
        f'<span class="{html.escape(status)}">{html.escape(status)}</span></h1>',
        headline_numbers(summary),
        "<h2>Notebooks</h2>",
        notebooks_table(summary),
        *recipe_tables(summary),
    ]
    per_class = summary.get("results", {}).get("per_class_accuracy")
    if isinstance(per_class, dict):
        source = summary["results"].get("from", {}).get("per_class_accuracy", "")
        parts += [
            f"<h2>Accuracy per class ({html.escape(source)})</h2>",
            table(list(per_class), [[percent(v) for v in per_class.values()]]),
        ]
    if figures:
        parts.append("<h2>Figures</h2>")
        for figure in figures:
            parts.append(
                f"<figure>{image_tag(figure.png, figure.alt)}"
                f"<figcaption>{html.escape(figure.caption)}</figcaption></figure>"
            )
    settings = [
        ["profile", summary["profile"]],
        ["data", summary.get("data") or "-"],
        ["device", summary["device"]],
        ["started (UTC)", summary["started"]],
        ["finished (UTC)", summary.get("finished") or "-"],
        *([["continues", summary["continues"]]] if summary.get("continues") else []),
        *[[f"parameter {k}", json.dumps(v)] for k, v in summary["parameters"].items()],
        *[[k, v] for k, v in summary["versions"].items()],
    ]
    parts += ["<h2>Settings</h2>", table(["setting", "value"], settings)]
    return page(f"cifar-tutorial run {summary['name']}", "\n".join(parts))


def write_report(folder: Path, summary: dict[str, Any]) -> Path:
    """Write ``report.html`` into the run folder."""
    path = folder / REPORT_FILE
    path.write_text(render_report(summary, collect_figures(folder, summary)))
    return path
