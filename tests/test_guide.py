"""cifar-tutorial guide: the instructor's guide written from a smoke and a full run.

Made-up runs of a two-notebook course show each case; the session's real smoke run of the
collection (``collection_run``) shows that a real run times every notebook there is.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from cifar_tutorial.course.cli import main
from cifar_tutorial.course.guide import PROBLEMS, reliability_rows, what_learners_see, write_guide
from cifar_tutorial.errors import ParameterError, TutorialError

REPO = Path(__file__).resolve().parents[1]
MACHINE = {
    "cpu": "Test CPU 3000",
    "cores": 2,
    "cpu_capability": "AVX2",
    "bfloat16_native": False,
    "commit": "0123456789abcdef0123456789abcdef01234567",
}


def intro(number: int, title: str) -> str:
    return (
        f"# {number}. {title}\n\nWhat lesson {number} is about.\n\n**You will learn**\n\n"
        f"- thing one of {number};\n- thing two.\n\n**You need** a laptop.\n"
    )


def cell(kind: str, source: str, tags: tuple[str, ...] = ()) -> dict:
    made = {"cell_type": kind, "metadata": {"tags": list(tags)}, "source": source}
    return made | ({"outputs": [], "execution_count": None} if kind == "code" else {})


@pytest.fixture()
def checkout(tmp_path: Path) -> Path:
    """A course of two notebooks (the second with two exercises) and the real reliability notes."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    lessons = {
        "01_load.ipynb": [cell("markdown", intro(1, "Load")), cell("code", "x = 1")],
        "02_train.ipynb": [
            cell("markdown", intro(2, "Train")),
            cell("markdown", "## The training loop\n\nText."),
            cell("markdown", "### Exercise: the five steps (about 8 min)", ("exercise",)),
            cell("code", "my_step = None", ("solution",)),
            cell("markdown", "## Saving\n\nText."),
            cell("markdown", "**Exercise.** Save the weights yourself.", ("exercise",)),
            cell("code", "train()"),
        ],
    }
    for name, cells in lessons.items():
        notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        (notebooks / name).write_text(json.dumps(notebook))
    (tmp_path / "docs").mkdir()
    shutil.copy(REPO / "docs" / "reliability.md", tmp_path / "docs" / "reliability.md")
    return tmp_path


def write_run(folder: Path, profile: str, seconds: dict[str, float], status="completed") -> Path:
    metrics = {"02_train": {"test_accuracy": 0.616, "final_loss": 1.1134, "train_seconds": 15.8}}
    summary = {
        "name": profile,
        "status": status,
        "started": "2026-12-02T14:00:00Z",
        "profile": profile,
        "device": "cpu (2 threads)",
        "versions": {"torch": "2.14.1"},
        "machine": MACHINE,
        "notebooks": [
            {
                "notebook": n,
                "status": "completed",
                "seconds": s,
                "metrics": metrics.get(n, {}),
                "load_average": 1.0 + i,
            }
            for i, (n, s) in enumerate(seconds.items())
        ],
    }
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps(summary))
    return folder


@pytest.fixture()
def runs(tmp_path: Path) -> list[Path]:
    return [
        write_run(tmp_path / "runs" / "a-smoke", "smoke", {"01_load": 4.2, "02_train": 20.4}),
        write_run(tmp_path / "runs" / "b-full", "full", {"01_load": 7.0, "02_train": 584.0}),
    ]


def test_the_guide_takes_its_times_from_the_runs_and_its_lessons_from_the_notebooks(
    checkout, runs, tmp_path
):
    path = write_guide(runs, tmp_path / "guide.md", checkout / "notebooks")
    guide = path.read_text()
    assert "cifar-tutorial guide --from-run runs/a-smoke --from-run runs/b-full" in guide
    assert "commit `0123456789ab`" in guide and "Test CPU 3000, 2 cores, AVX2" in guide
    assert "no native bfloat16" in guide
    row = next(line for line in guide.splitlines() if line.startswith("| [2. Train]"))
    assert "| 20 s | 9.7 min | - | 2 |" in row and "What lesson 2 is about." in row
    assert "| **all** | | **25 s** | **9.8 min** | **0 s** | **2** |" in guide
    assert "- thing one of 2;\n- thing two." in guide
    assert "**Learners need** a laptop." in guide
    assert "in *The training loop* (cell 2): Exercise: the five steps, 8 min" in guide
    assert (
        "in *Saving* (cell 5): Exercise. Save the weights yourself., 5 min (no time stated)"
        in guide
    )
    assert "test accuracy 61.6%, final training loss 1.113, training 16 s" in guide
    assert "**Exercises**: none in this notebook." in guide  # notebook 01
    assert "### A 3-hour session" in guide and "### A full day" in guide
    assert "| 09:00 | 09:10 | Welcome;" in guide
    assert "every notebook, about 25 s" in guide  # the set-up mail's smoke run
    assert "load average after each notebook was 1.0 to 2.0 on 2 cores." in guide
    for problem in PROBLEMS:
        assert f"**{problem.title}.** They see: " in guide
    assert "[the reliability notes](reliability.md)" in guide


