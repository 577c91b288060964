"""Reading the exercise cells of a notebook: what its checks said, and what its answers are."""

from __future__ import annotations

import ast
import textwrap

from cifar_tutorial.course.student_edition import BEGIN, CHECK_TAG, END, SOLUTION_TAG

TRIVIAL = (ast.Name, ast.Constant, ast.Attribute)  # too common to count as an answer's text


def tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def source(cell) -> str:
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def check_feedback(notebook) -> list[str]:
    """The plain-text line each check cell showed, in order ("" for a check without output)."""
    lines = []
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code" and CHECK_TAG in tags(cell):
            shown = [
                "".join(output.get("data", {}).get("text/plain", ""))
                for output in cell.get("outputs", [])
                if output["output_type"] == "execute_result"
            ]
            lines.append("".join(shown))
    return lines


def answers(cell) -> list[str]:
    """The answer parts of a solution cell: the marked regions, or the whole cell."""
    lines = source(cell).splitlines()
    if not any(line.strip() == BEGIN for line in lines):
        return [source(cell)]
    regions, region = [], None
    for line in lines:
        if line.strip() == BEGIN:
            region = []
        elif line.strip() == END:
            regions.append("\n".join(region))
            region = None
        elif region is not None:
            region.append(line)
    return regions


def statements(code: str) -> set[str]:
    """Every statement of ``code`` and the whole value of every assignment, unparsed."""
    found = set()
    for node in ast.walk(ast.parse(textwrap.dedent(code))):
        if isinstance(node, ast.stmt):
            found.add(ast.unparse(node))
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
            if not isinstance(node.value, TRIVIAL):
                found.add(ast.unparse(node.value))
    return found


def fragments(code: str) -> set[str]:
    """Every statement and every non-trivial expression of ``code``, unparsed."""
    found = set()
    for node in ast.walk(ast.parse(textwrap.dedent(code))):
        if isinstance(node, ast.stmt) or (
            isinstance(node, ast.expr) and not isinstance(node, TRIVIAL)
        ):
            found.add(ast.unparse(node))
    return found


def solution_fragments(notebook) -> set[str]:
    """The code of every answer of ``notebook``: its statements and assigned values."""
    found = set()
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code" and SOLUTION_TAG in tags(cell):
            for answer in answers(cell):
                found |= statements(answer)
    return found


def code_fragments(notebook) -> set[str]:
    """Statements and expressions of every code cell of ``notebook``."""
    found = set()
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            found |= fragments(source(cell))
    return found


def lesson_fragments(notebook) -> set[str]:
    """Statements and expressions of the lesson's own code cells (neither answers nor checks):
    what both editions show anyway, such as notebook 04's loop after its training-step
    exercise."""
    found = set()
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code" and not {SOLUTION_TAG, CHECK_TAG} & set(tags(cell)):
            found |= fragments(source(cell))
    return found
