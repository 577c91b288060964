"""How long each notebook will take on this machine, from a few measured steps.

A notebook's time is its fixed costs (a fresh kernel importing torch and the package,
loading the data, drawing its figures) plus its work: the training steps, tests and timing
loops its cells run, counted from the notebook's default parameters in the chosen profile
(epochs, batch sizes, widths, the data set's size), each multiplied by the time that step
takes here. The speeds come from :class:`~cifar_tutorial.course.speed.MeasuredSpeeds` (or, in
the tests, from fixed numbers); ``benchmarks/forecast_accuracy.py`` compares the forecast
with real runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

import torch

from ..data.sample import SAMPLE_PER_CLASS
from ..modern import (
    ABLATION_BUDGET,
    ABLATION_TEST_IMAGES,
    ABLATIONS,
    ablation_ideas,
    ablation_share,
)
from ..modern import make_recipe as make_modern_recipe
from ..modern.budget import AIM
from ..modern.evaluate import TEST_BATCH
from ..settings import PROFILE_DATASETS
from ..training import RECIPES as CLASSIC_RECIPES
from ..training import make_recipe as make_classic_recipe
from .speed import FastNetStep, StepTime

CLASSES = 10
SPLIT_SIZES = {
    "cifar10": (50_000, 10_000),
    "sample": (CLASSES * SAMPLE_PER_CLASS["train"], CLASSES * SAMPLE_PER_CLASS["test"]),
}
FIGURES = {"01": 2, "02": 2, "03": 0, "04": 1, "05": 6, "06": 0, "07": 4}
"""Figures each notebook draws (07 draws one more with its ablation study)."""
SPEED_TABLE_SECONDS = {"full": 2.0, "smoke": 0.5}  # notebook 04 times each batch size this long
GPU_TIMED_STEPS = {"full": 20, "smoke": 3}  # notebook 06's timed steps (after 3 untimed)
WIDE_NET_WIDTH = 8  # notebook 06's default width
STEP_TABLE_STEPS = {"full": 3, "smoke": 1}  # notebook 07's timed steps per setting
SMOKE_07 = {"epochs": 2, "widths": "16,32,64", "batch_size": 250,
            "ablation_epochs": 0.25, "ablation_widths": "8,16,32"}  # fmt: skip
"""Notebook 07's values in the smoke profile (its parameters cell names them too)."""
TTA_VIEWS = {0: 1, 1: 2, 2: 6}  # forward passes per test image at each tta level


class Speeds(Protocol):
    """What a forecast needs to know about the machine (see ``MeasuredSpeeds``)."""

    device: torch.device
    startup: float
    load: dict[str, float]
    figure: float
    autocast_bfloat16: bool

    def net_step(self, batch_size: int) -> StepTime: ...
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


def forecast_notebook(number: str, profile: str, speeds: Speeds) -> Forecast:
    """The forecast of notebook ``number`` ("01" to "07") with its default parameters."""
    dataset = PROFILE_DATASETS[profile]
    forecast = Forecast(number, profile)
    forecast.add("start-up and imports", speeds.startup)
    WORK[number](forecast, dataset, speeds)
    figures = FIGURES[number] + (number == "07")  # the ablation chart
    forecast.add("figures", figures * speeds.figure)
    return forecast


def forecast_all(profile: str, speeds: Speeds) -> list[Forecast]:
    """Every notebook's forecast, in order."""
    return [forecast_notebook(number, profile, speeds) for number in WORK]


def load(forecast: Forecast, dataset: str, speeds: Speeds, *splits: str) -> None:
    for split in splits:
        forecast.add("loading the data", speeds.load[f"{dataset}-{split}"])


def load_and_normalize(forecast: Forecast, dataset: str, speeds: Speeds) -> None:  # 01
    load(forecast, dataset, speeds, "train", "test")  # as tensors
    load(forecast, dataset, speeds, "train", "test")  # as torchvision data sets


def define_a_cnn(forecast: Forecast, dataset: str, speeds: Speeds) -> None:  # 02
    load(forecast, dataset, speeds, "train")