def test_the_guide_goes_to_docs_instructor_md_by_default(checkout, runs, capsys):
    assert (
        main(
            [
                "guide",
                "--from-run",
                str(runs[0]),
                "--from-run",
                str(runs[1]),
                "--notebook-dir",
                str(checkout / "notebooks"),
            ]
        )
        == 0
    )
    assert (checkout / "docs" / "instructor.md").is_file()
    assert "Wrote the instructor's guide to" in capsys.readouterr().out


def test_runs_that_cannot_make_a_guide_are_refused_in_one_line(checkout, runs, tmp_path):
    notebooks = checkout / "notebooks"
    with pytest.raises(ParameterError, match="--from-run=.* a run folder holding summary.json"):
        write_guide([tmp_path], tmp_path / "g.md", notebooks)
    with pytest.raises(TutorialError, match="No full run given"):
        write_guide(runs[:1], tmp_path / "g.md", notebooks)
    with pytest.raises(TutorialError, match="Two smoke runs given"):
        write_guide([runs[0], runs[0]], tmp_path / "g.md", notebooks)
    failed = write_run(tmp_path / "runs" / "c", "full", {"01_load": 7.0}, status="failed")
    with pytest.raises(TutorialError, match="is failed: the guide takes its times from completed"):
        write_guide([runs[0], failed], tmp_path / "g.md", notebooks)
    unrelated = write_run(tmp_path / "runs" / "d", "full", {"09_other": 7.0})
    with pytest.raises(TutorialError, match="completed none of the notebooks there are now"):
        write_guide([runs[0], unrelated], tmp_path / "g.md", notebooks)
    assert not (tmp_path / "g.md").exists()


def test_a_notebook_added_since_the_runs_is_shown_as_not_timed(checkout, tmp_path):
    before = [  # both runs from before 02 existed
        write_run(tmp_path / "runs" / "s", "smoke", {"01_load": 4.0}),
        write_run(tmp_path / "runs" / "e", "full", {"01_load": 7.0}),
    ]
    guide = write_guide(before, tmp_path / "g.md", checkout / "notebooks").read_text()
    row = next(line for line in guide.splitlines() if line.startswith("| [2. Train]"))
    assert "| not in these runs | not in these runs | - | 2 |" in row
    assert "Not timed: [2. Train](../notebooks/02_train.ipynb)" in guide
    assert "| **all** | | **4 s** | **7 s** | **0 s** | **2** |" in guide
    assert "**Time**: not measured (these runs did not include it)" in guide
    schedules = guide.split("## Schedules")[1].split("## Notebook by notebook")[0]
    assert "2. Train" not in schedules


def test_an_interrupted_full_run_gives_the_times_it_took_and_the_smoke_run_the_rest(
    checkout, runs, tmp_path
):
    stopped = write_run(tmp_path / "runs" / "c", "full", {"01_load": 7.0}, status="interrupted")
    summary = json.loads((stopped / "summary.json").read_text())
    summary["notebooks"].append(
        {"notebook": "02_train", "status": "interrupted", "seconds": None, "metrics": {}}
    )
    (stopped / "summary.json").write_text(json.dumps(summary))
    guide = write_guide([runs[0], stopped], tmp_path / "g.md", checkout / "notebooks").read_text()
    assert "> started 2026-12-02T14:00:00Z (interrupted after 1 of its 2 notebooks)" in guide
    row = next(line for line in guide.splitlines() if line.startswith("| [2. Train]"))
    assert "| 20 s | not timed | - | 2 |" in row
    assert "| **all** | | **25 s** | **7 s + not timed** |" in guide
    assert "The full run did not time [2. Train](../notebooks/02_train.ipynb) (interrupted" in guide
    assert "**Time**: 20 s in the smoke profile, not timed in the full profile" in guide
    schedules = guide.split("## Schedules")[1].split("## Notebook by notebook")[0]
    assert "2. Train | explain and run the cells" in schedules and "smoke profile" in schedules


