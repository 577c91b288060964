"""How many learners one server holds: each notebook's measured cost per learner, scaled.

``benchmarks/hub_capacity.py`` runs the notebooks as one learner on the hub does (a fresh
kernel, one thread, its own tutorial home) and writes what each took to ``capacity.json``
beside this module: CPU seconds of the whole process tree, wall seconds, the kernel's peak
memory, the part of the wall time a time budget fixes (notebook 07 trains for minutes, not
for steps), and the single-thread speed of the machine it ran on.

:func:`predict` turns those numbers into a class on a server of ``cores`` and ``memory_gb``:

* **CPU.** Learners in a class start a notebook within a few minutes of each other, so all
  of them are assumed to run it at the same time. Up to one learner per core each runs as
  fast as alone; beyond that they share the cores, and the notebook's work takes
  ``learners x cpu_seconds / cores``. A time budget does not stretch: it ends on time, with
  ``cores / learners`` of the steps. Everything is scaled by the server's single-thread
  speed against the reference machine's.
* **Time the schedule gives.** The instructor's guide plans each notebook as a block of
  explaining, running and exercises rounded up to 5 minutes (:mod:`.schedule`), from a run
  by one learner. The run fits when it ends within its single-learner time plus the minutes
  that rounding left over in its block; otherwise the block, and the schedule, grow.
* **Memory.** Each learner holds a single-user server and one running kernel at a time (the
  notebooks it closed, or the hub culled); ``learners x (kernel peak + server) + hub`` must
  stay under the server's memory less a reserve for the system.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ParameterError, TutorialError

CAPACITY_FILE = Path(__file__).with_name("capacity.json")
RESERVE_FRACTION = 0.10  # of the server's memory, kept free for the system and page cache
RESERVE_GB = 1.0  # and at least this much
REFERENCE_BATCH = 128  # the step the single-thread speed is measured with (Net, batch 128)
MAX_LEARNERS = 10_000  # where the search for the largest class stops
FEWER_STEPS_WARNING = 0.9  # warn when timed parts run fewer of their steps than this share


@dataclass(frozen=True)
class Cost:
    """One learner running one notebook alone, as measured on the reference machine."""

    notebook: str
    cpu_seconds: float
    wall_seconds: float
    peak_rss_mb: float  # the kernel's peak (with the processes it started, for 08)
    budget_seconds: float = 0.0  # wall time a time budget fixes, whatever the speed


@dataclass(frozen=True)
class Reference:
    """What one profile's measurements say: the costs, and the machine they were made on."""

    profile: str
    costs: tuple[Cost, ...]
    step_seconds: float  # one single-thread training step of Net at REFERENCE_BATCH
    server_mb: float  # a learner's single-user server (JupyterLab) after start
    hub_mb: float  # the hub's own process
    machine: Mapping[str, Any]
    date: str = ""


@dataclass(frozen=True)
class Server:
    """The machine a class runs on: its cores, memory and single-thread speed."""

    cores: int
    memory_gb: float
    step_seconds: float  # the same step as Reference.step_seconds, on this machine


@dataclass(frozen=True)
class NotebookFit:
    """One notebook with ``learners`` running it at once."""

    notebook: str
    seconds: float  # each learner's wall time
    allowed_seconds: float  # what the schedule gives its run
    alone_seconds: float  # one learner alone on this server
    step_share: float  # of a budget's training steps each learner still does (1: all)
    memory_gb: float  # all the learners' kernels and servers, and the hub

    @property
    def fits_time(self) -> bool:
        return self.seconds <= self.allowed_seconds


@dataclass(frozen=True)
class Prediction:
    """A class of ``learners`` on ``server``: each notebook, and the largest class it holds."""

    learners: int
    server: Server
    profile: str
    notebooks: tuple[NotebookFit, ...]
    usable_gb: float  # the memory less the reserve
    largest: int  # the most learners for which every notebook fits
    limit: str  # "CPU" or "memory"
    limit_notebook: str  # the notebook that stops one more learner

    @property
    def fits(self) -> bool:
        return all(n.fits_time and n.memory_gb <= self.usable_gb for n in self.notebooks)


