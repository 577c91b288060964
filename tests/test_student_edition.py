"""The student edition: generated from the complete one, committed, identical when regenerated,
free of solution text, every check saying "not yet" with a hint while its answer is the stub.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import nbformat
import pytest
from exercise_cells import (
    check_feedback,
    code_fragments,
    lesson_fragments,
    solution_fragments,
    source,
    tags,
)
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from cifar_tutorial.checks import STUB_COMMENT
from cifar_tutorial.course import main
from cifar_tutorial.course.student_edition import (
    ALLOW_ERRORS_TAG,
    BEGIN,
    END,
    ExerciseError,
    bound_names,
    differences,
    stub_source,
    student_notebook,
    write_student_edition,
)

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS, EXERCISES = REPO / "notebooks", REPO / "exercises"
STUDENT_NOTEBOOKS = sorted(EXERCISES.glob("[0-9][0-9]_*.ipynb"))


def executed(cell, text: str, count: int):
    cell.outputs = [new_output("stream", name="stdout", text=text)]
    cell.execution_count = count
    return cell


def lesson() -> nbformat.NotebookNode:
    """A small complete edition: a lesson cell, one exercise with its answer and check, more."""
    cells = [
        new_markdown_cell("# 9. A lesson"),
        executed(new_code_cell("x = 2\nprint(x)"), "2\n", 1),
        new_markdown_cell("**Exercise**: square x.", metadata={"tags": ["exercise"]}),
        executed(
            new_code_cell("my_square = x * x\nprint(my_square)", metadata={"tags": ["solution"]}),
            "4\n",
            2,
        ),
        executed(new_code_cell("check(my_square)", metadata={"tags": ["check"]}), "Right!", 3),
        executed(
            new_code_cell(
                f"numbers = [1, 2]\n{BEGIN}\nmy_total, my_count = sum(numbers), 2\n{END}\n"
                "print(my_total)",
                metadata={"tags": ["solution"]},
            ),
            "3\n",
            4,
        ),
        executed(new_code_cell("print(x + 1)"), "3\n", 5),
    ]
    return new_notebook(
        cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    )


def write_lesson(folder: Path, name: str = "09_lesson.ipynb") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(lesson(), folder / name)
    return folder / name


def test_bound_names_in_order_outside_functions():
    code = "a = 1\nb, (c, *d) = f()\ne: int = 2\na += 1\ndef g():\n    h = 1\n"
    code += "with x:\n    i = 1\nfor j in k:\n    m = 1\nclass N:\n    o = 1\n[p for p in q]"
    assert bound_names(code) == ["a", "b", "c", "d", "e", "g", "i", "m", "N"]


def test_answers_become_stubs_and_everything_else_stays():
    complete = lesson()
    cells = student_notebook(complete).cells
    assert cells[3].source == "my_square = ...  # your code here"
    assert cells[5].source == "numbers = [1, 2]\nmy_total = ...  # your code here\n" + (
        "my_count = ...  # your code here\nprint(my_total)"
    )
    for answer_or_check in (cells[3], cells[4], cells[5]):
        assert answer_or_check.outputs == [] and answer_or_check.execution_count is None
        assert ALLOW_ERRORS_TAG in tags(answer_or_check)
    assert cells[1].outputs[0].text == "2\n" and cells[1].execution_count == 1
    assert cells[6].outputs[0].text == "3\n" and cells[6].execution_count == 5
    assert [c.source for c in cells if c.cell_type == "markdown"] == [
        "# 9. A lesson",
        "**Exercise**: square x.",
    ]
    assert [c.id for c in cells] == [c.id for c in complete.cells]
    assert complete.cells[3].outputs, "the complete edition is left untouched"


def test_indented_answers_keep_their_indentation():
    code = f"with torch.no_grad():\n    {BEGIN}\n    my_step = lr * grad\n    {END}\n    pass"
    assert stub_source(code) == (
        "with torch.no_grad():\n    my_step = ...  # your code here\n    pass"
    )


@pytest.mark.parametrize(
    "answer, message",
    [
        ("print(1)", "cell 3: the answer binds no name"),
        (f"{BEGIN}\nmy_a = 1", f"{BEGIN} without {END}"),
        (f"my_a = 1\n{END}", f"{END} without {BEGIN}"),
        (f"{BEGIN}\n{BEGIN}\nmy_a = 1\n{END}", f"{BEGIN} inside another solution"),
        ("my_a = (1", "the answer is not valid Python"),
    ],
)
def test_a_malformed_answer_cell_is_refused_with_its_place(answer, message):
    notebook = lesson()
    notebook.cells[3].source = answer
    with pytest.raises(ExerciseError, match=message.replace("#", r"\#")) as refused:
        student_notebook(notebook, "09_lesson.ipynb")
    assert str(refused.value).startswith("09_lesson.ipynb, cell 3: ")


def test_generation_is_deterministic_and_removes_stale_notebooks(tmp_path):
    write_lesson(tmp_path / "complete")
    without = new_notebook(cells=[new_code_cell("print(1)")])
    nbformat.write(without, tmp_path / "complete" / "10_no_exercises.ipynb")
    target = tmp_path / "student"
    target.mkdir()
    (target / "08_removed.ipynb").write_text("{}")
    (target / "notes.txt").write_text("kept")
    assert differences(tmp_path / "complete", target) == [
        "08_removed.ipynb: has no exercises in "
        + str(tmp_path / "complete")
        + ", should not be here",
        "09_lesson.ipynb: missing",
    ]
    written = write_student_edition(tmp_path / "complete", target)
    assert [path.name for path in written] == ["09_lesson.ipynb"]
    assert sorted(path.name for path in target.iterdir()) == ["09_lesson.ipynb", "notes.txt"]
    first = (target / "09_lesson.ipynb").read_bytes()
    write_student_edition(tmp_path / "complete", target)
    assert (target / "09_lesson.ipynb").read_bytes() == first and first.endswith(b"\n")
    assert differences(tmp_path / "complete", target) == []
    (target / "09_lesson.ipynb").write_bytes(first.replace(b"your code here", b"my code"))
    assert differences(tmp_path / "complete", target) == [
        "09_lesson.ipynb: differs from its complete edition"
    ]


def test_command_writes_and_checks_the_student_edition(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_lesson(tmp_path / "notebooks")
    assert main(["exercises", "--check"]) == 1
    assert "exercises/09_lesson.ipynb: missing" in capsys.readouterr().out
    assert main(["exercises"]) == 0
    assert "Wrote 1 notebooks with blank answers to exercises." in capsys.readouterr().out
    assert main(["exercises", "--check"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["exercises", "--notebook-dir", "nowhere"]) == 2
    assert "--notebook-dir='nowhere' is not allowed" in capsys.readouterr().err
    (tmp_path / "a-file").write_text("")
    assert main(["exercises", "--output-dir", "a-file"]) == 2
    assert "--output-dir='a-file' is not allowed: --output-dir must be a folder" in (
        capsys.readouterr().err
    )
    broken = nbformat.read(tmp_path / "notebooks" / "09_lesson.ipynb", as_version=4)
    broken.cells[3].source = "print(x * x)"
    nbformat.write(broken, tmp_path / "notebooks" / "09_lesson.ipynb")
    assert main(["exercises"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("cifar-tutorial: error: 09_lesson.ipynb, cell 3: the answer binds no")
    assert error.count("\n") == 1 and (tmp_path / "exercises" / "09_lesson.ipynb").is_file()


def test_committed_student_edition_is_what_the_notebooks_generate():
    found = differences(NOTEBOOKS, EXERCISES)
    assert not found, f"{found}: run `make exercises` and commit exercises/"


@pytest.mark.parametrize("path", STUDENT_NOTEBOOKS, ids=lambda path: path.name)
def test_student_edition_holds_no_solution_text(path):
    complete = nbformat.read(NOTEBOOKS / path.name, as_version=4)
    student = nbformat.read(path, as_version=4)
    answers = solution_fragments(complete)
    assert answers, "the complete edition has answers"
    leaked = (answers - lesson_fragments(complete)) & code_fragments(student)
    assert not leaked, f"solution code in {path.name}: {sorted(leaked)}"
    text = "\n".join(source(cell) for cell in student.cells)
    assert BEGIN not in text and END not in text


@pytest.mark.parametrize("path", STUDENT_NOTEBOOKS, ids=lambda path: path.name)
def test_every_answer_sits_between_its_prompt_and_its_check(path):
    cells = nbformat.read(NOTEBOOKS / path.name, as_version=4).cells
    for index, cell in enumerate(cells):
        if "solution" in tags(cell):
            before = [c for c in cells[:index] if c.cell_type == "markdown"][-1]
            assert "exercise" in tags(before), f"cell {index}: no exercise prompt before it"
            assert "check" in tags(cells[index + 1]), f"cell {index}: no check cell after it"
            assert source(cells[index + 1]).count("\n") <= 1, "a check cell is one call"


def stub_names(answer_cell) -> set[str]:
    """The names the student edition's answer cell binds to the stub ``...``."""
    return {line.split(" = ...", 1)[0].strip() for line in source(answer_cell).splitlines()
            if line.rstrip().endswith(STUB_COMMENT) and " = ..." in line}  # fmt: skip


