"""The one reader of the collection's notebook files.

Everything the course layer learns from a notebook file comes from here: which files are the
numbered notebooks (``NN_name.ipynb``), their cells, sources, tags and outputs, the title,
the parameters papermill finds in the cell tagged ``parameters``, the tagged cells (exercises,
solutions, checks), the figures drawn for the report, and how long the notebook took to run
(:mod:`.lessons` reads the prose of the same cells: summary, bullets, exercises' sections).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from ..errors import TutorialError
from ..paths import pretty_path

NOTEBOOK_NAME = re.compile(r"^(?P<number>\d\d)_(?P<slug>\w+)\.ipynb$")
EXERCISE_TAG, SOLUTION_TAG, CHECK_TAG = "exercise", "solution", "check"
REPORT_TAG_PREFIX = "report-"
EXPLORER_TAG = "explorer"  # a cell showing an explorer: its widget view and a static figure
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"  # an output that shows a widget
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"  # the widgets saved in metadata
MODEL_REFERENCE = "IPY_MODEL_"  # how one saved widget's state names another (children, ...)
PRINTED_TIME = re.compile(r"This notebook ran in (?P<seconds>\d+(?:\.\d+)?) s\.")
"""The line each notebook's last cell prints; the only time a committed notebook keeps."""
HEADING = re.compile(r"^#*\s*(?:\d+\.\s+)?(?P<title>.*?)\s*$")

Cell = dict[str, Any]


# ----------------------------------------------------------------------------- files


def default_notebook_dir() -> Path:
    """``notebooks/`` in the working directory, else the one next to the package (a checkout)."""
    here = Path("notebooks")
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "notebooks"


def notebook_folder(given: str | os.PathLike | None = None) -> Path:
    """The folder ``given`` (``--notebook-dir``), else :func:`default_notebook_dir`."""
    return Path(given) if given is not None else default_notebook_dir()


def is_numbered(name: str) -> bool:
    """True for a file name of the collection, e.g. ``04_train.ipynb``."""
    return NOTEBOOK_NAME.match(name) is not None


def numbered_paths(folder: str | os.PathLike) -> list[Path]:
    """The numbered notebooks in ``folder``, in course order; raise when there are none."""
    folder = Path(folder)
    paths = sorted(p for p in folder.glob("*.ipynb") if is_numbered(p.name))
    if not paths:
        raise TutorialError(f"No numbered notebooks (NN_name.ipynb) in {pretty_path(folder)}.")
    return paths


def notebook_path(number: str, folder: str | os.PathLike | None = None) -> Path:
    """The notebook numbered ``number`` (``"04"``) in ``folder`` (default: the collection's)."""
    found = [path for path in numbered_paths(notebook_folder(folder)) if path.name[:2] == number]
    if not found:
        raise TutorialError(
            f"No notebook numbered {number} in {pretty_path(notebook_folder(folder))}."
        )
    return found[0]


def notebook_names(folder: str | os.PathLike | None = None) -> dict[str, str]:
    """Each notebook's number and name, e.g. ``{"04": "04_train"}``; ``{}`` without any."""
    try:
        paths = numbered_paths(notebook_folder(folder))
    except TutorialError:
        return {}
    return {path.name[:2]: path.stem for path in paths}


def read_notebook(path: str | os.PathLike) -> dict[str, Any]:
    """A notebook file as the JSON it is."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def declared_parameters(path: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """The parameters the notebook's cell tagged ``parameters`` assigns, as papermill infers
    them: name -> ``{"default", "inferred_type_name", "help", ...}``."""
    import papermill  # slow to import (seconds): only once parameters are needed

    return papermill.inspect_notebook(str(path))


# ----------------------------------------------------------------------------- cells


def source_text(source: str | list[str]) -> str:
    """A cell's source (or an output's text), stored as one string or as a list of lines."""
    return "".join(source) if isinstance(source, list) else source


def cell_source(cell: Cell) -> str:
    """The source of a cell as one string."""
    return source_text(cell.get("source", ""))


def cell_tags(cell: Cell) -> list[str]:
    """The tags of a cell (``[]`` when it has none)."""
    return cell.get("metadata", {}).get("tags", [])


def output_text(output: dict[str, Any]) -> str:
    """What an output printed: its stream text, else its plain-text result."""
    return source_text(output.get("text") or output.get("data", {}).get("text/plain", ""))


def tagged_cells(notebook: dict[str, Any], tag: str) -> list[tuple[int, Cell]]:
    """``(index, cell)`` of each cell tagged ``tag``."""
    return [(i, cell) for i, cell in enumerate(notebook.get("cells", [])) if tag in cell_tags(cell)]


# ----------------------------------------------------------------------------- what it says


def heading(notebook: dict[str, Any]) -> str:
    """The first markdown heading, without the ``#``: ``1. Load and normalize CIFAR-10``."""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in cell_source(cell).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return ""


def plain_title(heading_line: str) -> str:
    """A heading without its marks and number: ``Load and normalize CIFAR-10``."""
    match = HEADING.match(heading_line)
    return match["title"] if match else heading_line.strip()


def report_images(notebook: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """``(tag, base64 PNG, alt text or None)`` for each image drawn by a cell tagged
    ``report-*`` (the alt text from the output's metadata, as ``alt_text.describe`` puts it)."""
    found = []
    for cell in notebook.get("cells", []):
        tags = [tag for tag in cell_tags(cell) if tag.startswith(REPORT_TAG_PREFIX)]
        for output in cell.get("outputs", []) if tags else []:
            png = output.get("data", {}).get("image/png")
            if png:
                alt = output.get("metadata", {}).get("image/png", {}).get("alt")
                found.append((tags[0], source_text(png).replace("\n", ""), alt or None))
    return found


# ----------------------------------------------------------------------------- time


def papermill_seconds(notebook: dict[str, Any]) -> float | None:
    """The whole run's seconds as papermill recorded them (``metadata.papermill.duration``);
    ``None`` for a notebook papermill did not execute (or that was saved without it)."""
    duration = notebook.get("metadata", {}).get("papermill", {}).get("duration")
    return float(duration) if isinstance(duration, (int, float)) else None


def cell_seconds(notebook: dict[str, Any]) -> dict[int, float]:
    """Each executed cell's seconds, by cell index, from papermill's cell metadata."""
    found = {}
    for index, cell in enumerate(notebook.get("cells", [])):
        duration = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if isinstance(duration, (int, float)):
            found[index] = float(duration)
    return found


def printed_seconds(notebook: dict[str, Any]) -> float | None:
    """The time the notebook printed itself (``This notebook ran in N s.``), last one first."""
    for cell in reversed(notebook.get("cells", [])):
        for output in cell.get("outputs", []):
            match = PRINTED_TIME.search(output_text(output))
            if match:
                return float(match["seconds"])
    return None


def measured_seconds(notebook: dict[str, Any]) -> float | None:
    """How long the notebook took when its outputs were made: papermill's own record in an
    executed notebook (a run folder's), else the time its last cell printed (the committed
    notebooks are saved without papermill's metadata); ``None`` when neither is there."""
    recorded = papermill_seconds(notebook)
    return recorded if recorded is not None else printed_seconds(notebook)
