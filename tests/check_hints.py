"""What the checker tests of notebooks 04-07 share: every wrong answer gets its own hint."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from cifar_tutorial.checks import Feedback


def assert_hints(check: Callable[[object], Feedback], answers: Mapping[str, object]) -> None:
    """``check(answer)`` says not yet with a hint containing each key; no two hints are equal."""
    seen = set()
    for expected, answer in answers.items():
        feedback = check(answer)
        assert not feedback.right, (expected, feedback)
        assert expected in feedback.message, (expected, feedback)
        assert "Traceback" not in feedback.message and "\n" not in feedback.message
        seen.add(feedback.message)
    assert len(seen) == len(answers), "two wrong answers got the same hint"
