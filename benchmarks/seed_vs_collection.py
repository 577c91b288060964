"""The reference tutorial's loop against the collection's defaults, on the same data and machine.

Three ways to train and test the network, each seed in a fresh process of its own (so that
its peak memory is its own and no thread setting leaks from one to the next):

* (a) ``reference``: the PyTorch tutorial exactly as its page writes it: a torchvision data
  set with ``ToTensor`` and ``Normalize`` per image, ``DataLoader(batch_size=4,
  shuffle=True, num_workers=2)``, SGD lr 0.001 momentum 0.9, 2 epochs, a test loop of batch 4;
* (b) ``collection``: what notebooks 04 and 05 run by default in the full profile: the
  ``fast`` recipe on the package's fast data path (``FastLoader``), a checkpoint per epoch,
  then ``predict`` on the test set in batches of 1,000;
* (c) ``fast-path``: the network and recipe of (a) on the fast data path of (b): what the
  data path alone gains.

Then it times the whole collection with ``cifar-tutorial run`` in the full and smoke
profiles, notebook by notebook. Results are printed and written to ``seed_vs_collection.json``
and ``seed_vs_collection.md`` in ``--out``. Everything runs on the CPU.

    python -m benchmarks.seed_vs_collection                  # everything, 3 seeds
    python -m benchmarks.seed_vs_collection --variants a,c --seeds 1 --profiles none
    make bench BENCH_ARGS="--variants b --profiles smoke"
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cifar_tutorial.paths import pretty_path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "benchmarks" / "results"
RESULT_NAME = "seed_vs_collection"
TEST_BATCH_SIZE = 1000  # notebook 05's test loader

VARIANTS = {
    "a": ("reference", "reference tutorial: per-image DataLoader, batch 4, 2 workers"),
    "b": ("collection", "collection defaults: fast recipe on the fast path (notebooks 04+05)"),
    "c": ("fast-path", "reference net and recipe on the fast path (batch 4, no flip)"),
}
PROFILES = ("full", "smoke")

# What the benchmark must show on the 2-core CPU and the full CIFAR-10 (issue 5).
MIN_ACCURACY_B = 0.600
MIN_SPEEDUP_B = 10.0
MIN_SPEEDUP_C = 1.3
MAX_ACCURACY_GAP_C = 0.01
MAX_MEMORY_B_MB = 1536
MAX_NOTEBOOK_SECONDS = {"full": 120.0, "smoke": 60.0}
TARGET_NOTEBOOKS = ("01", "02", "03", "04", "05", "06")


# --- the three variants, each run inside its own process -----------------------------------


def run_reference(dataset: str, data_root: str | None, seed: int, limit: int | None) -> dict:
    """(a) The reference page's code, line for line (the Net is the same as the page's)."""
    import torch
    import torch.nn as nn
    import torch.optim as optim
    import torchvision.transforms as transforms

    from cifar_tutorial.data import classic_dataset
    from cifar_tutorial.models import Net
    from cifar_tutorial.training import Stopwatch

    torch.manual_seed(seed)  # the page does not seed; the benchmark does, to be repeatable
    with Stopwatch() as loading:
        transform = transforms.Compose(
            [transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]
        )
        trainset = limited(classic_dataset(dataset, "train", data_root, transform), limit)
        trainloader = torch.utils.data.DataLoader(
            trainset, batch_size=4, shuffle=True, num_workers=2
        )
        testset = limited(classic_dataset(dataset, "test", data_root, transform), limit)
        testloader = torch.utils.data.DataLoader(
            testset, batch_size=4, shuffle=False, num_workers=2
        )
    net = Net()
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

    with Stopwatch() as training:
        for epoch in range(2):  # loop over the dataset multiple times
            running_loss = 0.0
            for i, data in enumerate(trainloader, 0):
                inputs, labels = data
                optimizer.zero_grad()
                outputs = net(inputs)
                loss = criterion(outputs, labels)
                loss.backward()
                optimizer.step()
                running_loss += loss.item()
                if i % 2000 == 1999:  # print every 2000 mini-batches
                    print("[%d, %5d] loss: %.3f" % (epoch + 1, i + 1, running_loss / 2000))  # noqa: UP031
                    running_loss = 0.0

    with Stopwatch() as testing:
        correct, total = 0, 0
        with torch.no_grad():
            for data in testloader:
                images, labels = data
                outputs = net(images)
                _, predicted = torch.max(outputs.data, 1)
                total += labels.size(0)
                correct += (predicted == labels).sum().item()

    return {
        "load_seconds": loading.seconds,
        "train_seconds": training.seconds,
        "test_seconds": testing.seconds,
        "train_images": 2 * len(trainset),
        "test_images": total,
        "accuracy": correct / total,
        "recipe": {"epochs": 2, "batch_size": 4, "lr": 0.001, "momentum": 0.9},
    }


def run_collection(dataset: str, data_root: str | None, seed: int, limit: int | None) -> dict:
    """(b) Notebook 04's training and notebook 05's testing with their default settings."""
    from cifar_tutorial.checkpoint import save_checkpoint
    from cifar_tutorial.data import REFERENCE_MEAN, REFERENCE_STD
    from cifar_tutorial.training import make_recipe

    recipe = make_recipe("fast")
    checkpoint = Path(tempfile.mkdtemp(prefix="bench-")) / "cifar_net.pth"
    params = {"recipe": recipe.as_dict(), "dataset": dataset, "seed": seed}
    normalization = {"mean": list(REFERENCE_MEAN), "std": list(REFERENCE_STD)}

    def save(net, epoch, optimizer, scheduler, log) -> None:
        save_checkpoint(checkpoint, net, epoch=epoch + 1, params=params,
                        normalization=normalization, optimizer=optimizer,
                        scheduler=scheduler, history=log.losses)  # fmt: skip

    try:
        return run_fast_path(recipe, TEST_BATCH_SIZE, dataset, data_root, seed, limit, save)
    finally:
        checkpoint.unlink(missing_ok=True)
        checkpoint.parent.rmdir()


def run_reference_on_fast_path(
    dataset: str, data_root: str | None, seed: int, limit: int | None
) -> dict:
    """(c) The reference recipe (batch 4, no flip) and a batch-4 test, on the fast path."""
    from cifar_tutorial.training import make_recipe

    recipe = make_recipe("reference")
    return run_fast_path(recipe, recipe.batch_size, dataset, data_root, seed, limit)


def run_fast_path(recipe, test_batch_size, dataset, data_root, seed, limit, save=None) -> dict:
    """Train a fresh Net with ``recipe`` through ``FastLoader`` and ``train``, then test it."""
    from cifar_tutorial.data import FastLoader, load_split
    from cifar_tutorial.metrics import accuracy, predict
    from cifar_tutorial.models import Net
    from cifar_tutorial.seeding import seed_everything
    from cifar_tutorial.training import Stopwatch, make_optimizer, make_scheduler, train

    with Stopwatch() as loading:
        train_set = limited(load_split(dataset, "train", data_root), limit)
        test_set = limited(load_split(dataset, "test", data_root), limit)
    loader = FastLoader(
        train_set, recipe.batch_size, shuffle=True, flip=recipe.flip, device="cpu", seed=seed
    )
    seed_everything(seed)
    net = Net()
    optimizer = make_optimizer(net, recipe)
    scheduler = make_scheduler(optimizer, recipe, len(loader))

    def on_epoch_end(epoch, optimizer, scheduler, log) -> None:
        if save is not None:
            save(net, epoch, optimizer, scheduler, log)

    with Stopwatch() as training:
        train(net, loader, recipe, print_every=max(1, len(loader) // 6), progress=False,
              optimizer=optimizer, scheduler=scheduler, on_epoch_end=on_epoch_end)  # fmt: skip
    with Stopwatch() as testing:
        probabilities, labels = predict(net, FastLoader(test_set, test_batch_size), "cpu")
        right = accuracy(probabilities.argmax(dim=1), labels)
    return {
        "load_seconds": loading.seconds,
        "train_seconds": training.seconds,
        "test_seconds": testing.seconds,
        "train_images": recipe.epochs * len(train_set),
        "test_images": len(labels),
        "accuracy": right,
        "recipe": recipe.as_dict(),
    }


RUNNERS = {"a": run_reference, "b": run_collection, "c": run_reference_on_fast_path}


def limited(data, limit: int | None):
    """The first ``limit`` items of a fixed shuffle of ``data`` (all of it when ``None``).

    Works on an ``ImageSet`` and on a classic ``Dataset`` alike, with the same indices, so
    quick checks on a few hundred images still see every class.
    """
    if limit is None or limit >= len(data):
        return data
    import dataclasses

    import torch

    index = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))[:limit]
    if dataclasses.is_dataclass(data):  # an ImageSet
        return dataclasses.replace(data, images=data.images[index], labels=data.labels[index])
    return torch.utils.data.Subset(data, index.tolist())


def peak_memory_mb() -> float:
    """Peak resident memory of this process in MB (``ru_maxrss``).

    The DataLoader workers of (a) are forks that share most of this memory, so they are
    not added to it.
    """
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, else KB


def measure(variant: str, dataset: str, data_root: str | None, seed: int, limit: int | None):
    """Run one variant for one seed in this process; add threads and peak memory."""
    import torch

    result = RUNNERS[variant](dataset, data_root, seed, limit)
    result.update(
        variant=variant,
        seed=seed,
        threads=torch.get_num_threads(),
        peak_memory_mb=peak_memory_mb(),
    )
    return result


# --- the parent: one process per variant and seed, then the summary --------------------------


def spawn(variant: str, seed: int, args: argparse.Namespace) -> dict:
    """Measure ``variant`` for ``seed`` in a fresh Python process; return what it measured."""
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        result_file = Path(folder) / "result.json"
        command = [sys.executable, "-m", "benchmarks.seed_vs_collection", "--worker", variant,
                   "--seed", str(seed), "--dataset", args.dataset,
                   "--result", str(result_file)]  # fmt: skip
        if args.data_root:
            command += ["--data-root", args.data_root]
        if args.limit:
            command += ["--limit", str(args.limit)]
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
        if done.returncode != 0 or not result_file.is_file():
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise RuntimeError(f"variant {variant}, seed {seed} failed:\n{tail}")
        return json.loads(result_file.read_text())


def summarize(runs: list[dict]) -> dict:
    """Means over seeds; accuracy with its spread; the highest peak memory."""
    accuracies = [run["accuracy"] for run in runs]
    train = statistics.fmean(run["train_seconds"] for run in runs)
    test = statistics.fmean(run["test_seconds"] for run in runs)
    return {
        "seeds": [run["seed"] for run in runs],
        "load_seconds": statistics.fmean(run["load_seconds"] for run in runs),
        "train_seconds": train,
        "test_seconds": test,
        "total_seconds": train + test,
        "train_images_per_second": statistics.fmean(
            run["train_images"] / run["train_seconds"] for run in runs
        ),
        "test_images_per_second": statistics.fmean(
            run["test_images"] / run["test_seconds"] for run in runs
        ),
        "accuracy_mean": statistics.fmean(accuracies),
        "accuracy_std": statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0,
        "accuracy_min": min(accuracies),
        "accuracy_max": max(accuracies),
        "peak_memory_mb": max(run["peak_memory_mb"] for run in runs),
        "recipe": runs[0]["recipe"],
        "threads": runs[0]["threads"],
    }


def ratios(summaries: dict[str, dict]) -> dict[str, dict[str, float]]:
    """How many times longer (a) takes than (b) and than (c): train, test, and both."""
    found = {}
    for other in ("b", "c"):
        if "a" in summaries and other in summaries:
            a, o = summaries["a"], summaries[other]
            found[f"a/{other}"] = {
                part: a[f"{part}_seconds"] / o[f"{part}_seconds"]
                for part in ("train", "test", "total")
            }
    return found


# --- the whole collection with cifar-tutorial run ------------------------------------------


def cli_available() -> bool:
    """True when the ``cifar-tutorial run`` command is installed with the package."""
    return importlib.util.find_spec("cifar_tutorial.course.run") is not None


def time_collection(profile: str, args: argparse.Namespace) -> dict:
    """``cifar-tutorial run --profile PROFILE`` into a temporary folder; its timings."""
    with tempfile.TemporaryDirectory(prefix="bench-runs-") as output:
        command = [sys.executable, "-m", "cifar_tutorial.course", "run", "--profile", profile,
                   "--output-dir", output, "--name", f"bench-{profile}", "--no-progress",
                   "--notebook-dir", str(REPO / "notebooks")]  # fmt: skip
        if args.notebooks:
            command += ["--notebooks", args.notebooks]
        if args.data_root and profile == "full":
            command += ["-p", "data_root", args.data_root]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
        wall = time.perf_counter() - started
        summaries = sorted(Path(output).glob("*/summary.json"))
        if not summaries:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-10:])
            raise RuntimeError(f"cifar-tutorial run --profile {profile} wrote no summary:\n{tail}")
        timing = notebook_timings(json.loads(summaries[0].read_text()))
    timing["command_seconds"] = wall
    timing["command"] = "cifar-tutorial " + " ".join(command[3:])
    return timing


def notebook_timings(summary: dict[str, Any]) -> dict:
    """Seconds per notebook from a run's ``summary.json``, and the totals that the targets use."""
    notebooks = [
        {
            "notebook": entry["notebook"],
            "status": entry["status"],
            "seconds": entry["seconds"],
            "test_accuracy": entry["metrics"].get("test_accuracy"),
        }
        for entry in summary["notebooks"]
    ]
    counted = [nb for nb in notebooks if nb["notebook"][:2] in TARGET_NOTEBOOKS]
    return {
        "profile": summary["profile"],
        "status": summary["status"],
        "device": summary.get("device"),
        "notebooks": notebooks,
        "total_seconds": sum(nb["seconds"] or 0 for nb in notebooks),
        "notebooks_01_06_seconds": sum(nb["seconds"] or 0 for nb in counted),
        "notebooks_01_06_count": len(counted),
    }