def usable_memory_gb(memory_gb: float) -> float:
    """The memory learners may fill: all but the reserve for the system."""
    return memory_gb - max(RESERVE_GB, RESERVE_FRACTION * memory_gb)


def notebook_seconds(cost: Cost, learners: int, cores: int, scale: float) -> float:
    """Each learner's wall time when ``learners`` run the notebook at once on ``cores``.

    ``scale`` is the server's step time over the reference's (2: half as fast). The budgeted
    part takes its time whatever happens; the rest takes its wall time alone, or its CPU
    seconds stretched over the learners' share of the cores, whichever is longer."""
    share = min(1.0, cores / learners)
    work_cpu = max(cost.cpu_seconds - cost.budget_seconds, 0.0) * scale
    work_wall = max(cost.wall_seconds - cost.budget_seconds, 0.0) * scale
    return cost.budget_seconds + max(work_wall, work_cpu / share)


def step_share(cost: Cost, learners: int, cores: int, scale: float) -> float:
    """Of a time budget's steps (as on the reference machine alone), those each learner does."""
    if cost.budget_seconds <= 0:
        return 1.0
    return min(1.0, cores / learners) / scale


def memory_gb(cost: Cost, learners: int, reference: Reference) -> float:
    """The memory ``learners`` running this notebook hold, with their servers and the hub."""
    return (learners * (cost.peak_rss_mb + reference.server_mb) + reference.hub_mb) / 1024


def allowed_seconds(cost: Cost, alone_seconds: float, slack_seconds: Mapping[str, float]) -> float:
    """What the schedule gives the notebook's run: its time alone, and its block's slack."""
    return alone_seconds + slack_seconds.get(cost.notebook, 0.0)


def fit(
    reference: Reference, server: Server, learners: int, slack_seconds: Mapping[str, float]
) -> tuple[NotebookFit, ...]:
    """Every notebook of ``reference`` with ``learners`` at once on ``server``."""
    scale = server.step_seconds / reference.step_seconds
    out = []
    for cost in reference.costs:
        alone = notebook_seconds(cost, 1, server.cores, scale)
        out.append(
            NotebookFit(
                notebook=cost.notebook,
                seconds=notebook_seconds(cost, learners, server.cores, scale),
                allowed_seconds=allowed_seconds(cost, alone, slack_seconds),
                alone_seconds=alone,
                step_share=step_share(cost, learners, server.cores, scale),
                memory_gb=memory_gb(cost, learners, reference),
            )
        )
    return tuple(out)


def largest_class(
    reference: Reference, server: Server, slack_seconds: Mapping[str, float]
) -> tuple[int, str, str]:
    """The most learners for which every notebook fits; what stops one more (``"CPU"`` or
    ``"memory"``) and in which notebook. 0 when not even one learner fits."""
    usable = usable_memory_gb(server.memory_gb)

    def first_misfit(learners: int) -> tuple[str, str] | None:
        for notebook in fit(reference, server, learners, slack_seconds):
            if notebook.memory_gb > usable:
                return "memory", notebook.notebook
            if not notebook.fits_time:
                return "CPU", notebook.notebook
        return None

    low, high = 0, 1  # first_misfit(low) is None (or low is 0); find a high that misfits
    while first_misfit(high) is None:
        low, high = high, high * 2
        if high > MAX_LEARNERS:
            return MAX_LEARNERS, "neither", ""
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if first_misfit(middle) is None else (low, middle)
    limit, notebook = first_misfit(high)
    return low, limit, notebook


def predict(
    reference: Reference,
    server: Server,
    learners: int,
    slack_seconds: Mapping[str, float] | None = None,
) -> Prediction:
    """``learners`` on ``server`` in the reference's profile; ``slack_seconds`` is what the
    schedule's blocks leave over beyond each notebook's run (default: nothing)."""
    check_server(server, learners)
    slack = slack_seconds or {}
    largest, limit, notebook = largest_class(reference, server, slack)
    return Prediction(
        learners=learners,
        server=server,
        profile=reference.profile,
        notebooks=fit(reference, server, learners, slack),
        usable_gb=usable_memory_gb(server.memory_gb),
        largest=largest,
        limit=limit,
        limit_notebook=notebook,
    )


