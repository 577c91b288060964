"""How long each notebook will take on this machine, from a few measured steps.

A notebook's time is its fixed costs (a fresh kernel importing torch and the package) plus
the work its cells do, each piece multiplied by the time it takes here. What the work is
comes from the notebook itself, never from a copy: a dry run of its code
(:mod:`~cifar_tutorial.course.dry_run`) starts from its parameters' defaults in the chosen
profile, computes its recipes and settings as its own cells do, and hands every call that
does work to :class:`Work`, which prices it: loading a split, drawing a figure, an epoch of
``Net``, the timed steps of a table, a budgeted run of notebook 07's recipe, a test at a
test-time-augmentation level, a ``torchrun`` launch of notebook 08. The speeds come from
:class:`~cifar_tutorial.course.speed.MeasuredSpeeds` (or, in the tests, from fixed numbers);
``benchmarks/forecast_accuracy.py`` compares the forecast with real runs.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import inspect
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch

from ..checkpoint import resume_or_start
from ..data import FastLoader, classic_dataset, load_split
from ..data.sample import SAMPLE_PER_CLASS
from ..device import pick_device
from ..distributed import launch_function, run_torchrun
from ..distributed import train as ddp_train
from ..metrics import predict
from ..models import Net, WideNet
from ..modern import evaluate, run, tta_logits
from ..modern.augment import train_batches
from ..modern.budget import AIM
from ..modern.evaluate import TEST_BATCH
from ..modern.train import build_net, fixed_steps, plan_steps
from ..settings import PROFILE_DATASETS
from ..training import images_per_second
from ..training import make_recipe as make_classic_recipe
from .dry_run import UNKNOWN, Call, DryRun, Opaque, returns_figure
from .speed import FastNetStep, StepTime

CLASSES = 10
SPLIT_SIZES = {
    "cifar10": {"train": 50_000, "test": 10_000},
    "sample": {split: CLASSES * count for split, count in SAMPLE_PER_CLASS.items()},
}


class Speeds(Protocol):
    """What a forecast needs to know about the machine (see ``MeasuredSpeeds``)."""

    device: torch.device
    startup: float
    load: dict[str, float]
    figure: float
    autocast_bfloat16: bool
    native_bfloat16: bool
    cores: int

    def net_step(self, batch_size: int, threads: int | None = None) -> StepTime: ...
    def wide_net_step(self, width: int, batch_size: int) -> StepTime: ...
    def net_test_per_image(self) -> float: ...
    def augment_per_image(self) -> float: ...
    def fast_net_step(self, step: FastNetStep) -> StepTime: ...
    def fast_net_view(self, step: FastNetStep) -> StepTime: ...
    def on_cpu(self) -> Speeds: ...


@dataclass
class Forecast:
    """The predicted seconds of one notebook, part by part."""

    notebook: str
    profile: str
    parts: dict[str, float] = field(default_factory=dict)
    _started: set = field(default_factory=set, repr=False)

    @property
    def seconds(self) -> float:
        return sum(self.parts.values())

    def add(self, part: str, seconds: float) -> None:
        self.parts[part] = self.parts.get(part, 0.0) + seconds

    def steps(self, part: str, timing: StepTime, count: int, key: object) -> None:
        """``count`` steps; the first step of a kind pays its set-up once per notebook."""
        if count <= 0:
            return
        first = key not in self._started
        self._started.add(key)
        self.add(part, timing.total(count) if first else count * timing.each)


@dataclass(frozen=True)
class NotebookCode:
    """What the forecast reads of a notebook: its parameters' defaults and its code cells."""

    number: str
    parameters: dict[str, Any]
    cells: list[str]


def read_notebook(number: str, folder: str | Path | None = None) -> NotebookCode:
    """Notebook ``number`` of the collection in ``folder``: its parameters' defaults (as
    papermill reads them) and the sources of its other code cells."""
    from . import notebooks

    path = notebooks.notebook_path(number, folder)
    cells = notebooks.read_notebook(path)["cells"]
    parameters = notebooks.declared_parameters(path)
    return NotebookCode(
        number,
        {name: literal(found["default"]) for name, found in parameters.items()},
        [notebooks.cell_source(c) for c in cells if c["cell_type"] == "code"
         and "parameters" not in notebooks.cell_tags(c)],
    )  # fmt: skip


