"""How close ``cifar-tutorial doctor``'s forecast comes to real runs of the notebooks.

In one run on one machine: first the readiness check's own measurements (a fresh kernel's
imports, loading the data, drawing a figure, the short training steps) and its forecast of
each chosen notebook; then ``cifar-tutorial run`` executes those notebooks for real with their
default parameters, and each notebook's wall time (kernel start included) from the run's
``summary.json`` is set beside its forecast. Each must land within ``--tolerance`` (30%) of
the measured time. Run it alone on the machine; nothing else should compete for the CPU::

    python -m benchmarks.forecast_accuracy                          # 04 and 07, full profile
    python -m benchmarks.forecast_accuracy --notebooks 01-08 --check
    python -m benchmarks.forecast_accuracy --profile smoke --notebooks 02
    python -m benchmarks.forecast_accuracy --from-run runs/20261202-190000-full --check

With ``--from-run`` the measured times come from a finished ``cifar-tutorial run`` of the same
profile (the one the instructor's guide is made from) instead of a new run: the check is
measured now, so run it on the same machine, as quiet as the run was.

Results are printed and written to ``forecast_accuracy.json`` and ``forecast_accuracy.md``
in ``--out``.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from benchmarks.seed_vs_collection import describe_machine, notebook_timings, time_collection
from cifar_tutorial.course import doctor
from cifar_tutorial.course.collection import find_notebooks, select_notebooks
from cifar_tutorial.course.forecast import forecast_notebook
from cifar_tutorial.course.machine import load_average
from cifar_tutorial.settings import PROFILES

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "benchmarks" / "results"
RESULT_NAME = "forecast_accuracy"
TOLERANCE = 0.30  # issue 15: predicted within 30% of measured on this machine


def measure_forecast(profile: str, numbers: Sequence[str], data_root: str | None) -> dict:
    """The readiness check's measurements and its forecast of each notebook, with timings."""
    started = time.perf_counter()
    measured = doctor.Measured()
    measured.startup, problem = doctor.time_imports(sys.executable)
    if problem:
        raise RuntimeError(f"a fresh interpreter cannot import the course's packages: {problem}")
    doctor.check_sample(measured)
    if profile == "full":
        doctor.check_cifar10(data_root, measured)
    speeds = doctor.measure_speeds(measured)
    forecasts = {number: forecast_notebook(number, profile, speeds) for number in numbers}
    return {
        "check_seconds": time.perf_counter() - started,
        "steps_seconds": speeds.measured_seconds,
        "startup_seconds": speeds.startup,
        "device": str(speeds.device),
        "native_bfloat16": speeds.native_bfloat16,
        "forecasts": {
            number: {"seconds": f.seconds, "parts": f.parts} for number, f in forecasts.items()
        },
    }


def compare(forecasts: dict[str, dict], measured: dict, tolerance: float) -> list[dict]:
    """One row per notebook: predicted and measured seconds, the error, within tolerance."""
    times = {nb["notebook"][:2]: nb for nb in measured["notebooks"]}
    rows = []
    for number, forecast in forecasts.items():
        run = times.get(number)
        seconds = run["seconds"] if run and run["status"] == "completed" else None
        error = None if not seconds else forecast["seconds"] / seconds - 1
        rows.append(
            {
                "notebook": run["notebook"] if run else number,
                "predicted_seconds": forecast["seconds"],
                "measured_seconds": seconds,
                "error": error,
                "within": error is not None and abs(error) <= tolerance,
            }
        )
    return rows


