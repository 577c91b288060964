"""Choosing where the network runs: CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import torch

from .errors import DeviceUnavailableError
from .validation import check_choice

DEVICES = ("auto", "cpu", "cuda", "mps")


def available_devices() -> list[str]:
    """The kinds of device this machine offers, best first (the CPU is always there)."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if torch.backends.mps.is_available():
        found.append("mps")
    return [*found, "cpu"]


def pick_device(requested: str = "auto", verbose: bool = True) -> torch.device:
    """The device asked for, or with ``"auto"`` the best one present; says what and why.
    Asking for ``"cuda"`` or ``"mps"`` on a machine without it raises
    :class:`DeviceUnavailableError` instead of failing later inside torch."""
    requested = check_choice("device", requested, DEVICES)
    present = available_devices()
    if requested == "auto":
        chosen = present[0]
        reason = "the best device found" if chosen != "cpu" else "no CUDA or MPS device found"
    elif requested in present:
        chosen, reason = requested, "as requested"
    else:
        raise DeviceUnavailableError(
            f"device={requested!r} was requested but this machine has no {requested.upper()} "
            f"device (found: {', '.join(present)}). Use device='auto' or device='cpu'."
        )
    device = torch.device(chosen)
    if verbose:
        print(f"Using {describe_device(device)} ({reason}).")
    return device


def describe_device(device: torch.device | str) -> str:
    """A short human description, e.g. ``cuda (NVIDIA H100 80GB HBM3)`` or ``cpu (2 threads)``."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "mps (Apple GPU)"
    return f"cpu ({torch.get_num_threads()} threads)"


def synchronize(device: torch.device | str) -> None:
    """Wait for queued GPU work, so that a timer measures the work and not just its launch."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