def literal(text: str) -> object:
    """A parameter's default as papermill shows it (``"None"``, ``"2"``, ``"'auto'"``);
    unknown to the dry run when it is not a literal."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return Opaque(text, None)


def forecast_notebook(
    number: str,
    profile: str,
    speeds: Speeds,
    folder: str | Path | None = None,
    parameters: dict[str, Any] | None = None,
    notebook: NotebookCode | None = None,
) -> Forecast:
    """The forecast of notebook ``number`` with its default parameters (and ``parameters``)."""
    notebook = notebook or read_notebook(number, folder)
    forecast = Forecast(notebook.number, profile)
    forecast.add("start-up and imports", speeds.startup)
    work = Work(forecast, speeds, PROFILE_DATASETS[profile])
    given = {**notebook.parameters, **(parameters or {})}
    pinned = {"profile": profile, "dataset": given.get("dataset") or work.dataset,
              "cpu_has_fast_bfloat16": lambda: speeds.native_bfloat16}  # fmt: skip
    work.dry_run = DryRun(work.on_call, pinned)
    work.dry_run.run(given, notebook.cells)
    return forecast


def forecast_all(profile: str, speeds: Speeds, folder: str | Path | None = None) -> list[Forecast]:
    """Every notebook's forecast, in order."""
    from .notebooks import notebook_names

    return [forecast_notebook(number, profile, speeds, folder) for number in notebook_names(folder)]


class Stand(Opaque):
    """A stand-in for a result the forecast models (a data set, a loader, a network)."""

    def __init__(self, work: Work, name: str, **known: Any) -> None:
        super().__init__(name, work.dry_run)
        object.__setattr__(self, "_work", work)
        for key, value in known.items():
            object.__setattr__(self, key, value)


class Images(Stand):
    """A split of ``count`` images (``load_split``, ``classic_dataset``)."""

    def __len__(self) -> int:
        return self.count

    def spread(self, count: int) -> Images:
        return Images(self._work, "images", count=min(count, self.count))


class Batch(Images):
    """One batch of ``count`` images (or their labels)."""


class Loader(Stand):
    """``FastLoader``: its batches; each epoch it is set to trains the last network made."""

    def __len__(self) -> int:
        return math.ceil(self.count / self.batch_size)

    def __iter__(self):
        for _ in range(len(self)):
            yield (
                Batch(self._work, "images", count=self.batch_size),
                Batch(self._work, "labels", count=self.batch_size),
            )

    def set_epoch(self, epoch: int) -> None:
        self._work.classic_epochs(self.batch_size, len(self), "training Net")
        self._work.epochs_counted += 1


class Batches(Loader):
    """``train_batches``: notebook 07's augmented batches, cut as they are served."""

    def __len__(self) -> int:
        return self.count // self.batch_size

    def __iter__(self):
        for batch in super().__iter__():
            self._work.add(
                "augmented batches", self.batch_size * self._work.speeds.augment_per_image()
            )
            yield batch

    def set_epoch(self, epoch: int) -> None:
        pass


class Model(Stand):
    """``Net`` or ``WideNet(width)``; a call remembers the batch it was given."""

    def __call__(self, images: object, *_: object) -> Opaque:
        if isinstance(images, Images):
            self._work.last_batch = len(images)
        return Opaque(f"{self._name}()", self._work.dry_run)