def stand_in(argument: ast.expr, stubs: set[str]) -> object:
    """``...`` for an answer's name still holding the stub, something else for the rest."""
    return ... if isinstance(argument, ast.Name) and argument.id in stubs else object()


@pytest.mark.parametrize("path", STUDENT_NOTEBOOKS, ids=lambda path: path.name)
def test_every_check_asks_for_its_answer_with_a_hint_while_it_is_the_stub(path):
    """What each check cell of the student edition shows before the learner answers: its own
    call of its checker, with the answer's names bound to ``...`` as the stub binds them and
    every other argument a stand-in (a checker answers a stub before it looks at anything
    else). The lesson's cells, the same as in nbgrader's release, run to the end in the
    autograding of the untouched release (tests/test_nbgrader.py): CI's one execution of the
    student edition."""
    cells = nbformat.read(path, as_version=4).cells
    imported = re.search(r"from cifar_tutorial\.checks import (\w+) as check",
                         "\n".join(source(cell) for cell in cells))  # fmt: skip
    check = importlib.import_module(f"cifar_tutorial.checks.{imported[1]}")
    said = []
    for index, cell in enumerate(cells):
        if "check" not in tags(cell):
            continue
        stubs = stub_names(cells[index - 1])
        call = ast.parse(source(cell)).body[0].value
        checker = getattr(check, call.func.attr)
        feedback = checker(*(stand_in(node, stubs) for node in call.args),
                           **{k.arg: stand_in(k.value, stubs) for k in call.keywords})  # fmt: skip
        assert stubs and str(feedback) == (
            f"Not yet: replace `...` with your answer. Hint: {checker.first_hint}"
        ), f"cell {index}"
        assert len(checker.first_hint) > 10
        said.append(feedback)
    complete = nbformat.read(NOTEBOOKS / path.name, as_version=4)
    assert len(said) == len(check_feedback(complete)) >= 1
