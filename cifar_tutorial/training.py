"""Training plumbing shared by notebook 04, notebook 05's fallback, the benchmark and the tests.
Notebook 04 writes the training loop out in full, because it is the lesson; :func:`train` here runs
the very same loop (a test checks that both give identical weights), for code that needs trained
weights without teaching how."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.nn as nn
from torch import optim
from tqdm.auto import tqdm

from .checkpoint import save_checkpoint
from .data import REFERENCE_MEAN, REFERENCE_STD, FastLoader, ImageSet, load_split
from .device import describe_device, pick_device, synchronize
from .errors import DeviceMemoryError, TrainingDivergedError, first_line
from .live import LivePlot, Output
from .models import Net
from .paths import resolve_path
from .seeding import seed_everything
from .settings import default_checkpoint, notebook_settings
from .validation import check_bool, check_choice, check_float, check_int, check_writable_path

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SCHEDULES = ("constant", "onecycle")


@dataclass(frozen=True)
class Recipe:
    """Everything that decides how the network is trained."""

    name: str
    epochs: int
    batch_size: int
    lr: float
    momentum: float
    nesterov: bool
    weight_decay: float
    schedule: str
    flip: bool

    def as_dict(self) -> dict[str, Any]:
        """Plain values, for checkpoints and metrics files."""
        return asdict(self)


RECIPES = {
    # Fast on a 2-core CPU and better than the reference: batches of 128 cut by tensor
    # indexing, a one-cycle learning rate with Nesterov momentum, random horizontal flips;
    # 3 epochs reach about 61% in about 15 s (docs/benchmarks.md has the measurements).
    "fast": Recipe("fast", epochs=3, batch_size=128, lr=0.08, momentum=0.9, nesterov=True,
                   weight_decay=5e-4, schedule="onecycle", flip=True),
    # The PyTorch tutorial exactly: batch 4, SGD lr 0.001 momentum 0.9, 2 epochs.
    "reference": Recipe("reference", epochs=2, batch_size=4, lr=0.001, momentum=0.9,
                        nesterov=False, weight_decay=0.0, schedule="constant", flip=False),
}  # fmt: skip


def make_recipe(name: str = "fast", **overrides: Any) -> Recipe:
    """A recipe from :data:`RECIPES` with the given values changed (``None`` keeps the default).
    Every value is validated, so a bad notebook parameter fails here with a clear message."""
    name = check_choice("recipe", name, RECIPES)
    changes = {key: value for key, value in overrides.items() if value is not None}
    unknown = sorted(set(changes) - set(Recipe.__dataclass_fields__) | ({"name"} & set(changes)))
    if unknown:
        raise TypeError(f"unknown recipe settings: {', '.join(unknown)}")
    recipe = replace(RECIPES[name], **changes)
    return Recipe(
        name=recipe.name,
        epochs=check_int("epochs", recipe.epochs, minimum=1, maximum=1000),
        batch_size=check_int("batch_size", recipe.batch_size, minimum=1, maximum=65536),
        lr=check_float("lr", recipe.lr, minimum=0, maximum=10, exclusive_min=True),
        momentum=check_float("momentum", recipe.momentum, minimum=0, maximum=1, exclusive_max=True),
        nesterov=check_bool("nesterov", recipe.nesterov),
        weight_decay=check_float("weight_decay", recipe.weight_decay, minimum=0, maximum=1),
        schedule=check_choice("schedule", recipe.schedule, SCHEDULES),
        flip=check_bool("flip", recipe.flip),
    )


def make_optimizer(net: nn.Module, recipe: Recipe) -> optim.SGD:
    """Stochastic gradient descent with momentum, as the recipe says.
    With the weights on the CPU it uses torch's fused implementation: the same update (up to
    rounding) in one call instead of several per weight tensor, 85 instead of 310 microseconds per
    step here, which matters with the reference's batches of 4."""
    parameters = list(net.parameters())
    nesterov = recipe.nesterov and recipe.momentum > 0
    fused = all(p.device.type == "cpu" for p in parameters) or None  # None: torch's default
    return optim.SGD(parameters, lr=recipe.lr, momentum=recipe.momentum, nesterov=nesterov,
                     weight_decay=recipe.weight_decay, fused=fused)  # fmt: skip