@dataclass
class Work:
    """Prices each call a notebook's dry run hands over; ``UNKNOWN`` for the rest."""

    forecast: Forecast
    speeds: Speeds
    dataset: str
    dry_run: DryRun | None = None
    last_batch: int | None = None
    epochs_counted: int = 0
    ddp_results: dict[str, dict] = field(default_factory=dict)

    def add(self, part: str, seconds: float) -> None:
        self.forecast.add(part, seconds)

    @property
    def namespace(self) -> dict[str, Any]:
        return self.dry_run.namespace

    def on_call(self, call: Call) -> object:
        if call.name == "time.perf_counter":  # the notebook's clock: the forecast so far
            return self.forecast.seconds
        handler = self.by_name().get(call.name) if isinstance(call.target, (ast.AST, type(None))) \
            else next((h for f, h in self.by_target() if f is call.target), None)  # fmt: skip
        if handler is not None:
            return handler(**self.arguments(call))
        if is_settings(call.target):  # a notebook's set-up: its checks and defaults, for real
            return self.settings(call)
        if call.target is not None and not isinstance(call.target, ast.AST) \
                and returns_figure(call.target):  # fmt: skip
            self.add("figures", self.speeds.figure)
        return UNKNOWN

    def arguments(self, call: Call) -> dict[str, Any]:
        """The call's arguments by the names of the function's parameters."""
        if isinstance(call.target, ast.FunctionDef):
            return {"definition": call.target,
                    **self.dry_run.arguments(call.target, call.args, call.kwargs)}  # fmt: skip
        if call.target is None:
            return {"args": call.args, **call.kwargs}
        bound = inspect.signature(call.target).bind(*call.args, **call.kwargs)
        bound.apply_defaults()
        return dict(bound.arguments)

    def by_target(self) -> list[tuple[object, Callable[..., object]]]:
        """The package's functions and classes that do the notebooks' work."""
        return [
            (load_split, self.load), (classic_dataset, self.load),
            (FastLoader, self.loader), (predict, self.predict),
            (Net, lambda **_: Model(self, "Net", width=None)),
            (WideNet, lambda width, **_: Model(self, "WideNet", width=width)),
            (train_batches, self.train_batches), (build_net, self.build_net),
            (plan_steps, self.plan_steps), (fixed_steps, self.fixed_steps),
            (evaluate, self.evaluate), (run, self.modern_run),
            (launch_function, self.launch_function), (run_torchrun, self.run_torchrun),
            (ddp_train.run, self.ddp_run_here),
            (pick_device, lambda **_: self.speeds.device),
            (resume_or_start, lambda **_: (0, [])),  # a forecast is of a run from scratch
            (images_per_second, self.timed_for),  # 04: the images/s table
        ]  # fmt: skip

    def by_name(self) -> dict[str, Callable[..., object]]:
        """What the notebooks' own functions and objects do, by the names they give them."""
        return {
            "optimizer.step": self.optimizer_step,  # 03: steps on one batch
            "images_per_second_at": self.timed_for,  # 04: the images/s table
            "seconds_per_step": self.timed_steps,  # 06: Net and WideNet, CPU and accelerator
            "classic_curve": self.classic_curve,  # 07: notebook 4's recipes, tested each epoch
            "seconds_per_image": self.step_table,  # 07: layouts and precisions
            "results_of": lambda name, **_: self.ddp_results.get(name, UNKNOWN),  # 08
        }

    def settings(self, call: Call) -> object:
        """``notebook_settings`` and its kin, quietly, on the forecast's profile and device."""
        arguments = self.arguments(call)
        arguments.update({k: self.namespace[k] for k in ("profile", "dataset") if k in arguments})
        with contextlib.redirect_stdout(io.StringIO()):
            settings = call.target(**arguments)
        if dataclasses.is_dataclass(settings) and hasattr(settings, "device"):
            settings = dataclasses.replace(settings, device=self.speeds.device)
        return settings

    # loading and Net

    def load(self, dataset: str, split: str, **_: object) -> Images:
        self.add("loading the data", self.speeds.load[f"{dataset}-{split}"])
        return Images(self, split, count=SPLIT_SIZES[dataset][split])

    def loader(self, data: object, batch_size: int, **_: object) -> object:
        if not isinstance(data, Images):
            return UNKNOWN
        return Loader(self, "loader", count=len(data), batch_size=batch_size)

    def classic_epochs(self, batch_size: int, steps: int, part: str, epochs: int = 1) -> None:
        """``epochs`` epochs of ``steps`` training steps of ``Net`` (flipped batches)."""
        timing = self.speeds.net_step(batch_size)
        self.forecast.steps(part, timing, epochs * steps, ("net", batch_size))
        self.add(part, epochs * steps * batch_size * self.speeds.augment_per_image())

    def predict(self, loader: object, **_: object) -> object:
        if isinstance(loader, Loader):
            self.add("testing Net", loader.count * self.speeds.net_test_per_image())
        return UNKNOWN

    def optimizer_step(self, **_: object) -> object:
        """A step on the batch the network last saw (an epoch of a loader counts its own)."""
        if self.last_batch and not self.epochs_counted:
            timing = self.speeds.net_step(self.last_batch)
            self.forecast.steps("training steps", timing, 1, ("net", self.last_batch))
        return UNKNOWN

    def timed_for(self, seconds: float, **_: object) -> object:
        """A probe that trains for ``seconds`` (its last step's overshoot is not counted)."""
        self.add("images/s table", seconds)
        return UNKNOWN

    def timed_steps(self, definition, model: object, on: torch.device, steps: int, **_) -> object:
        """Steps of ``model`` on the device ``on``, as many as the function's loop runs."""
        images = self.namespace.get("images")
        if not isinstance(model, Model) or not isinstance(images, Images):
            return UNKNOWN
        count = self.dry_run.loop_count(definition, steps=steps)
        machine = self.speeds if on.type == self.speeds.device.type else self.speeds.on_cpu()
        timing = (machine.net_step(len(images)) if model.width is None
                  else machine.wide_net_step(model.width, len(images)))  # fmt: skip
        self.forecast.steps("timed steps", timing, count, (on.type, model._name, model.width))
        return UNKNOWN

    # notebook 07

    def classic_curve(self, definition, name: str, **_: object) -> object:
        """Notebook 4's recipe ``name`` as the function makes it, tested after every epoch."""
        classic = self.dry_run.value_in(definition, "classic", name=name)
        train_set, test_set = self.namespace["train_set"], self.namespace["test_set"]
        steps = math.ceil(len(train_set) / classic.batch_size)
        self.classic_epochs(classic.batch_size, steps, "Net curves", classic.epochs)
        self.add("Net curves", classic.epochs * len(test_set) * self.speeds.net_test_per_image())
        return UNKNOWN

    def train_batches(self, data: object, batch_size: int, **_: object) -> object:
        if not isinstance(data, Images):
            return UNKNOWN
        return Batches(self, "batches", count=len(data), batch_size=batch_size)

    def step_table(self, definition, channels_last, dtype, steps, images, **_) -> object:
        """One row of the step table: the function's steps on ``images`` images."""
        recipe = self.namespace["recipe"]
        step = FastNetStep(recipe.widths, 32, images, channels_last, dtype is torch.bfloat16)
        count = self.dry_run.loop_count(definition, steps=steps)
        self.forecast.steps("step table", self.speeds.fast_net_step(step), count, step)
        return UNKNOWN

    def bfloat16(self, recipe) -> bool:
        return self.speeds.autocast_bfloat16 and recipe.precision == "auto"

    def build_net(self, recipe, **_: object) -> Stand:
        return Stand(self, "net", recipe=recipe, part="the recipe", tested_in_budget=None)

    def plan_steps(self, net: object, recipe, **_: object) -> object:
        """A budget: the recipe plans to end its training and one test at ``AIM`` of it."""
        self.add(net.part, AIM * 60 * recipe.budget)
        object.__setattr__(net, "tested_in_budget", recipe.tta)
        return UNKNOWN

    def fixed_steps(self, recipe, steps_per_epoch: int, part: str = "the recipe") -> object:
        """The recipe's epochs: its steps, small images first."""
        steps = fixed_steps(recipe, steps_per_epoch)
        for size, count in ((recipe.low_res_size, steps.low_res),
                            (32, steps.total - steps.low_res)):  # fmt: skip
            if count:
                step = FastNetStep(recipe.widths, size, recipe.batch_size, recipe.channels_last,
                                   self.bfloat16(recipe))  # fmt: skip
                self.forecast.steps(part, self.speeds.fast_net_step(step), count, step)
        self.add(part, steps.total * recipe.batch_size * self.speeds.augment_per_image())
        return steps

    def evaluate(self, net: object, test_set: object, tta: int, **_: object) -> object:
        """Testing at a test-time-augmentation level (free when the budget counted it)."""
        if not isinstance(net, Stand) or not isinstance(test_set, Images):
            return UNKNOWN
        if net.tested_in_budget == tta:
            object.__setattr__(net, "tested_in_budget", None)
            return UNKNOWN
        recipe, batch = net.recipe, min(TEST_BATCH, len(test_set))
        step = FastNetStep(recipe.widths, 32, batch, recipe.channels_last, self.bfloat16(recipe))
        views = views_per_image(tta) * math.ceil(len(test_set) / batch)
        self.forecast.steps(net.part, self.speeds.fast_net_view(step), views, step)
        return UNKNOWN

    def modern_run(self, recipe, train_set: object, test_set: object, **_: object) -> object:
        """``modern.run``: training on a budget or for epochs, then a test."""
        net = Stand(self, "net", recipe=recipe, part="ablation study", tested_in_budget=None)
        if recipe.budget is not None:
            self.plan_steps(net, recipe)
        else:
            self.fixed_steps(recipe, len(train_set) // recipe.batch_size, net.part)
        self.evaluate(net, test_set, recipe.tta)
        return Stand(self, "result", net=net)

    # notebook 08

    def start_processes(self, count: int, part: str) -> None:
        """``count`` fresh interpreters importing torch and the package, sharing the cores."""
        self.add(part, self.speeds.startup * max(1, count / self.speeds.cores))

    def ddp_training(self, processes: int, argv: list, part: str) -> Results:
        """A run of ``distributed/train.py`` with ``processes`` processes, as its options say."""
        args = ddp_train.parse_args([str(word) for word in argv])
        recipe = make_classic_recipe("fast", epochs=args.epochs, batch_size=args.batch_size)
        n_train = args.train_images or SPLIT_SIZES[args.dataset]["train"]
        n_test = SPLIT_SIZES[args.dataset]["test"]
        cores = self.speeds.cores
        threads = args.threads or max(1, cores // processes)  # the cores shared out
        busy = max(1.0, processes * threads / cores)  # more threads than cores: they take turns
        local = recipe.batch_size // processes
        step = self.speeds.net_step(local, threads)
        per_epoch = n_train // recipe.batch_size
        steps = recipe.epochs * per_epoch
        if args.crash_at:  # a crash, then a restart that redoes the crashed epoch
            epoch, at = ddp_train.parse_crash_at(args.crash_at)
            steps = (epoch - 1) * per_epoch + at + (recipe.epochs - epoch + 1) * per_epoch
            self.start_processes(processes, part)
            for split in ("train", "test"):
                self.add(part, self.speeds.load[f"{args.dataset}-{split}"] * busy)
        for split in ("train", "test"):
            self.add(part, self.speeds.load[f"{args.dataset}-{split}"] * busy)
        self.add(part, busy * (step.first + (steps - 1) * step.each))
        slower = step.each / self.speeds.net_step(local).each
        self.add(part, busy * slower * n_test / processes * self.speeds.net_test_per_image())
        results = {"world_size": processes, "steps_per_epoch": per_epoch, "batch_size":
                   recipe.batch_size, "batch_size_per_process": local,
                   "threads_per_process": threads}  # fmt: skip
        if args.results:
            self.ddp_results[Path(str(args.results)).stem] = Results(self, results)
        return Results(self, results)

    def launch_function(self, function: object, nproc: int, args: tuple, **_: object) -> object:
        self.start_processes(nproc, "launched processes")
        if getattr(function, "_target", None) is ddp_train.run:
            return {0: self.ddp_training(nproc, args[0], "launched processes")}
        return UNKNOWN

    def run_torchrun(self, nproc: int, script_args, **_: object) -> object:
        self.start_processes(1, "torchrun runs")  # torchrun itself
        self.start_processes(nproc, "torchrun runs")
        self.ddp_training(nproc, list(script_args), "torchrun runs")
        return UNKNOWN

    def ddp_run_here(self, argv, **_: object) -> object:
        return self.ddp_training(1, list(argv), "run in the notebook")


def is_settings(function: object) -> bool:
    """A notebook's set-up function of the package: ``notebook_settings``, ``training_settings``."""
    name, module = getattr(function, "__name__", ""), getattr(function, "__module__", "") or ""
    return name.endswith("_settings") and module.startswith("cifar_tutorial")


class Results(dict):
    """What rank 0 of a run returns: the counts the forecast knows, unknown for the rest."""

    def __init__(self, work: Work, known: dict) -> None:
        super().__init__(known)
        self._work = work

    def __missing__(self, key: str) -> Opaque:
        return Opaque(f"results[{key!r}]", self._work.dry_run)


def views_per_image(tta: int) -> int:
    """Forward passes per test image at a test-time-augmentation level, as ``tta_logits``
    makes them (counted on a stand-in network)."""
    calls = []

    def network(images: torch.Tensor) -> torch.Tensor:
        calls.append(len(images))
        return torch.zeros(len(images), CLASSES)

    tta_logits(network, torch.zeros(1, 3, 4, 4), tta)
    return len(calls)
