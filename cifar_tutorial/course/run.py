"""``cifar-tutorial run``: execute the chosen notebooks with papermill into a new run folder.

A run folder ``runs/<UTC time>-<name>/`` holds the executed notebooks, each notebook's
metrics in ``metrics/``, the trained weights, ``summary.json`` and ``report.html``. Nothing
is ever overwritten: a second run in the same second gets a folder of its own.
"""

from __future__ import annotations

import re
import shlex
import shutil
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

from ..paths import pretty_path
from .collection import Notebook
from .parameters import gather_parameters
from .plan import CHECKPOINT_FILE, RunPlan, notebook_parameters, plan_run
from .preflight import ensure_data
from .report import write_report
from .summary import new_summary, read_metrics, utc_now, write_summary

if TYPE_CHECKING:  # papermill takes seconds to import: only where notebooks run
    from papermill.exceptions import PapermillExecutionError

KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]  # no kernel chatter on the terminal
EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130  # main() returns 2 for bad input


def create_run_folder(output_dir: Path, name: str) -> Path:
    """A new folder ``<output_dir>/<UTC time>-<name>``; never one that exists already."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    output_dir.mkdir(parents=True, exist_ok=True)
    attempt = 1
    while True:
        suffix = "" if attempt == 1 else f"-{attempt}"
        folder = output_dir / f"{stamp}-{name}{suffix}"
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            attempt += 1


class RunInterrupted(KeyboardInterrupt):
    """Raised on Ctrl-C (SIGINT) or SIGTERM, so that either stops the run the same way."""


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def interrupt_on_signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`RunInterrupted` while the run lasts.

    One handler of our own for both, so that a run stops the same way whichever arrives;
    the handlers that were there before are put back afterwards.
    """

    def stop(signum: int, frame: Any) -> None:
        name = "Ctrl-C" if signum == signal.SIGINT else f"signal {signal.Signals(signum).name}"
        raise RunInterrupted(name)

    previous = {signum: signal.signal(signum, stop) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def execute(plan: RunPlan, data: str, progress: bool = True) -> tuple[Path, dict[str, Any]]:
    """Run the plan's notebooks in order on ``data`` (where :func:`.preflight.ensure_data`
    found the data set); stop at the first failure or an interruption.

    Returns the run folder and its summary, whose ``status`` is ``"completed"``,
    ``"failed"`` or ``"interrupted"``.
    """
    folder = create_run_folder(plan.output_dir, plan.name)
    given = notebook_parameters(plan, folder)
    summary = new_summary(plan.name, plan.profile, plan.values, given, plan.device, data)
    if plan.continued is not None:
        summary["continues"] = pretty_path(plan.continued)
        if (plan.continued / CHECKPOINT_FILE).is_file():  # copied: the earlier run stays as it was
            shutil.copy2(plan.continued / CHECKPOINT_FILE, folder / CHECKPOINT_FILE)
    write_summary(folder, summary)
    print(f"Run folder: {pretty_path(folder)}", flush=True)
    total = len(plan.notebooks)
    bar = tqdm(total=total, unit="notebook", desc="Notebooks", disable=None if progress else True)
    try:
        with interrupt_on_signals():
            for index, (nb, entry) in enumerate(
                zip(plan.notebooks, summary["notebooks"], strict=True)
            ):
                tqdm.write(f"[{index + 1}/{total}] {nb.name} ...")
                run_one(nb, entry, folder, progress)
                write_summary(folder, summary)
                if entry["status"] != "completed":
                    summary["status"] = entry["status"]
                    break
                tqdm.write(f"[{index + 1}/{total}] {nb.name} done in {entry['seconds']:.1f} s")
                bar.update()
            else:
                summary["status"] = "completed"
    except KeyboardInterrupt:  # between two notebooks
        summary["status"] = "interrupted"
    finally:
        bar.close()
        for entry in summary["notebooks"]:
            if entry["status"] == "pending":
                entry["status"] = "not run"
        summary["finished"] = utc_now()
        write_summary(folder, summary)
        write_report(folder, summary)
    return folder, summary


def run_one(nb: Notebook, entry: dict[str, Any], folder: Path, progress: bool) -> None:
    """Execute one notebook into the run folder; record status, time, metrics and any error."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    entry["status"] = "running"
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(nb.path),
            str(folder / nb.path.name),
            parameters=entry["parameters"],
            cwd=str(nb.path.parent),
            progress_bar={"desc": nb.name, "leave": False, "disable": None if progress else True},
            extra_arguments=KERNEL_ARGUMENTS,
        )
        entry["status"] = "completed"
    except PapermillExecutionError as error:
        entry["status"] = "failed"
        entry["error"] = describe_failure(nb, folder, error)
    except KeyboardInterrupt as interruption:  # Ctrl-C or SIGTERM, via interrupt_on_signals
        entry["status"] = "interrupted"
        entry["error"] = f"{nb.name} was interrupted ({str(interruption) or 'Ctrl-C'})"
    except Exception as error:  # the kernel died, or could not start
        entry["status"] = "failed"
        entry["error"] = f"{nb.name} failed: {type(error).__name__}: {last_line(str(error))}"
    finally:
        entry["seconds"] = round(time.perf_counter() - start, 2)
        entry["metrics"] = read_metrics(entry["parameters"].get("metrics_path"))


def describe_failure(nb: Notebook, folder: Path, error: PapermillExecutionError) -> str:
    """Which notebook and cell failed, the error's last line, and where the partial output is."""
    source = next((line for line in error.source.splitlines() if line.strip()), "")
    return (
        f"{nb.name} failed in cell In [{error.exec_count}] ({source.strip()[:60]}): "
        f"{error.ename}: {last_line(error.evalue)}. The notebook as far as it ran is "
        f"{pretty_path(folder / nb.path.name)}."
    )


def last_line(text: str) -> str:
    """The last non-empty line of an error message, without terminal colour codes."""
    lines = [line for line in re.sub(r"\x1b\[[0-9;]*m", "", text).splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def run_command(
    *,
    parameters: list[tuple[str, str]] | None = None,
    parameter_files: list[str] | None = None,
    progress: bool = True,
    **options: Any,
) -> int:
    """``cifar-tutorial run``: plan (every value checked, nothing fetched), make sure the data
    set is there, execute, and report how it went and where the results are.

    ``options`` are :func:`.plan.plan_run`'s: ``profile``, ``selection``, ``output_dir``,
    ``name``, ``notebook_dir``, ``continue_from``.
    """
    plan = plan_run(gather_parameters(parameters, parameter_files), **options)
    data = ensure_data(plan.profile, plan.values)
    folder, summary = execute(plan, data, progress)
    print_outcome(folder, summary)
    return exit_code(summary)


def print_outcome(folder: Path, summary: dict[str, Any]) -> None:
    """The last lines of a run: its status, headline numbers and files."""
    status = summary["status"]
    for entry in summary["notebooks"]:
        if entry["status"] in ("failed", "interrupted"):
            print(f"{status.upper()}: {entry['error']}")
    given = {key.rpartition(":")[2] for key in summary["parameters"]}
    if status == "interrupted" and "checkpoint_path" not in given:
        print(f"To continue where it stopped: cifar-tutorial run --continue "
              f"{shlex.quote(pretty_path(folder))}")  # fmt: skip
    for entry in summary["notebooks"]:
        metrics = entry["metrics"]
        if "test_accuracy" in metrics:
            print(f"Test accuracy ({entry['notebook']}): {100 * metrics['test_accuracy']:.1f}%")
    print(
        f"Run {status}: {pretty_path(folder / 'summary.json')}, "
        f"{pretty_path(folder / 'report.html')}"
    )


def exit_code(summary: dict[str, Any]) -> int:
    """0 when every notebook ran, 130 when interrupted, 1 when one failed."""
    return {"completed": EXIT_OK, "interrupted": EXIT_INTERRUPTED}.get(
        summary["status"], EXIT_FAILED
    )
