"""The modern recipe on one GPU: five runs on the CIFAR-10 archive it is given, timed.

Prepared for an NVIDIA H100 (target: at least 92.0% mean test accuracy in at most 5 s of
timed GPU work per run; the whole script well under 10 minutes)::

    python -m benchmarks.gpu_modern --archive cifar10-jpeg.tar.gz

What it does, and what is timed:

1. extracts the archive (class folders ``train/<class>/*.jpg``, ``test/...``, or the official
   ``cifar-10-python.tar.gz``) into a temporary folder with the checks of
   ``cifar-tutorial prefetch --from-archive``, and decodes it: not timed;
2. one warm-up run on a short schedule (CUDA context, cuDNN's choice of kernels, and the
   compilation with ``--compile``): not timed, and stated in the output;
3. ``--runs`` runs of the recipe with seeds 0, 1, ...: each timed from the first training
   step (the whitening layer included) to the last test prediction (test-time augmentation
   included), with the GPU synchronized at both ends. The data set is already on the GPU.

Without a GPU it runs on the CPU (``--device cpu``), e.g. with tiny settings as a dry run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.modern_recipe import parse_settings
from cifar_tutorial.course.prefetch import archive_layout, install_folders_archive
from cifar_tutorial.data import load_split, official
from cifar_tutorial.device import describe_device, pick_device
from cifar_tutorial.modern import RECIPES, make_recipe, run


def install(archive: Path, root: Path) -> None:
    """Unpack ``archive`` (official or class folders) into ``root``, as ``prefetch`` does."""
    kind, prefix = archive_layout(archive)
    if kind == "official":
        official.install_archive(archive, root)
    else:
        install_folders_archive(archive, prefix, root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, required=True, help="class-folder .tar.gz")
    parser.add_argument(
        "--dataset", default="cifar10", choices=("cifar10", "cifar10-subset"), help="subset: fewer"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--recipe", default="gpu", choices=sorted(RECIPES))
    parser.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--warmup-epochs", type=float, default=1.0, help="0 = no warm-up run")
    parser.add_argument("--compile", action="store_true", help="torch.compile the network")
    parser.add_argument("--target", type=float, default=92.0, help="mean accuracy goal, %%")
    parser.add_argument("--seconds", type=float, default=5.0, help="time goal per run")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)
    script_start = time.perf_counter()

    settings = parse_settings(args.set)
    if args.compile:
        settings["compile"] = "true"
    recipe = make_recipe(args.recipe, **settings)
    device = pick_device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    print(f"{describe_device(device)}; torch {torch.__version__}")
    print("recipe:", json.dumps(recipe.as_dict()))

    with tempfile.TemporaryDirectory(prefix="cifar10-") as scratch:
        start = time.perf_counter()
        root = Path(scratch)
        install(args.archive, root)
        train_set = load_split(args.dataset, "train", root, download=False)
        test_set = load_split(args.dataset, "test", root, download=False)
        print(
            f"not timed: extracting and decoding the archive, {time.perf_counter() - start:.1f} s"
        )
        print(f"{train_set.summary()}\n{test_set.summary()}")

    if args.warmup_epochs > 0:
        start = time.perf_counter()
        warmup = make_recipe(args.recipe, **{**settings, "epochs": args.warmup_epochs})
        run(warmup, train_set, test_set, device=device, seed=1000, verbose=False)
        print(f"not timed: warm-up run of {args.warmup_epochs:g} epoch(s) "
              f"({'compilation, ' if args.compile else ''}kernel selection), "
              f"{time.perf_counter() - start:.1f} s")  # fmt: skip

    rows = []
    for seed in range(args.runs):
        result = run(recipe, train_set, test_set, device=device, seed=seed, verbose=False)
        rows.append({"seed": seed, "accuracy": result.accuracy, "seconds": result.seconds})
        print(f"run {seed}: {result.accuracy:.2%} test accuracy in {result.seconds:.2f} s "
              f"(train {result.train_seconds:.2f} s, test {result.test_seconds:.2f} s)",
              flush=True)  # fmt: skip

    accuracies = [100 * row["accuracy"] for row in rows]
    seconds = [row["seconds"] for row in rows]
    spread = statistics.stdev(accuracies) if len(rows) > 1 else 0.0
    mean_accuracy, mean_seconds = statistics.mean(accuracies), statistics.mean(seconds)
    print(f"\n{len(rows)} runs on {describe_device(device)}: {mean_accuracy:.2f}% +- {spread:.2f} "
          f"mean test accuracy; {mean_seconds:.2f} s timed per run (max {max(seconds):.2f}); "
          f"whole script {time.perf_counter() - script_start:.0f} s")  # fmt: skip
    if args.json is not None:
        summary = {"device": describe_device(device), "recipe": recipe.as_dict(), "runs": rows,
                   "mean_accuracy": mean_accuracy, "std_accuracy": spread,
                   "mean_seconds": mean_seconds, "max_seconds": max(seconds)}  # fmt: skip
        args.json.write_text(json.dumps(summary, indent=2))
    met = mean_accuracy >= args.target and max(seconds) <= args.seconds
    print(f"target ({args.target}% in {args.seconds} s per run): {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
