"""Unit tests of the data-parallel helpers, in this process: no torchrun, no second process."""

from __future__ import annotations

import socket
import time

import pytest
import torch
import torch.distributed as dist

from cifar_tutorial.data import FastLoader, load_split
from cifar_tutorial.distributed import (
    ShardedLoader,
    check_share,
    launch,
    load_snapshot,
    previous_path,
    processes_for_devices,
    resolve_backend,
    save_snapshot,
    threads_per_process,
    torchrun_command,
)
from cifar_tutorial.distributed.launch import check_port, run_torchrun, shown, usable_cores
from cifar_tutorial.distributed.snapshot import SNAPSHOT_FORMAT
from cifar_tutorial.errors import CheckpointError, DeviceUnavailableError, ParameterError
from cifar_tutorial.models import Net
from cifar_tutorial.training import make_optimizer, make_recipe, make_scheduler


@pytest.fixture(scope="module")
def sample():
    return load_split("sample", "train")


def test_one_shard_gives_exactly_the_fast_loaders_batches(sample):
    fast = FastLoader(sample, 128, shuffle=True, drop_last=True, flip=True, seed=3)
    sharded = ShardedLoader(sample, 128, rank=0, world_size=1, flip=True, seed=3)
    for loader in (fast, sharded):
        loader.set_epoch(2)
    assert len(fast) == len(sharded) == len(sample) // 128
    for (a, la), (b, lb) in zip(fast, sharded, strict=True):
        assert torch.equal(a, b) and torch.equal(la, lb)


@pytest.mark.parametrize("world_size", [2, 4])
def test_the_shards_of_a_global_batch_are_that_batch_with_its_flips(sample, world_size):
    whole = ShardedLoader(sample, 64, rank=0, world_size=1, flip=True, seed=1)
    parts = [
        ShardedLoader(sample, 64, rank=r, world_size=world_size, flip=True, seed=1)
        for r in range(world_size)
    ]
    for loader in (whole, *parts):
        loader.set_epoch(5)
    assert {len(p) for p in parts} == {len(whole)}
    for step, (batch, *shares) in enumerate(zip(whole, *parts, strict=True)):
        images, labels = batch
        for rank, (share_images, share_labels) in enumerate(shares):
            assert len(share_labels) == 64 // world_size
            assert torch.equal(share_images, images[rank::world_size]), (step, rank)
            assert torch.equal(share_labels, labels[rank::world_size])
        if step == 3:
            break


def test_an_epochs_order_depends_on_the_epoch_and_seed_only(sample):
    def first_labels(seed, epoch):
        loader = ShardedLoader(sample, 32, rank=1, world_size=2, seed=seed)
        loader.set_epoch(epoch)
        return next(iter(loader))[1]

    assert torch.equal(first_labels(0, 1), first_labels(0, 1))
    assert not torch.equal(first_labels(0, 1), first_labels(0, 2))
    assert not torch.equal(first_labels(0, 1), first_labels(1, 1))


@pytest.mark.parametrize(
    "batch_size, world_size, images, says",
    [
        (4, 8, 100, "use at most 4 processes"),
        (128, 3, 1000, "e.g. 126 or 129"),
        (128, 2, 100, "at most the 100 training images"),
        (0, 1, 100, "a whole number >= 1"),
    ],
)
def test_a_batch_the_processes_cannot_share_is_refused_in_one_line(
    batch_size, world_size, images, says
):
    with pytest.raises(ParameterError, match="batch_size") as caught:
        check_share(batch_size, world_size, images)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_the_global_batch_is_kept_whatever_the_number_of_processes():
    assert check_share(128, 1, 5000) == check_share(128, 2, 5000) == 128


def _trained_state(steps: int = 3):
    torch.manual_seed(0)
    net = Net()
    recipe = make_recipe("fast", epochs=2)
    optimizer = make_optimizer(net, recipe)
    scheduler = make_scheduler(optimizer, recipe, steps_per_epoch=10)
    for _ in range(steps):
        optimizer.zero_grad()
        net(torch.randn(8, 3, 32, 32)).sum().backward()
        optimizer.step()
        scheduler.step()
    return net, optimizer, scheduler


