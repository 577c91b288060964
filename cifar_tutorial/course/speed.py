"""How fast this machine runs the course's work: a few short, real training steps.

:class:`MeasuredSpeeds` times the operations the notebooks spend their time on, on the
device they will use, with the embedded sample as data: a training step of ``Net`` at a
batch size, testing ``Net``, a training step and a test view of ``FastNet`` (notebook 07's
network) at given widths, image size, memory layout and precision. Each is measured the
first time it is asked for and then remembered, so a forecast measures exactly the steps it
needs, and a whole check takes a few seconds. :mod:`~cifar_tutorial.course.forecast` turns the
numbers into each notebook's time.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn as nn

from ..data import FastLoader, ImageSet
from ..device import synchronize
from ..distributed.launch import usable_cores

MIN_TIMED_SECONDS = 0.15  # time at least this long (several steps when one is short)
MIN_TIMED_STEPS = 3
MAX_TIMED_STEPS = 50
EMULATED_BFLOAT16_BATCH = 32  # without native bfloat16 a step is slow: time a small batch


@dataclass(frozen=True)
class StepTime:
    """One kind of step: its first run (shapes met for the first time) and every later one."""

    first: float
    each: float

    def total(self, steps: int) -> float:
        """Seconds for ``steps`` steps in a fresh process (the first one pays the set-up)."""
        return 0.0 if steps <= 0 else self.first + (steps - 1) * self.each


@dataclass(frozen=True)
class FastNetStep:
    """A training step (or a test view) of ``FastNet``, as notebook 07 runs it."""

    widths: tuple[int, int, int]
    image_size: int
    batch_size: int
    channels_last: bool = True
    bfloat16: bool = False


def time_steps(step: Callable[[], object], device: torch.device) -> StepTime:
    """Time ``step``: its first run alone, then the median of the runs after it, for at least
    ``MIN_TIMED_SECONDS`` and ``MIN_TIMED_STEPS`` runs (a single run when one is that long).
    The median ignores a run that another program on the machine slowed down."""
    first, timed = None, []
    for _ in range(1 + MAX_TIMED_STEPS):
        start = time.perf_counter()
        step()
        synchronize(device)
        seconds = time.perf_counter() - start
        if first is None:
            first = seconds
            continue
        timed.append(seconds)
        if sum(timed) > MIN_TIMED_SECONDS and (
            len(timed) >= MIN_TIMED_STEPS or seconds > MIN_TIMED_SECONDS
        ):
            break
    return StepTime(first, statistics.median(timed))


class MeasuredSpeeds:
    """Speeds of this machine, measured on demand on ``device`` and remembered.

    ``startup``, ``load`` and ``figure`` are seconds measured by the readiness check (a
    fresh kernel's imports, loading each split, drawing one figure); the methods time real
    steps the first time they are called (``measured_seconds`` adds up how long that took).
    """

    def __init__(
        self,
        device: torch.device,
        sample: ImageSet,
        *,
        startup: float,
        load: dict[str, float],
        figure: float,
    ) -> None:
        from ..modern.train import autocast_dtype, cpu_has_fast_bfloat16

        self.device = device
        self.sample = sample
        self.startup = startup
        self.load = load  # seconds per "dataset-split", e.g. "cifar10-train"
        self.figure = figure
        self.native_bfloat16 = cpu_has_fast_bfloat16()
        self.cores = usable_cores()
        self.autocast_bfloat16 = autocast_dtype(device) is torch.bfloat16
        self.measured_seconds = 0.0
        self._known: dict[object, object] = {}
        self._cpu: MeasuredSpeeds | None = None

    def on_cpu(self) -> MeasuredSpeeds:
        """The same measurements on the CPU (notebook 06 compares it with the accelerator)."""
        if self.device.type == "cpu":
            return self
        if self._cpu is None:
            self._cpu = MeasuredSpeeds(torch.device("cpu"), self.sample, startup=self.startup,
                                       load=self.load, figure=self.figure)  # fmt: skip
        return self._cpu

    def _remember(self, key: object, measure: Callable[[], object]):
        if key not in self._known:
            start = time.perf_counter()
            self._known[key] = measure()
            self.measured_seconds += time.perf_counter() - start
        return self._known[key]

    def _batch(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        loader = FastLoader(self.sample, min(batch_size, len(self.sample)), device=self.device)
        images, labels = next(iter(loader))
        if len(labels) < batch_size:  # the sample is smaller than the batch: repeat it
            repeats = -(-batch_size // len(labels))
            images, labels = images.repeat(repeats, 1, 1, 1), labels.repeat(repeats)
        return images[:batch_size], labels[:batch_size]

    def _train_step(self, net: nn.Module, images, labels, dtype=None) -> Callable[[], None]:
        optimizer = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9)
        criterion = nn.CrossEntropyLoss()
        net.train()

        def step() -> None:
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast(self.device.type, dtype=dtype, enabled=dtype is not None):
                loss = criterion(net(images), labels)
            loss.backward()
            optimizer.step()

        return step

    def net_step(self, batch_size: int, threads: int | None = None) -> StepTime:
        """A training step of ``Net`` (notebooks 03-08) on ``batch_size`` images, with
        ``threads`` CPU threads (default: this process's, all the cores)."""
        from ..models import Net

        def measure() -> StepTime:
            images, labels = self._batch(batch_size)
            net = Net().to(self.device)
            before = torch.get_num_threads()
            torch.set_num_threads(threads or before)
            try:
                return time_steps(self._train_step(net, images, labels), self.device)
            finally:
                torch.set_num_threads(before)

        key = ("net", batch_size) if threads in (None, torch.get_num_threads()) else (
            "net", batch_size, threads)  # fmt: skip
        return self._remember(key, measure)

    def wide_net_step(self, width: int, batch_size: int) -> StepTime:
        """A training step of notebook 06's ``WideNet(width)``."""
        from ..models import WideNet

        def measure() -> StepTime:
            images, labels = self._batch(batch_size)
            net = WideNet(width).to(self.device)
            return time_steps(self._train_step(net, images, labels), self.device)

        return self._remember(("wide", width, batch_size), measure)

    def net_test_per_image(self) -> float:
        """Seconds per image to test ``Net`` in batches of 1,000."""
        from ..metrics import predict
        from ..models import Net

        def measure() -> float:
            net = Net().to(self.device)
            loader = FastLoader(self.sample, 1000, device=self.device)
            timing = time_steps(lambda: predict(net, loader, self.device), self.device)
            return timing.each / len(self.sample)

        return self._remember("net-test", measure)

    def augment_per_image(self) -> float:
        """Seconds per image to cut notebook 07's shuffled, flipped, shifted batches."""
        from ..modern.augment import train_batches

        def measure() -> float:
            batches = train_batches(self.sample, 250, translate=1, device=self.device)
            timing = time_steps(lambda: sum(len(labels) for _, labels in batches), self.device)
            return timing.each / (len(batches) * 250)

        return self._remember("augment", measure)

    def fast_net_step(self, step: FastNetStep) -> StepTime:
        """A training step of ``FastNet`` as ``step`` describes it.

        Emulated bfloat16 (a CPU without native support) is several times slower than
        float32, so it is timed on a small batch and scaled to the full one.
        """
        return self._remember(("fast-train", step), lambda: self._fast_net(step, train=True))

    def fast_net_view(self, step: FastNetStep) -> StepTime:
        """One test view (a forward pass without gradients) of ``FastNet`` on a batch."""
        return self._remember(("fast-view", step), lambda: self._fast_net(step, train=False))

    def _fast_net(self, step: FastNetStep, train: bool) -> StepTime:
        from ..modern import FastNet

        emulated = step.bfloat16 and self.device.type == "cpu" and not self.native_bfloat16
        batch = min(step.batch_size, EMULATED_BFLOAT16_BATCH) if emulated else step.batch_size
        layout = torch.channels_last if step.channels_last else torch.contiguous_format
        images, labels = self._batch(batch)
        if step.image_size != images.shape[-1]:
            images = nn.functional.interpolate(images, size=step.image_size, mode="bilinear")
        images = images.contiguous(memory_format=layout)
        net = FastNet(step.widths).to(self.device).to(memory_format=layout)
        dtype = torch.bfloat16 if step.bfloat16 else None
        if train:
            run = self._train_step(net, images, labels, dtype)
        else:
            net.eval()

            @torch.no_grad()
            def run() -> None:
                with torch.autocast(self.device.type, dtype=dtype, enabled=dtype is not None):
                    net(images)

        timing = time_steps(run, self.device)
        scale = step.batch_size / batch
        return StepTime(timing.first + (scale - 1) * timing.each, scale * timing.each)
