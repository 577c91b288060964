"""``cifar-tutorial guide``: the instructor's guide (``docs/instructor.md``) from real runs.

Every time in the guide comes from the ``summary.json`` of two ``cifar-tutorial run`` folders,
one per profile; what each notebook teaches and where its exercises are comes from the
notebooks (:mod:`.lessons`); the schedules are laid out from those times (:mod:`.schedule`);
the problems learners meet quote ``docs/reliability.md`` word for word. Nothing is typed in
by hand, so the guide is regenerated, never edited::

    cifar-tutorial run --profile smoke
    cifar-tutorial run --profile full
    cifar-tutorial guide --from-run runs/<smoke folder> --from-run runs/<full folder>
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ParameterError, TutorialError
from ..paths import pretty_path
from ..settings import PROFILES as SETTINGS_PROFILES
from ..validation import check_writable_path
from .lessons import Lesson, read_lessons
from .notebooks import notebook_folder
from .schedule import (
    DEFAULT_EXERCISE_MINUTES,
    MINUTES_PER_CODE_CELL,
    WORDS_PER_MINUTE,
    Session,
    Slot,
    clock,
    exercise_minutes,
    explain_minutes,
    plan_session,
)
from .summary import read_summary
from .text import seconds_text

PROFILES = tuple(reversed(SETTINGS_PROFILES))  # the guide's order: smoke, then full
GUIDE_FILE = "instructor.md"

SHORT_SESSION = Session(
    name="A 3-hour session",
    minutes=180,
    opening="Welcome; everyone opens JupyterLab (`make lab`) and the first notebook",
    opening_minutes=10,
    closing="Questions; what to do next (the rest of the notebooks, all the exercises)",
    closing_minutes=10,
    break_every=90,
    break_minutes=15,
    exercises="first",
)
FULL_DAY = Session(
    name="A full day",
    minutes=8 * 60,
    opening="Welcome; `cifar-tutorial doctor` on every laptop, fixes for those that fail",
    opening_minutes=20,
    closing="Questions; where to go from here",
    closing_minutes=15,
    break_every=90,
    break_minutes=15,
    lunch_after=3 * 60,
    lunch_minutes=60,
)


@dataclass(frozen=True)
class Problem:
    """A problem learners hit, the row of docs/reliability.md that shows what they see, the fix."""

    title: str
    row: str  # the start of the first cell of that row in docs/reliability.md
    fix: str


PROBLEMS = [
    Problem(
        "No CIFAR-10 on the laptop, and no network to fetch it",
        '`load_split("cifar10", …)`',
        "Install the archive from a USB stick: `cifar-tutorial prefetch --from-archive "
        "cifar-10-python.tar.gz` (its md5 sum is checked). Until then the smoke profile works "
        "with no data set at all: `CIFAR_TUTORIAL_PROFILE=smoke make lab`.",
    ),
    Problem(
        "Training diverges (a learning rate too high, often in an exercise or a sweep)",
        "`lr=10` with the reference and the fast recipe",
        "Lower `lr` in the parameters cell, e.g. to a tenth, and run the training cells again.",
    ),
    Problem(
        "A batch too large for the memory",
        "CUDA out of memory (simulated",
        "Use the smaller batch the message suggests, or close other programs (the CPU case).",
    ),
    Problem(
        '`device="cuda"` (copied from a GPU machine) on a laptop without one',
        '`device="cuda"` or `"mps"` on a machine without it',
        'Set `device="auto"`: it takes CUDA, then MPS, then the CPU, whatever is there.',
    ),
    Problem(
        "A mistyped parameter",
        '`epochs="three"`',
        "The line names the parameter, the value and what is allowed: correct the value in the "
        "parameters cell. Nothing was loaded or trained yet.",
    ),
    Problem(
        "A download cut off halfway, or a web page saved under the archive's name",
        "the archive cut in half",
        "Delete the file and fetch it again (`cifar-tutorial prefetch`) or copy it from the USB "
        "stick.",
    ),
    Problem(
        "A damaged checkpoint, or weights shared by someone else",
        "cut in half; emptied; a bit flipped in its header",
        "Delete it and run notebook 04 again; notebook 05 trains the weights itself when they "
        "are missing.",
    ),
    Problem(
        "A laptop lid closed, or Ctrl-C, during `cifar-tutorial run`",
        "`cifar-tutorial run` gets SIGINT or SIGTERM",
        "`cifar-tutorial run --continue runs/<that folder>` finishes it in a new folder, "
        "training resumed from the last completed epoch.",
    ),
]


@dataclass(frozen=True)
class Run:
    """One ``cifar-tutorial run`` folder, read back."""

    folder: Path
    summary: dict[str, Any]

    @property
    def profile(self) -> str:
        return self.summary["profile"]

    def seconds(self) -> dict[str, float]:
        """Each completed notebook's time in this run."""
        return {
            e["notebook"]: e["seconds"]
            for e in self.summary["notebooks"]
            if e["status"] == "completed" and e["seconds"] is not None
        }

    def metrics(self, notebook: str) -> dict[str, Any]:
        entry = next((e for e in self.summary["notebooks"] if e["notebook"] == notebook), None)
        return entry["metrics"] if entry else {}