def make_scheduler(
    optimizer: optim.Optimizer, recipe: Recipe, steps_per_epoch: int
) -> optim.lr_scheduler.LRScheduler:
    """The learning-rate schedule, stepped once per batch.
    ``onecycle`` warms the rate up from lr/25 to lr over the first 25% of steps, then anneals it to
    nearly zero; ``constant`` keeps lr throughout, as the reference does."""
    if recipe.schedule == "constant":
        return optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    return optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=recipe.lr, total_steps=recipe.epochs * steps_per_epoch, pct_start=0.25
    )


class RunningLoss:
    """Keeps every step's loss, prints the average every ``every`` steps, stops on NaN.
    The printed lines look like the reference tutorial's: ``[epoch, step] loss: 1.234``."""

    def __init__(self, every: int, verbose: bool = True) -> None:
        self.every = check_int("print_every", every, minimum=1)
        self.verbose = verbose
        self.losses: list[float] = []
        self._total, self._count = 0.0, 0

    def update(self, loss: torch.Tensor, epoch: int, step: int) -> float:
        """Record one step's loss (``epoch`` and ``step`` count from 0); return it as a float."""
        value = loss.item()
        if not math.isfinite(value):
            raise TrainingDivergedError(
                f"The loss became {value} at epoch {epoch + 1}, step {step + 1}: training "
                "diverged. Lower the learning rate (lr), e.g. to a tenth, and train again."
            )
        self.losses.append(value)
        self._total += value
        self._count += 1
        if self._count == self.every:
            if self.verbose:
                tqdm.write(f"[{epoch + 1}, {step + 1:5d}] loss: {self._total / self._count:.3f}")
            self._total, self._count = 0.0, 0
        return value


def train(
    net: nn.Module,
    loader,
    recipe: Recipe,
    *,
    device: torch.device | str = "cpu",
    print_every: int = 100,
    progress: bool = True,
    start_epoch: int = 0,
    optimizer: optim.Optimizer | None = None,
    scheduler: Any = None,
    on_epoch_end: Callable[[int, optim.Optimizer, Any, RunningLoss], None] | None = None,
    live: Output | str | None = None,
) -> RunningLoss:
    """Train ``net`` with the loop of notebook 04; return the recorded losses.
    ``loader`` is a :class:`~cifar_tutorial.data.FastLoader` (or any iterable of batches with
    ``set_epoch``). To resume, pass ``start_epoch`` and the restored optimizer and scheduler.
    ``on_epoch_end(epoch, optimizer, scheduler, log)`` runs after each epoch (to save, say).
    ``live="notebook"`` redraws the loss curve in the notebook while it trains, as notebook 04
    does (see :mod:`cifar_tutorial.live`); ``None``: no live view."""
    net.to(device).train()
    criterion = nn.CrossEntropyLoss()
    optimizer = optimizer or make_optimizer(net, recipe)
    scheduler = scheduler or make_scheduler(optimizer, recipe, len(loader))
    log = RunningLoss(print_every, verbose=progress)
    curve = LivePlot(live_loss_curve, log.losses, steps_per_epoch=len(loader), output=live)
    batch_size = getattr(loader, "batch_size", recipe.batch_size)
    with curve, explain_out_of_memory(device, batch_size):
        for epoch in range(start_epoch, recipe.epochs):
            loader.set_epoch(epoch)
            batches = tqdm(loader, desc=f"epoch {epoch + 1}/{recipe.epochs}", disable=not progress)
            for step, (inputs, labels) in enumerate(batches):
                inputs, labels = inputs.to(device), labels.to(device)
                optimizer.zero_grad()  # 1. forget the previous step's gradients
                outputs = net(inputs)  # 2. forward pass
                loss = criterion(outputs, labels)  # 3. how wrong the outputs are
                loss.backward()  # 4. gradients of the loss with respect to every weight
                optimizer.step()  # 5. nudge every weight against its gradient
                scheduler.step()
                log.update(loss, epoch, step)
                curve.update()  # now and then, the loss curve redrawn (with live only)
            if on_epoch_end is not None:
                on_epoch_end(epoch, optimizer, scheduler, log)
    return log


