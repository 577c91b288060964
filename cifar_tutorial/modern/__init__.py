"""The modern CIFAR-10 recipe: from 55% to 90% and more, fast (notebook 07).

Read it top to bottom, one job per module:

* :mod:`~cifar_tutorial.modern.net` - the network and its data-computed first layer;
* :mod:`~cifar_tutorial.modern.augment` - batches cut and augmented on the device;
* :mod:`~cifar_tutorial.modern.precision` - bfloat16 where the hardware computes it fast;
* :mod:`~cifar_tutorial.modern.muon` - Muon for the convolution filters;
* :mod:`~cifar_tutorial.modern.budget` - fitting the steps into the minutes there are;
* :mod:`~cifar_tutorial.modern.train` - the training loop and its optimizer tricks;
* :mod:`~cifar_tutorial.modern.progress` - the live view: loss and test accuracy against the clock;
* :mod:`~cifar_tutorial.modern.evaluate` - testing with test-time augmentation;
* :mod:`~cifar_tutorial.modern.recipe` - all settings, named presets, ``run`` and the ablations.
"""

from .budget import BudgetPlan
from .evaluate import evaluate, tta_logits
from .net import FastNet, init_whitening
from .recipe import (
    ABLATION_BUDGET,
    ABLATION_BUDGET_AT_LEAST,
    ABLATION_TEST_IMAGES,
    ABLATIONS,
    NOTEBOOK_MINUTES,
    RECIPES,
    ModernRecipe,
    RunResult,
    ablation_ideas,
    ablation_share,
    make_recipe,
    run,
)
from .train import Lookahead, autocast_dtype, cpu_has_fast_bfloat16, train, warmup_then_decay

__all__ = [
    "ABLATION_BUDGET", "ABLATION_BUDGET_AT_LEAST", "ABLATION_TEST_IMAGES", "ABLATIONS",
    "NOTEBOOK_MINUTES", "BudgetPlan", "RECIPES", "FastNet", "Lookahead", "ModernRecipe",
    "RunResult", "ablation_share", "ablation_ideas", "autocast_dtype", "cpu_has_fast_bfloat16",
    "evaluate", "init_whitening", "make_recipe", "run", "train", "tta_logits", "warmup_then_decay"
]  # fmt: skip
