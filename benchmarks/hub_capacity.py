"""Benchmark: what one learner on the hub costs the server, notebook by notebook.

A simulated learner runs each notebook of the complete edition (``notebooks/0N_*.ipynb``) in
order, 01 to 08 (05 tests the weights 04 saved in the learner's home), each through papermill
in a fresh process with the environment the hub gives a learner: ``OMP_NUM_THREADS`` and
``MKL_NUM_THREADS`` at 1, its own ``CIFAR_TUTORIAL_HOME`` (a temporary folder), the shared
``CIFAR10_ROOT``. For each notebook it records:

* ``cpu_seconds``: user + system time of the whole process tree (papermill, the kernel, what
  the kernel starts), from ``getrusage(RUSAGE_CHILDREN)`` before and after; papermill's own
  start stands for the single-user server's work of starting a kernel;
* ``wall_seconds``; ``waited_seconds``, the kernel ready to run while other programs held its
  core (``/proc/PID/schedstat``), from which ``capacity.alone_cost`` derives the cost on a
  quiet machine; ``budget_seconds``: the part a time budget fixes (07's training and
  ablation, 04's timed table), from the readiness check's forecast;
* ``peak_rss_mb``: the kernel's peak resident memory as the kernel counts it (``VmHWM``),
  or, when higher, the largest sum sampled every 0.2 s over the kernel and the processes it
  started (08's ``torchrun`` workers).

Beside them, in the same run: the resident memory of a JupyterLab server after start (each
learner's single-user server), that of a process that imported JupyterHub (the hub), and the
single-thread speed of this machine (a training step of ``Net`` on 128 images, the
readiness check's step, in CPU time: ``capacity.measure_step_seconds``), so that
``cifar-tutorial doctor --server`` scales the costs to another machine. The profile's
results go to ``cifar_tutorial/course/capacity.json``. Pin it to one core so that the
notebooks run as they do beside other learners::

    CIFAR10_ROOT=data/cifar10 taskset -c 1 python -m benchmarks.hub_capacity --profile smoke
    CIFAR10_ROOT=data/cifar10 taskset -c 1 python -m benchmarks.hub_capacity --profile full

``--check-concurrent N`` checks the prediction instead: N learners (separate processes, one
thread each, each its own home) start each notebook together, and each one's wall time is set
beside what :func:`cifar_tutorial.course.capacity.predict` says for this machine's cores and
memory. Give it the whole machine (nothing else running)::

    python -m benchmarks.hub_capacity --profile smoke --check-concurrent 4
    python -m benchmarks.hub_capacity --profile full --check-concurrent 4 --notebooks 01-05
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import torch

from cifar_tutorial.course import capacity
from cifar_tutorial.course.collection import find_notebooks, select_notebooks
from cifar_tutorial.course.hub.settings import THREAD_VARIABLES
from cifar_tutorial.course.machine import load_average, machine
from cifar_tutorial.course.text import duration_text
from cifar_tutorial.files import atomic_write
from cifar_tutorial.settings import PROFILES

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
SAMPLE_SECONDS = 0.2
NOTEBOOK_TIMEOUT_S = 3600
SERVER_SETTLE_S = 5.0  # after the server answers, before its memory is read


@dataclass
class NotebookRun:
    """One learner's run of one notebook."""

    notebook: str
    wall_seconds: float
    cpu_seconds: float | None  # None when other learners ran beside it (not separable)
    kernel_peak_mb: float
    tree_peak_mb: float
    ok: bool
    waited_seconds: float = 0.0  # the kernel ready to run while other programs had the core

    @property
    def peak_rss_mb(self) -> float:
        return max(self.kernel_peak_mb, self.tree_peak_mb)


def learner_environment(home: Path, data_root: str | None) -> dict[str, str]:
    """The environment the hub gives a learner's server and kernels."""
    env = {key: value for key, value in os.environ.items() if key != "CIFAR_TUTORIAL_PROFILE"}
    env.update(dict.fromkeys(THREAD_VARIABLES, "1"), CIFAR_TUTORIAL_HOME=str(home))
    if data_root:
        env["CIFAR10_ROOT"] = data_root
    return env


