"""Benchmark: the modern recipe on a time budget, side by side in one run, several seeds.

Each variant is the budgeted recipe with some settings changed; ``fixed`` is the recipe as
it was before budgets (the ``cpu`` preset's 7 epochs, Nesterov SGD). Every budgeted run must
end within its budget: at most 5% over, at most 10% under (training plus test-time
augmentation, from the first step to the last answer; loading the data is not counted).
Run it alone on the machine::

    python -m benchmarks.budget_recipe --budget 5 --variants muon sgd fixed --target 87.0 \\
        --above fixed 1.0
    python -m benchmarks.budget_recipe --recipe cpu-long --budget 15 --variants sgd \\
        --target 89.5
    python -m benchmarks.budget_recipe --budget 5 --ablation        # each idea removed
    python -m benchmarks.budget_recipe --budget 5 --variants sgd float32    # bfloat16's worth
    python -m benchmarks.budget_recipe --variants fixed fixed-float32       # ... at equal epochs

``--set`` changes any setting of every variant (e.g. ``--set widths=16,32,64``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

from benchmarks.modern_recipe import parse_settings
from benchmarks.seed_vs_collection import describe_machine
from cifar_tutorial.data import load_split
from cifar_tutorial.device import describe_device, pick_device
from cifar_tutorial.modern import ABLATIONS, RECIPES, cpu_has_fast_bfloat16, make_recipe, run

VARIANTS = {
    "muon": {"optimizer": "muon"},
    "sgd": {"optimizer": "sgd"},
    "float32": {"optimizer": "sgd", "precision": "float32"},  # the preset in float32
    "fixed": {"optimizer": "sgd", "epochs": 7},  # the cpu preset before budgets
    "fixed-float32": {"optimizer": "sgd", "epochs": 7, "precision": "float32"},
}
"""Named variants: settings changed from the budgeted recipe."""
OVER, UNDER = 1.05, 0.90  # a budgeted run ends between 90% and 105% of its budget


def variant_settings(args: argparse.Namespace) -> dict[str, dict[str, object]]:
    """Variant name -> the settings it changes (the ablation: each idea switched off)."""
    if args.ablation:
        base = VARIANTS[args.base]
        settings = {"everything": base}
        for idea, switch_off in ABLATIONS.items():
            if switch_off.keys() <= base.keys() and all(
                base[k] == v for k, v in switch_off.items()
            ):
                continue  # already off in the base recipe
            settings[f"without {idea}"] = {**base, **switch_off}
        return settings
    unknown = [name for name in args.variants if name not in VARIANTS]
    if unknown:
        raise SystemExit(
            f"--variants: unknown {', '.join(unknown)}; allowed: {', '.join(VARIANTS)}"
        )
    return {name: VARIANTS[name] for name in args.variants}


def summarize(name: str, recipe, rows: list[dict]) -> dict:
    """Mean and spread of one variant's runs, and whether each kept its budget."""
    accuracies = [100 * row["accuracy"] for row in rows]
    minutes = [row["seconds"] / 60 for row in rows]
    kept = [UNDER <= row["budget_share"] <= OVER for row in rows if row["budget_share"]]
    return {
        "variant": name,
        "recipe": recipe.as_dict(),
        "runs": rows,
        "mean_accuracy": statistics.mean(accuracies),
        "std_accuracy": statistics.stdev(accuracies) if len(rows) > 1 else 0.0,
        "mean_minutes": statistics.mean(minutes),
        "max_minutes": max(minutes),
        "mean_epochs": statistics.mean(row["epochs"] for row in rows),
        "budget_kept": all(kept) if kept else None,
    }


