"""``nbgrader validate``, a learner's "does my notebook pass?", on the complete edition: every
notebook passes; and on a wrong answer, it names the failing check. A module of its own, so that
pytest-xdist runs it beside tests/test_nbgrader.py's autograding."""

from __future__ import annotations

import shutil

import nbformat
import pytest
from collection_run import COLLECTION
from nbgrader_course import CELL_TIMEOUT_S, grade_cells, nbgrader


@pytest.mark.slow
def test_nbgrader_validate_passes_the_complete_edition(tmp_path):
    for path in COLLECTION:  # 05 reads the weights 04 saved in the home: one folder, in order
        shutil.copy(path, tmp_path / path.name)
    names = [path.name for path in COLLECTION]
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
