"""cifar_tutorial.course.schedule: workshop schedules laid out from measured notebook times."""

from __future__ import annotations

from pathlib import Path

import pytest

from cifar_tutorial.course.lessons import Exercise, Lesson
from cifar_tutorial.course.schedule import (
    Session,
    block_for,
    clock,
    exercise_minutes,
    explain_minutes,
    plan_session,
)


def lesson(number: int, words: int = 1100, cells: int = 10, exercises=(None, None)) -> Lesson:
    """A notebook of ``words`` words of prose and ``cells`` code cells (20 min to explain)."""
    return Lesson(
        path=Path(f"{number:02d}_lesson.ipynb"),
        number=f"{number:02d}",
        title=f"Lesson {number}",
        summary="",
        learn=(),
        needs="",
        measured_seconds=None,
        exercises=tuple(Exercise(i, "s", f"exercise {i}", m) for i, m in enumerate(exercises)),
        prose_words=words,
        code_cells=cells,
    )


def session(minutes: int, **changes) -> Session:
    values = dict(
        name="test",
        minutes=minutes,
        opening="open",
        opening_minutes=10,
        closing="close",
        closing_minutes=10,
        break_every=90,
        break_minutes=15,
    )
    return Session(**{**values, **changes})


def test_a_block_is_explaining_plus_running_plus_exercises_rounded_up_to_5_minutes():
    one = lesson(1, exercises=(3.0, None))  # 10 + 10 min to explain; exercises 3 + 5 min
    assert explain_minutes(one) == pytest.approx(20.0)
    assert exercise_minutes(one) == 8.0 and exercise_minutes(one, 1) == 3.0
    block = block_for(one, "full", run_seconds=61)
    assert block.minutes == 30  # 20 + 1.02 + 8 = 29.02 -> 30
    first_only = block_for(one, "full", run_seconds=61, exercises="first")
    assert (first_only.exercises, first_only.minutes) == (1, 25)
    assert block_for(lesson(2, words=0, cells=0, exercises=()), "smoke", 1).minutes == 5


def test_every_notebook_fits_a_long_day_with_breaks_and_one_lunch():
    lessons = [lesson(n) for n in range(1, 8)]  # 7 blocks of 35 min
    seconds = {"full": {x.name: 60.0 for x in lessons}, "smoke": {x.name: 5.0 for x in lessons}}
    day = session(480, lunch_after=180, lunch_minutes=60)
    slots, left = plan_session(day, lessons, seconds)
    assert left == []
    assert [s.what for s in slots if s.block] == [f"{n}. Lesson {n}" for n in range(1, 8)]
    assert all(s.block.profile == "full" for s in slots if s.block)
    assert [s.what for s in slots].count("Lunch") == 1
    lunch = next(s for s in slots if s.what == "Lunch")
    assert lunch.start >= 180 and lunch.minutes == 60
    for before, after in zip(slots, slots[1:], strict=False):
        assert after.start == before.start + before.minutes  # no gaps, no overlaps
    assert slots[0].what == "open" and slots[-1].what == "close"
    assert slots[-1].start + slots[-1].minutes <= 480
    stretch = 0
    for slot in slots:  # never more than 90 minutes without a pause
        stretch = 0 if slot.what in ("Break", "Lunch") else stretch + slot.minutes
        assert stretch <= 90 or slot.what == "close"


def test_a_notebook_runs_in_the_smoke_profile_where_only_that_fits():
    lessons = [lesson(1), lesson(2)]
    seconds = {
        "full": {"01_lesson": 60.0, "02_lesson": 30 * 60.0},  # 02 would take 50 minutes
        "smoke": {"01_lesson": 5.0, "02_lesson": 60.0},
    }
    slots, left = plan_session(session(100), lessons, seconds)  # 80 min between open and close
    assert left == []
    assert [s.block.profile for s in slots if s.block] == ["full", "smoke"]


def test_what_does_not_fit_is_left_for_after_the_session_in_course_order():
    lessons = [lesson(n) for n in range(1, 6)]
    seconds = {"full": {x.name: 60.0 for x in lessons}, "smoke": {x.name: 5.0 for x in lessons}}
    slots, left = plan_session(session(160), lessons, seconds)  # blocks of 35 min
    what = [s.what for s in slots]
    assert what == ["open", "1. Lesson 1", "2. Lesson 2", "Break", "3. Lesson 3", "close"]
    assert [x.number for x in left] == ["04", "05"]


def test_clock_times():
    assert clock(9, 0) == "09:00"
    assert clock(9, 95) == "10:35"
    assert clock(13, 240) == "17:00"
