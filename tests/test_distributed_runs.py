"""The data-parallel script under torchrun (gloo, CPU): bad input, timeouts, the launcher.

One process against two, bit for bit, and a worker killed mid-epoch then restarted are read
from notebook 08's own runs in the session's collection run (tests/test_notebooks.py), so they
are not launched again here. Every launch has a timeout, and after each the test process must
have no child left (psutil).
"""

from __future__ import annotations

import signal

import psutil
import pytest

from cifar_tutorial.distributed import all_reduce_demo, launch_function, run_torchrun
from cifar_tutorial.distributed.launch import FAILED_LOG
from cifar_tutorial.errors import DistributedRunError
from cifar_tutorial.paths import artifacts_dir, pretty_path

pytestmark = pytest.mark.slow

SCRIPT = ["--dataset", "sample", "--epochs", "2", "--batch-size", "128"]


def assert_no_process_left() -> None:
    """No child of this process still runs (but multiprocessing's resource tracker, which
    the workers ``launch_function`` spawns start once and which exits with this process)."""
    children = [
        child
        for child in psutil.Process().children(recursive=True)
        if "multiprocessing.resource_tracker" not in " ".join(child.cmdline())
    ]
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"left running: {[p.cmdline() for p in alive]}"


def test_more_processes_than_the_data_can_feed_is_one_line_and_no_hang(tmp_path):
    with pytest.raises(DistributedRunError) as caught:
        arguments = ["--dataset", "sample", "--train-images", "3", "--batch-size", "4",
                     "--snapshot", str(tmp_path / "s.pt")]  # fmt: skip
        run_torchrun(2, arguments, timeout=120, echo=False)
    message = str(caught.value)
    assert message.startswith("batch_size=4 is not allowed: batch_size must be at most the 3")
    assert "\n" not in message
    assert not (tmp_path / "s.pt").exists()
    assert_no_process_left()


def test_a_failed_torchrun_names_its_first_failure_and_keeps_all_it_printed(tmp_path):
    with pytest.raises(DistributedRunError) as caught:
        run_torchrun(1, module="cifar_tutorial.no_such_module", timeout=120, echo=False)
    message = str(caught.value)
    assert message.startswith("torchrun with 1 process failed (rank 0 first: exit code 1")
    assert message.endswith(f"All it printed: {pretty_path(artifacts_dir() / FAILED_LOG)}")
    assert "\n" not in message
    printed = (artifacts_dir() / FAILED_LOG).read_text()
    assert printed.startswith("$ torchrun --standalone --nproc-per-node=1")
    assert "No module named cifar_tutorial.no_such_module" in printed
    assert_no_process_left()


def test_a_run_past_its_timeout_is_stopped_with_all_its_processes(tmp_path):
    with pytest.raises(DistributedRunError, match="did not finish within 3 s"):
        run_torchrun(2, [*SCRIPT[:2], "--epochs", "100", "--snapshot", str(tmp_path / "s.pt")],
                     timeout=3, echo=False)  # fmt: skip
    assert_no_process_left()


def test_all_reduce_leaves_every_rank_with_the_sum(tmp_path):
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    got = launch_function(all_reduce_demo, 2)
    assert {sig: signal.getsignal(sig) for sig in handlers} == handlers  # Ctrl-C as before
    assert sorted(got) == [0, 1]
    assert got[0]["had"] == [1.0, 2.0, 3.0] and got[1]["had"] == [2.0, 4.0, 6.0]
    assert got[0]["sum"] == got[1]["sum"] == [3.0, 6.0, 9.0]
    assert got[0]["average"] == [1.5, 3.0, 4.5]
    assert got[0]["pid"] != got[1]["pid"]  # two processes indeed
    assert_no_process_left()