# --- targets, machine, and the Markdown table -----------------------------------------------


def check_targets(report: dict) -> list[dict]:
    """Each target of issue 5 with the measured value and whether it is met."""
    v, r, runs = report["variants"], report["ratios"], report["collection"]
    targets = []

    def add(name: str, value: float, limit: float, met: bool, unit: str = "") -> None:
        targets.append({"target": name, "value": value, "limit": limit, "unit": unit, "met": met})

    if "b" in v:
        b = v["b"]
        add("(b) mean test accuracy", b["accuracy_mean"], MIN_ACCURACY_B,
            b["accuracy_mean"] >= MIN_ACCURACY_B, "fraction, at least")  # fmt: skip
        add("(b) peak memory", b["peak_memory_mb"], MAX_MEMORY_B_MB,
            b["peak_memory_mb"] <= MAX_MEMORY_B_MB, "MB, at most")  # fmt: skip
    if "a/b" in r:
        speedup = r["a/b"]["total"]
        add("(a)/(b) train+test time", speedup, MIN_SPEEDUP_B, speedup >= MIN_SPEEDUP_B,
            "times, at least")  # fmt: skip
    if "a/c" in r:
        speedup = r["a/c"]["total"]
        gap = abs(v["a"]["accuracy_mean"] - v["c"]["accuracy_mean"])
        add("(a)/(c) train+test time", speedup, MIN_SPEEDUP_C, speedup >= MIN_SPEEDUP_C,
            "times, at least")  # fmt: skip
        add("|(a) - (c)| mean test accuracy", gap, MAX_ACCURACY_GAP_C,
            gap <= MAX_ACCURACY_GAP_C, "fraction, at most")  # fmt: skip
    for profile, timing in runs.items():
        if "notebooks_01_06_seconds" in timing:
            seconds, limit = timing["notebooks_01_06_seconds"], MAX_NOTEBOOK_SECONDS[profile]
            complete = timing["status"] == "completed" and timing["notebooks_01_06_count"] == 6
            add(f"notebooks 01-06, {profile} profile", seconds, limit,
                complete and seconds <= limit, "s, at most")  # fmt: skip
    return targets


