"""``cifar-tutorial doctor``: is this machine ready for the course? Each problem has a fix."""

from __future__ import annotations

import platform
import subprocess
import sys
from dataclasses import dataclass

from ..errors import TutorialError
from ..paths import pretty_path

KERNEL_CHECK = "import torch, torchvision, cifar_tutorial"


@dataclass(frozen=True)
class Finding:
    """One line of the report: ``ok``, ``warn`` (works, with a limit) or ``fail``."""

    level: str
    what: str
    fix: str = ""


def check_versions() -> list[Finding]:
    """Python, torch and torchvision versions."""
    import torch
    import torchvision

    findings = [Finding("ok", f"Python {platform.python_version()} ({sys.executable})")]
    findings.append(
        Finding("ok", f"torch {torch.__version__}, torchvision {torchvision.__version__}")
    )
    return findings


def check_devices() -> list[Finding]:
    """The devices torch can use."""
    from ..device import available_devices, describe_device

    found = available_devices()
    described = ", ".join(describe_device(kind) for kind in found)
    if found == ["cpu"]:
        return [
            Finding(
                "warn",
                f"devices: {described}",
                "no CUDA or MPS device: everything runs on the CPU (notebook 06 "
                "explains what a GPU changes)",
            )
        ]
    return [Finding("ok", f"devices: {described}")]


def check_kernels() -> list[Finding]:
    """The kernels JupyterLab will offer, and whether ``python3`` can import the package."""
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().get_all_specs()
    findings = []
    for name, entry in sorted(specs.items()):
        argv = entry["spec"]["argv"]
        # jupyter_client runs a kernel whose command is "python" with its own interpreter
        python = sys.executable if argv[0] in ("python", "python3") else argv[0]
        label = f"kernel {name} ({entry['spec'].get('display_name', name)}, {python})"
        if entry["spec"].get("language") != "python":
            findings.append(Finding("ok", label))
            continue
        try:
            probe = subprocess.run(
                [python, "-c", KERNEL_CHECK], capture_output=True, text=True, timeout=120
            )
            problem = probe.stderr.strip().splitlines()[-1] if probe.returncode else ""
        except (OSError, subprocess.TimeoutExpired) as error:
            problem = str(error)
        if problem:
            findings.append(
                Finding(
                    "fail",
                    f"{label}: cannot import the course's packages ({problem})",
                    f"{sys.executable} -m ipykernel install "
                    f"--user --name {name}, or pick the right kernel in "
                    "JupyterLab",
                )
            )
        else:
            findings.append(Finding("ok", f"{label}: imports torch and cifar_tutorial"))
    if "python3" not in specs:
        findings.append(
            Finding(
                "fail",
                "no kernel named python3 (the notebooks ask for it)",
                f"{sys.executable} -m ipykernel install --user",
            )
        )
    return findings


def check_data(data_root: str | None) -> list[Finding]:
    """Whether the embedded sample and the full CIFAR-10 are ready."""
    from ..data.load import describe_sources

    findings = []
    for source, state in describe_sources(data_root).items():
        if state.startswith("not ready"):
            findings.append(
                Finding("warn", f"data {source}: not ready", state.removeprefix("not ready: "))
            )
        else:
            findings.append(Finding("ok", f"data {source}: {state}"))
    return findings


def check_notebooks(notebook_dir: str | None) -> list[Finding]:
    """Whether ``cifar-tutorial run`` finds the notebooks."""
    from .collection import default_notebook_dir, find_notebooks

    try:
        notebooks = find_notebooks(notebook_dir)
    except TutorialError as error:
        return [
            Finding(
                "warn",
                f"notebooks: {error}",
                "run cifar-tutorial from the repository, or give --notebook-dir",
            )
        ]
    folder = notebook_dir or default_notebook_dir()
    return [Finding("ok", f"notebooks: {len(notebooks)} in {pretty_path(folder)}")]


def doctor_command(data_root: str | None = None, notebook_dir: str | None = None) -> int:
    """Print every finding; exit code 1 when something would stop the course from working."""
    findings = [
        *check_versions(),
        *check_devices(),
        *check_kernels(),
        *check_data(data_root),
        *check_notebooks(notebook_dir),
    ]
    for finding in findings:
        print(f"{finding.level:<5}{finding.what}")
        if finding.fix:
            print(f"{'':<5}fix: {finding.fix}")
    failed = sum(f.level == "fail" for f in findings)
    print("Ready." if not failed else f"{failed} problem(s) to fix before the course.")
    return 1 if failed else 0
