"""A learner doing an exercise of the student edition, in JupyterLab in a headless Chromium.

JupyterLab serves ``exercises/`` (smoke profile). The test opens notebook 06 there, runs
"Restart Kernel and Run All Cells" (every check says "Not yet: replace `...`"), then types a
right answer into an exercise's answer cell, runs it and its check with Shift+Enter as a
learner does, and sees "Right!"; then a typical wrong answer, and sees that mistake's hint.
A screenshot of each is saved in ``test-artifacts/screenshots/``. The server, the browser and
the set-up come from ``tests/test_browser.py``; nothing is saved, and ``exercises/`` must be
byte-identical afterwards.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import SCREENSHOTS
from test_browser import (  # noqa: F401 - fixtures reused as they are: browser_tmp, chromium
    _STATE,
    LabServer,
    _hash_tree,
    _open_and_run_all,
    _shut_down_kernels,
    browser_tmp,
    chromium,
    requests_made,
    serve_lab,
)

from cifar_tutorial.checks.device import weight_ratio

pytestmark = pytest.mark.browser

EXERCISES = Path(__file__).resolve().parents[1] / "exercises"
NAME = "06_gpu.ipynb"
STUB = "my_ratio = ...  # your code here"
RIGHT_ANSWER = "my_ratio = count_parameters(WideNet(width)) / count_parameters(Net())"
WRONG_ANSWER = "my_ratio = width"  # the channels' factor, not the weights'
CHECK_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def student_lab(browser_tmp: Path) -> Iterator[LabServer]:  # noqa: F811 - the imported fixture
    """JupyterLab serving ``exercises/``, which must not change while the test runs."""
    before = _hash_tree(EXERCISES)
    with serve_lab(browser_tmp, EXERCISES) as server:
        yield server
    assert _hash_tree(EXERCISES) == before, "the browser test changed files under exercises/"


def _answer_cell_index() -> int:
    """The position of the answer cell holding ``STUB`` in the student notebook."""
    cells = json.loads((EXERCISES / NAME).read_text())["cells"]
    found = [i for i, cell in enumerate(cells) if "".join(cell["source"]) == STUB]
    assert len(found) == 1, f"{NAME}: no single answer cell {STUB!r}"
    assert "check" in cells[found[0] + 1]["metadata"].get("tags", []), "no check cell below it"
    return found[0]


def _type_and_run(page, index: int, answer: str) -> str:
    """Replace cell ``index``'s code with ``answer`` by typing, run it and the check below it
    with Shift+Enter; return the text the check cell then shows."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.scroll_into_view_if_needed()
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(answer)
    before = page.evaluate(_STATE, NAME)["cells"][index + 1]["prompt"]
    page.keyboard.press("Shift+Enter")  # runs the answer, moves to the check
    page.keyboard.press("Shift+Enter")  # runs the check
    deadline = time.monotonic() + CHECK_TIMEOUT_S
    while time.monotonic() < deadline:
        state = page.evaluate(_STATE, NAME)
        check = state["cells"][index + 1]
        done = check["prompt"] not in (before, "") and "*" not in check["prompt"]
        if done and state["kernelStatus"] == "idle" and check["outputText"].strip():
            assert state["cells"][index]["source"] == answer, "the typed answer differs"
            return check["outputText"].strip()
        time.sleep(0.25)
    pytest.fail(f"{NAME}: the check did not answer within {CHECK_TIMEOUT_S} s")


def _screenshot(page, index: int, name: str) -> Path:
    """The answer cell and its check on screen, saved as ``name``.png."""
    page.locator(".jp-Notebook .jp-Cell").nth(index - 1).scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def test_a_learner_answers_an_exercise_right_then_wrong(
    chromium,  # noqa: F811 - the imported fixture
    requests_made: list[str],  # noqa: F811
    student_lab: LabServer,
) -> None:
    index = _answer_cell_index()
    page = chromium.new_page()
    try:
        state = _open_and_run_all(page, student_lab, NAME)
        stub_feedback = state["cells"][index + 1]["outputText"].strip()
        errors = [c["index"] for c in state["cells"] if "error" in c["outputTypes"]]

        right = _type_and_run(page, index, RIGHT_ANSWER)
        right_shot = _screenshot(page, index, "exercise-06-right")
        wrong = _type_and_run(page, index, WRONG_ANSWER)
        wrong_shot = _screenshot(page, index, "exercise-06-hint")
    finally:
        page.close()
        _shut_down_kernels(student_lab)

    assert not errors, f"{NAME}: cells with an error after Run All: {errors}"
    assert stub_feedback.startswith("\u2717 Not yet: replace ... with your answer"), stub_feedback
    assert right.startswith("\u2714 Right!"), right
    hint = weight_ratio(8, 8).message  # what the check says to the channels' factor
    assert wrong.startswith("\u2717 Not yet:") and hint.split(":")[0] in wrong, wrong
    assert "Traceback" not in right + wrong
    assert right_shot.stat().st_size > 10_000 and wrong_shot.stat().st_size > 10_000
