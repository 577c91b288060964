"""The committed notebooks 01-08 carry clean outputs of a full run (no execution here); the
student edition in exercises/ passes the same checks of kernel, residue and paths.

The same checks as the reviewers' nbcheck tool: kernel python3, no papermill residue, a tagged
parameters cell of plain commented assignments, at least two cells that nbval compares,
sequential execution counts, no errors, no absolute paths of this machine, pictures present.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from figure_outputs import explorer_count, figure_problems

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
EXERCISES = NOTEBOOKS.parent / "exercises"
STUDENT_NAMES = sorted(path.name for path in EXERCISES.glob("[0-9][0-9]_*.ipynb"))
NAMES = [
    "01_load_and_normalize.ipynb",
    "02_define_a_cnn.ipynb",
    "03_loss_and_optimizer.ipynb",
    "04_train.ipynb",
    "05_test.ipynb",
    "06_gpu.ipynb",
    "07_faster_and_better.ipynb",
    "08_scale_out.ipynb",
]
DRAWS = {"01", "02", "04", "05", "07", "08"}
REPORT_TAGS = {
    "04_train.ipynb": ["report-loss-curve"],
    "05_test.ipynb": ["report-confusion-matrix", "report-predictions"],
    "07_faster_and_better.ipynb": [
        "report-loss-curve",
        "report-ablation",
        "report-accuracy-vs-time",
    ],
    "08_scale_out.ipynb": ["report-scaling"],
}
PLACEHOLDER = re.compile(r"\b(TODO|FIXME|XXX|TBD)\b|[A-Z_]{4,}\?")
COMMON_PARAMETERS = {"profile", "dataset", "data_root", "seed", "metrics_path"}
ABSOLUTE_PATH = re.compile(r"(/work/|/root/|/home/|/tmp/|/Users/|[A-Z]:\\\\)")


def load(name: str) -> dict:
    return json.loads((NOTEBOOKS / name).read_text())


def code_cells(notebook: dict) -> list[dict]:
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


@pytest.fixture(params=NAMES)
def name(request) -> str:
    return request.param


def assert_kernel_is_python3_and_no_papermill_residue(notebook: dict) -> None:
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    assert "papermill" not in notebook["metadata"]
    for cell in notebook["cells"]:
        assert "injected-parameters" not in tags(cell)
        assert "papermill" not in cell.get("metadata", {})


def assert_outputs_hold_no_absolute_paths(notebook: dict) -> None:
    for cell in code_cells(notebook):
        for output in cell["outputs"]:
            shown = json.dumps(output.get("text", "")) + json.dumps(
                output.get("data", {}).get("text/plain", "")
            )
            match = ABSOLUTE_PATH.search(shown)
            assert match is None, shown[max(0, match.start() - 40) : match.end() + 40]


def test_kernel_is_python3_and_no_papermill_residue(name):
    assert_kernel_is_python3_and_no_papermill_residue(load(name))


@pytest.mark.parametrize("student_name", STUDENT_NAMES)
def test_student_edition_has_the_kernel_no_residue_and_no_absolute_paths(student_name):
    notebook = json.loads((EXERCISES / student_name).read_text())
    assert_kernel_is_python3_and_no_papermill_residue(notebook)
    assert_outputs_hold_no_absolute_paths(notebook)


def test_parameters_cell_is_plain_commented_assignments(name):
    cells = [cell for cell in code_cells(load(name)) if "parameters" in tags(cell)]
    assert len(cells) == 1, "exactly one cell tagged parameters"
    text = source(cells[0])
    names = set()
    for statement in ast.parse(text).body:
        assert isinstance(statement, ast.Assign), ast.unparse(statement)
        assert isinstance(statement.value, ast.Constant), ast.unparse(statement)
        names.add(statement.targets[0].id)
    assert COMMON_PARAMETERS <= names
    assert all("#" in line for line in text.splitlines() if line.strip())


def test_nbval_compares_at_least_two_cells(name):
    checked = [cell for cell in code_cells(load(name)) if "NBVAL_CHECK_OUTPUT" in source(cell)]
    assert len(checked) >= 2
    assert all(cell["outputs"] for cell in checked)


def test_executed_in_order_without_errors(name):
    cells = code_cells(load(name))
    assert [cell["execution_count"] for cell in cells] == list(range(1, len(cells) + 1))
    for cell in cells:
        for output in cell["outputs"]:
            assert output["output_type"] != "error", output.get("evalue")
            assert "Traceback" not in "".join(output.get("text", ""))


def test_outputs_hold_no_absolute_paths(name):
    assert_outputs_hold_no_absolute_paths(load(name))


def test_every_exercise_check_in_the_outputs_says_right(name):
    for cell in code_cells(load(name)):
        if "check" in tags(cell):
            shown = [o for o in cell["outputs"] if o["output_type"] == "execute_result"]
            assert len(shown) == 1, f"check cell without its feedback: {source(cell)}"
            line = "".join(shown[0]["data"]["text/plain"])
            assert line.startswith("Right! "), line


def test_outputs_come_from_the_full_profile(name):
    outputs = "".join(
        "".join(output.get("text", ""))
        for cell in code_cells(load(name))
        for output in cell["outputs"]
    )
    assert "Profile full" in outputs and "dataset cifar10" in outputs


def test_pictures_are_present(name):
    notebook = load(name)
    images = {
        id(cell)
        for cell in code_cells(notebook)
        for output in cell["outputs"]
        if "image/png" in output.get("data", {})
    }
    if name[:2] in DRAWS:
        assert images
    for tag in REPORT_TAGS.get(name, []):
        tagged = [cell for cell in code_cells(notebook) if tag in tags(cell)]
        assert len(tagged) == 1 and id(tagged[0]) in images, tag


EXPLORERS = {"01": 1, "02": 1, "05": 2}  # browse, layers; confusion matrix and your own photo


def test_figures_have_alt_text_one_live_view_and_explorers_as_figures(name):
    notebook = load(name)
    assert not figure_problems(notebook, name, committed=True)
    assert explorer_count(notebook) == EXPLORERS.get(name[:2], 0)


def test_lesson_has_title_recap_and_things_to_try(name):
    notebook = load(name)
    markdown = "\n".join(source(c) for c in notebook["cells"] if c["cell_type"] == "markdown")
    assert source(notebook["cells"][0]).startswith(f"# {int(name[:2])}. ")
    assert "## Recap" in markdown and "## Try this" in markdown


def test_text_holds_no_placeholders(name):
    markdown = "\n".join(source(c) for c in load(name)["cells"] if c["cell_type"] == "markdown")
    match = PLACEHOLDER.search(markdown)
    assert match is None, markdown[max(0, match.start() - 60) : match.end() + 20]
