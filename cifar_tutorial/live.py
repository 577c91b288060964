"""A figure redrawn in place while a training loop runs: the live view of notebooks 4, 7 and 8.

    with LivePlot(loss_curve, log.losses, steps_per_epoch=390) as live:
        for ...:                 # the training loop
            ...
            live.update()        # now and then: loss_curve(log.losses, steps_per_epoch=390)

**Where it shows.** As one output of the running cell: a PNG with its alt text, shown once with
a ``display_id`` and then replaced in place. JupyterLab, VS Code, Colab and nbclient (papermill,
``jupyter nbconvert --execute``, ``cifar-tutorial run``) all replace it, so a saved notebook keeps
one figure, the last one. No widget: it needs no frontend extension and exports to HTML. Outside
a notebook (a script, a torchrun worker, the terminal) nothing is drawn and nothing is spent.

**How often.** At most ``per_second`` times a second, and only while all the drawing so far, plus
one more draw as long as the last one, stays within ``share`` (2%) of the time since the start:
a figure that takes 0.2 s to draw is redrawn about every 10 s. When the loop ends (``close``, or
leaving the ``with`` block) the figure is drawn a last time, from all the data.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from .validation import check_float

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FIRST_DRAW_SECONDS = 0.1  # before the first draw, its length is guessed (a loss curve's, here)
WAITING = "The figure appears here while the loop runs, and is redrawn in place."
NOTEBOOK = "notebook"  # output="notebook": the running notebook's cell, if there is one


class Output(Protocol):
    """Where a live figure goes: shown once, then replaced (a notebook cell's output)."""

    def show(self, data: dict[str, Any], metadata: dict[str, Any]) -> None: ...

    def update(self, data: dict[str, Any], metadata: dict[str, Any]) -> None: ...


class NotebookOutput:
    """One output of the running notebook cell: ``display(..., display_id=True)`` once, then
    ``handle.update(...)``, which frontends and nbclient apply to that output in place."""

    def __init__(self) -> None:
        self.handle = None

    def show(self, data: dict[str, Any], metadata: dict[str, Any]) -> None:
        from IPython.display import display

        self.handle = display(data, metadata=metadata, raw=True, display_id=True)

    def update(self, data: dict[str, Any], metadata: dict[str, Any]) -> None:
        self.handle.update(data, metadata=metadata, raw=True)


def notebook_output() -> NotebookOutput | None:
    """An output of the running cell when this runs in a notebook's kernel (IPython, other
    than its terminal); ``None`` anywhere else. IPython is not imported for the question."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or type(shell).__name__ == "TerminalInteractiveShell":
        return None
    return NotebookOutput()


class LivePlot:
    """``draw(*data, **options)``, a function returning a matplotlib figure, drawn now and then
    while a loop runs, and once more at its end, into one output that is replaced in place.

    ``data`` is given once, by reference (a list the loop appends to, say); ``update(*data)``
    may give new data. ``output``: ``"notebook"`` (the running cell's, if any), an
    :class:`Output`, or ``None`` (draw nothing). ``clock`` measures time in seconds."""

    def __init__(
        self,
        draw: Callable[..., Figure],
        /,
        *data: Any,
        per_second: float = 2.0,
        share: float = 0.02,
        clock: Callable[[], float] = time.perf_counter,
        output: Output | str | None = NOTEBOOK,
        **options: Any,
    ) -> None:
        self.draw, self.data, self.options = draw, data, options
        self.per_second = check_float("per_second", per_second, minimum=0, exclusive_min=True)
        self.share = check_float("share", share, minimum=0, maximum=1, exclusive_min=True)
        self.clock = clock
        self.output = notebook_output() if output == NOTEBOOK else output
        self.started: float | None = None  # the clock when the loop started
        self.last_drawn = 0.0  # ... when the last draw started
        self.last_seconds = FIRST_DRAW_SECONDS  # how long the last draw took
        self.drawing_seconds = 0.0  # all the drawing while the loop ran
        self.draws = 0  # ... how many draws that was
        self.closed = False

    @property
    def active(self) -> bool:
        """Whether there is an output to draw into."""
        return self.output is not None

    def start(self) -> None:
        """Start the clock and show where the figure will be (done by the first ``update``)."""
        if self.started is None and self.active:
            self.started = self.last_drawn = self.clock()
            self.output.show({"text/plain": WAITING}, {})

    def update(self, *data: Any) -> None:
        """Take the new ``data``, if given; redraw if it is time (see :meth:`due`)."""
        if self.output is None:
            return
        if data:
            self.data = data
        if self.started is None:
            self.start()
        now = self.clock()
        if self.due(now):
            self._show()
            self.last_drawn, self.last_seconds = now, self.clock() - now
            self.drawing_seconds += self.last_seconds
            self.draws += 1

    def due(self, now: float) -> bool:
        """Time to redraw: ``1 / per_second`` since the last draw, and one more draw as long as
        the last keeps all the drawing within ``share`` of the time since the start."""
        if now - self.last_drawn < 1 / self.per_second:
            return False
        return self.drawing_seconds + self.last_seconds <= self.share * (now - self.started)

    def close(self) -> None:
        """The last draw, from all the data: what the saved notebook keeps. Once only."""
        if self.output is None or self.closed:
            return
        self.start()
        self._show()
        self.closed = True

    def __enter__(self) -> LivePlot:
        self.start()
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, traceback: Any) -> None:
        if error is None:
            self.close()
            return
        try:  # the loop failed: the figure so far still helps, but never hides that error
            self.close()
        except Exception:
            pass

    def _show(self) -> None:
        import matplotlib.pyplot as plt  # here: a script that draws nothing never imports it

        from .alt_text import mime_bundle

        figure = self.draw(*self.data, **self.options)
        data, metadata = mime_bundle(figure)
        plt.close(figure)  # drawn into the output: pyplot need not keep it
        self.output.update(data, metadata)
