"""Training for the minutes you have: measure this machine's speed, then fix the steps.
A workshop has minutes, not epochs. With a ``budget`` the recipe times a few steps of a throwaway
copy of the network at each image size (and the test), then fixes the number of steps so that
training and testing end in time. The schedule is a fraction of that number, so a slow laptop runs
the same recipe, only shorter; a rate decaying linearly to the end of the budget spends it best
("budgeted training", Li, Yumer and Ramanan, 2020)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch

from ..device import synchronize

WARMUP_STEPS = 2  # untimed steps per image size first: they choose kernels, allocate memory
MEASURED_STEPS = 5  # then timed steps per image size (their median counts)
SHORT_BUDGET = 1.0  # under this many minutes, measuring costs less (it took 7 s of a 15 s run):
SHORT_COUNTS = (1, 2)  # 1 untimed and 2 timed steps per image size, the test timed once, cold
AIM = 0.97  # plan for 97% of the budget: measured speeds vary by a few per cent
REPLAN_SKIP = 3  # during training, steps not timed after the image size changes
REPLAN_TIMED = 10  # ... then steps timed before the steps are planned again
REPLAN_EVERY = 100  # at full size, the steps are planned again after every 100 more


@dataclass(frozen=True)
class BudgetPlan:
    """How a budget was spent: the measured speeds and the number of steps they allow."""

    budget_seconds: float
    spent_seconds: float  # before the first step: whitening layer, optimizer, measuring
    step_seconds: Mapping[int, float]  # image size -> seconds per training step
    test_seconds: float  # predicted test with test-time augmentation
    total_steps: int
    low_res_steps: int  # the first steps, on small images
    steps_per_epoch: int

    @property
    def epochs(self) -> float:
        return self.total_steps / self.steps_per_epoch

    @property
    def planned_seconds(self) -> float:
        """What the plan expects training and testing to take in all."""
        sizes = sorted(self.step_seconds)  # the smallest first
        low = self.low_res_steps if len(sizes) > 1 else 0
        full = self.total_steps - self.low_res_steps
        train = self.step_seconds[sizes[0]] * low + self.step_seconds[sizes[-1]] * full
        return self.spent_seconds + train + self.test_seconds

    def describe(self) -> str:
        """A few lines saying what was measured and what was chosen, and why."""
        speeds = ", ".join(
            f"{1000 * s:.0f} ms per step at {size}x{size}"
            for size, s in sorted(self.step_seconds.items())
        )
        lines = [
            f"budget {self.budget_seconds / 60:g} min: measured {speeds}; the test "
            f"(with its augmentation) will take about {self.test_seconds:.1f} s",
            f"-> {self.total_steps:,} steps ({self.epochs:.1f} epochs"
            + (f", the first {self.low_res_steps:,} on small images" if self.low_res_steps else "")
            + f"), planned to end after {self.planned_seconds:.0f} s "
            f"({self.planned_seconds / self.budget_seconds:.0%} of the budget)",
        ]
        return "\n".join(lines)


@dataclass
class StepCount:
    """How many steps to train, and how many of them on small images.
    With a :class:`BudgetPlan` they are planned again from the real steps' speed (it can differ from
    the copy's): after the first few steps at each size, then every ``REPLAN_EVERY`` full-size
    steps, so that a loop slowing down late ends on time. Call :meth:`after_step` each step."""

    total: int
    low_res: int
    plan: BudgetPlan | None = None
    started: float = 0.0  # the clock's reading when the recipe's clock started
    replans: list[str] = field(default_factory=list)
    later_totals: list[int] = field(default_factory=list)  # from the periodic re-planning
    _mark: float = 0.0
    _done: set = field(default_factory=set)

    def describe(self) -> str:
        """The plan, and each time it was planned again."""
        plan = self.plan.describe() if self.plan else f"{self.total:,} steps"
        return "\n".join(line for line in (plan, self.replanned()) if line)

    def replanned(self) -> str:
        """A line for each time the steps were planned again ("" if never)."""
        lines = list(self.replans)
        if self.later_totals:
            totals = " -> ".join(f"{total:,}" for total in self.later_totals)
            lines.append(f"then every {REPLAN_EVERY} steps, from the last {REPLAN_EVERY}: {totals}")
        return "\n".join(lines)

    def after_step(self, step: int, now: float) -> None:
        """``step`` steps are done and the clock reads ``now``: re-plan if it is time."""
        if self.plan is None or step >= self.total:
            return
        phase = "small" if step <= self.low_res and self.low_res else "full"
        since = step - (0 if phase == "small" else self.low_res)
        timed = REPLAN_SKIP + REPLAN_TIMED
        if since == REPLAN_SKIP and phase not in self._done:
            self._mark = now
        elif since == timed and phase not in self._done:
            self._done.add(phase)
            seconds = (now - self._mark) / REPLAN_TIMED
            self._mark = now
            self.replans.append(self._replan(phase, step, seconds, now))
        elif phase == "full" and since > timed and (since - timed) % REPLAN_EVERY == 0:
            self._replan(phase, step, (now - self._mark) / REPLAN_EVERY, now)
            self._mark = now
            self.later_totals.append(self.total)

    def _replan(self, phase: str, step: int, seconds: float, now: float) -> str:
        """Fit the steps left into the budget at ``seconds`` per step; say what changed."""
        plan = self.plan
        sizes = sorted(plan.step_seconds)
        size = sizes[0] if phase == "small" else sizes[-1]
        left = AIM * plan.budget_seconds - (now - self.started) - plan.test_seconds
        if phase == "small":  # the full-size steps will be slower or faster by as much
            full = plan.step_seconds[sizes[-1]] * seconds / plan.step_seconds[size]
            fraction = self.low_res / self.total
            total = (left + step * seconds) / (fraction * seconds + (1 - fraction) * full)
            self.total = max(step + 1, math.floor(total))
            self.low_res = max(step, round(fraction * self.total))
        else:
            self.total = max(step + 1, step + math.floor(left / seconds))
        return (
            f"after {step} steps: {1000 * seconds:.0f} ms per step at {size}x{size} (the copy: "
            f"{1000 * plan.step_seconds[size]:.0f} ms) -> {self.total:,} steps in all"
        )


def share_of_what_is_left(
    minutes: float,
    spent_seconds: float,
    runs: int,
    *,
    at_most: float,
    at_least: float,
    keep_seconds: float = 0.0,
) -> float:
    """Minutes for each of ``runs`` runs so that all of them end within ``minutes`` in all,
    ``spent_seconds`` of which are gone and ``keep_seconds`` kept for what follows the runs;
    never more than ``at_most`` nor less than ``at_least`` minutes each (a run too short to
    learn anything would measure nothing)."""
    left = 60 * minutes - spent_seconds - keep_seconds
    return min(at_most, max(at_least, left / max(1, runs) / 60))


def steps_within(seconds: float, step_seconds: Mapping[int, float], low_res_fraction: float) -> int:
    """How many steps fit in ``seconds`` when the first ``low_res_fraction`` of them run at
    the smallest image size of ``step_seconds`` and the rest at the largest (at least 1)."""
    sizes = sorted(step_seconds)
    low, full = step_seconds[sizes[0]], step_seconds[sizes[-1]]
    fraction = low_res_fraction if len(sizes) > 1 else 0.0
    per_step = fraction * low + (1 - fraction) * full
    return max(1, math.floor(seconds / per_step))


def seconds_per_call(
    work: Callable[[], object],
    calls: int,
    clock: Callable[[], float],
    device: torch.device,
    warmup: int = 1,
) -> float:
    """Median seconds of ``work()`` over ``calls`` calls, after ``warmup`` untimed calls
    (which pay one-off costs such as choosing the convolution kernels). The median, so that
    one call slowed down by something else on the machine does not count."""
    for _ in range(warmup):
        work()
    times = []
    for _ in range(calls):
        synchronize(device)
        start = clock()
        work()
        synchronize(device)
        times.append(clock() - start)
    return statistics.median(times)


def plan_budget(
    budget_minutes: float,
    *,
    started: float,
    step_at_size: Callable[[int], Callable[[], object]],
    sizes: list[int],
    test_at: Callable[[], object] | None,
    test_scale: float,
    low_res_fraction: float,
    steps_per_epoch: int,
    clock: Callable[[], float],
    device: torch.device,
    per_step_extra: float = 0.0,
) -> BudgetPlan:
    """Measure a step at each of ``sizes`` and the test, then fit the steps in the budget.
    ``step_at_size(size)`` returns a function doing one step at that size (on a throwaway copy);
    ``test_at()`` tests a few images as the recipe tests all, ``test_scale`` times as many. Time
    spent since ``started`` counts against the budget; ``per_step_extra`` is added to every step
    (work done every few steps, spread over them)."""
    short = budget_minutes < SHORT_BUDGET
    warmup, timed = SHORT_COUNTS if short else (WARMUP_STEPS, MEASURED_STEPS)
    steps = {size: step_at_size(size) for size in sorted(set(sizes))}
    for step in steps.values():  # warm every size up before timing any
        seconds_per_call(step, 1, clock, device, warmup=warmup - 1)
    step_seconds = {
        size: seconds_per_call(step, timed, clock, device, warmup=0) + per_step_extra
        for size, step in steps.items()
    }
    test_seconds = 0.0
    if test_at is not None:  # a short budget times the first call (an overestimate, then)
        test_seconds = seconds_per_call(test_at, 1, clock, device, warmup=int(not short))
        test_seconds *= test_scale
    budget = 60 * budget_minutes
    spent = clock() - started
    left = AIM * budget - spent - test_seconds
    total = steps_within(left, step_seconds, low_res_fraction)
    low_res = round(low_res_fraction * total) if len(step_seconds) > 1 else 0
    return BudgetPlan(budget, spent, step_seconds, test_seconds, total, low_res, steps_per_epoch)