def read_runs(folders: Sequence[str | os.PathLike], lessons: list[Lesson]) -> dict[str, Run]:
    """The smoke and the full run among ``folders``, checked to hold every notebook."""
    runs: dict[str, Run] = {}
    for folder in folders:
        path = Path(folder)
        if not (path / "summary.json").is_file():
            raise ParameterError("--from-run", str(folder), "a run folder holding summary.json")
        run = Run(path, read_summary(path))
        if run.summary["status"] not in ("completed", "interrupted"):
            raise TutorialError(
                f"The run {pretty_path(path)} is {run.summary['status']}: the guide takes its "
                "times from completed (or interrupted) runs only."
            )
        if run.profile in runs:
            raise TutorialError(f"Two {run.profile} runs given: give one smoke and one full run.")
        runs[run.profile] = run
    missing_profiles = [p for p in PROFILES if p not in runs]
    if missing_profiles:
        raise TutorialError(
            f"No {' and no '.join(missing_profiles)} run given: the guide needs one run of each "
            "profile (cifar-tutorial run --profile smoke, and --profile full)."
        )
    for run in runs.values():
        if not any(lesson.name in run.seconds() for lesson in lessons):
            raise TutorialError(
                f"The {run.profile} run {pretty_path(run.folder)} completed none of the "
                "notebooks there are now: run the whole collection."
            )
    return runs


def measured_in(lessons: list[Lesson], runs: dict[str, Run]) -> list[Lesson]:
    """The notebooks that at least one of the runs timed (one added since is not among them)."""
    timed = [run.seconds() for run in runs.values()]
    return [lesson for lesson in lessons if any(lesson.name in t for t in timed)]


def run_state(run: Run) -> str:
    """`` (interrupted after 4 of its 7 notebooks)`` for a run that did not finish, else ``""``."""
    if run.summary["status"] == "completed":
        return ""
    done = len(run.seconds())
    return f" (interrupted after {done} of its {len(run.summary['notebooks'])} notebooks)"


def reliability_rows(markdown: str) -> dict[str, str]:
    """First cell -> last cell of every table row in docs/reliability.md."""
    rows = {}
    for line in markdown.splitlines():
        if line.startswith("|") and not re.match(r"^\|[\s:|-]+\|$", line):
            cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
            if len(cells) >= 2:
                rows[cells[0]] = cells[-1]
    return rows


def what_learners_see(rows: dict[str, str], problem: Problem) -> str:
    """The message docs/reliability.md records for ``problem``."""
    for first, last in rows.items():
        if first.startswith(problem.row):
            return last
    raise TutorialError(
        f"docs/reliability.md has no row starting with {problem.row!r} any more: "
        f"update PROBLEMS in {Path(__file__).name}."
    )


# ----------------------------------------------------------------------------- formatting


def minutes_text(minutes: float) -> str:
    """``about 15 min`` (rounded to whole minutes, at least 1)."""
    return f"{max(1, round(minutes))} min"