def loss_and_optimizer(forecast: Forecast, dataset: str, speeds: Speeds) -> None:  # 03
    load(forecast, dataset, speeds, "train")
    forecast.steps("training steps", speeds.net_step(4), 31, ("net", 4))


def classic_training(
    forecast: Forecast, speeds: Speeds, recipe, n_train: int, part: str = "training Net"
) -> None:
    steps = recipe.epochs * math.ceil(n_train / recipe.batch_size)
    forecast.steps(part, speeds.net_step(recipe.batch_size), steps, ("net", recipe.batch_size))
    forecast.add(part, steps * recipe.batch_size * speeds.augment_per_image())


def train(forecast: Forecast, dataset: str, speeds: Speeds) -> None:  # 04
    n_train, _ = SPLIT_SIZES[dataset]
    load(forecast, dataset, speeds, "train")
    classic_training(forecast, speeds, make_classic_recipe("fast"), n_train)
    sizes = {4, CLASSIC_RECIPES["fast"].batch_size}
    forecast.add("images/s table", len(sizes) * SPEED_TABLE_SECONDS[forecast.profile])


def test(forecast: Forecast, dataset: str, speeds: Speeds) -> None:  # 05
    _, n_test = SPLIT_SIZES[dataset]
    load(forecast, dataset, speeds, "test")
    forecast.add("testing Net", n_test * speeds.net_test_per_image())


def gpu(forecast: Forecast, dataset: str, speeds: Speeds) -> None:  # 06
    load(forecast, dataset, speeds, "train")
    steps = 3 + GPU_TIMED_STEPS[forecast.profile]
    machines = [speeds.on_cpu()] + ([speeds] if speeds.device.type != "cpu" else [])
    for machine in machines:
        kind = machine.device.type
        forecast.steps("timed steps", machine.net_step(128), steps, (kind, "net"))
        wide = machine.wide_net_step(WIDE_NET_WIDTH, 128)
        forecast.steps("timed steps", wide, steps, (kind, "wide"))


