"""Run the numbered notebooks in place, in the full profile, to refresh their committed outputs.

    python scripts/execute_notebooks.py               # every notebooks/NN_*.ipynb, in order
    python scripts/execute_notebooks.py 04 05         # only those whose names start so

Each notebook runs from ``notebooks/`` with the ``python3`` kernel, as "Restart kernel and run
all" in JupyterLab would, with every parameter at its default (``CIFAR_TUTORIAL_PROFILE`` is
ignored: committed outputs come from the full profile). Order matters: 05 tests the weights 04
saves. A notebook is written back only when all its cells succeeded; the wall time of each is
printed. Outputs carry no execution timestamps and no papermill metadata.

An explorer (a cell tagged ``explorer``, see ``cifar_tutorial/explorers``) shows one output that
holds both its widget's view and a static PNG. A saved notebook has no kernel behind its widgets,
so JupyterLab would show "Error displaying widget: model not found" instead of the PNG: the
widget view is removed from such outputs, and the saved state of those widgets with it (the state
of other widgets, tqdm's progress bars, stays: the website draws them from it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from cifar_tutorial.course.notebooks import (
    EXPLORER_TAG,
    MODEL_REFERENCE,
    WIDGET_STATE,
    WIDGET_VIEW,
    numbered_paths,
)
from cifar_tutorial.files import atomic_write

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CELL_TIMEOUT_S = 3600


def numbered_notebooks(prefixes: list[str]) -> list[Path]:
    """``notebooks/NN_*.ipynb`` in order, or those whose names start with one of ``prefixes``."""
    found = numbered_paths(NOTEBOOKS)
    if prefixes:
        found = [path for path in found if path.name.startswith(tuple(prefixes))]
    return found


def execute(path: Path) -> float:
    """Execute ``path`` in place from its folder; return the wall time in seconds."""
    notebook = nbformat.read(path, as_version=4)
    notebook.metadata.pop("papermill", None)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    notebook.cells = [
        cell
        for cell in notebook.cells
        if "injected-parameters" not in cell.metadata.get("tags", [])
    ]
    for cell in notebook.cells:
        for key in ("papermill", "execution"):
            cell.metadata.pop(key, None)
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    strip_explorer_widgets(notebook)
    text = nbformat.writes(notebook)
    atomic_write(path, text if text.endswith("\n") else text + "\n")  # as nbformat.write
    return seconds


def strip_explorer_widgets(notebook: Any) -> set[str]:
    """Remove the widget view from the outputs of ``explorer`` cells that also carry a PNG, and
    the saved state of those widgets (and of the widgets inside them) that no other output
    shows. Returns the model ids of the widget views removed."""
    removed = set()
    for cell in notebook.cells:
        if cell.cell_type != "code" or EXPLORER_TAG not in cell.metadata.get("tags", []):
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data and "image/png" in data:
                removed.add(data.pop(WIDGET_VIEW).get("model_id"))
    saved = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state")
    if removed and saved is not None:
        shown = {
            output["data"][WIDGET_VIEW].get("model_id")
            for cell in notebook.cells
            for output in cell.get("outputs", [])
            if WIDGET_VIEW in output.get("data", {})
        }
        for model_id in reachable(removed, saved) - reachable(shown, saved):
            del saved[model_id]
        if not saved:
            del notebook.metadata["widgets"]
    return removed


def reachable(roots: Iterable[str], states: dict[str, Any]) -> set[str]:
    """The saved widgets among ``roots`` and all those their state names, directly or not."""
    found: set[str] = set()
    waiting = [model_id for model_id in roots if model_id in states]
    while waiting:
        model_id = waiting.pop()
        if model_id in found:
            continue
        found.add(model_id)
        waiting += [name for name in _references(states[model_id].get("state", {}))
                    if name in states]  # fmt: skip
    return found


def _references(value: Any) -> list[str]:
    """The model ids that ``"IPY_MODEL_<id>"`` strings name anywhere inside ``value``."""
    if isinstance(value, str):
        return [value.removeprefix(MODEL_REFERENCE)] if value.startswith(MODEL_REFERENCE) else []
    if isinstance(value, dict):
        return [name for item in value.values() for name in _references(item)]
    if isinstance(value, (list, tuple)):
        return [name for item in value for name in _references(item)]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="run only notebooks whose names start so")
    args = parser.parse_args(argv)
    if os.environ.pop("CIFAR_TUTORIAL_PROFILE", None):
        print("Ignoring CIFAR_TUTORIAL_PROFILE: committed outputs come from the full profile.")
    paths = numbered_notebooks(args.prefixes)
    if not paths:
        print(f"No notebook matches {args.prefixes} in {NOTEBOOKS}.", file=sys.stderr)
        return 2
    for path in paths:
        print(f"running {path.name}", flush=True)
        try:
            seconds = execute(path)
        except CellExecutionError as error:
            print(f"{path.name} failed and was left unchanged:\n{error}", file=sys.stderr)
            return 1
        print(f"{path.name}: {seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
