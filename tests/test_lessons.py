"""cifar_tutorial.course.lessons: what each notebook says about itself, read from its cells."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cifar_tutorial.course.lessons import find_exercises, parse_intro, read_lesson, read_lessons
from cifar_tutorial.errors import TutorialError

REPO = Path(__file__).resolve().parents[1]

INTRO = """# 4. Train the network

The heart of the tutorial: show the network every training image, several times.

**You will learn**

- the five steps of a training loop: zero the gradients, forward, loss, backward, step;
- how to save the weights (and resume
  an interrupted run).

**Time**: about 25 s.
"""


def markdown(source: str, tags: list[str] | None = None) -> dict:
    return {"cell_type": "markdown", "metadata": {"tags": tags or []}, "source": source}


def code(source: str, text: str = "", tags: list[str] | None = None) -> dict:
    outputs = [{"output_type": "stream", "name": "stdout", "text": [text]}] if text else []
    return {
        "cell_type": "code",
        "metadata": {"tags": tags or []},
        "source": source,
        "outputs": outputs,
    }


def test_the_intro_gives_title_summary_and_what_you_learn():
    title, summary, learn = parse_intro(INTRO, "04_train.ipynb")
    assert title == "Train the network"
    assert (
        summary
        == "The heart of the tutorial: show the network every training image, several times."
    )
    assert learn == (
        "the five steps of a training loop: zero the gradients, forward, loss, backward, step",
        "how to save the weights (and resume an interrupted run)",
    )


def test_an_intro_without_a_heading_is_refused_naming_the_notebook():
    with pytest.raises(TutorialError, match="09_x.ipynb: its first cell has no '# ' heading"):
        parse_intro("Just text.", "09_x.ipynb")


def test_exercises_are_the_cells_tagged_exercise_with_their_section_and_stated_time():
    cells = [
        markdown("# 2. Define a CNN"),
        markdown("## Shapes, layer by layer\n\nText."),
        markdown("### Exercise: predict the shape (about 3 min)\n\nWhat comes out?", ["exercise"]),
        code("my_shape = None", tags=["solution"]),
        markdown("## Parameters"),
        markdown("**Exercise.** Count the weights of `conv1` by hand.", ["exercise"]),
    ]
    first, second = find_exercises(cells)
    assert (first.cell, first.section, first.minutes) == (2, "Shapes, layer by layer", 3.0)
    assert first.title == "Exercise: predict the shape"
    assert (second.cell, second.section, second.minutes) == (5, "Parameters", None)
    assert second.title == "Exercise. Count the weights of `conv1` by hand."
    assert find_exercises([markdown("# Title"), code("x = 1")]) == []


def test_a_lesson_is_read_from_its_file(tmp_path):
    notebook = {
        "cells": [markdown(INTRO), code("print('done')", "This notebook ran in 7 s.\n")],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "04_train.ipynb"
    path.write_text(json.dumps(notebook))
    lesson = read_lesson(path)
    assert (lesson.number, lesson.name, lesson.title) == ("04", "04_train", "Train the network")
    assert lesson.measured_seconds == 7 and lesson.exercises == ()


def test_read_lessons_takes_the_numbered_notebooks_in_order(tmp_path):
    with pytest.raises(TutorialError, match="No numbered notebooks"):
        read_lessons(tmp_path)
    lessons = read_lessons(REPO / "notebooks")
    assert [lesson.number for lesson in lessons] == sorted(lesson.number for lesson in lessons)
    assert lessons[0].title == "Load and normalize CIFAR-10"
    for lesson in lessons:  # what the website and the guide show for each
        assert lesson.title and lesson.summary and lesson.learn, lesson.name
        assert lesson.measured_seconds is not None, f"{lesson.name} printed no time"