def faster_and_better(forecast: Forecast, dataset: str, speeds: Speeds) -> None:  # 07
    n_train, n_test = SPLIT_SIZES[dataset]
    smoke = forecast.profile == "smoke"
    load(forecast, dataset, speeds, "train", "test")
    for name in ("reference", "fast"):  # the classic curves, tested after every epoch
        classic = make_classic_recipe(name, epochs=1 if smoke else None)
        classic_training(forecast, speeds, classic, n_train, "Net curves")
        forecast.add("Net curves", classic.epochs * n_test * speeds.net_test_per_image())
    recipe, ablation = modern_recipes(smoke, speeds.device)
    forecast.add("augmented batches", (n_train // recipe.batch_size) * recipe.batch_size
                 * speeds.augment_per_image())  # fmt: skip
    bfloat16 = speeds.autocast_bfloat16 and recipe.precision == "auto"
    emulated = speeds.device.type == "cpu" and not speeds.autocast_bfloat16
    for channels_last, in_bfloat16 in ((False, False), (True, False), (True, True)):
        slow = in_bfloat16 and emulated  # the notebook times one step on a quarter batch
        batch = recipe.batch_size // 4 if slow else recipe.batch_size
        step = FastNetStep(recipe.widths, 32, batch, channels_last, in_bfloat16)
        count = 1 + (1 if slow else STEP_TABLE_STEPS[forecast.profile])
        forecast.steps("step table", speeds.fast_net_step(step), count, step)
    modern_run(forecast, speeds, recipe, n_train, n_test, bfloat16, "the recipe")
    for tta in TTA_VIEWS:  # the notebook tests at every level, the recipe's is counted above
        if tta != recipe.tta:
            modern_testing(forecast, speeds, recipe, n_test, bfloat16, "the recipe", tta)
    trained = ablation_ideas(ablation)  # the ideas whose removal needs a run of its own
    if ablation.budget is not None:  # the runs share what is left of the notebook's minutes
        ablation = replace(ablation, budget=ablation_share(forecast.seconds, 1 + len(trained)))
    n_ablation_test = min(n_test, ABLATION_TEST_IMAGES[forecast.profile])  # fewer test images
    modern_run(forecast, speeds, ablation, n_train, n_ablation_test, bfloat16, "ablation study")
    for idea, switch_off in ABLATIONS.items():
        if idea == "test-time augmentation":
            modern_testing(forecast, speeds, ablation, n_ablation_test, bfloat16,
                           "ablation study", 0)  # fmt: skip
        elif idea in trained:
            changed = replace(ablation, **switch_off)
            modern_run(forecast, speeds, changed, n_train, n_ablation_test, bfloat16,
                       "ablation study")  # fmt: skip


def modern_recipes(smoke: bool, device: torch.device):
    """Notebook 07's recipe and its ablation runs' recipe, as its set-up cell makes them."""
    name = "gpu" if device.type == "cuda" else "cpu"
    preset = make_modern_recipe(name)
    recipe = make_modern_recipe(
        name,
        epochs=SMOKE_07["epochs"] if smoke else None,
        widths=SMOKE_07["widths"] if smoke else None,
        batch_size=SMOKE_07["batch_size"] if smoke else None,
    )
    recipe = replace(recipe, lr=preset.lr * recipe.batch_size / preset.batch_size)
    half_widths = ",".join(str(max(1, w // 2)) for w in recipe.widths)
    budgeted = recipe.budget is not None  # then the ablation runs have budgets too
    ablation = make_modern_recipe(
        name,
        epochs=SMOKE_07["ablation_epochs"] if smoke else (None if budgeted else 1),
        budget=ABLATION_BUDGET if budgeted else None,
        widths=SMOKE_07["ablation_widths"] if smoke else half_widths,
        batch_size=recipe.batch_size,
        lr=recipe.lr,
        tta=recipe.tta,
    )
    return recipe, ablation


def modern_run(forecast, speeds, recipe, n_train, n_test, bfloat16, part) -> None:
    """Training and testing one modern-recipe network: its budget, or its epochs' steps."""
    if recipe.budget is not None:  # the recipe plans to end at AIM of its budget
        forecast.add(part, AIM * 60 * recipe.budget)
        return
    modern_training(forecast, speeds, recipe, n_train, bfloat16, part)
    modern_testing(forecast, speeds, recipe, n_test, bfloat16, part)


def modern_training(forecast, speeds, recipe, n_train, bfloat16, part) -> None:
    """The training steps of one modern-recipe run, small images first."""
    total = max(1, round(recipe.epochs * (n_train // recipe.batch_size)))
    low_res = round(recipe.low_res_fraction * total) if recipe.low_res_size else 0
    for size, count in ((recipe.low_res_size, low_res), (32, total - low_res)):
        if count:
            step = FastNetStep(recipe.widths, size, recipe.batch_size, recipe.channels_last,
                               bfloat16)  # fmt: skip
            forecast.steps(part, speeds.fast_net_step(step), count, step)
    forecast.add(part, total * recipe.batch_size * speeds.augment_per_image())


def modern_testing(forecast, speeds, recipe, n_test, bfloat16, part, tta=None) -> None:
    """Testing one modern-recipe network with ``tta`` (default: the recipe's) views."""
    views = TTA_VIEWS[recipe.tta if tta is None else tta]
    batch = min(TEST_BATCH, n_test)
    step = FastNetStep(recipe.widths, 32, batch, recipe.channels_last, bfloat16)
    forecast.steps(part, speeds.fast_net_view(step), views * math.ceil(n_test / batch), step)


WORK: dict[str, Callable[[Forecast, str, Speeds], None]] = {
    "01": load_and_normalize,
    "02": define_a_cnn,
    "03": loss_and_optimizer,
    "04": train,
    "05": test,
    "06": gpu,
    "07": faster_and_better,
}
"""Each notebook's work, by its number."""


def format_seconds(seconds: float) -> str:
    """``8 s``, ``3 min 05 s``, ``1 h 02 min``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
