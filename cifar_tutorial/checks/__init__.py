"""Checks of the notebooks' exercises: one line of feedback, right or not yet.

Every exercise in a notebook is three cells:

1. a markdown prompt (tag ``exercise``): what to do, why it matters, a hint;
2. an answer cell (tag ``solution``) that binds the answer to a name of its own, e.g.
   ``my_transform = ...``; where only part of the cell is the answer, that part sits between
   nbgrader's ``### BEGIN SOLUTION`` and ``### END SOLUTION`` lines;
3. a check cell (tag ``check``) whose last line calls a checker: ``check.transform(my_transform)``.

The student edition (:mod:`cifar_tutorial.course.student_edition`, ``make exercises``) replaces each
answer with ``name = ...  # your code here`` for every name it binds, so the check says
"Not yet: replace `...` with your answer" and the notebook still runs to the end.

Checkers live in one module per notebook: :mod:`.data` (01), :mod:`.network` (02),
:mod:`.loss` (03), :mod:`.training` (04), :mod:`.testing` (05), :mod:`.device` (06),
:mod:`.modern` (07); :mod:`.on_track` compares a run's own loss, accuracy and time
with the ranges measured for its settings ("Are you on track?" cells). A checker is a
function decorated with :func:`checker`::

    @checker("start from ToTensor, then Normalize")       # said while the answer is `...`
    def transform(answer, photo) -> Feedback:
        values = answer(photo)                             # an exception here -> one "not yet"
        if values.min() >= 0:
            raise NotYet("your values start at 0: is Normalize missing?")
        return right("every photo now reaches the network in the same range.")

It returns :func:`right` (why it matters) or :func:`not_yet` (a hint for the mistake it
detected), or raises :class:`NotYet`; it never reveals the answer. :mod:`.answers` reads an
answer as a number, shape or tensor, or stops with a hint saying what it got instead.
"""

from .feedback import STUB, STUB_COMMENT, Feedback, NotYet, checker, is_stub, not_yet, right

__all__ = ["STUB", "STUB_COMMENT", "Feedback", "NotYet", "checker", "is_stub", "not_yet", "right"]
