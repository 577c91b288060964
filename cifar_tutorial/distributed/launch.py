"""Starting N processes: the checks first, then ``torchrun`` or ``torch.distributed.launcher``.
``torchrun`` (``python -m torch.distributed.run``) starts a process per device with its ``RANK``,
``LOCAL_RANK`` and ``WORLD_SIZE``, and restarts them all when one fails (``--max-restarts``). What
would make it fail obscurely later (a backend the machine cannot run, more processes than GPUs, a
port in use) is checked here first, in one line."""

from __future__ import annotations

import os
import queue
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..errors import DeviceUnavailableError, DistributedRunError, ParameterError, first_line
from ..files import atomic_write
from ..paths import artifacts_dir, pretty_path
from ..validation import check_choice, check_int

BACKENDS = ("auto", "gloo", "nccl")
TRAIN_MODULE = "cifar_tutorial.distributed.train"
_HANDLED_SIGNALS = [signal.SIGTERM, signal.SIGINT] + [
    getattr(signal, name) for name in ("SIGHUP", "SIGQUIT") if hasattr(signal, name)
]


def resolve_backend(backend: str = "auto") -> str:
    """``gloo`` (CPU) or ``nccl`` (CUDA GPUs); ``auto`` picks nccl when CUDA is present."""
    backend = check_choice("backend", backend, BACKENDS)
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if backend == "auto":
        return "nccl" if gpus else "gloo"
    if backend == "nccl" and not gpus:
        raise DeviceUnavailableError(
            "backend='nccl' needs CUDA GPUs and this machine has none: use backend='gloo' "
            "(processes on the CPU) or backend='auto'."
        )
    return backend


def usable_cores() -> int:
    """The CPU cores this process may run on (fewer than the machine's in a container)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def threads_per_process(local_processes: int) -> int:
    """Cores divided among the processes of one machine, so they do not fight over them."""
    local_processes = check_int("processes per machine", local_processes, minimum=1)
    return max(1, usable_cores() // local_processes)


def processes_for_devices(requested: int | str, backend: str = "auto") -> tuple[int, str]:
    """How many processes to start for ``requested`` (a number, or ``"gpu"``: one per CUDA
    GPU, as ``torchrun --nproc-per-node=gpu``), and a sentence saying why; with nccl, never
    more than the GPUs present."""
    backend = resolve_backend(backend)
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if isinstance(requested, str) and requested.strip().lower() == "gpu":
        if gpus:
            return gpus, f"one process per GPU: {gpus}."
        fallback = min(2, usable_cores())
        return fallback, (
            f"'gpu' asks for one process per CUDA GPU, and this machine has none: on the CPU "
            f"that means {fallback} processes (gloo)."
        )
    count = check_int("nproc", requested, minimum=1, maximum=1024)
    if backend == "nccl" and count > gpus:
        return gpus, f"{count} processes asked for, one per GPU; there are {gpus}: running {gpus}."
    return count, f"{count} process{'es' if count > 1 else ''} as asked."


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when another program already listens on ``port`` here."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def check_port(port: object) -> int:
    """``port`` as a free TCP port of this machine, else a one-line error."""
    port = check_int("port", port, minimum=1, maximum=65535)
    if port_in_use(port):
        raise ParameterError(
            "port", port, "a port nothing else listens on: this one is already in use (another "
            "run still going, or another program); pick another, or leave port=None so "
            "torchrun --standalone finds a free one"
        )  # fmt: skip
    return port


def torchrun_command(
    nproc: int,
    script_args: Sequence[str] = (),
    *,
    max_restarts: int = 0,
    port: int | None = None,
    module: str = TRAIN_MODULE,
    python: str = sys.executable,
) -> list[str]:
    """The command line: ``python -m torch.distributed.run`` is what ``torchrun`` runs.
    Without ``port`` it is ``--standalone`` (one machine, a free port picked by torchrun); with it,
    the rendezvous listens on that port of this machine."""
    where = ["--standalone"] if port is None else ["--rdzv-backend=c10d",
                                                   f"--rdzv-endpoint=127.0.0.1:{port}"]  # fmt: skip
    return [python, "-m", "torch.distributed.run", *where, f"--nproc-per-node={nproc}",
            f"--max-restarts={max_restarts}", "-m", module, *script_args]  # fmt: skip


def shown(command: Sequence[str]) -> str:
    """The command as a learner would type it: ``torchrun ...``, paths in the home as ``~``."""
    words = list(command)
    if words[1:3] == ["-m", "torch.distributed.run"]:
        words = ["torchrun", *words[3:]]
    home = str(Path.home())
    return shlex.join(words).replace(home + os.sep, "~" + os.sep)


@dataclass
class Finished:
    """A finished torchrun: its exit status, what it printed, how long it took."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float


