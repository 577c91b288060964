"""A learner's folder on the hub, made by the learner's own account just before their server
starts (never by root, so that nothing a learner puts in their home can redirect a write):

* ``~/cifar-tutorial/exercises/``: their copy of the student edition, to fill in. Notebooks
  already there are kept as they are; only missing ones are copied (a notebook added to the
  course later, or one the learner deleted to start again);
* ``~/cifar-tutorial/complete``: a link to the hub's one read-only copy of the complete edition;
* the home itself closed to everyone else (mode 700).

Run as ``python -m cifar_tutorial.course.hub.workspace COURSE_DIR``; only the standard library.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

WORKSPACE = "cifar-tutorial"
EXERCISES = "exercises"  # the student edition, in the course copy and in the workspace
COMPLETE = "notebooks"  # the complete edition, in the course copy
COMPLETE_LINK = "complete"  # its name in the workspace
FIRST_NOTEBOOK = "01_load_and_normalize.ipynb"  # where JupyterLab opens


def prepare_workspace(course_dir: Path, home: Path) -> Path:
    """Make (or complete) the workspace in ``home`` from ``course_dir``; return its path."""
    home.chmod(0o700)
    workspace = home / WORKSPACE
    exercises = workspace / EXERCISES
    exercises.mkdir(parents=True, exist_ok=True)
    for source in sorted((course_dir / EXERCISES).glob("*.ipynb")):
        target = exercises / source.name
        if not target.exists() and not target.is_symlink():
            shutil.copyfile(source, target)
    complete = workspace / COMPLETE_LINK
    if not complete.exists() and not complete.is_symlink():
        complete.symlink_to(course_dir / COMPLETE, target_is_directory=True)
    return workspace


if __name__ == "__main__":
    prepare_workspace(Path(sys.argv[1]), Path.home())
