"""Benchmark: the results a learner should get, for the "Are you on track?" cells.

Trains and tests as notebooks 04 + 05 do (``fast`` recipe) and as notebook 07 does (its
recipe, with the profile's settings), for several seeds, and prints for each the final loss
(as the notebook computes it), the test accuracy and the training time: the measured ranges
that :mod:`cifar_tutorial.checks.on_track` states. Run it alone on the machine::

    python -m benchmarks.on_track_ranges --profiles full smoke --notebooks 04 07 --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

import torch

from cifar_tutorial.data import FastLoader, load_split
from cifar_tutorial.device import describe_device, pick_device, synchronize
from cifar_tutorial.metrics import accuracy, predict
from cifar_tutorial.models import Net
from cifar_tutorial.modern import make_recipe as make_modern_recipe
from cifar_tutorial.modern import run
from cifar_tutorial.seeding import seed_everything
from cifar_tutorial.settings import PROFILE_DATASETS
from cifar_tutorial.training import make_optimizer, make_recipe, make_scheduler, train


def notebook_04(dataset: str, seed: int, device: torch.device) -> tuple[float, float, float]:
    """Notebook 04's default training, then notebook 05's test: (final loss, accuracy, s)."""
    recipe = make_recipe("fast")
    train_set, test_set = load_split(dataset, "train"), load_split(dataset, "test")
    loader = FastLoader(train_set, recipe.batch_size, shuffle=True, flip=recipe.flip,
                        device=device, seed=seed)  # fmt: skip
    print_every = max(1, len(loader) // 6)
    seed_everything(seed)
    net = Net().to(device)
    optimizer = make_optimizer(net, recipe)
    scheduler = make_scheduler(optimizer, recipe, len(loader))
    synchronize(device)
    start = time.perf_counter()
    log = train(net, loader, recipe, device=device, print_every=print_every, progress=False,
                optimizer=optimizer, scheduler=scheduler)  # fmt: skip
    synchronize(device)
    seconds = time.perf_counter() - start
    last = log.losses[-print_every:]
    probabilities, labels = predict(net, FastLoader(test_set, 1000, device=device), device)
    return sum(last) / len(last), accuracy(probabilities.argmax(1), labels), seconds


def notebook_07(profile: str, seed: int, device: torch.device) -> tuple[float, float, float]:
    """Notebook 07's recipe with the profile's settings: (last epoch's loss, accuracy, s)."""
    smoke = profile == "smoke"
    name = "gpu" if device.type == "cuda" else "cpu"
    preset = make_modern_recipe(name)
    recipe = make_modern_recipe(name, epochs=2 if smoke else None,
                                widths="16,32,64" if smoke else None,
                                batch_size=250 if smoke else None)  # fmt: skip
    recipe = replace(recipe, lr=preset.lr * recipe.batch_size / preset.batch_size)
    dataset = PROFILE_DATASETS[profile]
    train_set, test_set = load_split(dataset, "train"), load_split(dataset, "test")
    result = run(recipe, train_set, test_set, device=device, seed=seed, verbose=False)
    per_epoch = -(-len(train_set) // recipe.batch_size)
    last = result.log.losses[-per_epoch:]
    return sum(last) / len(last), result.accuracy, result.train_seconds


def spread(values: list[float], scale: float = 1.0, digits: int = 3) -> str:
    """``mean (min-max)`` of ``values`` times ``scale``."""
    shown = [v * scale for v in values]
    return f"{statistics.mean(shown):.{digits}f} ({min(shown):.{digits}f}-{max(shown):.{digits}f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profiles", nargs="+", default=["full", "smoke"], choices=["full", "smoke"]
    )
    parser.add_argument("--notebooks", nargs="+", default=["04", "07"], choices=["04", "07"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    device = pick_device(args.device)
    print(f"{describe_device(device)}, CPU capability {torch.backends.cpu.get_cpu_capability()}")
    print("| notebook | profile | seeds | final loss | test accuracy % | train s |")
    print("|---|---|---|---|---|---|")
    for notebook in args.notebooks:
        for profile in args.profiles:
            results = []
            for seed in args.seeds:
                if notebook == "04":
                    results.append(notebook_04(PROFILE_DATASETS[profile], seed, device))
                else:
                    results.append(notebook_07(profile, seed, device))
            losses, accuracies, seconds = zip(*results, strict=True)
            seeds = ", ".join(map(str, args.seeds))
            print(f"| {notebook} | {profile} | {seeds} | {spread(list(losses))} | "
                  f"{spread(list(accuracies), 100, 1)} | {spread(list(seconds), 1, 1)} |",
                  flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