def run_torchrun(
    nproc: int,
    script_args: Sequence[str] = (),
    *,
    max_restarts: int = 0,
    port: int | None = None,
    backend: str = "auto",
    timeout: float = 600,
    echo: bool = True,
    module: str = TRAIN_MODULE,
    while_waiting: Callable[[], object] | None = None,
) -> Finished:
    """Run ``torchrun`` for ``nproc`` processes of ``module``; raise one line if it fails.
    The checks come first. With ``echo`` the command is printed, then rank 0's lines as they come.
    ``while_waiting()`` is called several times a second until torchrun ends (notebook 8 redraws
    its live view there). On ``timeout``, an error or Ctrl-C the whole process group is
    stopped."""
    backend = resolve_backend(backend)
    nproc = check_int("nproc", nproc, minimum=1, maximum=1024)
    if backend == "nccl" and nproc > torch.cuda.device_count():
        raise DeviceUnavailableError(
            f"nproc={nproc} with backend='nccl' needs {nproc} CUDA GPUs; this machine has "
            f"{torch.cuda.device_count()}: use at most that many, or backend='gloo'."
        )
    max_restarts = check_int("max_restarts", max_restarts, minimum=0, maximum=100)
    if port is not None:
        port = check_port(port)
    command = torchrun_command(nproc, [*script_args, "--backend", backend],
                               max_restarts=max_restarts, port=port, module=module)  # fmt: skip
    if echo:
        print("$", shown(command), flush=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads_per_process(nproc)), PYTHONUNBUFFERED="1")
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env, start_new_session=True)  # fmt: skip
    try:
        stdout, stderr = _echo_until_done(process, timeout, echo, while_waiting)
    except BaseException:
        _stop_group(process)
        raise
    finished = Finished(process.returncode, stdout, stderr, time.perf_counter() - start)
    if finished.returncode != 0:
        own = script_error(finished)
        if own is not None:  # a setting the script refused, in its own one line
            raise DistributedRunError(own)
        log = atomic_write(artifacts_dir() / FAILED_LOG, f"$ {shown(command)}\n{stdout}{stderr}")
        raise DistributedRunError(
            f"{failure_line(finished, nproc)} All it printed: {pretty_path(log)}"
        )
    return finished


FAILED_LOG = "torchrun-failed.log"  # the output of the last torchrun that failed, in full


def script_error(finished: Finished) -> str | None:
    """The script's own one-line ``error:`` (a setting it refused), if it printed one."""
    for line in (finished.stderr + finished.stdout).splitlines():
        if line.startswith("error: "):
            return line.removeprefix("error: ")
    return None


def failure_line(finished: Finished, nproc: int) -> str:
    """Why torchrun failed, in one line: how the first process to fail ended (torchrun's "Root
    Cause"), else the last line torchrun printed."""
    last = [line.strip() for line in finished.stderr.splitlines() if re.search(r"\w", line)]
    why = root_cause(finished.stderr) or (last[-1] if last else f"exit {finished.returncode}")
    return f"torchrun with {nproc} process{'es' if nproc > 1 else ''} failed ({why[:200]})."


