"""``summary.json``: what a run did, with which parameters and versions, and what it measured."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import torch
import torchvision

from .. import __version__

SUMMARY_FILE = "summary.json"
HEADLINE_KEYS = ("final_loss", "test_accuracy", "per_class_accuracy", "train_seconds")
"""Metrics shown first in ``results``: taken from the first notebook that records each."""


def utc_now() -> str:
    """The current time in UTC, ISO 8601 to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def versions() -> dict[str, str]:
    """The versions that decide what a run computes."""
    return {
        "python": platform.python_version(),
        "cifar_tutorial": __version__,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "papermill": version("papermill"),
    }


def machine() -> dict[str, Any]:
    """The machine a run's times were measured on: CPU, cores, SIMD level, native bfloat16,
    and the commit of the checkout (``None`` outside a git checkout)."""
    from ..modern.train import cpu_has_fast_bfloat16

    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "bfloat16_native": cpu_has_fast_bfloat16(),
        "commit": checkout_commit(),
    }


def load_average() -> float | None:
    """The machine's load over the last minute (other programs slow a run down); ``None``
    where the system does not tell."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def cpu_model() -> str:
    """The processor's name, e.g. ``Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz``."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def checkout_commit() -> str | None:
    """The commit of the checkout the package runs from, ``+changes`` when files differ."""
    checkout = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "-C", str(checkout), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(checkout), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+changes" if changed else head


def new_summary(
    name: str,
    profile: str,
    parameters: dict[str, Any],
    notebook_parameters: dict[str, dict[str, Any]],
    device: str,
    data: str | None,
) -> dict[str, Any]:
    """The summary of a run that is about to start: every notebook ``"pending"``."""
    return {
        "name": name,
        "status": "running",
        "started": utc_now(),
        "finished": None,
        "profile": profile,
        "parameters": parameters,
        "device": device,
        "data": data,
        "versions": versions(),
        "machine": machine(),
        "notebooks": [
            {
                "notebook": notebook,
                "status": "pending",
                "seconds": None,
                "parameters": values,
                "metrics": {},
                "error": None,
            }
            for notebook, values in notebook_parameters.items()
        ],
        "results": {},
    }


def read_metrics(path: str | os.PathLike | None) -> dict[str, Any]:
    """The metrics a notebook recorded (``{}`` when it recorded none)."""
    if path is None or not Path(path).is_file():
        return {}
    return json.loads(Path(path).read_text())


def headline_results(summary: dict[str, Any]) -> dict[str, Any]:
    """The run's main numbers, each from the first notebook that recorded it."""
    results: dict[str, Any] = {}
    for entry in summary["notebooks"]:
        for key in HEADLINE_KEYS:
            if key in entry["metrics"] and key not in results:
                results[key] = entry["metrics"][key]
                results.setdefault("from", {})[key] = entry["notebook"]
    return results


def write_summary(folder: Path, summary: dict[str, Any]) -> Path:
    """Write ``summary.json`` into the run folder atomically (a reader never sees half)."""
    summary["results"] = headline_results(summary)
    for entry in summary["notebooks"]:
        if entry["status"] == "completed" and "load_average" not in entry:
            entry["load_average"] = load_average()  # over the last minute of that notebook
    path = folder / SUMMARY_FILE
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(summary, indent=2, default=str))
    os.replace(temporary, path)
    return path


def read_summary(folder: str | os.PathLike) -> dict[str, Any]:
    """The summary of an earlier run."""
    return json.loads((Path(folder) / SUMMARY_FILE).read_text())
