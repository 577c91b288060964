"""The machine a run's times were measured on: its CPU, cores, load and checkout."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    """The machine a run's times were measured on: CPU, cores, SIMD level, native bfloat16,
    and the commit of the checkout (``None`` outside a git checkout)."""
    import torch

    from ..modern.train import cpu_has_fast_bfloat16

    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "bfloat16_native": cpu_has_fast_bfloat16(),
        "commit": checkout_commit(),
    }


def memory_bytes() -> int:
    """This machine's physical memory in bytes (0 where the system does not tell)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


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
