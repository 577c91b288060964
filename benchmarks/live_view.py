"""Benchmark: what the live view costs the training of notebooks 04 and 07 (at most 2%).

Each notebook's training (``cifar_tutorial.training.train`` and ``cifar_tutorial.modern.train``,
the loops the notebooks write out) runs with and without its live view, same data, same settings,
same seed, in turns: without then with, then with then without, and so on, so that a machine
that slows down over time slows both alike. The live view draws into an output that keeps the
last figure, as a saved notebook does: the figures are drawn and encoded as PNG exactly as in a
notebook, without a frontend. Reported: each variant's median training time (the loop's, as the
notebooks count it), the overhead in per cent (the median of each pair's), the redraws while it
trained, the last draw after training (not in the training time), and the CPU. Run it alone on
the machine: others' work makes the times noisier than the overhead itself::

    python -m benchmarks.live_view          # smoke: the embedded sample, about 2 minutes
    python -m benchmarks.live_view --full   # CIFAR-10: 04's 3 epochs, 07's recipe for 1 epoch
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch

from cifar_tutorial.data import FastLoader, ImageSet, load_split
from cifar_tutorial.models import Net
from cifar_tutorial.modern import cpu_has_fast_bfloat16
from cifar_tutorial.modern import make_recipe as make_modern_recipe
from cifar_tutorial.modern.train import build_net
from cifar_tutorial.modern.train import train as train_modern
from cifar_tutorial.seeding import seed_everything
from cifar_tutorial.training import make_recipe, train


class KeptOutput:
    """Where the live view draws here: keeps the last figure, as a saved notebook does."""

    def __init__(self) -> None:
        self.updates, self.data = 0, None

    def show(self, data: dict[str, Any], metadata: dict[str, Any]) -> None:
        self.data = data

    def update(self, data: dict[str, Any], metadata: dict[str, Any]) -> None:
        self.data, self.updates = data, self.updates + 1


@dataclass
class Timing:
    """One training run: the loop's seconds, and with the live view its draws."""

    live: bool
    train_seconds: float
    redraws: int = 0  # while it trained
    last_draw_seconds: float = 0.0  # after it trained


class Clock:
    """``time.perf_counter`` that remembers its first reading (when training started)."""

    def __init__(self) -> None:
        self.first: float | None = None

    def __call__(self) -> float:
        now = time.perf_counter()
        self.first = now if self.first is None else self.first
        return now


def notebook_04(train_set: ImageSet, epochs: int, live: bool) -> Timing:
    """Notebook 04's training (the ``fast`` recipe), timed to the end of its last epoch."""
    recipe = make_recipe("fast", epochs=epochs)
    seed_everything(0)
    net = Net()
    loader = FastLoader(train_set, recipe.batch_size, shuffle=True, flip=recipe.flip, seed=0)
    output, epoch_ends = KeptOutput() if live else None, []
    start = time.perf_counter()
    train(net, loader, recipe, progress=False, live=output,
          on_epoch_end=lambda *_: epoch_ends.append(time.perf_counter()))  # fmt: skip
    finished = time.perf_counter()
    if output is None:
        return Timing(False, epoch_ends[-1] - start)
    return Timing(True, epoch_ends[-1] - start, output.updates - 1, finished - epoch_ends[-1])


def notebook_07(train_set: ImageSet, test_set: ImageSet, recipe, live: bool) -> Timing:
    """Notebook 07's training, with the live view's test on 500 images of ``test_set``."""
    seed_everything(0)
    net = build_net(recipe, torch.device("cpu"))
    output, clock = KeptOutput() if live else None, Clock()
    log = train_modern(net, train_set, recipe, seed=0, verbose=False, test_set=test_set,
                       clock=clock, live=output)  # fmt: skip
    finished = time.perf_counter()
    if output is None:
        return Timing(False, log.seconds)
    last_draw = finished - (clock.first + log.seconds)
    return Timing(True, log.seconds, output.updates - 1, last_draw)


def overhead(timings: list[Timing]) -> dict[str, Any]:
    """Medians of each variant, and the median of each pair's overhead (with / without - 1)."""
    without = [t.train_seconds for t in timings if not t.live]
    with_live = [t for t in timings if t.live]
    pairs = [w.train_seconds / o - 1 for w, o in zip(with_live, without, strict=True)]
    redraws = statistics.mean(t.redraws for t in with_live)
    last_draw = statistics.median(t.last_draw_seconds for t in with_live)
    return {
        "without_seconds": statistics.median(without),
        "with_seconds": statistics.median(t.train_seconds for t in with_live),
        "overhead": statistics.median(pairs),
        "overheads": pairs,
        "redraws": redraws,
        "last_draw_seconds": last_draw,
        # what the redraws themselves took, if each took as long as the last draw: the share
        # the measured overhead would show without the noise of the machine
        "drawing_share": redraws * last_draw / statistics.median(without),
    }


