"""The course layer: what runs, reports on and distributes the course, above the lesson layer
that the notebooks import.

The ``cifar-tutorial`` command (:mod:`.cli`) only reads the command line; each subcommand's
work is one function in a module of its own (``run``, ``sweep``, ``listing``, ``doctor``,
``bundle``, ``guide``, ``prefetch``, ``exercises``: :data:`.cli.COMMANDS`). Behind them:
the one reader of the notebook files (:mod:`.notebooks`), the collection and its parameters
(:mod:`.collection`, :mod:`.parameters`), a run's plan, summary and report (:mod:`.plan`,
:mod:`.preflight`, :mod:`.summary`, :mod:`.machine`, :mod:`.report`), the lessons and the
schedules of the guide (:mod:`.lessons`, :mod:`.schedule`), the forecast of the doctor
(:mod:`.speed`, :mod:`.forecast`), the student edition (:mod:`.student_edition`), and the
shared formatting (:mod:`.text`, :mod:`.html_page`).
"""

from .cli import main

__all__ = ["main"]
