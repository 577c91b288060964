"""Run the numbered notebooks in place, in the full profile, to refresh their committed outputs.

    python scripts/execute_notebooks.py               # every notebooks/NN_*.ipynb, in order
    python scripts/execute_notebooks.py 04 05         # only those whose names start so

Each notebook runs from ``notebooks/`` with the ``python3`` kernel, as "Restart kernel and run
all" in JupyterLab would, with every parameter at its default (``CIFAR_TUTORIAL_PROFILE`` is
ignored: committed outputs come from the full profile). Order matters: 05 tests the weights 04
saves. A notebook is written back only when all its cells succeeded; the wall time of each is
printed. Outputs carry no execution timestamps and no papermill metadata.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from cifar_tutorial.course.notebooks import numbered_paths
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
    text = nbformat.writes(notebook)
    atomic_write(path, text if text.endswith("\n") else text + "\n")  # as nbformat.write
    return seconds


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