def high_water_mb(pid: int) -> float:
    """A process's peak resident memory as the kernel keeps it (``VmHWM``), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


class TreeSampler(threading.Thread):
    """Every ``SAMPLE_SECONDS``: the kernel below ``root``, its ``VmHWM``, and the resident
    memory of the kernel and everything it started, summed; the maxima are kept."""

    def __init__(self, root: psutil.Process) -> None:
        super().__init__(daemon=True)
        self.root, self.done = root, threading.Event()
        self.kernel_peak_mb = self.tree_peak_mb = 0.0
        self.waited: dict[int, float] = {}  # each kernel's run-queue wait, by pid

    def run(self) -> None:
        while not self.done.wait(SAMPLE_SECONDS):
            try:
                kernels = [p for p in self.root.children(recursive=True) if is_kernel(p)]
            except psutil.Error:
                continue
            for kernel in kernels:
                self.kernel_peak_mb = max(self.kernel_peak_mb, high_water_mb(kernel.pid))
                self.waited[kernel.pid] = max(self.waited.get(kernel.pid, 0.0),
                                              run_queue_seconds(kernel.pid))  # fmt: skip
                total = 0
                for process in [kernel, *safe_children(kernel)]:
                    try:
                        total += process.memory_info().rss
                    except psutil.Error:
                        pass
                self.tree_peak_mb = max(self.tree_peak_mb, total / 2**20)


def run_queue_seconds(pid: int) -> float:
    """Seconds a process's main thread was ready to run but waited for a core
    (``/proc/PID/schedstat``'s second field; 0 where the kernel does not keep it)."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def is_kernel(process: psutil.Process) -> bool:
    try:
        return any("ipykernel_launcher" in word for word in process.cmdline())
    except psutil.Error:
        return False


def safe_children(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children(recursive=True)
    except psutil.Error:
        return []


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_notebook(
    path: Path, profile: str, home: Path, data_root: str | None, alone: bool = True
) -> NotebookRun:
    """Run one notebook as the learner whose home is ``home``; measure it."""
    out = home / "executed" / path.name
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "papermill", str(path), str(out), "-p", "profile", profile,
               "-k", "python3", "--cwd", str(path.parent), "--no-progress-bar",
               "--log-level", "ERROR"]  # fmt: skip
    log = (home / f"{path.stem}.log").open("w")
    cpu_before = children_cpu()
    start = time.perf_counter()
    process = subprocess.Popen(command, env=learner_environment(home, data_root), stdout=log,
                               stderr=subprocess.STDOUT)  # fmt: skip
    sampler = TreeSampler(psutil.Process(process.pid))
    sampler.start()
    try:
        code = process.wait(timeout=NOTEBOOK_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        code = process.wait()
    finally:
        sampler.done.set()
        sampler.join()
        log.close()
    wall = time.perf_counter() - start
    cpu = children_cpu() - cpu_before if alone else None
    return NotebookRun(path.name[:2], wall, cpu, sampler.kernel_peak_mb, sampler.tree_peak_mb,
                       code == 0, sum(sampler.waited.values()))  # fmt: skip


def server_memory_mb() -> float:
    """Resident memory of a JupyterLab server (a learner's single-user server) after it
    started and served the /lab page once."""
    jupyter_lab = Path(sys.executable).with_name("jupyter-lab")
    with tempfile.TemporaryDirectory() as root:
        port = free_port()
        server = subprocess.Popen(
            [str(jupyter_lab), "--no-browser", f"--port={port}", "--IdentityProvider.token=",
             f"--ServerApp.root_dir={root}", "--allow-root"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "JUPYTER_RUNTIME_DIR": root},
        )  # fmt: skip
        try:
            local = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    local.open(f"http://127.0.0.1:{port}/lab", timeout=5).read()
                    break
                except OSError:
                    time.sleep(0.5)
            else:
                raise RuntimeError("JupyterLab did not answer within 120 s")
            time.sleep(SERVER_SETTLE_S)
            return psutil.Process(server.pid).memory_info().rss / 2**20
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def hub_memory_mb() -> float:
    """Resident memory of a process that imported JupyterHub's application and spawner (the
    hub's own process before it serves anyone; its proxy is not counted)."""
    probe = subprocess.run(
        [sys.executable, "-c", "import jupyterhub.app, jupyterhub.spawner, psutil; "
         "print(psutil.Process().memory_info().rss)"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return int(probe.stdout.split()[-1]) / 2**20


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def chosen_notebooks(selection: str | None) -> list[Path]:
    return [notebook.path for notebook in select_notebooks(find_notebooks(NOTEBOOKS), selection)]


def measure_profile(profile: str, paths: list[Path], data_root: str | None) -> dict[str, Any]:
    """One learner through ``paths``, with the machine, its speed and the servers' memory."""
    step = capacity.measure_step_seconds()
    print(f"single-thread step of Net (128 images): {step * 1e3:.1f} ms", flush=True)
    loads = [load_average()]
    server_mb, hub_mb = server_memory_mb(), hub_memory_mb()
    print(f"JupyterLab server: {server_mb:.0f} MB; hub process: {hub_mb:.0f} MB", flush=True)
    notebooks = {}
    with tempfile.TemporaryDirectory(prefix="learner-") as home:
        for path in paths:
            run = run_notebook(path, profile, Path(home), data_root)
            if not run.ok:
                raise RuntimeError(f"{path.name} failed; see the log in {home}")
            budget = capacity.budget_seconds(path.name[:2], profile, NOTEBOOKS)
            notebooks[run.notebook] = {
                "name": path.stem,
                "cpu_seconds": round(run.cpu_seconds, 1),
                "wall_seconds": round(run.wall_seconds, 1),
                "waited_seconds": round(run.waited_seconds, 1),
                "budget_seconds": round(budget, 1),
                "peak_rss_mb": round(run.peak_rss_mb),
                "kernel_peak_rss_mb": round(run.kernel_peak_mb),
                "tree_peak_rss_mb": round(run.tree_peak_mb),
            }
            print(f"{path.stem:24} cpu {run.cpu_seconds:7.1f} s  wall {run.wall_seconds:7.1f} s"
                  f" (waited {run.waited_seconds:.1f} s)  peak {run.peak_rss_mb:6.0f} MB",
                  flush=True)  # fmt: skip
            loads.append(load_average())
        home_mb = sum(f.stat().st_size for f in Path(home).rglob("*") if f.is_file()) / 2**20
    # timed again at the end: the quieter of the two moments is the machine's speed
    step = min(step, capacity.measure_step_seconds())
    return {
        "machine": {**machine(), "affinity": sorted(os.sched_getaffinity(0))},
        "load_average": {"highest": max(x or 0 for x in loads), "at_start": loads[0]},
        "date": datetime.date.today().isoformat(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "data_root": "CIFAR10_ROOT" if data_root else "default",
        "reference": {
            "step_seconds": round(step, 5),
            "batch_size": capacity.REFERENCE_BATCH,
            "threads": 1,
        },  # fmt: skip
        "server_mb": round(server_mb),
        "hub_mb": round(hub_mb),
        "home_mb": round(home_mb),
        "notebooks": notebooks,
    }


def save(profile: str, result: dict[str, Any], path: Path) -> None:
    """Put one profile's results into ``path``, keeping the other profile's."""
    data = json.loads(path.read_text()) if path.exists() else {}
    data.setdefault("about", "written by python -m benchmarks.hub_capacity; see its docstring")
    data.setdefault("profiles", {})[profile] = result
    data["profiles"] = {p: data["profiles"][p] for p in PROFILES if p in data["profiles"]}
    atomic_write(path, json.dumps(data, indent=1) + "\n")


def check_concurrent(
    learners: int, profile: str, paths: list[Path], data_root: str | None, reference_file: Path
) -> list[dict[str, Any]]:
    """``learners`` start each notebook together; each one's wall time against the
    prediction for this machine."""
    reference = capacity.read_reference(profile, reference_file)
    cores = len(os.sched_getaffinity(0))
    server = capacity.Server(cores, capacity.machine_memory_gb(), capacity.measure_step_seconds())
    prediction = capacity.predict(reference, server, learners)
    predicted = {fit.notebook: fit for fit in prediction.notebooks}
    homes = [Path(tempfile.mkdtemp(prefix=f"learner{i}-")) for i in range(learners)]
    rows = []
    try:
        for path in paths:
            runs: list[NotebookRun] = [None] * learners  # type: ignore[list-item]
            cpu_before, start = children_cpu(), time.perf_counter()

            def learner(i: int, path: Path = path, runs: list = runs) -> None:
                runs[i] = run_notebook(path, profile, homes[i], data_root, alone=False)

            threads = [threading.Thread(target=learner, args=(i,)) for i in range(learners)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            total = time.perf_counter() - start
            if not all(run.ok for run in runs):
                raise RuntimeError(f"{path.name} failed for a learner; logs in {homes}")
            walls = [run.wall_seconds for run in runs]
            number = path.name[:2]
            rows.append({
                "notebook": path.stem,
                "predicted_seconds": round(predicted[number].seconds, 1),
                "mean_seconds": round(statistics.mean(walls), 1),
                "max_seconds": round(max(walls), 1),
                "total_seconds": round(total, 1),
                "cpu_seconds": round(children_cpu() - cpu_before, 1),
                "predicted_memory_mb": round(learners * reference.costs[
                    [c.notebook for c in reference.costs].index(number)].peak_rss_mb),
                "measured_memory_mb": round(sum(run.peak_rss_mb for run in runs)),
            })  # fmt: skip
            print(row_text(rows[-1]), flush=True)
    finally:
        for home in homes:
            shutil.rmtree(home, ignore_errors=True)
    print(f"\n{learners} learners on {cores} cores, {server.memory_gb:.0f} GB, single-thread "
          f"step {server.step_seconds * 1e3:.1f} ms (reference "
          f"{reference.step_seconds * 1e3:.1f} ms)")  # fmt: skip
    return rows


def row_text(row: dict[str, Any]) -> str:
    return (f"{row['notebook']:24} predicted {duration_text(row['predicted_seconds']):>10}"
            f"  measured mean {duration_text(row['mean_seconds']):>10}"
            f"  max {duration_text(row['max_seconds']):>10}"
            f"  kernels {row['measured_memory_mb']:,} MB (predicted "
            f"{row['predicted_memory_mb']:,} MB)")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=PROFILES, default="smoke")
    parser.add_argument("--notebooks", metavar="LIST", help="e.g. 01-05 (default: all)")
    parser.add_argument("--data-root", default=os.environ.get("CIFAR10_ROOT"))
    parser.add_argument("--check-concurrent", type=int, metavar="N")
    parser.add_argument("--output", type=Path, default=capacity.CAPACITY_FILE)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results",
                        help="where the concurrent check's table goes")  # fmt: skip
    args = parser.parse_args(argv)
    paths = chosen_notebooks(args.notebooks)
    if args.check_concurrent:
        rows = check_concurrent(args.check_concurrent, args.profile, paths, args.data_root,
                                args.output)  # fmt: skip
        args.out.mkdir(parents=True, exist_ok=True)
        name = f"hub_capacity-concurrent{args.check_concurrent}-{args.profile}.json"
        atomic_write(args.out / name, json.dumps(rows, indent=1) + "\n")
        return 0
    result = measure_profile(args.profile, paths, args.data_root)
    save(args.profile, result, args.output)
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