def table_row(summary: dict) -> str:
    shares = [row["budget_share"] for row in summary["runs"] if row["budget_share"]]
    adherence = f"{min(shares):.0%}-{max(shares):.0%}" if shares else "(no budget)"
    return (
        f"| {summary['variant']} | {summary['recipe']['optimizer']} | "
        f"{summary['mean_epochs']:.1f} | {len(summary['runs'])} | "
        f"{summary['mean_accuracy']:.2f} +- {summary['std_accuracy']:.2f} | "
        f"{summary['mean_minutes']:.2f} (max {summary['max_minutes']:.2f}) | {adherence} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="cpu", choices=sorted(RECIPES))
    parser.add_argument("--budget", type=float, default=None, help="minutes per run")
    parser.add_argument("--variants", nargs="+", default=["muon", "sgd", "fixed"])
    parser.add_argument("--ablation", action="store_true", help="each idea removed in turn")
    parser.add_argument("--base", default="sgd", choices=["muon", "sgd"],
                        help="the ablation's full recipe")  # fmt: skip
    parser.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--dataset", default="cifar10", choices=["cifar10", "sample"])
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--target", type=float, default=None,
                        help="mean accuracy goal of the first variant, percent")  # fmt: skip
    parser.add_argument("--above", nargs=2, metavar=("VARIANT", "POINTS"), default=None,
                        help="the first variant must beat VARIANT by POINTS")  # fmt: skip
    parser.add_argument("--json", type=Path, default=None, help="append results to this file")
    args = parser.parse_args(argv)

    common = parse_settings(args.set)
    budget = args.budget if args.budget is not None else make_recipe(args.recipe).budget
    device = pick_device(args.device)
    train_set = load_split(args.dataset, "train", args.data_root, download=False)
    test_set = load_split(args.dataset, "test", args.data_root, download=False)
    print(f"{describe_machine()['cpu']}; {describe_device(device)}; CPU capability "
          f"{torch.backends.cpu.get_cpu_capability()}; native bfloat16: {cpu_has_fast_bfloat16()}; "
          f"torch {torch.__version__}; {torch.get_num_threads()} threads")  # fmt: skip
    print(f"{train_set.summary()}\n{test_set.summary()}\nbudget: {budget} min per run")

    recipes = {}
    for name, changes in variant_settings(args).items():
        settings = {"budget": budget, **common, **changes}
        recipes[name] = make_recipe(args.recipe, **settings)
    rows: dict[str, list[dict]] = {name: [] for name in recipes}
    for seed in args.seeds:  # seed by seed, so that a slow spell hits every variant alike
        for name, recipe in recipes.items():
            cpu_before = time.process_time()
            result = run(recipe, train_set, test_set, device=device, seed=seed, verbose=False)
            share = result.seconds / (60 * recipe.budget) if recipe.budget else None
            cpu = (time.process_time() - cpu_before) / result.seconds / torch.get_num_threads()
            rows[name].append({
                "seed": seed, "accuracy": result.accuracy, "seconds": result.seconds,
                "train_seconds": result.train_seconds, "test_seconds": result.test_seconds,
                "epochs": result.log.steps / (len(train_set) // recipe.batch_size),
                "budget_share": share, "cpu_share": cpu,
                "plan": result.log.budget.describe() if result.log.budget else None,
            })  # fmt: skip
            kept = f", {share:.0%} of the budget" if share else ""
            print(f"seed {seed} {name}: {result.accuracy:.2%} in {result.seconds:.1f} s "
                  f"({rows[name][-1]['epochs']:.1f} epochs{kept}; this process got {cpu:.0%} "
                  f"of the CPU)", flush=True)  # fmt: skip

    summaries = [summarize(name, recipes[name], rows[name]) for name in recipes]
    print(
        "\n| variant | optimizer | epochs | seeds | accuracy % (mean +- sd) | minutes | "
        "of the budget |\n|---|---|---:|---:|---|---|---|"
    )
    for summary in summaries:
        print(table_row(summary))
    if args.json is not None:
        with args.json.open("a") as file:
            file.write(json.dumps({"budget": budget, "variants": summaries}) + "\n")
    return verdict(summaries, args)


def verdict(summaries: list[dict], args: argparse.Namespace) -> int:
    """0 when every budget was kept and the targets were met; 1 (saying why) otherwise."""
    failed = [f"{s['variant']} left its budget" for s in summaries if s["budget_kept"] is False]
    first = summaries[0]
    if args.target is not None and first["mean_accuracy"] < args.target:
        failed.append(f"{first['variant']}: {first['mean_accuracy']:.2f}% < {args.target}%")
    if args.above is not None:
        other, points = args.above[0], float(args.above[1])
        found = [s for s in summaries if s["variant"] == other]
        if not found:
            raise SystemExit(f"--above {other}: not among the variants run")
        gain = first["mean_accuracy"] - found[0]["mean_accuracy"]
        if gain < points:
            failed.append(f"{first['variant']} is {gain:+.2f} points from {other}, not +{points}")
    if failed:
        print("TARGET MISSED: " + "; ".join(failed))
        return 1
    print("every budget kept" + ("; targets met" if args.target or args.above else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