def live_loss_curve(losses: list[float], steps_per_epoch: int) -> Figure:
    """Notebook 04's loss curve, as :func:`train` redraws it (matplotlib is imported only here,
    so that code that never draws, such as a torchrun worker, does not load it)."""
    from .plots import loss_curve

    return loss_curve(losses, steps_per_epoch=steps_per_epoch)


def train_and_save(
    path: Path, dataset: str, data_root: Path, *, device: torch.device, seed: int = 0
) -> Path:
    """Train a Net as notebook 04 does with its defaults, and save it at ``path`` as 04 does."""
    recipe = make_recipe("fast")
    data = load_split(dataset, "train", data_root)
    loader = FastLoader(data, recipe.batch_size, shuffle=True, flip=recipe.flip, device=device,
                        seed=seed)  # fmt: skip
    seed_everything(seed)
    net = Net()
    optimizer = make_optimizer(net, recipe)
    scheduler = make_scheduler(optimizer, recipe, len(loader))
    log = train(net, loader, recipe, device=device, print_every=max(1, len(loader) // 6),
                optimizer=optimizer, scheduler=scheduler)  # fmt: skip
    return save_checkpoint(path, net, epoch=recipe.epochs, optimizer=optimizer,
                           params={"recipe": recipe.as_dict(), "dataset": dataset, "seed": seed},
                           normalization={"mean": list(REFERENCE_MEAN), "std": list(REFERENCE_STD)},
                           scheduler=scheduler, history=log.losses)  # fmt: skip


@contextmanager
def explain_out_of_memory(device: torch.device | str, batch_size: int) -> Iterator[None]:
    """Around a training loop: a batch too big for the device fails with what to try.
    torch reports a full GPU (or RAM) with a page of allocator details; this turns it into a
    :class:`DeviceMemoryError` suggesting a smaller ``batch_size`` or the CPU. Notebook 04 wraps its
    loop in it too: ``with explain_out_of_memory(device, batch_size): ...``"""
    try:
        yield
    except RuntimeError as error:  # torch.OutOfMemoryError is a RuntimeError too
        if not _is_out_of_memory(error):
            raise
        smaller = f"batch_size={max(1, batch_size // 2)}"
        where = "device='cpu'" if torch.device(device).type != "cpu" else "closing other programs"
        raise DeviceMemoryError(
            f"A batch of batch_size={batch_size} does not fit in the memory of {device} "
            f"({first_line(error)}). Try a smaller batch, e.g. {smaller}, or {where}."
        ) from None


def _is_out_of_memory(error: RuntimeError) -> bool:
    text = str(error).lower()
    return (
        isinstance(error, torch.cuda.OutOfMemoryError)
        or "out of memory" in text  # CUDA, MPS
        or "can't allocate memory" in text  # the CPU allocator
    )


class Stopwatch:
    """``with Stopwatch() as watch: ...`` then ``watch.seconds``."""

    def __enter__(self) -> Stopwatch:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


@dataclass(frozen=True)
class TrainingSettings:
    """Notebook 04's parameters, checked, with every default filled in."""

    profile: str
    dataset: str
    data_root: Path
    metrics_path: Path | None
    seed: int
    device: torch.device
    recipe: Recipe
    print_every: int | None  # None: about 6 lines per epoch
    checkpoint_path: Path
    resume: bool

    @property
    def this_run(self) -> dict[str, Any]:
        """What a checkpoint records to tell runs apart: the recipe, data set and seed."""
        return {"recipe": self.recipe.as_dict(), "dataset": self.dataset, "seed": self.seed}


def training_settings(
    profile: str | None = None, dataset: str | None = None, data_root: str | None = None,
    metrics_path: str | None = None, *, seed: int = 0, device: str = "auto", recipe: str = "fast",
    epochs: int | None = None, batch_size: int | None = None, lr: float | None = None,
    momentum: float | None = None, print_every: int | None = None,
    checkpoint_path: str | None = None, resume: bool = False,
) -> TrainingSettings:  # fmt: skip
    """Check every parameter of notebook 04 before any data is loaded; fill in the defaults.
    A value that cannot work stops here with a one-line :class:`ParameterError`."""
    profile, dataset, data_root, metrics_path = notebook_settings(
        profile, dataset, data_root, metrics_path
    )
    made = make_recipe(recipe, epochs=epochs, batch_size=batch_size, lr=lr, momentum=momentum)
    if print_every is not None:
        print_every = check_int("print_every", print_every, minimum=1)
    path = resolve_path(checkpoint_path, default_checkpoint(dataset))
    path = check_writable_path("checkpoint_path", path)
    resume = check_bool("resume", resume)
    seed = check_int("seed", seed, minimum=0, maximum=2**32 - 1)
    return TrainingSettings(profile, dataset, data_root, metrics_path, seed, pick_device(device),
                            made, print_every, path, resume)  # fmt: skip


@dataclass(frozen=True)
class TrainingResult:
    """What one run of the training loop did: its losses, its time, how much it trained."""

    losses: list[float]  # every step's loss, the resumed epochs' included
    seconds: float  # time spent training in this run
    epochs: int  # epochs trained in this run (fewer after resuming)
    images_per_epoch: int
    steps_per_epoch: int
    last: int  # the final loss is the average of this many last steps
    device: torch.device | str = "cpu"  # where it trained

    @property
    def images_per_second(self) -> float:
        """Training speed of this run (0 when it had nothing left to train)."""
        return self.epochs * self.images_per_epoch / self.seconds if self.epochs else 0.0

    @property
    def final_loss(self) -> float:
        """The average loss of the ``last`` steps: what training ended at."""
        last = self.losses[-self.last :]
        return sum(last) / len(last) if last else math.nan

    def metrics(self) -> dict[str, Any]:
        """The numbers ``cifar-tutorial run`` reports, under the names its report reads."""
        return {
            "final_loss": self.final_loss,
            "loss_history": self.losses,
            "train_seconds": self.seconds,
            "images_per_second": self.images_per_second,
            "epochs_trained": self.epochs,
            "steps_per_epoch": self.steps_per_epoch,
        }

    def __str__(self) -> str:
        images, where = self.epochs * self.images_per_epoch, describe_device(self.device)
        return (
            f"{self.epochs} epochs, {images:,} images, in {self.seconds:.1f} s on {where}: "
            f"{self.images_per_second:,.0f} images per second.\nAverage loss of the last "
            f"{len(self.losses[-self.last :])} steps: {self.final_loss:.3f} "
            f"(ln 10 = {math.log(10):.3f})."
        )


def images_per_second(data: ImageSet, batch_size: int, seconds: float,
                      device: torch.device | str = "cpu", seed: int = 0) -> float:  # fmt: skip
    """Train a fresh Net for about ``seconds`` on batches of ``batch_size``; return its speed.
    The tutorial's optimizer (SGD, lr 0.001, momentum 0.9); nothing else is touched."""
    net = Net().to(device)
    optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    criterion = nn.CrossEntropyLoss()
    done = 0
    with Stopwatch() as clock:
        for inputs, labels in FastLoader(data, batch_size, shuffle=True, device=device, seed=seed):
            optimizer.zero_grad()
            criterion(net(inputs), labels).backward()
            optimizer.step()
            done += len(labels)
            if time.perf_counter() - clock.start > seconds:
                break
        synchronize(device)
    return done / clock.seconds