def test_a_snapshot_restores_weights_momentum_schedule_and_next_epoch(tmp_path):
    net, optimizer, scheduler = _trained_state()
    path = save_snapshot(tmp_path / "snap.pt", net, optimizer, scheduler, next_epoch=1,
                         settings={"seed": 0}, history=[{"epoch": 1, "loss": 2.0}])  # fmt: skip
    saved = load_snapshot(path)
    assert saved["format"] == SNAPSHOT_FORMAT and saved["next_epoch"] == 1
    fresh, fresh_optimizer, fresh_scheduler = _trained_state(steps=0)
    fresh.load_state_dict(saved["state_dict"])
    fresh_optimizer.load_state_dict(saved["optimizer"])
    fresh_scheduler.load_state_dict(saved["scheduler"])
    for a, b in zip(net.parameters(), fresh.parameters(), strict=True):
        assert torch.equal(a, b)
    momentum = optimizer.state_dict()["state"][0]["momentum_buffer"]
    assert torch.equal(fresh_optimizer.state_dict()["state"][0]["momentum_buffer"], momentum)
    assert fresh_scheduler.get_last_lr() == scheduler.get_last_lr()
    assert saved["history"] == [{"epoch": 1, "loss": 2.0}]


def test_no_snapshot_means_a_fresh_start(tmp_path):
    assert load_snapshot(tmp_path / "none.pt") is None


