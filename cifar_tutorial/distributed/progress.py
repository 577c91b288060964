"""How far each rank of a torchrun run has got, for notebook 8's live view.

The ranks train in processes of their own, and the notebook only waits for torchrun. So each
rank appends a line of JSON to one file (``--progress FILE``) every half second and at the end
of every epoch: its rank, torchrun's restart count, the epoch and step (from 1), its loss and
images per second since its previous line, and the time. While it waits, the notebook reads the
file again now and then and redraws rank 0's loss and every rank's speed (:func:`progress_chart`,
with :class:`~cifar_tutorial.live.LivePlot`)::

    with LivePlot(progress_chart, "runs/2x.progress.jsonl") as live:
        run_torchrun(2, [..., "--progress", "runs/2x.progress.jsonl"], while_waiting=live.update)
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PROGRESS_EVERY = 0.5  # seconds between two lines of one rank


class ProgressLog:
    """One rank's lines in the progress file at ``path`` (``None``: writes nothing).
    Call :meth:`step` after every training step; a line goes out every ``every`` seconds, and
    at the end of every epoch of ``steps_per_epoch`` steps. Each line is appended with one
    write, so the ranks' lines never mix."""

    def __init__(
        self,
        path: str | os.PathLike | None,
        rank: int,
        *,
        steps_per_epoch: int | None = None,
        every: float = PROGRESS_EVERY,
        clock: Callable[[], float] = time.time,  # the same on every process of the machine
    ) -> None:
        self.path = None if path is None else Path(path).expanduser()
        self.rank, self.steps_per_epoch = rank, steps_per_epoch
        self.every, self.clock = every, clock
        self.restart = int(os.environ.get("TORCHELASTIC_RESTART_COUNT", 0))
        self.since = clock()
        self.loss_sum: torch.Tensor | None = None
        self.steps = self.images = 0

    def step(self, epoch: int, step: int, loss: torch.Tensor, images: int) -> None:
        """After step ``step`` of epoch ``epoch`` (both from 0), which trained on ``images``
        images with this rank's ``loss``."""
        if self.path is None:
            return
        loss = loss.detach()
        self.loss_sum = loss if self.loss_sum is None else self.loss_sum + loss
        self.steps += 1
        self.images += images
        now = self.clock()
        if now - self.since >= self.every or step + 1 == self.steps_per_epoch:
            speed = self.images / max(now - self.since, 1e-6)
            record = {"rank": self.rank, "restart": self.restart, "epoch": epoch + 1,
                      "step": step + 1, "loss": self.loss_sum.item() / self.steps,
                      "images_per_second": speed, "time": now}  # fmt: skip
            with open(self.path, "a", encoding="utf-8") as file:
                file.write(json.dumps(record) + "\n")
            self.since, self.loss_sum, self.steps, self.images = now, None, 0, 0


def read_progress(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The lines written so far, in order: none while there is no file yet. A last line still
    being written is left for the next read; a line cut short by a crash is skipped."""
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    records = []
    for line in text.splitlines(keepends=True):
        if not line.endswith("\n"):
            break  # still being written
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut short (a rank killed mid-write), then appended to
    return records


def progress_chart(path: str | os.PathLike) -> Figure:
    """:func:`~cifar_tutorial.distributed.figures.rank_progress` of what ``path`` holds now."""
    from .figures import rank_progress  # matplotlib: in the notebook, never in a rank

    return rank_progress(read_progress(path))