def check_counts(
    learners: int | None, cores: int | None = None, memory_gb: float | None = None
) -> None:
    """One-line errors for impossible numbers, named as the command's options (``None``:
    not given, nothing to check)."""
    if learners is not None and (not isinstance(learners, int) or learners < 1):
        raise ParameterError("--learners", learners, "a whole number, 1 or more")
    if cores is not None and (not isinstance(cores, int) or cores < 1):
        raise ParameterError("--cores", cores, "a whole number, 1 or more")
    if memory_gb is not None and not memory_gb > 0:
        raise ParameterError("--memory-gb", memory_gb, "a number of gigabytes above 0")


def check_server(server: Server, learners: int) -> None:
    """:func:`check_counts` for a server, and its measured speed."""
    check_counts(learners, server.cores, server.memory_gb)
    if not server.step_seconds > 0:
        raise ParameterError("step_seconds", server.step_seconds, "seconds above 0")


def schedule_slack(profile: str, alone: Mapping[str, float], folder=None) -> dict[str, float]:
    """Seconds each notebook's block in the full-day schedule leaves over beyond explaining,
    running (``alone[notebook]`` seconds) and all its exercises: its rounding up to 5 minutes."""
    from .lessons import read_lessons
    from .notebooks import notebook_folder
    from .schedule import block_for

    slack = {}
    for lesson in read_lessons(notebook_folder(folder)):
        if lesson.number in alone:
            block = block_for(lesson, profile, alone[lesson.number])
            used = block.explain_minutes * 60 + block.run_seconds + block.exercise_minutes * 60
            slack[lesson.number] = max(0.0, block.minutes * 60 - used)
    return slack


def alone_cost(
    notebook: str,
    cpu_seconds: float,
    wall_seconds: float,
    waited_seconds: float,
    budget_seconds: float,
    peak_rss_mb: float,
) -> Cost:
    """A notebook's cost on a quiet machine from a run on a busy one: ``waited_seconds`` the
    kernel spent ready to run while other programs held its core.

    The core's share the run got is ``cpu / (cpu + waited)``; the waiting is taken as spread
    evenly over the run. Outside a time budget, waiting made the run longer: it is taken off
    the wall time. Inside one, it did not (the budget ends on time) but the budget's training
    got only that share of the core: alone, it would have used the whole budget's CPU."""
    if waited_seconds <= 0 or wall_seconds <= 0:
        return Cost(notebook, cpu_seconds, wall_seconds, peak_rss_mb, budget_seconds)
    share = cpu_seconds / (cpu_seconds + waited_seconds)
    waited_outside = waited_seconds * (1 - min(1.0, budget_seconds / wall_seconds))
    return Cost(
        notebook,
        cpu_seconds=cpu_seconds + budget_seconds * (1 - share),
        wall_seconds=wall_seconds - waited_outside,
        peak_rss_mb=peak_rss_mb,
        budget_seconds=budget_seconds,
    )


def read_reference(profile: str, path: str | Path | None = None) -> Reference:
    """The measured costs of ``profile`` from ``capacity.json`` (or ``path``)."""
    path = path or CAPACITY_FILE
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TutorialError(f"cannot read the measured capacity in {path}: {error}") from error
    if profile not in data.get("profiles", {}):
        known = ", ".join(sorted(data.get("profiles", {}))) or "none"
        raise ParameterError("--profile", profile, f"a measured profile ({known})")
    entry = data["profiles"][profile]
    costs = tuple(
        alone_cost(
            number,
            cpu_seconds=row["cpu_seconds"],
            wall_seconds=row["wall_seconds"],
            waited_seconds=row.get("waited_seconds", 0.0),
            budget_seconds=row.get("budget_seconds", 0.0),
            peak_rss_mb=row["peak_rss_mb"],
        )
        for number, row in sorted(entry["notebooks"].items())
    )
    return Reference(
        profile=profile,
        costs=costs,
        step_seconds=entry["reference"]["step_seconds"],
        server_mb=entry["server_mb"],
        hub_mb=entry["hub_mb"],
        machine=entry["machine"],
        date=entry.get("date", ""),
    )