def markdown(report: dict) -> str:
    """The side-by-side table, the machine and what the check itself cost."""
    machine, check = report["machine"], report["check"]
    lines = [
        f"Machine: {machine['cpu']}, {machine['cpu_count']} cores, torch "
        f"{machine['torch']} ({machine['torch_threads']} threads), CPU capability "
        f"{machine['cpu_capability']}, native bfloat16: {check['native_bfloat16']}; "
        f"device {check['device']}; profile {report['profile']}.",
        "",
        f"| notebook | predicted | measured | error | within {report['tolerance']:.0%} |",
        "|---|---:|---:|---:|---|",
    ]
    for row in report["rows"]:
        measured = row["measured_seconds"]
        lines.append(
            f"| {row['notebook']} | {row['predicted_seconds']:.0f} s | "
            + (f"{measured:.0f} s | {row['error']:+.0%} |" if measured else "not run | - |")
            + (" yes |" if row["within"] else " no |")
        )
    lines += [
        "",
        f"The check took {check['check_seconds']:.0f} s, of which {check['steps_seconds']:.0f} s "
        f"of training steps and {check['startup_seconds']:.1f} s for a fresh interpreter's "
        "imports.",
    ]
    if check.get("load_average", {}).get("before") is not None:
        load = check["load_average"]
        lines.append(
            f"Load average (1 min) before the check: {load['before']:.1f}, after the runs: "
            f"{load['after']:.1f} (above 0 means other programs competed for the "
            f"{machine['cpu_count']} cores)."
        )
    during = check.get("load_average_during_runs")
    if during:
        lines.append(
            f"During the runs (sampled every {LoadSampler.EVERY:g} s): mean {during['mean']:.1f}, "
            f"from {during['min']:.1f} to {during['max']:.1f}."
        )
    return "\n".join(lines) + "\n"


class LoadSampler:
    """The 1-minute load average, sampled in the background while the notebooks run."""

    EVERY = 10.0

    def __enter__(self) -> LoadSampler:
        self.samples: list[float] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()
        return self

    def sample(self) -> None:
        while not self.stop.wait(self.EVERY):
            value = load_average()
            if value is not None:
                self.samples.append(value)

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()

    def summary(self) -> dict[str, float] | None:
        if not self.samples:
            return None
        mean = sum(self.samples) / len(self.samples)
        return {"mean": mean, "min": min(self.samples), "max": max(self.samples)}


def timings_of_run(folder: Path, profile: str) -> dict:
    """The notebooks' times from a finished run folder, which must be of ``profile``."""
    summary_file = folder / "summary.json"
    if not summary_file.is_file():
        raise SystemExit(f"--from-run: {folder} has no summary.json (not a run folder?)")
    summary = json.loads(summary_file.read_text())
    if summary["profile"] != profile:
        raise SystemExit(
            f"--from-run: {folder} is a {summary['profile']} run; this check is for the "
            f"{profile} profile (--profile {summary['profile']} to compare with it)"
        )
    timing = notebook_timings(summary)
    timing["command"] = f"the run folder {folder.name}"
    return timing


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.forecast_accuracy",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--profile", default="full", choices=PROFILES)
    parser.add_argument("--notebooks", default="04,07", help="e.g. 01-08 (default 04,07)")
    parser.add_argument("--data-root", help="CIFAR-10 folder (default: the package's default)")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE)
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="folder for the JSON and table")
    parser.add_argument("--check", action="store_true", help="exit 1 when one is not within")
    parser.add_argument(
        "--from-run",
        metavar="RUN",
        help="take the measured times from this "
        "finished run folder (its summary.json) instead of running the notebooks",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    chosen = select_notebooks(find_notebooks(str(REPO / "notebooks")), args.notebooks)
    numbers = [nb.number for nb in chosen]
    print(f"Measuring and forecasting notebooks {', '.join(numbers)} ({args.profile} profile).")
    load_before = load_average()
    check = measure_forecast(args.profile, numbers, args.data_root)
    check["load_average_at_check"] = load_average()
    for number, forecast in check["forecasts"].items():
        print(f"  {number}: {forecast['seconds']:.0f} s predicted")
    if args.from_run:
        measured = timings_of_run(Path(args.from_run), args.profile)
    else:
        print("Running them with cifar-tutorial run ...", flush=True)
        run_args = argparse.Namespace(notebooks=",".join(numbers), data_root=args.data_root)
        with LoadSampler() as during:
            measured = time_collection(args.profile, run_args)
        check["load_average_during_runs"] = during.summary()
    check["load_average"] = {"before": load_before, "after": load_average()}
    machine = {**describe_machine(), "cpu_capability": torch.backends.cpu.get_cpu_capability()}
    report = {
        "command": " ".join(["python -m benchmarks.forecast_accuracy", *(argv or sys.argv[1:])]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "profile": args.profile,
        "tolerance": args.tolerance,
        "machine": machine,
        "check": check,
        "run": measured,
        "rows": compare(check["forecasts"], measured, args.tolerance),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{RESULT_NAME}.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    (out / f"{RESULT_NAME}.md").write_text(table)
    print(table)
    return 1 if args.check and not all(row["within"] for row in report["rows"]) else 0


if __name__ == "__main__":
    sys.exit(main())