def describe_machine() -> dict:
    """CPU model and count, Python and torch versions: what the numbers depend on."""
    import torch

    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]  # fmt: skip
        model = names[0] if names else model
    return {
        "cpu": model,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "platform": platform.platform(terse=True),
    }


def markdown(report: dict) -> str:
    """The report as Markdown: the variants table, the ratios, the collection, the targets."""
    lines = [
        f"Data: {report['settings']['dataset']}"
        + (
            f" (limited to {report['settings']['limit']} images per split)"
            if report["settings"]["limit"]
            else ""
        )  # fmt: skip
        + f"; seeds {report['settings']['seeds']}; CPU: {report['machine']['cpu']}, "
        f"{report['machine']['cpu_count']} cores, torch {report['machine']['torch']}.",
        "",
    ]
    if report["variants"]:
        lines += [
            "| variant | train s | test s | train+test s | train images/s | test accuracy "
            "(mean ± sd, min-max) | peak memory MB |",
            "|---|---:|---:|---:|---:|---|---:|",
        ]
        for key, s in report["variants"].items():
            name, description = VARIANTS[key]
            memory = f"{s['peak_memory_mb']:,.0f}"
            lines.append(
                f"| ({key}) {name}: {description} | {s['train_seconds']:.1f} | "
                f"{s['test_seconds']:.1f} | {s['total_seconds']:.1f} | "
                f"{s['train_images_per_second']:,.0f} | {100 * s['accuracy_mean']:.1f}% ± "
                f"{100 * s['accuracy_std']:.1f} ({100 * s['accuracy_min']:.1f}-"
                f"{100 * s['accuracy_max']:.1f}) | {memory} |"
            )
        lines.append("")
    for pair, values in report["ratios"].items():
        lines.append(
            f"- ({pair[0]})/({pair[2]}): {values['total']:.1f}x the train+test time "
            f"(train {values['train']:.1f}x, test {values['test']:.1f}x)"
        )
    for profile, timing in report["collection"].items():
        if "skipped" in timing:
            lines.append(
                f"- `cifar-tutorial run --profile {profile}`: skipped: {timing['skipped']}"
            )
            continue
        parts = ", ".join(f"{nb['notebook']} {nb['seconds']:.1f} s" for nb in timing["notebooks"])
        lines.append(
            f"- `cifar-tutorial run --profile {profile}` ({timing['status']}): {parts}; "
            f"notebooks 01-06 {timing['notebooks_01_06_seconds']:.1f} s, all "
            f"{timing['total_seconds']:.1f} s ({timing['command_seconds']:.1f} s with start-up)"
        )
    if report["targets"]:
        lines += ["", "| target | measured | limit | met |", "|---|---:|---:|---|"]
        for t in report["targets"]:
            lines.append(
                f"| {t['target']} | {t['value']:.3g} | {t['limit']:g} ({t['unit']}) | "
                f"{'yes' if t['met'] else 'NO'} |"
            )
    return "\n".join(lines) + "\n"


