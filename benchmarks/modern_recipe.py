"""Benchmark: the modern recipe (notebook 07) on CIFAR-10, several seeds, mean and spread.

Time is counted from the first training step (the whitening layer's computation included)
to the last test prediction (test-time augmentation included); loading the data set from
its cache is not counted. Run it alone on the machine (others' work slows it down: the
script reports the CPU time it got, to show when that happened)::

    python -m benchmarks.modern_recipe --recipe cpu --seeds 0 1 2 --target 88.0 --minutes 5
    python -m benchmarks.modern_recipe --recipe cpu-long --target 91.0 --minutes 15
    python -m benchmarks.modern_recipe --recipe cpu --set epochs=6 widths=32,64,128

``--set`` changes any setting of :class:`cifar_tutorial.modern.ModernRecipe`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

from cifar_tutorial.data import load_split
from cifar_tutorial.device import describe_device, pick_device
from cifar_tutorial.metrics import accuracy
from cifar_tutorial.modern import RECIPES, cpu_has_fast_bfloat16, evaluate, make_recipe, run
from cifar_tutorial.modern.evaluate import TTA_LEVELS
from cifar_tutorial.modern.train import autocast_dtype


def parse_settings(pairs: list[str]) -> dict[str, str]:
    """``["epochs=6", "widths=32,64,128"]`` -> ``{"epochs": "6", "widths": "32,64,128"}``."""
    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--set {pair!r}: write it as name=value, e.g. epochs=6")
        settings[key.strip()] = value.strip()
    return settings


def tta_report(result, test_set, device) -> str:
    """The trained network's accuracy at each level of test-time augmentation."""
    parts = []
    for level in TTA_LEVELS:
        start = time.perf_counter()
        predicted, labels = evaluate(result.net, test_set, tta=level, device=device,
                                     precision=result.recipe.precision,
                                     channels_last=result.recipe.channels_last)  # fmt: skip
        parts.append(f"tta {level}: {accuracy(predicted, labels):.2%} "
                     f"({time.perf_counter() - start:.1f} s)")  # fmt: skip
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="cpu", choices=sorted(RECIPES))
    parser.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--dataset", default="cifar10", choices=["cifar10", "sample"])
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--target", type=float, default=None, help="mean accuracy goal, percent")
    parser.add_argument("--minutes", type=float, default=None, help="time goal per run")
    parser.add_argument("--json", type=Path, default=None, help="append results to this file")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    parser.add_argument(
        "--tta-report", action="store_true", help="after each run, test at every TTA level"
    )
    args = parser.parse_args(argv)

    settings = parse_settings(args.set)
    recipe = make_recipe(args.recipe, **settings)
    device = pick_device(args.device)
    train_set = load_split(args.dataset, "train", args.data_root, download=False)
    test_set = load_split(args.dataset, "test", args.data_root, download=False)
    dtype = autocast_dtype(device, recipe.precision)
    print(
        f"{describe_device(device)}; torch {torch.__version__}; native bfloat16 on this CPU: "
        f"{cpu_has_fast_bfloat16()}; computing in {dtype or torch.float32}"
    )
    print(f"{train_set.summary()}\n{test_set.summary()}")
    print("recipe:", json.dumps(recipe.as_dict()))

    rows = []
    for seed in args.seeds:
        cpu_before = time.process_time()
        result = run(recipe, train_set, test_set, device=device, seed=seed, verbose=not args.quiet)
        cpu_share = (time.process_time() - cpu_before) / result.seconds / torch.get_num_threads()
        if args.tta_report:
            print(f"  not timed: {tta_report(result, test_set, device)}")
        rows.append(
            {
                "seed": seed,
                "accuracy": result.accuracy,
                "seconds": result.seconds,
                "train_seconds": result.train_seconds,
                "test_seconds": result.test_seconds,
                "cpu_share": cpu_share,
            }
        )
        print(
            f"seed {seed}: {result.accuracy:.2%} in {result.seconds:.1f} s "
            f"(train {result.train_seconds:.1f} s, test {result.test_seconds:.1f} s; "
            f"this process got {cpu_share:.0%} of {torch.get_num_threads()} threads)",
            flush=True,
        )

    accuracies = [100 * row["accuracy"] for row in rows]
    minutes = [row["seconds"] / 60 for row in rows]
    spread = statistics.stdev(accuracies) if len(rows) > 1 else 0.0
    summary = {
        "recipe": recipe.as_dict(),
        "device": describe_device(device),
        "runs": rows,
        "mean_accuracy": statistics.mean(accuracies),
        "std_accuracy": spread,
        "mean_minutes": statistics.mean(minutes),
        "max_minutes": max(minutes),
    }
    print(
        f"\n{recipe.name}: {summary['mean_accuracy']:.2f}% +- {spread:.2f} "
        f"(min {min(accuracies):.2f}, max {max(accuracies):.2f}) over {len(rows)} seeds; "
        f"{summary['mean_minutes']:.2f} min per run (max {summary['max_minutes']:.2f})"
    )
    widths = "/".join(map(str, recipe.widths))
    length = f"{recipe.epochs:g}" if recipe.epochs is not None else f"{recipe.budget:g} min"
    print(
        f"| {recipe.name} | {widths} | {length} | {recipe.batch_size} | "
        f"{recipe.tta} | {len(rows)} | {summary['mean_accuracy']:.2f} +- {spread:.2f} | "
        f"{summary['mean_minutes']:.2f} (max {summary['max_minutes']:.2f}) |"
    )
    if args.json is not None:
        with args.json.open("a") as file:
            file.write(json.dumps(summary) + "\n")

    failed = []
    if args.target is not None and summary["mean_accuracy"] < args.target:
        failed.append(f"mean accuracy {summary['mean_accuracy']:.2f}% < {args.target}%")
    if args.minutes is not None and summary["max_minutes"] > args.minutes:
        failed.append(f"slowest run {summary['max_minutes']:.2f} min > {args.minutes} min")
    if failed:
        print("TARGET MISSED: " + "; ".join(failed))
        return 1
    if args.target is not None or args.minutes is not None:
        print("target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
