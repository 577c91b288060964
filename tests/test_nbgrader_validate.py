"""``nbgrader validate``, a learner's "does my notebook pass?": a complete notebook passes, and
the same notebook with a wrong answer fails naming that answer's check, in one run of
nbgrader. A module of its own, so that pytest-xdist runs it beside tests/test_nbgrader.py's
autograding.

That every check of all eight complete notebooks passes under nbgrader is shown by the
autograding there (90 of 90; nbgrader executes the same cells with the same preprocessors and
``NBGRADER_EXECUTION`` set, as here): validating all eight here as well ran the course once
more (230 s of CI, a sixth of its budget) to show nothing new, so this validates notebook 03
twice, right and wrong."""

from __future__ import annotations

import nbformat
from collection_run import COLLECTION
from nbgrader_course import grade_cells, nbgrader

NAME = "03_loss_and_optimizer.ipynb"
WRONG = "03_with_a_wrong_first_loss.ipynb"


def test_nbgrader_validate_passes_a_complete_notebook_and_names_a_wrong_answers_check(tmp_path):
    notebook = nbformat.read(COLLECTION[2], as_version=4)
    nbformat.write(notebook, tmp_path / NAME)
    grade_cells(notebook)["answer_first_loss"].source = "my_first_loss = math.log(10)"
    nbformat.write(notebook, tmp_path / WRONG)
    printed = nbgrader("validate", NAME, WRONG, cwd=tmp_path, home=tmp_path)
    right, _, wrong = printed.partition(f"Validating '{tmp_path / WRONG}'")  # in this order
    assert "Success! Your notebook passes all the tests." in right, printed
    assert "VALIDATION FAILED" not in right.upper() and "Traceback" not in right, printed
    assert "VALIDATION FAILED ON 1 CELL(S)!" in wrong.upper(), printed
    assert "check.first_loss(my_first_loss, classes=100)" in wrong
    assert "CheckFailed: Not yet: " in wrong
