"""What each notebook says about itself: title, summary, what it teaches, time, exercises.

The website's index and the instructor's guide are built from this, read from the committed
notebooks themselves through :mod:`.notebooks` (their first cell, their tagged cells, the time
they took), so neither can drift from the lessons.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import TutorialError
from .notebooks import (
    EXERCISE_TAG,
    cell_source,
    cell_tags,
    measured_seconds,
    numbered_paths,
    plain_title,
    read_notebook,
)

STATED_MINUTES = re.compile(r"\((?:about |~)?(?P<minutes>\d+(?:\.\d+)?) ?min(?:utes?)?\)")
"""An exercise prompt's own estimate of the time it takes, e.g. ``(about 5 min)``."""


@dataclass(frozen=True)
class Exercise:
    """One cell tagged ``exercise``: where it is and, if its prompt says, how long it takes."""

    cell: int  # index of the tagged cell in the notebook
    section: str  # the heading of the section it is in
    title: str  # its own first line (a heading or the first sentence of its prompt), no time
    minutes: float | None  # as its prompt states it, e.g. "(about 5 min)"; None if it does not


@dataclass(frozen=True)
class Lesson:
    """One numbered notebook as a reader sees it before running it."""

    path: Path
    number: str
    title: str  # the first heading, without its number: "Load and normalize CIFAR-10"
    summary: str  # the first paragraph after the heading
    learn: tuple[str, ...]  # the "You will learn" bullets
    needs: str  # the "You need" paragraph, without its label
    measured_seconds: float | None  # how long it took when its outputs were made
    exercises: tuple[Exercise, ...]
    prose_words: int  # words in its markdown cells
    code_cells: int  # code cells with code in them
    points: int = 0  # what nbgrader's autograder gives its checks (docs/exercises.md)

    @property
    def name(self) -> str:
        """The file name without ``.ipynb``, e.g. ``04_train``."""
        return self.path.stem


def read_lessons(folder: str | os.PathLike) -> list[Lesson]:
    """Every ``NN_name.ipynb`` in ``folder``, in course order."""
    return [read_lesson(path) for path in numbered_paths(folder)]


def read_lesson(path: str | os.PathLike) -> Lesson:
    """The lesson in one notebook file."""
    path = Path(path)
    notebook = read_notebook(path)
    cells = notebook.get("cells", [])
    intro = cell_source(cells[0]) if cells and cells[0]["cell_type"] == "markdown" else ""
    title, summary, learn = parse_intro(intro, path.name)
    return Lesson(
        path=path,
        number=path.name[:2],
        title=title,
        summary=summary,
        learn=learn,
        needs=labelled_paragraph(intro, "You need"),
        measured_seconds=measured_seconds(notebook),
        exercises=tuple(find_exercises(cells)),
        prose_words=sum(len(cell_source(c).split()) for c in cells if c["cell_type"] == "markdown"),
        code_cells=sum(1 for c in cells if c["cell_type"] == "code" and cell_source(c).strip()),
        points=sum(c.get("metadata", {}).get("nbgrader", {}).get("points", 0) for c in cells),
    )


def parse_intro(markdown: str, name: str) -> tuple[str, str, tuple[str, ...]]:
    """``(title, summary, learn)`` from a notebook's first markdown cell."""
    lines = markdown.splitlines()
    heading = next((line for line in lines if line.startswith("# ")), None)
    if heading is None:
        raise TutorialError(f"{name}: its first cell has no '# ' heading to take the title from.")
    paragraphs = _paragraphs(lines[lines.index(heading) + 1 :])
    summary = " ".join(paragraphs[0].split()) if paragraphs else ""
    learn: list[str] = []
    for index, paragraph in enumerate(paragraphs):
        if paragraph.startswith("**You will learn**"):
            following = paragraphs[index + 1 : index + 2]
            list_below = following and following[0].lstrip().startswith(("- ", "* "))
            learn = _bullets(
                paragraph.splitlines()[1:] or (following[0].splitlines() if list_below else [])
            )
            break
    return plain_title(heading), summary, tuple(learn)


def labelled_paragraph(markdown: str, label: str) -> str:
    """The paragraph that starts with ``**label**``, without the label, on one line."""
    for paragraph in _paragraphs(markdown.splitlines()):
        if paragraph.startswith(f"**{label}**"):
            return " ".join(paragraph.removeprefix(f"**{label}**").split()).lstrip(":").strip()
    return ""


def find_exercises(cells: list[dict[str, Any]]) -> list[Exercise]:
    """The cells tagged ``exercise``, with the section each is in."""
    exercises = []
    section = ""
    for index, cell in enumerate(cells):
        source = cell_source(cell)
        if cell["cell_type"] == "markdown":
            headings = [line for line in source.splitlines() if re.match(r"#{1,3} ", line)]
            if headings and EXERCISE_TAG not in cell_tags(cell):
                section = headings[-1].lstrip("#").strip()
        if EXERCISE_TAG in cell_tags(cell):
            stated = STATED_MINUTES.search(source)
            exercises.append(
                Exercise(
                    cell=index,
                    section=section,
                    title=STATED_MINUTES.sub("", _first_line(source)).strip(),
                    minutes=float(stated["minutes"]) if stated else None,
                )
            )
    return exercises


def _paragraphs(lines: list[str]) -> list[str]:
    """Blocks of lines separated by blank lines, each joined with newlines."""
    blocks, current = [], []
    for line in lines:
        if line.strip():
            current.append(line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    return blocks


def _bullets(lines: list[str]) -> list[str]:
    """The items of a markdown list, continuation lines joined, final ';' or '.' dropped."""
    items: list[str] = []
    for line in lines:
        if line.lstrip().startswith(("- ", "* ")):
            items.append(line.lstrip()[2:].strip())
        elif items:
            items[-1] += " " + line.strip()
    return [item.rstrip(";.").strip() for item in items]


def _first_line(markdown: str) -> str:
    """A cell's first non-empty line, without heading marks or emphasis."""
    for line in markdown.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line.replace("**", "")
    return ""
