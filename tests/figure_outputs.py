"""What a notebook's saved figures must look like (issue 26), for the collection run
(tests/test_notebooks.py) and the committed notebooks (tests/test_committed_notebooks.py).

* every PNG output carries alt text (``metadata["image/png"]["alt"]``), also given as its
  ``text/plain``: the website writes it into ``<img alt>``;
* a live view (a cell that makes a ``LivePlot`` or ``LiveTraining``) leaves exactly one figure,
  the last one drawn, in its cell: no flood of intermediate images;
* an explorer (a cell tagged ``explorer``) leaves one output holding its static figure; in a
  committed notebook that output carries no widget view (JupyterLab would show "Error
  displaying widget: model not found" for it).
"""

from __future__ import annotations

from typing import Any

from exercise_cells import source, tags

from cifar_tutorial.course.notebooks import EXPLORER_TAG, WIDGET_VIEW

LIVE_VIEWS = ("LivePlot(", "LiveTraining(")


def _pngs(cell: Any) -> list[Any]:
    return [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]


def figure_problems(notebook: Any, name: str, committed: bool) -> list[str]:
    """Every way ``notebook``'s figures break the rules above, one line each."""
    problems = []
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        where = f"{name}, cell {index}"
        for output in _pngs(cell):
            alt = output.get("metadata", {}).get("image/png", {}).get("alt", "")
            plain = "".join(output["data"].get("text/plain", ""))
            if not alt.strip():
                problems.append(f"{where}: a figure without alt text")
            elif plain != alt:
                problems.append(f"{where}: text/plain {plain[:60]!r} is not the alt text")
        if any(call in source(cell) for call in LIVE_VIEWS) and len(_pngs(cell)) != 1:
            problems.append(f"{where}: the live view left {len(_pngs(cell))} figures, not 1")
        if EXPLORER_TAG in tags(cell):
            outputs = cell.get("outputs", [])
            if len(outputs) != 1 or len(_pngs(cell)) != 1:
                problems.append(f"{where}: an explorer left {len(outputs)} outputs, not its figure")
            elif committed and WIDGET_VIEW in outputs[0]["data"]:
                problems.append(f"{where}: a committed explorer keeps its widget view")
    return problems


def explorer_count(notebook: Any) -> int:
    """How many cells of ``notebook`` are explorers."""
    return sum(EXPLORER_TAG in tags(c) for c in notebook["cells"] if c["cell_type"] == "code")
