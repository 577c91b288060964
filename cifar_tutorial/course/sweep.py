"""``cifar-tutorial sweep NAME V1 V2 ...``: one run per value, and one page comparing them.

Every value is checked before the first run starts. The sweep folder
``runs/<UTC time>-sweep-<NAME>/`` holds one ordinary run folder per value, ``sweep.json``
and ``report.html`` with the loss curves overlaid and a table of accuracy and time.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from ..errors import ParameterError
from ..paths import pretty_path
from .html_page import image_tag, page, table
from .parameters import check_values, gather_parameters, parse_value
from .preflight import ensure_data
from .report import REPORT_FILE, figure_png, percent
from .run import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, create_run_folder, execute, plan_run

SWEEP_FILE = "sweep.json"


def sweep_command(
    name: str,
    texts: list[str],
    *,
    parameters: list[tuple[str, str]] | None = None,
    parameter_files: list[str] | None = None,
    progress: bool = True,
    output_dir: str | None = None,
    **options: Any,
) -> int:
    """Run the chosen notebooks once per value of ``name``; write the comparison.

    Every run is planned and checked first, then the data set is made sure of, then the runs
    execute one after the other.
    """
    values = gather_parameters(parameters, parameter_files)
    if name in values:
        raise ParameterError(name, values[name], "given once: as the swept NAME or with -p")
    swept = [parse_value(text) for text in texts]
    for value in swept:
        check_values({**values, name: value})
    plans = [
        plan_run(
            {**values, name: value}, output_dir=output_dir, name=run_name(name, value), **options
        )
        for value in swept
    ]
    data = [ensure_data(plan.profile, plan.values) for plan in plans]
    folder = create_run_folder(plans[0].output_dir, f"sweep-{name}")
    print(f"Sweep folder: {pretty_path(folder)} ({len(swept)} runs of {name})", flush=True)
    rows = []
    for value, plan, where in zip(swept, plans, data, strict=True):
        print(f"\n== {name} = {value!r}", flush=True)
        plan.output_dir = folder
        run_folder, summary = execute(plan, where, progress)
        rows.append(sweep_row(value, run_folder, summary))
        write_comparison(folder, name, rows)
        if summary["status"] == "interrupted":
            break
    for row in rows:
        print(
            f"{name} = {row['value']!r:<10} {row['status']:<11} accuracy "
            f"{percent(row['test_accuracy']) if row['test_accuracy'] is not None else '-':>6}"
            f"  {row['seconds']:.1f} s"
        )
    print(f"Comparison: {pretty_path(folder / REPORT_FILE)}")
    statuses = {row["status"] for row in rows}
    if "interrupted" in statuses:
        return EXIT_INTERRUPTED
    return EXIT_OK if statuses == {"completed"} else EXIT_FAILED


def run_name(name: str, value: Any) -> str:
    """A folder-safe short name, e.g. ``lr-0.05``."""
    return re.sub(r"[^\w.+-]", "_", f"{name}-{value}")[:60]


def sweep_row(value: Any, folder: Path, summary: dict[str, Any]) -> dict[str, Any]:
    """What the comparison shows of one run."""
    results = summary["results"]
    losses = next(
        (
            e["metrics"]["loss_history"]
            for e in summary["notebooks"]
            if "loss_history" in e["metrics"]
        ),
        [],
    )
    return {
        "value": value,
        "folder": folder.name,
        "status": summary["status"],
        "test_accuracy": results.get("test_accuracy"),
        "final_loss": results.get("final_loss"),
        "train_seconds": results.get("train_seconds"),
        "seconds": round(sum(e["seconds"] or 0 for e in summary["notebooks"]), 2),
        "loss_history": losses,
    }


def loss_curves_figure(name: str, rows: list[dict[str, Any]]) -> str:
    """The runs' training losses overlaid, as an HTML figure (empty when none were recorded)."""
    runs = {f"{name} = {row['value']}": row["loss_history"] for row in rows if row["loss_history"]}
    if not runs:
        return ""
    from ..alt_text import alt_of
    from ..plots import loss_curve

    figure = loss_curve(runs, title=f"Training loss for each {name}")
    return f"<figure>{image_tag(figure_png(figure), alt_of(figure) or 'loss curves')}</figure>\n"


def write_comparison(folder: Path, name: str, rows: list[dict[str, Any]]) -> None:
    """``sweep.json`` and the comparison ``report.html`` for the runs done so far."""
    plain = [{k: v for k, v in row.items() if k != "loss_history"} for row in rows]
    (folder / SWEEP_FILE).write_text(json.dumps({"parameter": name, "runs": plain}, indent=2))
    numbers = table(
        [name, "status", "test accuracy", "final loss", "training s", "run s", "run folder"],
        [
            [
                row["value"],
                row["status"],
                percent(row["test_accuracy"]) if row["test_accuracy"] is not None else "-",
                f"{row['final_loss']:.3f}" if row["final_loss"] is not None else "-",
                row["train_seconds"] if row["train_seconds"] is not None else "-",
                row["seconds"],
                row["folder"],
            ]
            for row in rows
        ],
    )
    title = f"cifar-tutorial sweep over {name}"
    body = (
        f"<h1>{html.escape(title)}</h1>\n{numbers}\n"
        + loss_curves_figure(name, rows)
        + "<p>Each run folder holds its own report.html with all its figures.</p>"
    )
    (folder / REPORT_FILE).write_text(page(title, body))