# --- command line --------------------------------------------------------------------------


def parse_list(text: str, allowed: Sequence[str], option: str) -> list[str]:
    """``"a,c"`` -> ``["a", "c"]``, each checked; ``"none"`` -> ``[]``."""
    if text.strip() == "none":
        return []
    items = [item.strip() for item in text.split(",") if item.strip()]
    for item in items:
        if item not in allowed:
            raise SystemExit(
                f"seed_vs_collection: error: {option}={text!r}: {item!r} is not one of "
                f"{', '.join(allowed)} (or 'none')"
            )
    return items


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.seed_vs_collection",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data-root", help="CIFAR-10 folder (default: the package's default)")
    parser.add_argument(
        "--dataset",
        default="cifar10",
        choices=("cifar10", "sample"),
        help="cifar10 (default) or the embedded sample, for quick checks",
    )
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (default 3)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="folder for the JSON and table")
    parser.add_argument("--variants", default="a,b,c", help="which of a,b,c (default all)")
    parser.add_argument(
        "--profiles",
        default="full,smoke",
        help="cifar-tutorial run profiles to time: full,smoke (default) or none",
    )
    parser.add_argument("--notebooks", help="for cifar-tutorial run, e.g. 01-06 (default all)")
    parser.add_argument("--limit", type=int, help="use only this many images of each split")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--worker", choices=sorted(RUNNERS), help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, print, and write the JSON and Markdown reports."""
    args = build_parser().parse_args(argv)
    if args.worker:  # inside a child process: one variant, one seed
        result = measure(args.worker, args.dataset, args.data_root, args.seed, args.limit)
        Path(args.result).write_text(json.dumps(result))
        return 0
    if args.seeds < 1:
        raise SystemExit(f"seed_vs_collection: error: --seeds={args.seeds}: must be 1 or more")
    variants = parse_list(args.variants, tuple(VARIANTS), "--variants")
    profiles = parse_list(args.profiles, PROFILES, "--profiles")
    given = list(sys.argv[1:] if argv is None else argv)
    report = {
        "command": " ".join(["python -m benchmarks.seed_vs_collection", *given]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": describe_machine(),
        "settings": {
            "dataset": args.dataset,
            "seeds": list(range(args.seeds)),
            "limit": args.limit,
            "test_batch_size_b": TEST_BATCH_SIZE,
        },  # fmt: skip
        "variants": {},
        "runs": {},
        "ratios": {},
        "collection": {},
    }

    for key in variants:
        runs = []
        for seed in range(args.seeds):
            run = spawn(key, seed, args)
            runs.append(run)
            print(f"({key}) {VARIANTS[key][0]}, seed {seed}: train {run['train_seconds']:.1f} s, "
                  f"test {run['test_seconds']:.1f} s, accuracy {100 * run['accuracy']:.2f}%, "
                  f"peak memory {run['peak_memory_mb']:,.0f} MB", flush=True)  # fmt: skip
        report["runs"][key] = runs
        report["variants"][key] = summarize(runs)
    report["ratios"] = ratios(report["variants"])

    for profile in profiles:
        if not cli_available():
            report["collection"][profile] = {
                "skipped": "the cifar-tutorial command (cifar_tutorial.course) is not installed"
            }
            print(f"cifar-tutorial run --profile {profile}: skipped, the command is missing")
            continue
        timing = time_collection(profile, args)
        report["collection"][profile] = timing
        print(f"cifar-tutorial run --profile {profile}: {timing['status']}, notebooks 01-06 "
              f"{timing['notebooks_01_06_seconds']:.1f} s", flush=True)  # fmt: skip

    report["targets"] = check_targets(report) if args.dataset == "cifar10" else []
    table = markdown(report)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{RESULT_NAME}.json").write_text(json.dumps(report, indent=2))
    (out / f"{RESULT_NAME}.md").write_text(table)
    print()
    print(table)
    print(f"Written: {pretty_path(out / RESULT_NAME)}.json and .md")
    missed = [t["target"] for t in report["targets"] if not t["met"]]
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
