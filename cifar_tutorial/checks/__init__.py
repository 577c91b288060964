"""Checks of the notebooks' exercises: one line of feedback, right or not yet.

An exercise is a prompt, an answer cell binding a name of its own (``my_transform = ...``) and
a check cell calling a checker: ``check.transform(my_transform)`` (docs/exercises.md). The
checkers live in one module per notebook: :mod:`.data` (01), :mod:`.network` (02),
:mod:`.loss` (03), :mod:`.training` (04), :mod:`.testing` (05), :mod:`.device` (06),
:mod:`.modern` (07), :mod:`.distributed` (08); :mod:`.on_track` compares a run's own loss,
accuracy and time with the ranges measured for its settings. A checker::

    @checker("start from ToTensor, then Normalize")       # said while the answer is `...`
    def transform(answer, photo) -> Feedback:
        values = answer(photo)                             # an exception here -> one "not yet"
        if values.min() >= 0:
            raise NotYet("your values start at 0: is Normalize missing?")
        return right("every photo now reaches the network in the same range.")

It never reveals the answer; :mod:`.answers` reads an answer as a number, shape or tensor.
"""

from .feedback import STUB, STUB_COMMENT, Feedback, NotYet, checker, is_stub, not_yet, right

__all__ = ["STUB", "STUB_COMMENT", "Feedback", "NotYet", "checker", "is_stub", "not_yet", "right"]
