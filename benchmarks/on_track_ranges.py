"""Benchmark: the results a learner should get, for the "Are you on track?" cells.

Trains and tests as notebooks 04 + 05 do (``fast`` recipe) and as notebook 07 does (its
recipe, with the profile's settings), for several seeds, and prints for each the final loss
(as the notebook computes it), the test accuracy and the training time: the measured ranges
that :mod:`cifar_tutorial.checks.on_track` states. Run it alone on the machine::

    python -m benchmarks.on_track_ranges --profiles full smoke --notebooks 04 07 --seeds 0 1 2

With ``--write`` it also stores the measured losses and accuracies in
``cifar_tutorial/checks/on_track_ranges.json`` (each range keeps its margin); the times there
come from the quiet measurements of docs/benchmarks.md and are left as they are.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace
from pathlib import Path

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


RANGES = Path(__file__).parents[1] / "cifar_tutorial" / "checks" / "on_track_ranges.json"


def write_ranges(measured: dict[tuple[str, str], list[float]], seeds: list[int]) -> None:
    """Store each ``(json key, measure): values`` as its range's min, max and description."""
    stored = json.loads(RANGES.read_text())
    over = f"over seeds {', '.join(map(str, seeds))}"
    for (key, measure), values in measured.items():
        low, high = min(values), max(values)
        shown = f"{100 * low:.1f}-{100 * high:.1f}%" if measure == "accuracy" else \
            f"{low:.3f}-{high:.3f}"  # fmt: skip
        stored["ranges"][key][measure].update(min=round(low, 3), max=round(high, 3),
                                              measured=f"{shown} {over}")  # fmt: skip
    RANGES.write_text(json.dumps(stored, indent=2) + "\n")
    print(f"wrote {len(measured)} ranges to {RANGES}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profiles", nargs="+", default=["full", "smoke"], choices=["full", "smoke"]
    )
    parser.add_argument("--notebooks", nargs="+", default=["04", "07"], choices=["04", "07"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--write",
        action="store_true",
        help="store the losses and accuracies in checks/on_track_ranges.json",
    )
    args = parser.parse_args(argv)
    device = pick_device(args.device)
    print(f"{describe_device(device)}, CPU capability {torch.backends.cpu.get_cpu_capability()}")
    print("| notebook | profile | seeds | final loss | test accuracy % | train s |")
    print("|---|---|---|---|---|---|")
    measured = {}
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
            dataset = PROFILE_DATASETS[profile]
            if (notebook, profile) != ("07", "full"):  # that one: benchmarks/budget_recipe.py
                tested = "05" if notebook == "04" else notebook  # notebook 05 tests 04's weights
                measured[(f"{notebook} {dataset}", "loss")] = list(losses)
                measured[(f"{tested} {dataset}", "accuracy")] = list(accuracies)
    if args.write:
        write_ranges(measured, args.seeds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
