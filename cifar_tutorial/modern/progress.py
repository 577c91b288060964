"""Notebook 07's live view: the loss and the test accuracy against the clock, while it trains.

A budget is time, so time is the axis: every step's training loss, and now and then the accuracy
on a few test images (without test-time augmentation), against the seconds since the recipe's
clock started, with the end of the budget marked. The loop calls ``live.update(losses)`` after
each step; the figure is redrawn as :class:`~cifar_tutorial.live.LivePlot` allows (testing
included, within 2% of the time), and a last time when the ``with`` block ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import torch
import torch.nn as nn

from ..data import ImageSet
from ..live import NOTEBOOK, LivePlot, Output
from ..metrics import accuracy
from .evaluate import evaluate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

LIVE_TEST_IMAGES = 500  # the live view tests this many test images, spread over the classes


class LiveTraining:
    """Loss and test accuracy against the seconds since ``started`` (a reading of ``clock``),
    redrawn in ``output`` while ``net`` trains with ``recipe`` (its ``budget`` is marked)."""

    def __init__(
        self,
        net: nn.Module,
        test_set: ImageSet | None,
        recipe: Any,
        device: torch.device | str,
        *,
        started: float,
        clock: Callable[[], float] = time.perf_counter,
        output: Output | str | None = NOTEBOOK,
        test_images: int = LIVE_TEST_IMAGES,
    ) -> None:
        self.net, self.recipe, self.device = net, recipe, torch.device(device)
        self.started, self.clock = started, clock
        self.seconds: list[float] = []  # when each step ended
        self.losses: list[float] = []  # each step's loss, as far as drawn
        self.accuracies: list[tuple[float, float]] = []  # (seconds, test accuracy)
        self.plot = LivePlot(self.figure, clock=clock, output=output)
        have_tests = test_set is not None and len(test_set) > 0 and self.plot.active
        self.sample = test_set.spread(test_images) if have_tests else None

    def update(self, losses: Sequence[torch.Tensor]) -> None:
        """After each step, with every step's loss so far: note the time, redraw if it is due."""
        if self.plot.active:
            self.seconds.append(self.clock() - self.started)
            self.plot.update(losses)

    def figure(self, losses: Sequence[torch.Tensor] = ()) -> Figure:
        """Test now, and draw everything so far."""
        new = list(losses[len(self.losses) :])
        if new:  # one wait for the device per draw, not one per step
            self.losses += torch.stack(new).float().tolist()
        if self.sample is not None:
            self.accuracies.append((self.clock() - self.started, self.test_accuracy()))
        steps = min(len(self.seconds), len(self.losses))
        budget = None if self.recipe.budget is None else 60 * self.recipe.budget
        return loss_and_accuracy_against_time(
            self.seconds[:steps], self.losses[:steps], self.accuracies, budget_seconds=budget,
            test_images=len(self.sample) if self.sample is not None else 0,
        )  # fmt: skip

    def test_accuracy(self) -> float:
        """Accuracy on the sample of test images, without test-time augmentation; the network
        goes back to training mode afterwards."""
        predicted, labels = evaluate(self.net, self.sample, tta=0, device=self.device,
                                     precision=self.recipe.precision,
                                     channels_last=self.recipe.channels_last)  # fmt: skip
        self.net.train()
        return accuracy(predicted, labels)

    def __enter__(self) -> LiveTraining:
        self.plot.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.plot.__exit__(*exc)


def loss_and_accuracy_against_time(
    seconds: Sequence[float],
    losses: Sequence[float],
    accuracies: Sequence[tuple[float, float]],
    *,
    budget_seconds: float | None = None,
    test_images: int = LIVE_TEST_IMAGES,
) -> Figure:
    """Each step's training loss (faint) and its moving average (solid) against ``seconds``;
    below, the test accuracy at ``(seconds, accuracy)`` points; the budget's end as a dashed line.
    """
    import matplotlib.pyplot as plt  # here: training without a live view never loads it

    from ..alt_text import describe
    from ..palette import GUIDE, colour, styled
    from ..plots import smooth

    window = max(1, len(losses) // 20)
    end = max([budget_seconds or 0.0, *seconds[-1:], *(s for s, _ in accuracies[-1:])])
    with styled():
        figure, (top, bottom) = plt.subplots(2, 1, figsize=(8, 4.8), sharex=True)
        if len(losses):
            top.plot(seconds, losses, color=colour(0), alpha=0.25, linewidth=0.8)
            top.plot(seconds, smooth(losses, window), color=colour(0), linewidth=2)
        top.set_ylabel("training loss")
        top.set_title(f"Training loss (solid: average over {window} steps) and test accuracy")
        if accuracies:
            times, values = zip(*accuracies, strict=True)
            bottom.plot(times, [100 * value for value in values], color=colour(1), marker="o")
            bottom.annotate(f" {100 * values[-1]:.1f}%", (times[-1], 100 * values[-1]),
                            va="center", fontsize=9, color=colour(1))  # fmt: skip
        bottom.set_ylabel(f"test accuracy (%),\n{test_images:,} images")
        bottom.set_ylim(0, 100)
        bottom.set_xlabel("seconds since the clock started")
        if budget_seconds:
            for axis in (top, bottom):
                axis.axvline(budget_seconds, color=GUIDE, linestyle="--", linewidth=1)
            bottom.text(budget_seconds, 4, f"end of the {budget_seconds / 60:g}-minute budget ",
                        ha="right", fontsize=8, color=GUIDE)  # fmt: skip
        bottom.set_xlim(0, 1.03 * end if end > 0 else 1)
        figure.tight_layout()
    plt.close(figure)
    return describe(figure, against_time_text(seconds, losses, accuracies, budget_seconds))


def against_time_text(
    seconds: Sequence[float],
    losses: Sequence[float],
    accuracies: Sequence[tuple[float, float]],
    budget_seconds: float | None,
) -> str:
    """The alt text of :func:`loss_and_accuracy_against_time`: what its data says."""
    if not len(losses):
        parts = ["Training loss and test accuracy against time: no step trained yet"]
    else:
        parts = [f"Training loss from {losses[0]:.2f} to {losses[-1]:.2f} over "
                 f"{len(losses):,} steps in {seconds[-1]:.0f} s"]  # fmt: skip
    if accuracies:
        first, last = accuracies[0][1], accuracies[-1][1]
        parts.append(f"test accuracy {100 * first:.1f}% at {accuracies[0][0]:.0f} s"
                     + (f", {100 * last:.1f}% at {accuracies[-1][0]:.0f} s"
                        if len(accuracies) > 1 else ""))  # fmt: skip
    if budget_seconds:
        parts.append(f"the {budget_seconds / 60:g}-minute budget ends at {budget_seconds:.0f} s")
    return "; ".join(parts) + "."
