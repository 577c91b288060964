"""``nbgrader validate``, a learner's "does my notebook pass?": the complete notebooks 01-03
pass; a wrong answer's check is named. A module of its own, so that pytest-xdist runs it beside
tests/test_nbgrader.py's autograding.

That every check of all eight complete notebooks passes under nbgrader is shown by the
autograding there (90 of 90; nbgrader executes the same cells with the same preprocessors and
``NBGRADER_EXECUTION`` set, as here): validating 04-08 here as well ran the course once more
(230 s of CI, a sixth of its budget) to show nothing new, so this validates the first three."""

from __future__ import annotations

import shutil

import nbformat
import pytest
from collection_run import COLLECTION
from nbgrader_course import CELL_TIMEOUT_S, grade_cells, nbgrader


@pytest.mark.slow
def test_nbgrader_validate_passes_complete_notebooks(tmp_path):
    for path in COLLECTION[:3]:
        shutil.copy(path, tmp_path / path.name)
    names = [path.name for path in COLLECTION[:3]]
    printed = nbgrader(
        "validate", *names, f"--Execute.timeout={CELL_TIMEOUT_S}", cwd=tmp_path, home=tmp_path
    )
    assert printed.count("Success! Your notebook passes all the tests.") == len(names), printed
    assert "VALIDATION FAILED" not in printed and "Traceback" not in printed


def test_nbgrader_validate_names_a_wrong_answers_check(tmp_path):
    name = "03_loss_and_optimizer.ipynb"
    notebook = nbformat.read(COLLECTION[2], as_version=4)
    grade_cells(notebook)["answer_first_loss"].source = "my_first_loss = math.log(10)"
    nbformat.write(notebook, tmp_path / name)
    printed = nbgrader("validate", name, cwd=tmp_path, home=tmp_path)
    assert "VALIDATION FAILED ON 1 CELL(S)!" in printed.upper(), printed
    assert "check.first_loss(my_first_loss, classes=100)" in printed
    assert "CheckFailed: Not yet: " in printed
