"""``summary.json``: what a run did, with which parameters and versions, and what it measured."""

from __future__ import annotations

import json
import os
import platform
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import torch
import torchvision

from .. import __version__
from ..files import atomic_write
from .machine import load_average, machine

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
    return atomic_write(folder / SUMMARY_FILE, json.dumps(summary, indent=2, default=str))


def read_summary(folder: str | os.PathLike) -> dict[str, Any]:
    """The summary of an earlier run."""
    return json.loads((Path(folder) / SUMMARY_FILE).read_text())
