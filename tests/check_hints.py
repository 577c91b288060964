"""What the checker tests share: every wrong answer gets its own hint."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from cifar_tutorial.checks import Feedback


def assert_hints(
    check: Callable[..., Feedback], answers: Mapping[str, object], *context: object
) -> None:
    """``check(answer, *context)`` : not yet, a hint with each key; no two alike."""
    seen = set()
    for expected, answer in answers.items():
        feedback = check(answer, *context)
        assert not feedback.right, (expected, feedback)
        assert expected in feedback.message, (expected, feedback)
        assert "Traceback" not in feedback.message and "\n" not in feedback.message
        seen.add(feedback.message)
    assert len(seen) == len(answers), "two wrong answers got the same hint"