def measure_step_seconds(steps: int = 20) -> float:
    """Seconds of one single-thread training step of ``Net`` on :data:`REFERENCE_BATCH`
    images of the embedded sample, the step the readiness check times, in about a second.

    Timed in the thread's CPU time (the median of ``steps`` after a first one), not on the
    clock: on a server other programs share the cores, and time spent waiting for one is not
    the machine's speed."""
    import statistics
    import time

    import torch

    from ..data import FastLoader, load_split
    from ..models import Net

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        images, labels = next(iter(FastLoader(load_split("sample", "train"), REFERENCE_BATCH)))
        net = Net()
        optimizer = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9)
        criterion = torch.nn.CrossEntropyLoss()
        timed = []
        for _ in range(steps + 1):
            start = time.thread_time()
            optimizer.zero_grad(set_to_none=True)
            criterion(net(images), labels).backward()
            optimizer.step()
            timed.append(time.thread_time() - start)
        return statistics.median(timed[1:])
    finally:
        torch.set_num_threads(before)


def machine_memory_gb() -> float:
    """This machine's physical memory in GB (0 where the system does not tell)."""
    from .machine import memory_bytes

    return memory_bytes() / 1e9


class _Instant:
    """A machine on which all work takes no time: a forecast on it leaves only the budgets."""

    device = None
    startup = figure = 0.0
    autocast_bfloat16 = False
    cores = 1

    def __init__(self) -> None:
        import torch

        from ..modern.train import cpu_has_fast_bfloat16

        self.device = torch.device("cpu")
        self.native_bfloat16 = cpu_has_fast_bfloat16()
        self.load = {f"{d}-{s}": 0.0 for d in ("cifar10", "sample") for s in ("train", "test")}

    def _step(self, *_: object, **__: object):
        from .speed import StepTime

        return StepTime(0.0, 0.0)

    net_step = wide_net_step = fast_net_step = fast_net_view = _step

    def net_test_per_image(self) -> float:
        return 0.0

    def augment_per_image(self) -> float:
        return 0.0

    def on_cpu(self) -> _Instant:
        return self


def budget_seconds(number: str, profile: str, folder=None) -> float:
    """Seconds of notebook ``number`` that a time budget fixes (07's training and ablation),
    read from the readiness check's forecast on a machine where all else takes no time."""
    from .forecast import forecast_notebook

    return forecast_notebook(number, profile, _Instant(), folder).seconds


def describe_limit(prediction: Prediction, names: Mapping[str, str]) -> str:
    """``"CPU, in 07_faster_and_better"``: what stops one more learner."""
    if prediction.limit == "neither":
        return f"neither, up to {MAX_LEARNERS:,}"
    name = names.get(prediction.limit_notebook, prediction.limit_notebook)
    return f"{prediction.limit}, in {name}"


def ceil_gb(value: float) -> str:
    """Gigabytes rounded up to a tenth, as ``"2.4 GB"``."""
    return f"{math.ceil(value * 10) / 10:.1f} GB"


def server_slack(
    reference: Reference, server: Server, folder=None
) -> tuple[dict[str, float], bool]:
    """:func:`schedule_slack` of the full-day schedule's blocks on this server, and whether the
    notebooks (and so the schedule) were found."""
    scale = server.step_seconds / reference.step_seconds
    alone = {c.notebook: notebook_seconds(c, 1, server.cores, scale) for c in reference.costs}
    try:
        return schedule_slack(reference.profile, alone, folder), True
    except TutorialError:
        return {}, False