def root_cause(stderr: str) -> str | None:
    """torchrun's "Root Cause" on one line: the first rank to fail, and the signal that ended
    it or the last exception it printed."""
    printed, _, cause = stderr.partition("Root Cause")
    fields = dict(
        (key.strip(), value.strip())
        for key, colon, value in (line.partition(":") for line in cause.splitlines()[1:9])
        if colon
    )
    if "rank" not in fields:
        return None
    rank = fields["rank"].split()[0]
    ended = fields.get("traceback", "")
    if not ended or ended.startswith("To enable traceback"):
        raised = [line.split(": ", 1)[1] for line in printed.splitlines()
                  if line.startswith(f"[rank{rank}]: ") and EXCEPTION.search(line)]  # fmt: skip
        ended = raised[-1] if raised else f"exit code {fields.get('exitcode', '?')}"
    return f"rank {rank} first: {ended}"


EXCEPTION = re.compile(r"^\[rank\d+\]: [\w.]*(Error|Exception|Interrupt): ")


WAIT_SECONDS = 0.1  # while torchrun runs, while_waiting() is called at least this often


def _echo_until_done(
    process: subprocess.Popen,
    timeout: float,
    echo: bool,
    while_waiting: Callable[[], object] | None = None,
) -> tuple[str, str]:
    """Print stdout lines as they come while collecting both streams, calling
    ``while_waiting()`` in between (in this thread: a notebook shows what it draws); stop at
    ``timeout``."""
    import threading

    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.extend(process.stderr), daemon=True)
    reader.start()
    printed: queue.Queue[str | None] = queue.Queue()  # stdout's lines, then None at its end

    def read_stdout() -> None:
        for line in process.stdout:
            printed.put(line)
        printed.put(None)

    threading.Thread(target=read_stdout, daemon=True).start()
    lines, deadline = [], time.monotonic() + timeout
    timer = threading.Timer(timeout, lambda: _stop_group(process))
    timer.start()
    try:
        while (line := _next_line(printed)) is not None:
            if line:
                lines.append(line)
            if echo and line:
                print(line, end="", flush=True)
            if while_waiting is not None:
                while_waiting()
        process.wait()
    finally:
        timer.cancel()
    reader.join(timeout=5)
    if time.monotonic() > deadline:
        raise DistributedRunError(
            f"torchrun did not finish within {timeout:g} s and was stopped with all its "
            "processes: raise timeout, or train for fewer epochs."
        )
    return "".join(lines), "".join(errors)


def _next_line(printed: queue.Queue) -> str | None:
    """The next line from the queue, "" when none came within ``WAIT_SECONDS``, ``None`` at the
    end of the output."""
    try:
        return printed.get(timeout=WAIT_SECONDS)
    except queue.Empty:
        return ""


def _stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to torchrun's whole process group, SIGKILL after 5 s if it still runs."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def launch_function(
    function: Callable[..., Any], nproc: int, *args: Any, max_restarts: int = 0
) -> dict[int, Any]:
    """Run ``function(*args)`` in ``nproc`` processes with ``torch.distributed.launcher``, the
    engine inside torchrun; return each rank's return value. ``function`` must be importable
    (defined in a module, not in a notebook cell)."""
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    nproc = check_int("nproc", nproc, minimum=1, maximum=1024)
    max_restarts = check_int("max_restarts", max_restarts, minimum=0, maximum=100)
    # port 0: a free one, as --standalone does
    config = LaunchConfig(min_nodes=1, max_nodes=1, nproc_per_node=nproc, run_id=uuid.uuid4().hex,
                          rdzv_backend="c10d", rdzv_endpoint="127.0.0.1:0",
                          max_restarts=max_restarts, monitor_interval=0.1)  # fmt: skip
    previous = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = str(threads_per_process(nproc))
    # the launcher replaces this process's signal handlers (Ctrl-C, SIGTERM) with its own:
    # put them back afterwards, so that a notebook's "interrupt kernel" works as before
    handlers = {sig: signal.getsignal(sig) for sig in _HANDLED_SIGNALS}
    try:
        return elastic_launch(config, function)(*args)
    except Exception as error:  # torch's ChildFailedError: a page of details
        raise DistributedRunError(
            f"{getattr(function, '__name__', 'the function')} failed in one of its {nproc} "
            f"processes ({first_line(error, limit=160)})."
        ) from None
    finally:
        for sig, handler in handlers.items():
            if handler is not None:
                signal.signal(sig, handler)
        if previous is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = previous