def has_amx() -> bool | None:
    """Whether the CPU has AMX tiles, as Linux lists its flags; ``None`` where it cannot tell."""
    try:
        return "amx_tile" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return None


def cpu_line() -> str:
    return (f"CPU: {torch.backends.cpu.get_cpu_capability()}; native bfloat16: "
            f"{cpu_has_fast_bfloat16()}; AMX: {has_amx()}; {torch.get_num_threads()} threads; "
            f"torch {torch.__version__}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true",
                        help="CIFAR-10, 04's 3 epochs and 07's CPU recipe for 1 epoch")  # fmt: skip
    parser.add_argument("--data-root", default=None, help="folder with CIFAR-10 (with --full)")
    parser.add_argument("--limit", type=int, default=None, help="images per split (quick runs)")
    parser.add_argument("--repeats", type=int, default=None, help="pairs per notebook")
    parser.add_argument("--epochs-04", type=int, default=None)
    parser.add_argument("--epochs-07", type=float, default=None)
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)

    dataset = "cifar10" if args.full else "sample"
    train_set = load_split(dataset, "train", args.data_root, download=False)
    test_set = load_split(dataset, "test", args.data_root, download=False)
    if args.limit:
        train_set, test_set = train_set.spread(args.limit), test_set.spread(args.limit)
    repeats = args.repeats or (2 if args.full else 3)
    epochs_04 = args.epochs_04 or (3 if args.full else 2)
    if args.full:
        recipe_07 = make_modern_recipe("cpu", epochs=args.epochs_07 or 1)
    else:  # notebook 07's smoke profile: narrower, batches of 250 (the learning rate scaled)
        preset = make_modern_recipe("cpu")
        lr = preset.lr * 250 / preset.batch_size
        recipe_07 = make_modern_recipe("cpu", epochs=args.epochs_07 or 2, widths="16,32,64",
                                       batch_size=250, lr=lr)  # fmt: skip
    print(cpu_line())
    print(f"{train_set.summary()}\n{test_set.summary()}")
    print(f"04: fast recipe, {epochs_04} epochs; 07: {recipe_07.name} recipe, widths "
          f"{recipe_07.widths}, {recipe_07.epochs:g} epochs; {repeats} pairs each")  # fmt: skip
    start = time.perf_counter()
    notebook_04(train_set.spread(1024), 1, live=True)  # first-time costs: imports, kernels
    notebook_07(train_set.spread(1024), test_set, replace(recipe_07, epochs=1), live=True)
    print(f"not timed: a short warm-up run of each, {time.perf_counter() - start:.1f} s")

    runs: dict[str, list[Timing]] = {"04": [], "07": []}
    for repeat in range(repeats):
        order = (False, True) if repeat % 2 == 0 else (True, False)
        for live in order:
            runs["04"].append(notebook_04(train_set, epochs_04, live))
        for live in order:
            runs["07"].append(notebook_07(train_set, test_set, recipe_07, live))
        for notebook, timings in runs.items():
            latest = ", ".join(f"{'with' if t.live else 'without'} {t.train_seconds:.2f} s"
                               for t in timings[-2:])  # fmt: skip
            print(f"pair {repeat + 1}, {notebook}: {latest}", flush=True)  # as it goes

    summary = {notebook: overhead(timings) for notebook, timings in runs.items()}
    print(f"\n{'notebook':8} {'without':>9} {'with':>9} {'overhead':>9} {'redraws':>8} "
          f"{'last draw':>10} {'drawing':>8}")  # fmt: skip
    for notebook, row in summary.items():
        print(f"{notebook:8} {row['without_seconds']:8.2f}s {row['with_seconds']:8.2f}s "
              f"{row['overhead']:+9.1%} {row['redraws']:8.1f} "
              f"{row['last_draw_seconds']:9.2f}s {row['drawing_share']:8.1%}")  # fmt: skip
    print(
        "overhead: the median of the pairs' (with / without - 1); drawing: the redraws' share "
        "of the training time, each taken as long as the last draw"
    )
    if args.json is not None:
        report = {"cpu": cpu_line(), "dataset": train_set.summary(), "epochs_04": epochs_04,
                  "recipe_07": recipe_07.as_dict(), "summary": summary,
                  "runs": {k: [asdict(t) for t in v] for k, v in runs.items()}}  # fmt: skip
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