@pytest.mark.slow
def test_the_real_smoke_run_times_every_notebook_of_the_collection(collection_run, tmp_path):
    full = tmp_path / "runs" / "as-if-full"  # the same times, as a full run: the guide needs one
    full.mkdir(parents=True)
    summary = json.loads((collection_run.folder / "summary.json").read_text())
    (full / "summary.json").write_text(json.dumps({**summary, "profile": "full"}))
    notebooks = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    guide = write_guide([collection_run.folder, full], tmp_path / "g.md", REPO / "notebooks")
    rows = [line for line in guide.read_text().splitlines() if line.startswith("| [")]
    assert len(rows) == len(notebooks) == 8
    for row, path in zip(rows, notebooks, strict=True):
        assert path.name in row
        assert "not in these runs" not in row and "not timed" not in row, row


def test_every_problem_quotes_a_row_of_the_reliability_notes():
    rows = reliability_rows((REPO / "docs" / "reliability.md").read_text())
    for problem in PROBLEMS:
        seen = what_learners_see(rows, problem)
        assert seen and not seen.startswith("|"), problem.title
    assert "TrainingDivergedError" in what_learners_see(rows, PROBLEMS[1])
    with pytest.raises(TutorialError, match="no row starting with 'gone'"):
        what_learners_see(rows, PROBLEMS[0].__class__("t", "gone", "f"))


def test_a_busy_machine_is_said_to_make_the_times_longer(checkout, tmp_path):
    busy = [
        write_run(tmp_path / "r" / "s", "smoke", {"01_load": 4.2, "02_train": 20.4}),
        write_run(tmp_path / "r" / "f", "full", {"01_load": 7.0, "02_train": 584.0}),
    ]
    summary = json.loads((busy[1] / "summary.json").read_text())
    summary["notebooks"][1]["load_average"] = 5.7
    (busy[1] / "summary.json").write_text(json.dumps(summary))
    guide = write_guide(busy, tmp_path / "g.md", checkout / "notebooks").read_text()
    assert "was 1.0 to 5.7 on 2 cores: other programs were running, so these times are" in guide


def test_a_full_run_much_slower_than_the_committed_outputs_is_flagged(checkout, runs, tmp_path):
    from cifar_tutorial.course.guide import slower_text
    from cifar_tutorial.course.lessons import read_lessons

    lessons = read_lessons(checkout / "notebooks")
    timed = [replace(lesson, measured_seconds=200.0) for lesson in lessons]
    assert slower_text(timed, {"01_load": 7.0, "02_train": 584.0}).startswith(
        " The full run took up to 2.9 times as long as the committed outputs did"
    )
    assert slower_text(timed, {"01_load": 7.0, "02_train": 250.0}) == ""
    assert slower_text(lessons, {"01_load": 7.0, "02_train": 584.0}) == ""  # none printed


def test_every_completed_notebook_of_a_run_records_the_load_average(tmp_path):
    from cifar_tutorial.course.summary import write_summary

    summary = {
        "notebooks": [
            {"notebook": "a", "status": "completed", "metrics": {}},
            {"notebook": "b", "status": "pending", "metrics": {}},
        ]
    }
    write_summary(tmp_path, summary)
    written = json.loads((tmp_path / "summary.json").read_text())["notebooks"]
    assert isinstance(written[0]["load_average"], float) and "load_average" not in written[1]


def test_a_run_records_the_machine_its_times_were_measured_on():
    import re

    from cifar_tutorial.course.summary import machine

    facts = machine()
    assert facts["cpu"] and facts["cores"] >= 1
    assert isinstance(facts["cpu_capability"], str) and facts["cpu_capability"]
    assert isinstance(facts["bfloat16_native"], bool)
    assert facts["commit"] is None or re.fullmatch(r"[0-9a-f]{40}(\+changes)?", facts["commit"])
