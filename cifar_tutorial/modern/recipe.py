"""Every setting of the modern recipe in one place, named presets, and one call to run it.
``run(make_recipe("cpu"), train_set, test_set)`` builds the network, trains it, tests it with
test-time augmentation and says how long it all took. ``ABLATIONS`` names, for each idea, the
settings that switch it off, so an ablation study is a loop over them."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from typing import Any

import torch

from ..data import ImageSet
from ..device import synchronize
from ..errors import ParameterError
from ..metrics import accuracy
from ..seeding import seed_everything
from ..validation import check_bool, check_choice, check_float, check_int
from .budget import share_of_what_is_left
from .evaluate import evaluate
from .muon import OPTIMIZERS
from .net import check_widths
from .train import PRECISIONS, TrainLog, build_net, train


@dataclass(frozen=True)
class ModernRecipe:
    """The network, its training and its testing, as plain values."""

    name: str
    widths: tuple[int, int, int]  # channels of the three conv groups
    epochs: float | None  # passes over the training set (a fraction ends mid-epoch) ...
    batch_size: int
    lr: float  # peak learning rate (for the mean loss over a batch)
    momentum: float  # Nesterov momentum
    weight_decay: float
    label_smoothing: float  # 0 = plain cross-entropy
    warmup: float  # fraction of the steps spent warming the learning rate up
    final_lr: float  # learning rate at the last step, as a fraction of the peak
    bias_lr_scale: float  # learning-rate factor for the batch-norm shifts
    lookahead: bool
    flip: bool  # random mirror images
    translate: int  # random shifts by up to this many pixels (reflect-padded)
    whiten: bool  # first layer computed from the data (False: learned from scratch)
    tta: int  # test-time augmentation: 0 none, 1 mirror, 2 mirror and shifts
    channels_last: bool  # the memory layout convolution kernels prefer
    precision: str  # "auto" (bfloat16 where fast), "float32" or "bfloat16"
    low_res_size: int = 0  # progressive resizing: shrink images to this size first (0: never)
    low_res_fraction: float = 0.7  # ... for this fraction of the steps
    compile: bool = False  # torch.compile the network (pays off on GPUs, for long runs)
    budget: float | None = None  # ... or minutes of training and testing (epochs, if given, win)
    optimizer: str = "sgd"  # "sgd", or "muon": Muon for the conv filters, SGD for the rest
    muon_lr: float = 0.24  # Muon's learning rate (the filters are kept at norm 1 per filter)
    muon_momentum: float = 0.6

    def as_dict(self) -> dict[str, Any]:
        """Plain values, for metrics files and tables."""
        return asdict(self)


_AIRBENCH = dict(momentum=0.85, weight_decay=1.33e-3, warmup=0.23, final_lr=0.07,
                 bias_lr_scale=64.0, lookahead=True, flip=True, whiten=True, tta=2,
                 channels_last=True, precision="auto")  # fmt: skip

RECIPES = {
    # tuned for a 2-core CPU and 5 minutes (docs/benchmarks.md): a narrow network, progressive
    # resizing (70% of the steps on 24x24 images), less regularization than a long run needs;
    # the steps fill the budget (Muon was 0.5 points behind Nesterov SGD at 5 minutes)
    "cpu": ModernRecipe("cpu", widths=(32, 64, 128), epochs=None, budget=5.0, batch_size=512,
                        lr=0.75, label_smoothing=0.1, translate=1, low_res_size=24, **_AIRBENCH),
    # the same, one parameter away: a wider network trained for a quarter of an hour
    "cpu-long": ModernRecipe("cpu-long", widths=(48, 96, 192), epochs=None, budget=15.0,
                             batch_size=512, lr=0.75, label_smoothing=0.1, translate=1,
                             low_res_size=24, **_AIRBENCH),
    # airbench94's network and hyperparameters, for a GPU
    "gpu": ModernRecipe("gpu", widths=(64, 256, 256), epochs=10, batch_size=1024, lr=1.5,
                        label_smoothing=0.2, translate=2, **_AIRBENCH),
}  # fmt: skip

ABLATIONS = {
    "progressive resizing": {"low_res_size": 0},
    "random flips": {"flip": False},
    "random shifts": {"translate": 0},
    "whitening layer": {"whiten": False},
    "label smoothing": {"label_smoothing": 0.0},
    "lookahead": {"lookahead": False},
    "warm-up and decay": {"warmup": 0.0, "final_lr": 1.0},
    "64x lr for BN shifts": {"bias_lr_scale": 1.0},
    "test-time augmentation": {"tta": 0},
    "channels_last": {"channels_last": False},
    "Nesterov SGD for the filters (Muon instead)": {"optimizer": "muon"},
}
"""For each idea, the settings that switch it off (everything else stays as it was); an idea
already off in a recipe is left out of its study."""

NOTEBOOK_MINUTES = 10.0  # notebook 07 in the full profile ends within 10 minutes on any CPU:
ABLATION_BUDGET = 0.3  # its ablation runs share what is left, at most 0.3 minutes each
ABLATION_BUDGET_AT_LEAST = 0.1  # ... and at least 0.1 (6 s) on a machine too slow for that
AFTER_THE_ABLATION = 15.0  # seconds kept for the notebook's cells after its ablation study
ABLATION_TEST_IMAGES = {"full": 1000, "smoke": 500}  # its runs' test images, by profile


def ablation_share(spent_seconds: float, runs: int) -> float:
    """Notebook 07's minutes for each of its ``runs`` ablation runs: an equal share of what
    ``spent_seconds`` left of its ``NOTEBOOK_MINUTES`` (less what its last cells need), within
    ``ABLATION_BUDGET_AT_LEAST`` and ``ABLATION_BUDGET``."""
    return share_of_what_is_left(NOTEBOOK_MINUTES, spent_seconds, runs,
                                 at_most=ABLATION_BUDGET, at_least=ABLATION_BUDGET_AT_LEAST,
                                 keep_seconds=AFTER_THE_ABLATION)  # fmt: skip


def ablation_ideas(recipe: ModernRecipe) -> list[str]:
    """The ideas of ``ABLATIONS`` whose removal needs a training run of its own: not the
    test-time augmentation (the same network is tested again), nor an idea already off."""
    return [
        idea
        for idea, switch_off in ABLATIONS.items()
        if idea != "test-time augmentation"
        and any(getattr(recipe, key) != value for key, value in switch_off.items())
    ]


def make_recipe(name: str = "cpu", **overrides: Any) -> ModernRecipe:
    """A preset from :data:`RECIPES` with some values changed (``None`` keeps the preset's).
    Every value is checked, so a bad notebook parameter fails here with a clear message."""
    name = check_choice("recipe", name, RECIPES)
    changes = {key: value for key, value in overrides.items() if value is not None}
    unknown = sorted(set(changes) - set(ModernRecipe.__dataclass_fields__))
    if unknown:
        raise TypeError(f"unknown recipe settings: {', '.join(unknown)}")
    if "epochs" in changes:  # epochs given explicitly win over the preset's budget
        changes["budget"] = None
    elif "budget" in changes:
        changes["epochs"] = None
    r = replace(RECIPES[name], **changes)
    return ModernRecipe(
        name=str(r.name),
        widths=check_widths(r.widths),
        epochs=None if r.epochs is None else check_epochs(r.epochs),
        batch_size=check_int("batch_size", r.batch_size, minimum=1, maximum=65536),
        lr=check_float("lr", r.lr, minimum=0, maximum=100, exclusive_min=True),
        momentum=check_float("momentum", r.momentum, minimum=0, maximum=1, exclusive_max=True),
        weight_decay=check_float("weight_decay", r.weight_decay, minimum=0, maximum=1),
        label_smoothing=check_float("label_smoothing", r.label_smoothing, minimum=0, maximum=1),
        warmup=check_float("warmup", r.warmup, minimum=0, maximum=1, exclusive_max=True),
        final_lr=check_float("final_lr", r.final_lr, minimum=0, maximum=1),
        bias_lr_scale=check_float("bias_lr_scale", r.bias_lr_scale, minimum=0, exclusive_min=True),
        lookahead=check_bool("lookahead", r.lookahead),
        flip=check_bool("flip", r.flip),
        translate=check_int("translate", r.translate, minimum=0, maximum=8),
        whiten=check_bool("whiten", r.whiten),
        tta=check_int("tta", r.tta, minimum=0, maximum=2),
        channels_last=check_bool("channels_last", r.channels_last),
        precision=check_choice("precision", r.precision, PRECISIONS),
        low_res_size=check_low_res_size(r.low_res_size),
        low_res_fraction=check_float("low_res_fraction", r.low_res_fraction, minimum=0, maximum=1),
        compile=check_bool("compile", r.compile),
        budget=None if r.budget is None else check_budget(r.budget),
        optimizer=check_choice("optimizer", r.optimizer, OPTIMIZERS),
        muon_lr=check_float("muon_lr", r.muon_lr, minimum=0, maximum=10, exclusive_min=True),
        muon_momentum=check_float(
            "muon_momentum", r.muon_momentum, minimum=0, maximum=1, exclusive_max=True
        ),  # fmt: skip
    )


def check_epochs(value: object) -> float:
    """Passes over the training set: more than 0, at most 1000."""
    return check_float("epochs", value, minimum=0, maximum=1000, exclusive_min=True)


def check_budget(value: object, name: str = "budget") -> float:
    """Minutes of training and testing: more than 0, at most a day."""
    return check_float(name, value, minimum=0, maximum=24 * 60, exclusive_min=True)


def check_low_res_size(value: object) -> int:
    """0 (no progressive resizing), or an image size from 12 to 32 pixels."""
    size = check_int("low_res_size", value, minimum=0, maximum=32)
    if 0 < size < 12:
        raise ParameterError("low_res_size", value, "0 (off) or a size from 12 to 32 pixels")
    return size


@dataclass
class RunResult:
    """One run: test accuracy, and seconds from the first training step to the last answer."""

    recipe: ModernRecipe
    seed: int
    accuracy: float
    train_seconds: float
    test_seconds: float
    log: TrainLog
    net: torch.nn.Module  # the trained network

    @property
    def seconds(self) -> float:
        return self.train_seconds + self.test_seconds


def run(
    recipe: ModernRecipe,
    train_set: ImageSet,
    test_set: ImageSet,
    *,
    device: torch.device | str = "cpu",
    seed: int = 0,
    verbose: bool = True,
) -> RunResult:
    """Build the network, train it and test it as ``recipe`` says."""
    device = torch.device(device)
    seed_everything(seed)
    net = build_net(recipe, device)
    if recipe.compile:
        net = torch.compile(net)
    log = train(net, train_set, recipe, device=device, seed=seed, verbose=verbose,
                test_set=test_set)  # fmt: skip
    start = time.perf_counter()
    predicted, labels = evaluate(net, test_set, tta=recipe.tta, device=device,
                                 precision=recipe.precision,
                                 channels_last=recipe.channels_last)  # fmt: skip
    synchronize(device)
    test_seconds = time.perf_counter() - start
    result = RunResult(
        recipe, seed, accuracy(predicted, labels), log.seconds, test_seconds, log, net
    )
    if verbose:
        print(f"{recipe.name}: {result.accuracy:.2%} test accuracy, trained in "
              f"{log.seconds:.0f} s, tested in {test_seconds:.1f} s")  # fmt: skip
    return result
