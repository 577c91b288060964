"""cifar_tutorial.course.notebooks: the one reader of the notebook files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cifar_tutorial.course import notebooks as reader
from cifar_tutorial.course.lessons import read_lesson
from cifar_tutorial.errors import TutorialError

REPO = Path(__file__).resolve().parents[1]


def markdown(source, tags=None) -> dict:
    return {"cell_type": "markdown", "metadata": {"tags": tags or []}, "source": source}


def code(source, text="", tags=None, seconds=None) -> dict:
    metadata: dict = {"tags": tags or []}
    if seconds is not None:  # what papermill writes into an executed notebook
        metadata["papermill"] = {"duration": seconds, "status": "completed"}
    outputs = [{"output_type": "stream", "name": "stdout", "text": [text]}] if text else []
    return {"cell_type": "code", "metadata": metadata, "source": source, "outputs": outputs}


def notebook(*cells, papermill=None) -> dict:
    metadata = {"papermill": papermill} if papermill is not None else {}
    return {"cells": list(cells), "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def test_the_numbered_notebooks_are_found_in_order_and_named_by_number(tmp_path):
    with pytest.raises(TutorialError, match="No numbered notebooks"):
        reader.numbered_paths(tmp_path)
    assert reader.notebook_names(tmp_path) == {}
    for name in ("02_b.ipynb", "01_a.ipynb", "draft.ipynb", "1_c.ipynb"):
        (tmp_path / name).write_text(json.dumps(notebook()))
    assert [p.name for p in reader.numbered_paths(tmp_path)] == ["01_a.ipynb", "02_b.ipynb"]
    assert reader.notebook_names(tmp_path) == {"01": "01_a", "02": "02_b"}
    assert reader.notebook_path("02", tmp_path) == tmp_path / "02_b.ipynb"
    with pytest.raises(TutorialError, match="No notebook numbered 03"):
        reader.notebook_path("03", tmp_path)
    assert reader.is_numbered("04_train.ipynb") and not reader.is_numbered("04_train.py")


def test_papermills_own_record_is_the_measured_time():
    executed = notebook(
        code("a", seconds=0.25),
        code("b", "This notebook ran in 3 s.\n", seconds=3.5),
        papermill={"duration": 5.75, "start_time": "2026-12-06T03:00:06+00:00"},
    )
    assert reader.papermill_seconds(executed) == 5.75
    assert reader.measured_seconds(executed) == 5.75  # papermill's, not the printed line
    assert reader.cell_seconds(executed) == {0: 0.25, 1: 3.5}


def test_a_notebook_saved_without_papermills_metadata_gives_the_time_it_printed():
    cells = [code("a", "This notebook ran in 3 s.\n"), code("b", "This notebook ran in 584 s.\n")]
    assert reader.papermill_seconds(notebook(*cells)) is None
    assert reader.measured_seconds(notebook(*cells)) == 584  # the last one printed
    assert reader.measured_seconds(notebook(code("print(1)", "1\n"))) is None
    assert reader.cell_seconds(notebook(*cells)) == {}


def test_the_committed_notebooks_each_carry_their_time():
    for path in reader.numbered_paths(REPO / "notebooks"):
        assert reader.measured_seconds(reader.read_notebook(path)) is not None, path.name


def test_heading_title_tags_and_exercises():
    nb = notebook(
        markdown(["# 4. Train ", "the network\n", "\nText."]),
        markdown("### Exercise (about 3 min)", ["exercise"]),
        code("my_x = 1", tags=["solution"]),
        markdown("**Exercise.** Another.", ["exercise"]),
    )
    assert reader.heading(nb) == "4. Train the network"
    assert reader.plain_title(reader.heading(nb)) == "Train the network"
    assert reader.plain_title("## Without a number") == "Without a number"
    assert [i for i, _ in reader.tagged_cells(nb, reader.EXERCISE_TAG)] == [1, 3]
    assert [i for i, _ in reader.tagged_cells(nb, reader.SOLUTION_TAG)] == [2]
    assert reader.cell_tags({"metadata": {}}) == [] and reader.cell_source(nb["cells"][0])
    assert reader.heading(notebook(code("x = 1"))) == ""


def test_parameters_are_what_papermill_finds_in_the_parameters_cell(tmp_path):
    path = tmp_path / "01_a.ipynb"
    nb = notebook(code('epochs = 2  # how many\nlr = 0.1\nname = "x"', tags=["parameters"]))
    nb["metadata"]["kernelspec"] = {"name": "python3", "language": "python"}
    path.write_text(json.dumps(nb))
    declared = reader.declared_parameters(path)
    assert list(declared) == ["epochs", "lr", "name"]
    assert declared["epochs"]["default"] == "2" and declared["epochs"]["help"] == "how many"


def test_report_images_come_from_cells_tagged_report():
    png = {"output_type": "display_data", "data": {"image/png": "iVBO\nRw==", "text/plain": "x"}}
    drawn = code("plot()", tags=["report-loss-curve"])
    drawn["outputs"] = [png]
    untagged = code("plot()")
    untagged["outputs"] = [png]
    described = code("plot()", tags=["report-confusion-matrix"])
    described["outputs"] = [{**png, "metadata": {"image/png": {"alt": "Confusion matrix: 61%"}}}]
    assert reader.report_images(notebook(drawn, untagged, described)) == [
        ("report-loss-curve", "iVBORw==", None),
        ("report-confusion-matrix", "iVBORw==", "Confusion matrix: 61%"),
    ]


def test_the_committed_collection_reads_whole():
    for path in reader.numbered_paths(REPO / "notebooks"):
        nb = reader.read_notebook(path)
        assert reader.plain_title(reader.heading(nb)), path.name
        exercises = reader.tagged_cells(nb, reader.EXERCISE_TAG)
        assert exercises and len(exercises) == len(read_lesson(path).exercises), path.name