def server_command(
    learners: int | None = None,
    cores: int | None = None,
    memory_gb: float | None = None,
    profile: str = "full",
    speed_from_reference: bool = False,
    notebook_dir: str | None = None,
    step_seconds: float | None = None,
    reference_file: str | Path | None = None,
    show: Callable[[str, str, str], None] | None = None,
) -> int:
    """``cifar-tutorial doctor --server``: each notebook with ``learners`` at once on a server
    of ``cores`` and ``memory_gb`` (default: this machine), and the largest class it holds.
    Exit code 1 when ``learners`` do not fit. ``step_seconds`` skips the speed measurement;
    ``show(level, what, fix)`` prints a line (the readiness check's, from its command)."""
    from ..distributed.launch import usable_cores
    from .notebooks import notebook_names

    show = show or (lambda level, what, fix: print(f"[{level.upper()}] {what}"))

    check_counts(learners, cores, memory_gb)
    reference = read_reference(profile, reference_file or CAPACITY_FILE)
    other = cores is not None or memory_gb is not None
    if speed_from_reference:
        step, speed = reference.step_seconds, "as fast per core as the reference machine"
    else:
        step = step_seconds if step_seconds is not None else measure_step_seconds()
        speed = ("assumed as fast per core as this machine" if other else "measured") + (
            f": one single-thread step of Net takes {step * 1e3:.1f} ms here"
        )
    server = Server(cores or usable_cores(), memory_gb or machine_memory_gb(), step)
    ref_machine = reference.machine
    print(
        f"Server: {server.cores} cores, {server.memory_gb:.0f} GB"
        f"{'' if other else ' (this machine)'}; speed {speed} "
        f"({reference.step_seconds * 1e3:.1f} ms on the reference, {ref_machine.get('cpu')}, "
        f"{ref_machine.get('cpu_capability')}, measured {reference.profile} profile "
        f"{reference.date})"
    )
    slack, found = server_slack(reference, server, notebook_dir)  # the notebooks read once
    if learners is None:
        learners = max(1, predict(reference, server, 1, slack).largest)
    prediction = predict(reference, server, learners, slack)
    names = notebook_names(notebook_dir)
    print(
        f"{learners} learner(s) in the {profile} profile, all running each notebook at the "
        "same time (a class starts a notebook within a few minutes); one kernel and one "
        f"single-user server ({reference.server_mb:.0f} MB) per learner, the hub "
        f"{reference.hub_mb:.0f} MB; {prediction.usable_gb:.1f} GB usable of "
        f"{server.memory_gb:.0f} (the rest kept for the system)."
    )
    if not found:
        print("The notebooks were not found: no slack from the schedule's blocks is counted.")
    for notebook in prediction.notebooks:
        show(*notebook_finding(notebook, prediction.usable_gb, names))
    limit = describe_limit(prediction, names)
    if prediction.largest < 1:
        verdict = f"this server cannot hold one learner in the {profile} profile ({limit})"
    else:
        verdict = (f"this server holds up to {prediction.largest} learners for the {profile} "
                   f"profile of the full-day schedule (limited by {limit})")  # fmt: skip
    print(f"\n{'Fits' if prediction.fits else 'Does not fit'}: {verdict}.")
    return 0 if prediction.fits else 1


def notebook_finding(
    notebook: NotebookFit, usable_gb: float, names: Mapping[str, str]
) -> tuple[str, str, str]:
    """``(level, what, fix)`` of ``doctor --server``'s line for a notebook: ``ok``, ``warn``
    (fits, with fewer steps in its timed parts) or ``fail``."""
    from .text import duration_text

    name = names.get(notebook.notebook, notebook.notebook)
    what = (
        f"{name}: {duration_text(notebook.seconds)} each (alone "
        f"{duration_text(notebook.alone_seconds)}, the schedule gives "
        f"{duration_text(notebook.allowed_seconds)}); memory {notebook.memory_gb:.1f} of "
        f"{usable_gb:.1f} GB"
    )
    if notebook.memory_gb > usable_gb:
        return "fail", what, "fewer learners, or more memory: kernels would be killed"
    if not notebook.fits_time:
        return "fail", what, "fewer learners or more cores, or run it in the smoke profile"
    if notebook.step_share < FEWER_STEPS_WARNING:
        return (
            "warn",
            f"{what}; its timed parts run {notebook.step_share:.0%} of the steps they run alone",
            "the same minutes, fewer steps: a lower accuracy in 07's time budget, lower "
            "speeds in 04's table",
        )
    return "ok", what, ""