def test_a_new_snapshot_keeps_the_one_before_it(tmp_path):
    net, optimizer, scheduler = _trained_state()
    path = tmp_path / "snap.pt"
    for epoch in (1, 2):
        save_snapshot(path, net, optimizer, scheduler, next_epoch=epoch, settings={},
                      history=[])  # fmt: skip
    assert load_snapshot(path)["next_epoch"] == 2
    assert load_snapshot(previous_path(path))["next_epoch"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap.previous.pt", "snap.pt"]


@pytest.mark.parametrize("damage", ["flip", "truncate", "other"])
def test_a_damaged_snapshot_is_refused_and_the_previous_one_kept(tmp_path, damage):
    net, optimizer, scheduler = _trained_state()
    path = tmp_path / "snap.pt"
    for epoch in (1, 2):
        save_snapshot(path, net, optimizer, scheduler, next_epoch=epoch, settings={},
                      history=[])  # fmt: skip
    previous = previous_path(path).read_bytes()
    data = bytearray(path.read_bytes())
    if damage == "flip":  # one bit inside the stored weights
        data[len(data) // 2] ^= 0x10
    elif damage == "truncate":
        data = data[: len(data) // 3]
    else:
        torch.save({"weights": torch.zeros(3)}, path)
        data = bytearray(path.read_bytes())
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError) as caught:
        load_snapshot(path)
    message = str(caught.value)
    assert "Refused the snapshot" in message and "\n" not in message
    assert "snap.previous.pt is kept" in message and "nothing was overwritten" in message
    assert path.read_bytes() == bytes(data)  # the damaged file is left for inspection
    assert previous_path(path).read_bytes() == previous  # and the previous one untouched


def test_backends_gloo_on_the_cpu_and_nccl_only_with_gpus():
    assert resolve_backend("gloo") == "gloo"
    assert resolve_backend("auto") == ("nccl" if torch.cuda.is_available() else "gloo")
    with pytest.raises(ParameterError, match="backend='mpi' is not allowed.*'gloo', 'nccl'"):
        resolve_backend("mpi")
    if not torch.cuda.is_available():
        with pytest.raises(DeviceUnavailableError, match="needs CUDA GPUs.*backend='gloo'"):
            resolve_backend("nccl")


@pytest.mark.skipif(torch.cuda.is_available(), reason="tests the machine without a GPU")
def test_gpu_processes_without_a_gpu_say_so_and_fall_back_to_the_cpu():
    count, why = processes_for_devices("gpu")
    assert count == min(2, usable_cores())
    assert "this machine has none" in why and "gloo" in why
    assert processes_for_devices(3) == (3, "3 processes as asked.")


def test_threads_are_shared_among_the_processes_of_a_machine():
    cores = usable_cores()
    assert threads_per_process(1) == cores
    assert threads_per_process(2) == max(1, cores // 2)
    assert threads_per_process(4 * cores) == 1


def test_a_port_in_use_is_refused_before_anything_starts():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ParameterError, match=f"port={port} is not allowed.*already in use"):
            check_port(port)
        with pytest.raises(ParameterError, match="already in use"):
            run_torchrun(2, ["--epochs", "1"], port=port, timeout=30)


def test_bad_launch_settings_fail_before_a_process_starts():
    with pytest.raises(ParameterError, match="nproc=0 is not allowed"):
        run_torchrun(0, [], timeout=30)
    with pytest.raises(ParameterError, match="max_restarts=-1 is not allowed"):
        run_torchrun(1, [], max_restarts=-1, timeout=30)
    if not torch.cuda.is_available():
        with pytest.raises(DeviceUnavailableError, match="needs CUDA GPUs"):
            run_torchrun(2, [], backend="nccl", timeout=30)


def test_the_command_is_torchrun_standalone_or_a_rendezvous_port():
    command = torchrun_command(2, ["--epochs", "1"], max_restarts=1, python="python")
    assert shown(command) == (
        "torchrun --standalone --nproc-per-node=2 --max-restarts=1 "
        "-m cifar_tutorial.distributed.train --epochs 1"
    )
    with_port = shown(torchrun_command(2, port=29511, python="python"))
    assert "--rdzv-backend=c10d --rdzv-endpoint=127.0.0.1:29511" in with_port


def test_no_process_group_is_left_behind_in_this_process():
    assert not dist.is_initialized()


SUMMARY = """torch.distributed.elastic.multiprocessing.errors.ChildFailedError:
=====================================================
cifar_tutorial.distributed.train FAILED
-----------------------------------------------------
Failures:
[1]:
  rank      : 0 (local_rank: 0)
  exitcode  : -15 (pid: 707)  (SIGTERM)
  traceback : Signal 15 (SIGTERM) received by PID 707
-----------------------------------------------------
Root Cause (first observed failure):
[0]:
  time      : 2026-12-06_09:00:53
  host      : localhost
  rank      : 1 (local_rank: 1)
  exitcode  : {exitcode}
  error_file: <N/A>
  traceback : {traceback}
=====================================================
"""


@pytest.mark.parametrize(
    "stderr, why",
    [
        (
            SUMMARY.format(
                exitcode="-9 (pid: 708)  (SIGKILL)",
                traceback="Signal 9 (SIGKILL) received by PID 708",
            ),
            "rank 1 first: Signal 9 (SIGKILL) received by PID 708",
        ),
        (
            "[rank0]: RuntimeError: Connection reset by peer\n"
            "[rank1]: Traceback (most recent call last):\n[rank1]: ValueError: bad shape\n"
            + SUMMARY.format(exitcode="1 (pid: 9)", traceback="To enable traceback see: ..."),
            "rank 1 first: ValueError: bad shape",
        ),
        (
            SUMMARY.format(exitcode="1 (pid: 9)", traceback="To enable traceback see: ..."),
            "rank 1 first: exit code 1 (pid: 9)",
        ),
        (
            "W1206 warning\nRuntimeError: address already in use\n=======\n",
            "RuntimeError: address already in use",
        ),
        ("", "exit 1"),
    ],
)
def test_a_failed_torchrun_is_one_line_naming_the_first_rank_to_fail(stderr, why):
    finished = launch.Finished(1, "", stderr, 1.0)
    assert launch.failure_line(finished, 2) == f"torchrun with 2 processes failed ({why})."


class SlowTorchrun:
    """What ``run_torchrun`` reads of its torchrun process: a line, a pause, a line, the end."""

    pid, returncode = -1, 0

    def __init__(self) -> None:
        self.stdout, self.stderr = self.lines(), iter(["a warning\n"])

    @staticmethod
    def lines():
        yield "epoch 1/2: loss 1.9\n"
        time.sleep(0.35)
        yield "epoch 2/2: loss 1.6\n"

    def wait(self, timeout: float | None = None) -> int:
        return 0

    def poll(self) -> int:
        return 0


def test_while_torchrun_runs_the_notebook_is_called_back_between_its_lines(capsys):
    calls = []
    stdout, stderr = launch._echo_until_done(SlowTorchrun(), timeout=30, echo=True,
                                             while_waiting=lambda: calls.append(1))  # fmt: skip
    assert stdout == capsys.readouterr().out == "epoch 1/2: loss 1.9\nepoch 2/2: loss 1.6\n"
    assert stderr == "a warning\n"
    assert len(calls) >= 4  # after each line, and every 0.1 s of the pause between them