def machine_text(summary: dict[str, Any]) -> str:
    """The CPU, cores, SIMD level, bfloat16 and device a run was measured on."""
    machine = summary.get("machine")
    if not machine:
        return f"{summary['device']} (machine not recorded by this version)"
    bf16 = "native bfloat16" if machine["bfloat16_native"] else "no native bfloat16"
    return (
        f"{machine['cpu']}, {machine['cores']} cores, {machine['cpu_capability']}, {bf16}; "
        f"device {summary['device']}"
    )


def cpu_text(summary: dict[str, Any]) -> str:
    """``a 2-core CPU``, with the cores the run recorded; ``the machine above`` without."""
    cores = (summary.get("machine") or {}).get("cores")
    if not cores:
        return "the machine above"
    article = "an" if str(cores).startswith("8") or cores in (11, 18) else "a"
    return f"{article} {cores}-core CPU"


def load_text(runs: dict[str, Run]) -> str:
    """How busy the machine was while the runs timed their notebooks."""
    loads = [
        e["load_average"]
        for run in runs.values()
        for e in run.summary["notebooks"]
        if e.get("load_average") is not None
    ]
    cores = (runs["full"].summary.get("machine") or {}).get("cores")
    if not loads or not cores:
        return ""
    busy = max(loads) > cores * 1.25
    return (
        f" The load average after each notebook was {min(loads):.1f} to {max(loads):.1f} on "
        f"{cores} cores"
        + (
            ": other programs were running, so these times are longer than on a quiet machine."
            if busy
            else "."
        )
    )


def slower_text(measured: list[Lesson], full: dict[str, float]) -> str:
    """A warning when the full run took much longer than the committed outputs' own times."""
    ratios = [
        full[lesson.name] / lesson.measured_seconds
        for lesson in measured
        if lesson.name in full and lesson.measured_seconds and lesson.measured_seconds >= 5
    ]
    if not ratios or max(ratios) < 1.5:
        return ""
    return (
        f" The full run took up to {max(ratios):.1f} times as long as the committed outputs "
        "did: the machine was busier during it, or the outputs were made on a faster one "
        "(their times are in each notebook's last cell), so read the run's times as those "
        "of a laptop that is slower or also runs other programs."
    )


def commit_text(summary: dict[str, Any]) -> str:
    commit = (summary.get("machine") or {}).get("commit")
    if not commit:
        return "an unrecorded commit"
    head, _, changes = commit.partition("+")
    return f"commit `{head[:12]}`" + (" with uncommitted changes" if changes else "")


def metrics_text(metrics: dict[str, Any]) -> str:
    """The numbers a learner can compare with: accuracy, loss, training time, size."""
    parts = []
    if "test_accuracy" in metrics:
        parts.append(f"test accuracy {metrics['test_accuracy']:.1%}")
    if "final_loss" in metrics:
        parts.append(f"final training loss {metrics['final_loss']:.3f}")
    if "train_seconds" in metrics:
        parts.append(f"training {seconds_text(metrics['train_seconds'])}")
    if "parameter_count" in metrics:
        parts.append(f"{metrics['parameter_count']:,} learnable numbers")
    return ", ".join(parts)


def notebook_link(lesson: Lesson) -> str:
    return f"[{int(lesson.number)}. {lesson.title}](../notebooks/{lesson.path.name})"


def schedule_table(slots: list[Slot], start_hour: int) -> list[str]:
    rows = ["| from | to | what | details |", "| --- | --- | --- | --- |"]
    for slot in slots:
        details = ""
        if slot.block is not None:
            block = slot.block
            details = (
                f"explain and run the cells, about {minutes_text(block.explain_minutes)}; "
                f"{block.profile} profile, the notebook runs in {seconds_text(block.run_seconds)}"
            )
            if block.exercises:
                details += (
                    f"; {block.exercises} of its {len(block.lesson.exercises)} exercises, "
                    f"about {minutes_text(block.exercise_minutes)}"
                )
        rows.append(
            f"| {clock(start_hour, slot.start)} | {clock(start_hour, slot.start + slot.minutes)} "
            f"| {slot.what} | {details} |"
        )
    return rows


# ----------------------------------------------------------------------------- the guide


