"""A real nbgrader course made of the notebooks, for tests/test_nbgrader*.py.

It follows docs/exercises.md ("Grading with nbgrader"): the complete edition copied into
``source/cifar10/`` of an empty course folder (no ``nbgrader_config.py``: default settings),
then nbgrader's own commands, run as a learner's instructor would, in the smoke profile, each
with a tutorial home of its own so that two commands running at once never share 04's weights.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from collection_run import COLLECTION, stop_session

ASSIGNMENT = "cifar10"
CELL_TIMEOUT_S = 600  # nbgrader's own default is 30 s a cell; 08 launches processes for longer
COMMAND_TIMEOUT_S = 1800  # bounds a hang: autograding three submissions takes ~5 min here
NBGRADER_STUB = re.compile(r"^( *)# YOUR CODE HERE\n *raise NotImplementedError\(\)$", re.MULTILINE)
"""nbgrader's default stub for an answer, indented as the answer was."""


def nbgrader(*arguments: str, cwd: Path, home: Path) -> str:
    """Run ``nbgrader *arguments`` in ``cwd``; what it printed. Fails the test on an error
    exit or a process left running (a kernel, a torchrun worker)."""
    bin_dir = Path(sys.executable).parent  # nbgrader calls `alembic` by name: its bin on PATH
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "CIFAR_TUTORIAL_PROFILE": "smoke",
        "CIFAR_TUTORIAL_HOME": str(home),
    }
    process = subprocess.Popen(
        [str(bin_dir / "nbgrader"), *arguments],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        printed, _ = process.communicate(timeout=COMMAND_TIMEOUT_S)
    finally:
        left = stop_session(process)
    assert process.returncode == 0, f"nbgrader {' '.join(arguments)}:\n{printed}"
    assert not left, f"nbgrader {arguments[0]} left running: {left}"
    return printed


def make_course(root: Path) -> Path:
    """A course folder with the complete edition as its source, and its release generated."""
    source = root / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    for path in COLLECTION:
        shutil.copy(path, source / path.name)
    nbgrader("generate_assignment", ASSIGNMENT, cwd=root, home=root / "home")
    return root


def grade_cells(notebook) -> dict[str, nbformat.NotebookNode]:
    """The cells nbgrader knows (answers and checks), by ``grade_id``."""
    return {
        cell.metadata.nbgrader.grade_id: cell
        for cell in notebook.cells
        if "nbgrader" in cell.metadata
    }


def submit(course: Path, student: str, notebooks: dict[str, nbformat.NotebookNode]) -> None:
    """Put ``notebooks`` (file name -> notebook) where nbgrader collects ``student``'s work."""
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    for name, notebook in notebooks.items():
        nbformat.write(notebook, folder / name)
