"""One line of feedback on an exercise: right (and why it matters), or not yet (and a hint).
A checker (:func:`checker`) returns :func:`right` or :func:`not_yet`, or raises :class:`NotYet` at
the first mistake; an answer still holding the stub ``...`` gets the exercise's first hint, and an
exception the answer causes becomes one "not yet" line, never a traceback. Under nbgrader's
autograder a check passes or fails as a test cell (:func:`graded`)."""

from __future__ import annotations

import functools
import html
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import first_line

STUB = ...
"""What the student edition assigns in an answer cell: ``my_transform = ...  # your code here``."""

STUB_COMMENT = "# your code here"

GRADER = "NBGRADER_EXECUTION"
"""Set by nbgrader while it autogrades or validates a notebook ("autograde", "validate")."""


@dataclass(frozen=True, repr=False)
class Feedback:
    """A checker's verdict. Shown in a notebook as one line: plain text, or coloured HTML."""

    right: bool
    message: str

    @property
    def verdict(self) -> str:
        return "Right!" if self.right else "Not yet:"

    def __str__(self) -> str:
        return f"{self.verdict} {self.message}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour, mark = ("#1a7f37", "\u2714") if self.right else ("#9a6700", "\u2717")
        message = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(self.message))
        return (
            f'<div class="cifar-check" style="border-left: 4px solid {colour}; '
            f'padding: 2px 8px">{mark} <b style="color: {colour}">{self.verdict}</b> '
            f"{message}</div>"
        )


class NotYet(Exception):
    """Raised inside a checker at the first mistake found; its message is the hint."""


class CheckFailed(AssertionError):
    """Raised by a check cell under nbgrader, so that a wrong or missing answer earns no points."""


def right(why_it_matters: str) -> Feedback:
    """The answer is right; say in one sentence why that matters."""
    return Feedback(True, why_it_matters)


def not_yet(hint: str) -> Feedback:
    """The answer is not right yet; ``hint`` says what to look at, never the answer."""
    return Feedback(False, hint)


def is_stub(value: object) -> bool:
    """Whether ``value`` is still the student edition's placeholder ``...``."""
    return value is STUB


def checker(
    first_hint: str,
) -> Callable[[Callable[..., Feedback]], Callable[..., Feedback | None]]:
    """Make a function a checker; ``first_hint`` is what to say while the answer is the stub.
    The decorated function may return a :class:`Feedback` or raise :class:`NotYet`; any other
    exception (an answer that cannot be called, a tensor of the wrong type...) is turned into a
    one-line "not yet" that names it."""

    def decorate(function: Callable[..., Feedback]) -> Callable[..., Feedback | None]:
        @functools.wraps(function)
        def check(*args: Any, **kwargs: Any) -> Feedback | None:
            __tracebackhide__ = True  # IPython shows a failed check as its line alone
            if any(is_stub(value) for value in (*args, *kwargs.values())):
                feedback = not_yet(f"replace `...` with your answer. Hint: {first_hint}")
            else:
                try:
                    feedback = function(*args, **kwargs)
                except NotYet as mistake:
                    feedback = not_yet(str(mistake))
                except Exception as error:  # the learner's code failed inside the check
                    feedback = not_yet(f"your answer raised {describe(error)}")
            return graded(feedback)

        check.first_hint = first_hint
        return check

    return decorate


def graded(feedback: Feedback) -> Feedback | None:
    """``feedback`` as a check cell's result; under nbgrader (:data:`GRADER` set) a right answer
    prints its line and a wrong one raises :class:`CheckFailed`: nbgrader gives a test cell its
    points when it raises no error, and warns about any other result."""
    __tracebackhide__ = True
    if not os.environ.get(GRADER):
        return feedback
    if not feedback.right:
        raise CheckFailed(str(feedback))
    print(feedback)
    return None


def describe(error: BaseException, limit: int = 160) -> str:
    """``error`` as one short line: its type and the first line of its message."""
    message, name = first_line(error, limit), type(error).__name__
    return name if message == name else f"{name}: {message}"