def guide_markdown(
    lessons: list[Lesson],
    runs: dict[str, Run],
    reliability: str,
    regenerate: str,
) -> str:
    """The whole guide, as Markdown."""
    smoke, full = runs["smoke"], runs["full"]
    seconds = {profile: run.seconds() for profile, run in runs.items()}
    measured = measured_in(lessons, runs)
    unmeasured = [lesson for lesson in lessons if lesson not in measured]
    total = {p: sum(seconds[p].get(lesson.name, 0) for lesson in lessons) for p in PROFILES}
    gaps = {p: [lesson for lesson in measured if lesson.name not in seconds[p]] for p in PROFILES}
    exercises = sum(len(lesson.exercises) for lesson in lessons)
    out = [
        "# Instructor's guide",
        "",
        "What each notebook teaches, how long it takes, where its exercises are, two schedules,",
        "the set-up to send learners a week before, and the problems they meet most, with the",
        "fix for each.",
        "",
        f"> **Generated from real runs: do not edit by hand.** Made by `{regenerate}` from a",
        f"> smoke run started {smoke.summary['started']}{run_state(smoke)} and a full run",
        f"> started {full.summary['started']}{run_state(full)}, measured on "
        f"{commit_text(full.summary)} on this CPU:",
        f"> {machine_text(full.summary)}; torch {full.summary['versions']['torch']}. Run the",
        "> same commands on your learners' kind of laptop to get the guide for it (see",
        "> [Regenerating this guide](#regenerating-this-guide)).",
        "",
        "## The course at a glance",
        "",
        "| notebook | what it teaches | smoke profile | full profile | full, committed outputs "
        "| exercises |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for lesson in lessons:
        times = [
            seconds_text(seconds[p][lesson.name])
            if lesson.name in seconds[p]
            else "not in these runs"
            if lesson not in measured
            else "not timed"
            for p in PROFILES
        ]
        committed = (
            seconds_text(lesson.measured_seconds) if lesson.measured_seconds is not None else "-"
        )
        out.append(
            f"| {notebook_link(lesson)} | {lesson.summary} | {times[0]} | {times[1]} | "
            f"{committed} | {len(lesson.exercises)} |"
        )
    committed_total = sum(lesson.measured_seconds or 0 for lesson in measured)
    out += [
        f"| **all** | | **{seconds_text(total['smoke'])}{' + not timed' * bool(gaps['smoke'])}** "
        f"| **{seconds_text(total['full'])}{' + not timed' * bool(gaps['full'])}** "
        f"| **{seconds_text(committed_total)}** | **{exercises}** |",
        "",
        "Times: each notebook run from top to bottom by papermill (`cifar-tutorial run`), on the "
        "CPU above. The smoke profile uses the 6,000 photos embedded in the package and trains "
        "briefly, so a laptop can check its installation in a minute or two; the full profile "
        "is the course as meant, on the full CIFAR-10 (which must be on disk). The column "
        "*full, committed outputs* is the time each notebook printed when the outputs the "
        "website shows were made (`make notebooks`), a second measurement of the same profile."
        + load_text(runs)
        + slower_text(measured, seconds["full"]),
        "",
    ]
    for profile in PROFILES:
        if gaps[profile]:
            names = ", ".join(notebook_link(lesson) for lesson in gaps[profile])
            out += [
                f"The {profile} run did not time {names}{run_state(runs[profile])}: its "
                f"schedules run it in the other profile, and the {profile} total leaves it out.",
                "",
            ]
    if unmeasured:
        names = ", ".join(notebook_link(lesson) for lesson in unmeasured)
        out += [
            f"Not timed: {names}, which these runs did not include (added since): the totals "
            "and the schedules leave it out until the guide is made from new runs.",
            "",
        ]
    out += _schedules(measured, seconds)
    out += _notebook_sections(lessons, runs, seconds, measured)
    out += _setup_section(total["smoke"])
    out += _on_the_day(total, seconds, measured, cpu_text(full.summary))
    out += _grading(lessons, total["smoke"])
    out += _problems(reliability_rows(reliability))
    out += [
        "## Regenerating this guide",
        "",
        "The guide is written by a command from two real runs, one per profile; run them on the",
        "machine whose times you want (the slowest laptop of your group is a good choice):",
        "",
        "```bash",
        f"cifar-tutorial run --profile smoke        # about {seconds_text(total['smoke'])} here",
        f"cifar-tutorial run --profile full         # about {seconds_text(total['full'])} here",
        "cifar-tutorial guide --from-run runs/<the smoke run's folder> "
        "--from-run runs/<the full run's folder>",
        "```",
        "",
        "It writes `docs/instructor.md` (`-o FILE` for another place); `make site` puts it on",
        "the website.",
        "",
    ]
    return "\n".join(out)


def _schedules(lessons: list[Lesson], seconds: dict[str, dict[str, float]]) -> list[str]:
    out = ["## Schedules", ""]
    out += [
        "Both are laid out by the command from the times above. Each notebook's block is the",
        f"time to explain it with learners running its cells (estimated: its prose at "
        f"{WORDS_PER_MINUTE} words a minute plus {MINUTES_PER_CODE_CELL:.0f} minute per code "
        "cell), the time the notebook takes to run (measured), and its exercises (the time "
        f"a prompt states, else {DEFAULT_EXERCISE_MINUTES:.0f} minutes each), rounded up to 5 "
        "minutes. No block runs more than 90 minutes after a break; a notebook that fits only "
        "in the smoke profile is run in it.",
        "",
    ]
    for session, start_hour in ((SHORT_SESSION, 9), (FULL_DAY, 9)):
        slots, left = plan_session(session, lessons, seconds)
        out += [f"### {session.name}", ""]
        if session.exercises == "first":
            out += ["One exercise per notebook; the others are for after the session.", ""]
        out += schedule_table(slots, start_hour)
        out.append("")
        ends = slots[-1].start + slots[-1].minutes
        if ends < session.minutes:
            out += [
                f"That ends at {clock(start_hour, ends)}, {session.minutes - ends} minutes before "
                f"the {session.minutes // 60} hours are up: room for questions, the *Try this* "
                "suggestions at the end of the notebooks, or a sweep "
                "(`cifar-tutorial sweep lr 0.02 0.05 0.1 --notebooks 04-05`).",
                "",
            ]
        if left:
            names = ", ".join(notebook_link(lesson) for lesson in left)
            out += [
                f"Not in this session: {names}. Learners read them on the website, with their",
                "outputs, and run them at home; or show the full-profile run on the projector.",
                "",
            ]
    return out


def _notebook_sections(
    lessons: list[Lesson],
    runs: dict[str, Run],
    seconds: dict[str, dict[str, float]],
    measured: list[Lesson],
) -> list[str]:
    out = ["## Notebook by notebook", ""]
    for lesson in lessons:
        out += [f"### {int(lesson.number)}. {lesson.title}", "", lesson.summary, ""]
        out += ["It teaches:", ""] + [f"- {item};" for item in lesson.learn[:-1]]
        if lesson.learn:
            out.append(f"- {lesson.learn[-1]}.")
        run_time = (
            ", ".join(
                f"{seconds_text(seconds[p][lesson.name])} in the {p} profile"
                if lesson.name in seconds[p]
                else f"not timed in the {p} profile"
                for p in PROFILES
            )
            if lesson in measured
            else "not measured (these runs did not include it)"
        )
        out += [
            "",
            f"**Learners need** {lesson.needs}",
            "",
            f"**Time**: {run_time}; explaining it with learners running its cells, about "
            f"{minutes_text(explain_minutes(lesson))}.",
            "",
        ]
        shown = {p: metrics_text(runs[p].metrics(lesson.name)) for p in PROFILES}
        if shown["smoke"] and shown["smoke"] == shown["full"]:
            out += [f"**What both runs showed**: {shown['full']}.", ""]
        else:
            for profile in PROFILES:
                if shown[profile]:
                    out += [f"**What the {profile} run showed**: {shown[profile]}.", ""]
        if lesson.exercises:
            out += [
                f"**Exercises**: {len(lesson.exercises)}, about "
                f"{minutes_text(exercise_minutes(lesson))} in all.",
                "",
            ]
            for exercise in lesson.exercises:
                stated = (
                    f"{minutes_text(exercise.minutes)}"
                    if exercise.minutes is not None
                    else f"{DEFAULT_EXERCISE_MINUTES:.0f} min (no time stated)"
                )
                out.append(
                    f"- in *{exercise.section or 'the introduction'}* (cell {exercise.cell}): "
                    f"{exercise.title}, {stated}"
                )
            out.append("")
        else:
            out += ["**Exercises**: none in this notebook.", ""]
    return out


def _setup_section(smoke_total: float) -> list[str]:
    check = (
        "`.venv/bin/cifar-tutorial doctor` (every line should say [OK] or [WARN], with a fix "
        "under each problem, and its forecast of each notebook's time on that laptop)"
    )
    return [
        "## Set-up: send this a week before",
        "",
        "About half of a workshop's learners arrive with nothing installed; the rest of the",
        "morning then goes on downloads over the venue's Wi-Fi. Send this a week ahead, and ask",
        "each learner to reply with the last lines of the two checks.",
        "",
        "> **Before the workshop: at home, on a good connection**",
        ">",
        "> You need Python 3.10 or newer, `git` and `make` (or conda), 5 GB of free disk, and",
        "> no GPU. Most of the time goes on downloading PyTorch (about 3 GB with its CUDA",
        "> libraries on Linux). Clone the course's repository (its address is in the",
        "> invitation) or unpack the copy we sent, and in its folder run:",
        ">",
        "> ```bash",
        "> make .venv/.installed                  # the Python packages, into .venv",
        "> .venv/bin/cifar-tutorial prefetch       # CIFAR-10, 170 MB, downloaded and checked once",
        "> .venv/bin/cifar-tutorial doctor         # is this laptop ready?",
        "> make run PROFILE=smoke                 # every notebook, about "
        f"{seconds_text(smoke_total)}",
        "> ```",
        ">",
        "> With conda instead of `make`: `conda env create -f environment.yml`, `conda activate",
        "> cifar-tutorial`, then the same `cifar-tutorial prefetch`, `cifar-tutorial doctor` and",
        "> `cifar-tutorial run --profile smoke`.",
        ">",
        f"> Send us the output of {check}, and the last line of the run",
        "> (`Run completed: ...`). If something fails, the message says what to do; if it does",
        "> not help, send it anyway and we will sort it out before the day.",
        "",
        "Reading before the day: the course website (`make site`, also on the USB stick) shows",
        "every notebook with its outputs, no installation needed.",
        "",
    ]


def _on_the_day(
    total: dict[str, float],
    seconds: dict[str, dict[str, float]],
    lessons: list[Lesson],
    cpu: str,
) -> list[str]:
    slowest = max(
        lessons, key=lambda lesson: seconds["full"].get(lesson.name, lesson.measured_seconds or 0)
    )
    slowest_seconds = seconds["full"].get(slowest.name, slowest.measured_seconds or 0)
    committed_total = sum(lesson.measured_seconds or 0 for lesson in lessons)
    full_total = (
        seconds_text(total["full"])
        if all(lesson.name in seconds["full"] for lesson in lessons)
        else f"{seconds_text(committed_total)} (as the committed outputs were made)"
    )
    kit = (
        "`cifar-tutorial bundle DIR` writes an offline kit (the wheels, CIFAR-10, both editions "
        "of the notebooks, the website, this guide, install scripts) onto a USB stick; "
    )
    return [
        "## On the day",
        "",
        "### No network",
        "",
        f"Bring the course on USB sticks: {kit}the CIFAR-10 archive "
        "(`cifar-10-python.tar.gz`, 170 MB) goes onto a laptop with `cifar-tutorial prefetch "
        "--from-archive cifar-10-python.tar.gz`, and the website opens from the stick "
        "(`site/index.html`). Nothing in the course needs the network once it is installed; a "
        "laptop without CIFAR-10 can follow the whole course in the smoke profile "
        "(`CIFAR_TUTORIAL_PROFILE=smoke make lab`), on the photos shipped inside the package.",
        "",
        "### Old or slow laptops",
        "",
        f"The times here are those of {cpu}: the full profile of all notebooks takes "
        f"{full_total}, most of it {notebook_link(slowest)} ({seconds_text(slowest_seconds)}). "
        "On a slower "
        "laptop, run that notebook in the smoke profile, or without its ablation study "
        "(`-p ablation false` on the command line, `ablation = False` in its parameters cell), "
        "and show the full run on the projector. Where the CPU has no native bfloat16 the "
        "recipe computes in float32 by itself. Pair a learner whose laptop fails the doctor "
        "with a neighbour rather than debugging it during the session.",
        "",
        "### No GPU",
        "",
        "None is needed: every time in this guide was measured on a CPU. Notebook 06 runs to the "
        "end without one, says so, and shows the CPU's figures; the accelerator's figures "
        "appear only on a machine with CUDA or Apple's MPS.",
        "",
    ]


def _grading(lessons: list[Lesson], smoke_total: float) -> list[str]:
    points = ", ".join(f"{lesson.number}: {lesson.points}" for lesson in lessons)
    return [
        "## Grading with nbgrader",
        "",
        "Every exercise's check is an nbgrader test cell, worth one point per minute its prompt "
        f"estimates ({points}; {sum(lesson.points for lesson in lessons)} in all). Copy "
        "`notebooks/` into your course's `source/` folder, `nbgrader generate_assignment` "
        "makes the release with every answer stubbed, and `nbgrader autograde` grades what "
        "learners hand in: a right answer passes its check, a wrong or missing one fails it "
        "with the hint a learner sees in JupyterLab. Autograding executes each learner's "
        f"notebooks again: in the smoke profile about {seconds_text(smoke_total)} per learner "
        "on this CPU (the smoke run above). The commands, and how nbgrader's release differs "
        "from the course's own `exercises/`: [Grading with nbgrader]"
        "(exercises.md#grading-with-nbgrader).",
        "",
    ]


def _problems(rows: dict[str, str]) -> list[str]:
    out = [
        "## Problems learners hit most, and the fix",
        "",
        "First, `cifar-tutorial doctor` on the laptop: one [OK], [WARN] or [FAIL] line each for",
        "Python, torch, the JupyterLab kernel, the data, free disk, the devices and the notebooks,",
        "a fix under each problem, and a forecast of each notebook's time on that laptop to",
        "compare with the times here. The most frequent case it catches is the wrong kernel:",
        "the notebooks need **Python 3",
        "(ipykernel)** from the course's environment (`ModuleNotFoundError: No module named",
        "'cifar_tutorial'` in the first cell otherwise); pick it in JupyterLab's kernel menu, or",
        "register it with `.venv/bin/python -m ipykernel install --user`.",
        "",
        "The others, with the message learners see (from [the reliability notes](reliability.md),",
        "where a test makes each one happen):",
        "",
    ]
    for problem in PROBLEMS:
        out += [
            f"**{problem.title}.** They see: {what_learners_see(rows, problem)}",
            "",
            f"Fix: {problem.fix}",
            "",
        ]
    return out


def write_guide(
    runs: Sequence[str | os.PathLike],
    output: str | os.PathLike | None = None,
    notebook_dir: str | os.PathLike | None = None,
) -> Path:
    """Write the guide from the given run folders; return its path."""
    if output is not None:
        check_writable_path("-o", output)  # before the runs are read
    notebooks = notebook_folder(notebook_dir)
    lessons = read_lessons(notebooks)
    checkout = notebooks.resolve().parent
    target = Path(output) if output is not None else checkout / "docs" / GUIDE_FILE
    reliability = checkout / "docs" / "reliability.md"
    if not reliability.is_file():
        raise TutorialError(f"{pretty_path(reliability)} is missing: the guide quotes it.")
    read = read_runs(runs, lessons)
    regenerate = (
        "cifar-tutorial guide --from-run runs/"
        f"{read['smoke'].folder.name} --from-run runs/{read['full'].folder.name}"
    )
    text = guide_markdown(lessons, read, reliability.read_text(), regenerate)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


def guide_command(
    runs: Sequence[str], output: str | None = None, notebook_dir: str | None = None
) -> int:
    """``cifar-tutorial guide``: write the guide and say where."""
    path = write_guide(runs, output, notebook_dir)
    print(f"Wrote the instructor's guide to {pretty_path(path)}.")
    return 0
