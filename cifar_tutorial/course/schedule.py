"""Workshop schedules from measured notebook times: what fits in a session, with breaks.

Each notebook becomes a block of explaining (estimated from its length), running (measured
in a real run of the chosen profile) and exercises (as their prompts state, or a default).
Blocks are laid out in course order; a break comes before a block that would otherwise end
more than ``break_every`` minutes after the last one, lunch once the morning is over; a block
that does not fit in its full-profile form is tried in the smoke profile, and what still does
not fit is listed as left for after the session.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .lessons import Lesson

WORDS_PER_MINUTE = 110  # explaining the prose while learners read along
MINUTES_PER_CODE_CELL = 1.0  # a learner runs a cell and looks at what it shows
DEFAULT_EXERCISE_MINUTES = 5.0  # an exercise whose prompt states no time
ROUND_TO = 5  # blocks are planned in whole 5-minute steps


@dataclass(frozen=True)
class Block:
    """One notebook in a schedule: which profile it runs in and what its minutes are."""

    lesson: Lesson
    profile: str
    explain_minutes: float
    run_seconds: float
    exercises: int  # how many of its exercises the session does
    exercise_minutes: float

    @property
    def minutes(self) -> int:
        """The whole block, rounded up to :data:`ROUND_TO` minutes."""
        total = self.explain_minutes + self.run_seconds / 60 + self.exercise_minutes
        return max(ROUND_TO, math.ceil(total / ROUND_TO) * ROUND_TO)


@dataclass(frozen=True)
class Slot:
    """A row of a schedule: from ``start`` for ``minutes`` (minutes after the session starts)."""

    start: int
    minutes: int
    what: str
    block: Block | None = None


@dataclass(frozen=True)
class Session:
    """The shape of a session: its length, and its breaks."""

    name: str
    minutes: int
    opening: str
    opening_minutes: int
    closing: str
    closing_minutes: int
    break_every: int  # at most this long without a break
    break_minutes: int
    lunch_after: int | None = None  # minutes into the session from which lunch comes next
    lunch_minutes: int = 0
    exercises: str = "all"  # "all", or "first": one exercise per notebook


def explain_minutes(lesson: Lesson) -> float:
    """Estimated minutes to go through a notebook's prose and run its cells with learners."""
    return lesson.prose_words / WORDS_PER_MINUTE + lesson.code_cells * MINUTES_PER_CODE_CELL


def exercise_minutes(lesson: Lesson, count: int | None = None) -> float:
    """Minutes for the first ``count`` exercises (all by default) of a notebook."""
    chosen = lesson.exercises if count is None else lesson.exercises[:count]
    return sum(e.minutes if e.minutes is not None else DEFAULT_EXERCISE_MINUTES for e in chosen)


def block_for(lesson: Lesson, profile: str, run_seconds: float, exercises: str = "all") -> Block:
    """A notebook's block in ``profile``, with all its exercises or only the first."""
    count = len(lesson.exercises) if exercises == "all" else min(1, len(lesson.exercises))
    return Block(
        lesson=lesson,
        profile=profile,
        explain_minutes=explain_minutes(lesson),
        run_seconds=run_seconds,
        exercises=count,
        exercise_minutes=exercise_minutes(lesson, count),
    )


def plan_session(
    session: Session, lessons: Sequence[Lesson], seconds: dict[str, dict[str, float]]
) -> tuple[list[Slot], list[Lesson]]:
    """The session's slots, and the notebooks left for after it.

    ``seconds[profile][notebook name]`` is each notebook's measured run time; the full
    profile is preferred, the smoke profile taken where only it fits.
    """
    slots = [Slot(0, session.opening_minutes, session.opening)]
    now = session.opening_minutes
    since_break = now
    lunch_done = session.lunch_after is None
    end = session.minutes - session.closing_minutes
    left: list[Lesson] = []
    for lesson in lessons:
        if left:  # the course goes in order: after one is left out, so are the rest
            left.append(lesson)
            continue
        options = [
            block_for(lesson, profile, seconds[profile][lesson.name], session.exercises)
            for profile in ("full", "smoke")
            if lesson.name in seconds.get(profile, {})
        ]
        placed = False
        for block in options:
            pause = _pause_before(session, now, since_break, block.minutes, lunch_done)
            start = now + (pause[1] if pause else 0)
            running = 0 if pause else since_break
            longest = max(session.break_every, block.minutes)
            if start + block.minutes <= end and running + block.minutes <= longest:
                if pause:
                    slots.append(Slot(now, pause[1], pause[0]))
                    lunch_done = lunch_done or pause[0] == "Lunch"
                slots.append(Slot(start, block.minutes, _block_title(block), block))
                now, since_break = start + block.minutes, running + block.minutes
                placed = True
                break
        if not placed:
            left.append(lesson)
    slots.append(Slot(now, session.closing_minutes, session.closing))
    return slots, left


def _pause_before(
    session: Session, now: int, since_break: int, block_minutes: int, lunch_done: bool
) -> tuple[str, int] | None:
    """``(label, minutes)`` of the break due before a block, or ``None``."""
    if not lunch_done and session.lunch_after is not None and now >= session.lunch_after:
        return "Lunch", session.lunch_minutes
    if since_break + block_minutes > session.break_every:
        return "Break", session.break_minutes
    return None


def _block_title(block: Block) -> str:
    return f"{int(block.lesson.number)}. {block.lesson.title}"


def clock(start_hour: int, minutes: int) -> str:
    """``09:00`` plus ``minutes``, as ``HH:MM``."""
    total = start_hour * 60 + minutes
    return f"{total // 60:02d}:{total % 60:02d}"
