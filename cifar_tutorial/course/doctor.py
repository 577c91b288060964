"""``cifar-tutorial doctor``: is this laptop ready for the course, and how long will it take?

One ``[OK]``, ``[WARN]`` or ``[FAIL]`` line per item, each problem with its fix: Python,
torch and torchvision, the JupyterLab kernel, the package's sample, CIFAR-10 on disk
(present and verified), free disk, devices, the notebooks. Then a few seconds of real
training steps, from which it predicts each notebook's time on this machine in both
profiles (:mod:`~cifar_tutorial.course.forecast`). Exit code 1 when something would stop the
course.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ParameterError, TutorialError
from ..paths import pretty_path, resolve_data_root, tutorial_home
from ..settings import PROFILES
from .machine import load_average
from .notebooks import notebook_folder, notebook_names
from .text import duration_text

KERNEL_CHECK = "import torch, torchvision, ipykernel.kernelapp, cifar_tutorial.plots"
MINIMUM_PYTHON = (3, 10)
DISK_NEEDED_GB = 0.5  # CIFAR-10 extracted (180 MB), its cache (180 MB), weights and run folders
DISK_COMFORTABLE_GB = 2.0
LONG_NOTEBOOK_MINUTES = 30  # a workshop session; longer ones get a warning and a shortcut
LEVELS = {"ok": "[OK]", "warn": "[WARN]", "fail": "[FAIL]"}


@dataclass(frozen=True)
class Finding:
    """One line of the report: ``ok``, ``warn`` (works, with a limit) or ``fail``."""

    level: str
    what: str
    fix: str = ""


@dataclass
class Measured:
    """Seconds the checks measured on the way, for the forecast."""

    startup: float | None = None
    load: dict[str, float] | None = None


def check_versions() -> list[Finding]:
    """Python, torch and torchvision versions."""
    import torch
    import torchvision

    version = platform.python_version()
    if sys.version_info[:2] < MINIMUM_PYTHON:
        wanted = ".".join(map(str, MINIMUM_PYTHON))
        return [Finding("fail", f"Python {version}", f"install Python {wanted} or newer")]
    return [
        Finding("ok", f"Python {version} ({pretty_path(sys.executable)})"),
        Finding("ok", f"torch {torch.__version__}, torchvision {torchvision.__version__}"),
    ]


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


def time_imports(python: str) -> tuple[float, str]:
    """Seconds a fresh ``python`` takes to import what a notebook imports, and the error."""
    start = time.perf_counter()
    try:
        probe = subprocess.run(
            [python, "-c", KERNEL_CHECK], capture_output=True, text=True, timeout=120
        )
        problem = probe.stderr.strip().splitlines()[-1] if probe.returncode else ""
    except (OSError, subprocess.TimeoutExpired) as error:
        problem = str(error)
    return time.perf_counter() - start, problem


def check_kernels(measured: Measured) -> list[Finding]:
    """The kernels JupyterLab will offer, and whether ``python3`` can import the package."""
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().get_all_specs()
    findings = []
    for name, entry in sorted(specs.items()):
        argv = entry["spec"]["argv"]
        # jupyter_client runs a kernel whose command is "python" with its own interpreter
        python = sys.executable if argv[0] in ("python", "python3") else argv[0]
        label = f"kernel {name} ({entry['spec'].get('display_name', name)}, {pretty_path(python)})"
        if entry["spec"].get("language") != "python":
            findings.append(Finding("ok", label))
            continue
        seconds, problem = time_imports(python)
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
            continue
        if name == "python3":
            measured.startup = seconds
        findings.append(
            Finding("ok", f"{label}: imports torch and cifar_tutorial in {seconds:.1f} s")
        )
    if "python3" not in specs:
        findings.append(
            Finding(
                "fail",
                "no kernel named python3 (the notebooks ask for it)",
                f"{sys.executable} -m ipykernel install --user",
            )
        )
    return findings


def timed_load(dataset: str, split: str, data_root: str | None, measured: Measured):
    """Load one split without downloading; remember how long it took."""
    from ..data import load_split

    start = time.perf_counter()
    data = load_split(dataset, split, data_root, download=False)
    measured.load = {**(measured.load or {}), f"{dataset}-{split}": time.perf_counter() - start}
    return data


def check_sample(measured: Measured) -> list[Finding]:
    """The embedded sample: the smoke profile, the tests and the speed check need it."""
    try:
        train = timed_load("sample", "train", None, measured)
        test = timed_load("sample", "test", None, measured)
    except (OSError, ValueError, TutorialError) as error:
        return [
            Finding(
                "fail",
                f"the package's sample: cannot be read ({error})",
                "reinstall cifar-tutorial (pip install --force-reinstall cifar-tutorial)",
            )
        ]
    seconds = measured.load["sample-train"] + measured.load["sample-test"]
    return [
        Finding(
            "ok",
            f"the package's sample: {len(train):,} + {len(test):,} photos decoded "
            f"in {seconds:.1f} s",
        )
    ]


def describe_sources(data_root: str | os.PathLike | None = None) -> dict[str, str]:
    """Whether each source of CIFAR-10 is ready, with a fix when not."""
    from ..data import folders, official
    from ..errors import DataUnavailableError

    root = resolve_data_root(data_root)
    status = {"sample": "ready (embedded in the package)"}
    if official.has_batches(root):
        status["cifar10"] = f"ready: {official.OFFICIAL_SOURCE} in {root}"
    elif folders.looks_like_folders(root):
        try:
            folders.check_tree(root)
            status["cifar10"] = f"ready: {folders.FOLDERS_SOURCE} in {root}"
        except DataUnavailableError as error:
            status["cifar10"] = f"not ready: {error}"
    elif official.has_archive(root):
        status["cifar10"] = f"archive found in {root}; it is extracted on first use"
    else:
        status["cifar10"] = (
            f"not ready: nothing in {root}. Run `cifar-tutorial prefetch` (downloads) or "
            "`cifar-tutorial prefetch --from-archive FILE`, or set CIFAR10_ROOT."
        )
    return status


def check_cifar10(data_root: str | None, measured: Measured) -> list[Finding]:
    """CIFAR-10 on disk: present, checked against its checksums or its file tree, loadable."""
    from ..data import folders, official

    root = resolve_data_root(data_root)
    state = describe_sources(data_root)["cifar10"]
    if state.startswith("not ready"):
        return [Finding("warn", "data cifar10: not ready", state.removeprefix("not ready: "))]
    if not (official.has_batches(root) or folders.looks_like_folders(root)):
        return [
            Finding(
                "warn",
                f"data cifar10: {state}",
                f"cifar-tutorial prefetch --data-root {pretty_path(root)} extracts it now",
            )
        ]
    try:
        if official.has_batches(root):
            official.verify_batches(root)
            checked = "md5 sums checked"
        else:
            checked = "all class folders complete"
        start = time.perf_counter()
        train = timed_load("cifar10", "train", data_root, measured)
        test = timed_load("cifar10", "test", data_root, measured)
        seconds = time.perf_counter() - start
    except (OSError, TutorialError) as error:
        return [
            Finding(
                "fail",
                f"data cifar10 in {pretty_path(root)}: {error}",
                "cifar-tutorial prefetch (a download) or cifar-tutorial prefetch --from-archive "
                "FILE installs a complete copy",
            )
        ]
    return [
        Finding(
            "ok",
            f"data cifar10: {len(train):,} + {len(test):,} images in {pretty_path(root)} "
            f"({checked}), loaded in {seconds:.1f} s",
        )
    ]


def check_disk() -> list[Finding]:
    """Free space where the course writes its data, weights and run folders."""
    folder = tutorial_home()
    free_gb = free_space(folder)
    what = f"free disk: {free_gb:.1f} GB for {pretty_path(folder)}"
    fix = (
        f"the course needs about {DISK_NEEDED_GB} GB (CIFAR-10, its cache, weights, run "
        f"folders); free some space or set CIFAR_TUTORIAL_HOME to a larger disk"
    )
    if free_gb < DISK_NEEDED_GB:
        return [Finding("fail", what, fix)]
    if free_gb < DISK_COMFORTABLE_GB:
        return [Finding("warn", what, fix)]
    return [Finding("ok", what)]


def free_space(path: Path) -> float:
    """Free gigabytes on the disk holding ``path`` (or its nearest existing parent)."""
    existing = next(p for p in [path, *path.parents] if p.exists())
    return shutil.disk_usage(existing).free / 1e9


def check_notebooks(notebook_dir: str | None) -> list[Finding]:
    """Whether ``cifar-tutorial run`` finds the notebooks."""
    from .collection import find_notebooks

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
    folder = notebook_folder(notebook_dir)
    return [Finding("ok", f"notebooks: {len(notebooks)} in {pretty_path(folder)}")]


def figure_seconds(sample) -> float:
    """Seconds to draw one figure and render it to PNG, as Jupyter shows it."""
    import io

    from ..plots import image_grid

    start = time.perf_counter()
    image_grid(sample.images[:32], sample.labels[:32], title="timing").savefig(
        io.BytesIO(), format="png"
    )
    return time.perf_counter() - start


def measure_speeds(measured: Measured):
    """A :class:`MeasuredSpeeds` on the device the notebooks pick, with the sample."""
    from ..data import load_split
    from ..device import pick_device
    from .speed import MeasuredSpeeds

    sample = load_split("sample", "train")
    load = dict(measured.load or {})
    if "cifar10-train" not in load:  # not on disk yet: as fast as the sample, per image
        per_image = load["sample-train"] / len(sample)
        load.update({"cifar10-train": 50_000 * per_image, "cifar10-test": 10_000 * per_image})
    return MeasuredSpeeds(
        pick_device("auto", verbose=False),
        sample,
        startup=measured.startup
        if measured.startup is not None
        else time_imports(sys.executable)[0],
        load=load,
        figure=figure_seconds(sample),
    )


def forecast_lines(measured: Measured, notebook_dir: str | None) -> tuple[list[Finding], list[str]]:
    """The speed finding and the table of predicted notebook times in both profiles."""
    import torch

    from ..device import describe_device
    from .forecast import forecast_all

    start = time.perf_counter()
    speeds = measure_speeds(measured)
    forecasts = {profile: forecast_all(profile, speeds, notebook_dir) for profile in PROFILES}
    seconds = time.perf_counter() - start
    cpu = torch.backends.cpu.get_cpu_capability()
    net = 128 / speeds.net_step(128).each
    finding = Finding(
        "ok",
        f"speed on {describe_device(speeds.device)}: Net trains {net:,.0f} images/s; CPU "
        f"{cpu}, native bfloat16: {'yes' if speeds.native_bfloat16 else 'no'} "
        f"(measured in {seconds:.0f} s)",
    )
    findings = [finding, *check_competition()]
    header = f"{'notebook':24}" + "".join(f"{profile:>14}" for profile in PROFILES)
    lines = ["", "Predicted time of each notebook on this machine:", header]
    names = notebook_names(notebook_dir)
    for index, number in enumerate(f.notebook for f in forecasts[PROFILES[0]]):
        row = f"{names.get(number, number):24}"
        for profile in PROFILES:
            row += f"{duration_text(forecasts[profile][index].seconds):>14}"
        lines.append(row)
    totals = {p: sum(f.seconds for f in forecasts[p]) for p in PROFILES}
    lines.append(f"{'all':24}" + "".join(f"{duration_text(totals[p]):>14}" for p in PROFILES))
    for forecast in forecasts["full"]:
        if forecast.seconds > LONG_NOTEBOOK_MINUTES * 60:
            findings.append(
                Finding(
                    "warn",
                    f"notebook {forecast.notebook} will take about "
                    f"{duration_text(forecast.seconds)} here in the full profile",
                    "run it in the smoke profile during the session"
                    + (", or with -p ablation false" if forecast.notebook == "07" else ""),
                )
            )
    return findings, lines


def check_competition() -> list[Finding]:
    """A warning when other programs kept the CPU busy while the speed was measured."""
    load, cores = load_average(), os.cpu_count() or 1
    if load is None or load <= cores:
        return []
    return [
        Finding(
            "warn",
            f"other programs were using the CPU while it was timed (load average {load:.1f} "
            f"on {cores} cores): the times below are those of a machine this busy",
            "close what else is running and run cifar-tutorial doctor again for the times of "
            "a quiet machine",
        )
    ]


def print_finding(finding: Finding) -> None:
    print(f"{LEVELS[finding.level]:<7}{finding.what}")
    if finding.fix:
        print(f"{'':<7}fix: {finding.fix}")


def doctor_command(
    data_root: str | None = None,
    notebook_dir: str | None = None,
    forecast: bool = True,
    server: bool = False,
    learners: int | None = None,
    cores: int | None = None,
    memory_gb: float | None = None,
    profile: str = "full",
    speed_from_reference: bool = False,
) -> int:
    """Print every finding (and the forecast); exit code 1 when something would stop the
    course from working. An option naming no folder is refused first, in one line. With
    ``server``, how many ``learners`` this server (or one of ``cores`` and ``memory_gb``)
    holds in ``profile`` instead (:func:`.capacity.server_command`)."""
    server_options = {"learners": learners, "cores": cores, "memory_gb": memory_gb,
                      "profile": profile, "speed_from_reference": speed_from_reference}  # fmt: skip
    if server:
        from .capacity import server_command

        def show(level: str, what: str, fix: str) -> None:
            print_finding(Finding(level, what, fix))

        return server_command(notebook_dir=notebook_dir, show=show, **server_options)
    given = [name for name, value in server_options.items() if value not in (None, False, "full")]
    if given:
        option = "--" + given[0].replace("_", "-")
        raise ParameterError(option, server_options[given[0]], "given with --server only")
    if data_root and Path(data_root).expanduser().is_file():
        raise ParameterError("--data-root", data_root, "the path of a folder (this is a file)")
    if notebook_dir is not None:
        from .collection import find_notebooks

        find_notebooks(notebook_dir)  # names --notebook-dir and what it must hold
    measured = Measured()
    findings = []
    for check in (
        check_versions,
        lambda: check_kernels(measured),
        lambda: check_sample(measured),
        lambda: check_cifar10(data_root, measured),
        check_disk,
        check_devices,
        lambda: check_notebooks(notebook_dir),
    ):
        for finding in check():
            print_finding(finding)
            findings.append(finding)
    if forecast and not any(f.level == "fail" for f in findings):
        speed_findings, table = forecast_lines(measured, notebook_dir)
        for finding in speed_findings:
            print_finding(finding)
        findings += speed_findings
        print("\n".join(table))
    failed = sum(f.level == "fail" for f in findings)
    print("\nReady." if not failed else f"\n{failed} problem(s) to fix before the course.")
    return 1 if failed else 0
