"""The student edition: every notebook with exercises, its answers replaced by stubs.

``notebooks/NN_*.ipynb`` is the complete edition (answers filled in, outputs of a full run).
For each one that has exercises, :func:`write_student_edition` writes ``exercises/NN_*.ipynb``
through two nbconvert preprocessors:

* :class:`StubAnswers` replaces the answer of every cell tagged ``solution`` (the whole cell, or
  only the lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION``) by one line
  ``name = ...  # your code here`` for each name the answer binds;
* :class:`ClearAnswerOutputs` clears the outputs and execution counts of the answer and check
  cells, and tags them ``raises-exception`` so that a learner's failing answer does not stop
  "Run All".

Everything else is kept as it is, and the output is byte-for-byte the same every time.
"""

from __future__ import annotations

import ast
import os
import textwrap
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor

from ..checks.feedback import STUB_COMMENT
from ..errors import TutorialError
from .notebooks import CHECK_TAG, SOLUTION_TAG, cell_tags, is_numbered

ALLOW_ERRORS_TAG = "raises-exception"  # JupyterLab, nbclient and nbval run on past such a cell
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


class ExerciseError(TutorialError, ValueError):
    """A notebook's exercise cells are malformed, so no student edition can be made of them."""


def bound_names(code: str) -> list[str]:
    """The names ``code`` assigns or defines, outside functions, in order of first appearance."""
    names: list[str] = []

    def targets(node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                targets(element)
        elif isinstance(node, ast.Starred):
            targets(node.value)

    def visit(statements: list[ast.stmt]) -> None:
        for statement in statements:
            if isinstance(statement, ast.Assign):
                for target in statement.targets:
                    targets(target)
            elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
                targets(statement.target)
            elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.append(statement.name)
            elif isinstance(statement, (ast.With, ast.If, ast.For, ast.While, ast.Try)):
                for block in ("body", "orelse", "finalbody"):
                    visit(getattr(statement, block, []))

    visit(ast.parse(code).body)
    return list(dict.fromkeys(names))


def stub_lines(answer: str, indent: str, where: str) -> list[str]:
    """``name = ...  # your code here`` for each name ``answer`` binds."""
    try:
        names = bound_names(textwrap.dedent(answer))
    except SyntaxError as error:
        raise ExerciseError(f"{where}: the answer is not valid Python ({error.msg})") from None
    if not names:
        raise ExerciseError(
            f"{where}: the answer binds no name, so its check could not tell it is missing; "
            "assign the answer to a name of its own (my_...)"
        )
    return [f"{indent}{name} = ...  {STUB_COMMENT}" for name in names]


def stub_source(source: str, where: str = "answer cell") -> str:
    """``source`` with its answer (the marked lines, or all of it) replaced by stubs."""
    lines = source.splitlines()
    if not any(line.strip() in (BEGIN, END) for line in lines):
        return "\n".join(stub_lines(source, "", where))
    kept: list[str] = []
    answer: list[str] | None = None
    indent = ""
    for line in lines:
        marker = line.strip()
        if marker == BEGIN:
            if answer is not None:
                raise ExerciseError(f"{where}: {BEGIN} inside another solution")
            answer, indent = [], line[: len(line) - len(line.lstrip())]
        elif marker == END:
            if answer is None:
                raise ExerciseError(f"{where}: {END} without {BEGIN}")
            kept.extend(stub_lines("\n".join(answer), indent, where))
            answer = None
        elif answer is not None:
            answer.append(line)
        else:
            kept.append(line)
    if answer is not None:
        raise ExerciseError(f"{where}: {BEGIN} without {END}")
    return "\n".join(kept)


class StubAnswers(Preprocessor):
    """Replace the answer in every code cell tagged ``solution`` by its stub."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and SOLUTION_TAG in cell_tags(cell):
            where = f"{resources.get('name', 'notebook')}, cell {index}"
            cell.source = stub_source(cell.source, where)
        return cell, resources


class ClearAnswerOutputs(Preprocessor):
    """Clear the outputs of answer and check cells; let them fail without stopping Run All."""

    def preprocess_cell(self, cell, resources, index):
        tags = cell_tags(cell)
        if cell.cell_type == "code" and {SOLUTION_TAG, CHECK_TAG} & set(tags):
            cell.outputs = []
            cell.execution_count = None
            if ALLOW_ERRORS_TAG not in tags:
                cell.metadata["tags"] = [*tags, ALLOW_ERRORS_TAG]
        return cell, resources


def has_exercises(notebook: nbformat.NotebookNode) -> bool:
    """Whether any code cell of ``notebook`` is tagged ``solution``."""
    return any(c.cell_type == "code" and SOLUTION_TAG in cell_tags(c) for c in notebook.cells)


def student_notebook(notebook: nbformat.NotebookNode, name: str = "notebook"):
    """A copy of the complete ``notebook`` as the student edition."""
    student = nbformat.from_dict(notebook)  # a deep copy
    resources = {"name": name}
    for preprocessor in (StubAnswers(), ClearAnswerOutputs()):
        student, resources = preprocessor.preprocess(student, resources)
    return student


def student_edition(source_dir: str | os.PathLike) -> dict[str, str]:
    """The student edition of each ``NN_*.ipynb`` with exercises in ``source_dir``: name -> text."""
    edition = {}
    for path in sorted(Path(source_dir).glob("*.ipynb")):
        if not is_numbered(path.name):
            continue
        notebook = nbformat.read(path, as_version=4)
        if has_exercises(notebook):
            text = nbformat.writes(student_notebook(notebook, path.name))
            edition[path.name] = text if text.endswith("\n") else text + "\n"
    return edition


def differences(source_dir: str | os.PathLike, target_dir: str | os.PathLike) -> list[str]:
    """Which files of ``target_dir`` are not what :func:`write_student_edition` would write."""
    target = Path(target_dir)
    expected = student_edition(source_dir)
    present = {p.name for p in target.glob("*.ipynb") if is_numbered(p.name)}
    found = []
    for name in sorted(present | set(expected)):
        if name not in expected:
            found.append(f"{name}: has no exercises in {source_dir}, should not be here")
        elif name not in present:
            found.append(f"{name}: missing")
        elif (target / name).read_bytes() != expected[name].encode():
            found.append(f"{name}: differs from its complete edition")
    return found


def write_student_edition(
    source_dir: str | os.PathLike, target_dir: str | os.PathLike
) -> list[Path]:
    """Write the student edition into ``target_dir`` and remove its stale notebooks."""
    target = Path(target_dir)
    edition = student_edition(source_dir)
    target.mkdir(parents=True, exist_ok=True)
    for path in target.glob("*.ipynb"):
        if is_numbered(path.name) and path.name not in edition:
            path.unlink()
    written = []
    for name, text in edition.items():
        path = target / name
        path.write_bytes(text.encode())
        written.append(path)
    return written
