"""Data-parallel training of notebook 4's network: one process per device, launched by torchrun.

    torchrun --standalone --nproc-per-node=2 -m cifar_tutorial.distributed.train --epochs 3
    python -m cifar_tutorial.distributed.train --epochs 3          # one process, no torchrun

Every process (a *rank*) holds a full copy of the network and trains on its share of each
batch; ``DistributedDataParallel`` averages the gradients of all ranks during ``backward()``
(an all-reduce), so the copies take the same step and stay identical. Whatever the number of
processes, the global batch and learning rate stay the same: the run learns what one would.
Read it top to bottom: :func:`main` joins the process group, :func:`train` is notebook 4's
loop with a snapshot after every epoch (``torchrun --max-restarts`` resumes from it); rank 0
alone prints and writes files."""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel

from ..data import ImageSet, load_split
from ..errors import CheckpointError, ParameterError, TrainingDivergedError, TutorialError
from ..files import atomic_write
from ..models import Net
from ..paths import artifacts_dir, pretty_path
from ..seeding import seed_everything
from ..training import make_optimizer, make_recipe, make_scheduler
from ..validation import check_int
from .data import ShardedLoader, share_of
from .group import join_process_group
from .launch import BACKENDS, resolve_backend, threads_per_process
from .progress import ProgressLog
from .snapshot import load_snapshot, save_snapshot


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The script's options; every default is notebook 4's ``fast`` recipe."""
    parser = argparse.ArgumentParser(prog="cifar_tutorial.distributed.train",
                                     description=__doc__.splitlines()[0])  # fmt: skip
    parser.add_argument("--dataset", default="cifar10", help="cifar10 or sample (embedded)")
    parser.add_argument("--data-root", default=None, help="folder with CIFAR-10")
    parser.add_argument("--train-images", type=int, default=None,
                        help="train on the first N images only (quick runs, tests)")  # fmt: skip
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None,
                        help="global batch: shared by all processes (default 128)")  # fmt: skip
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--schedule", default=None, help="onecycle or constant")
    parser.add_argument("--no-flip", action="store_true", help="no random left-right flips")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", default="auto", help=f"one of {', '.join(BACKENDS)}")
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads per process (default: the cores shared out)")  # fmt: skip
    parser.add_argument(
        "--snapshot",
        default=None,
        help="snapshot file (default: ddp_snapshot.pt in the artifacts folder)",
    )
    parser.add_argument("--results", default=None, help="JSON file for rank 0's results")
    parser.add_argument("--progress", default=None,
                        help="file each rank appends a line of JSON to every half second, "
                             "for a live view (see progress.py)")  # fmt: skip
    parser.add_argument(
        "--crash-at",
        default=None,
        metavar="EPOCH:STEP",
        help="to see a restart: the last rank kills itself there, once",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run under torchrun (or alone); print a one-line ``error:`` and exit 2 on bad input."""
    try:
        run(argv)
    except TutorialError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return leave(2)
    return leave(0)


def leave(code: int) -> int:
    """Under torchrun, end this worker now that its work is saved and its process group gone:
    ``os._exit`` skips the interpreter's teardown, where a finished worker of a restarted run
    was seen to abort ("terminate called without an active exception", SIGABRT) and so fail a
    run that had succeeded. Alone, return ``code`` as usual."""
    if "TORCHELASTIC_RUN_ID" not in os.environ and "RANK" not in os.environ:
        return code
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run(argv: list[str] | None = None) -> dict[str, Any]:
    """Join the process group, train, leave it; return rank 0's results (others: ``{}``)."""
    args = parse_args(argv)
    backend = resolve_backend(args.backend)  # gloo on the CPU, nccl on CUDA GPUs
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    local_processes = int(os.environ.get("LOCAL_WORLD_SIZE", 1))
    threads = args.threads or threads_per_process(local_processes)  # share out the cores
    torch.set_num_threads(check_int("threads", threads, minimum=1, maximum=1024))
    if backend == "nccl":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)  # before the process group, so nccl uses this GPU
    else:
        device = torch.device("cpu")
    join_process_group(backend)  # rank, world size and rank 0's address from torchrun
    try:
        return train(args, device)
    finally:
        dist.destroy_process_group()


def train(args: argparse.Namespace, device: torch.device) -> dict[str, Any]:
    """Notebook 4's loop, data-parallel, resuming from the snapshot when there is one."""
    rank, world_size = dist.get_rank(), dist.get_world_size()
    recipe = make_recipe("fast", epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                         schedule=args.schedule, flip=not args.no_flip)  # fmt: skip
    train_set = first_images(load_split(args.dataset, "train", args.data_root), args.train_images)
    loader = ShardedLoader(train_set, recipe.batch_size, rank=rank, world_size=world_size,
                           flip=recipe.flip, seed=args.seed, device=device)  # fmt: skip
    settings = {"recipe": recipe.as_dict(), "dataset": args.dataset, "seed": args.seed,
                "train_images": len(train_set)}  # fmt: skip
    snapshot_path = Path(args.snapshot or artifacts_dir() / "ddp_snapshot.pt").expanduser()

    seed_everything(args.seed)  # the same starting weights on every rank
    net = Net().to(device)
    optimizer = make_optimizer(net, recipe)
    scheduler = make_scheduler(optimizer, recipe, steps_per_epoch=len(loader))
    start_epoch, history = resume(snapshot_path, settings, net, optimizer, scheduler)
    # wrapped after loading: DDP copies rank 0's weights to all ranks, then averages gradients
    on_gpu = [device.index] if device.type == "cuda" else None  # no device_ids on the CPU
    model = DistributedDataParallel(net, device_ids=on_gpu)
    criterion = nn.CrossEntropyLoss()
    threads = torch.get_num_threads()
    say(f"{world_size} process{'es' if world_size > 1 else ''} ({dist.get_backend()}, "
        f"{threads} thread{'s' if threads > 1 else ''} each), {len(loader)} steps per epoch of "
        f"{recipe.batch_size} images, {loader.local_batch_size} per process")  # fmt: skip
    if start_epoch:
        restart = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
        say(f"resumed from {pretty_path(snapshot_path)}: {start_epoch} of {recipe.epochs} "
            f"epochs done (restart {restart})")  # fmt: skip
    crash_at = parse_crash_at(args.crash_at)
    progress = ProgressLog(args.progress, rank, steps_per_epoch=len(loader))  # --progress only

    for epoch in range(start_epoch, recipe.epochs):
        loader.set_epoch(epoch)  # this epoch's order and flips, the same on every rank
        model.train()
        started = time.perf_counter()
        loss_sum = torch.zeros((), device=device)
        for step, (images, labels) in enumerate(loader):
            if crash_at == (epoch + 1, step + 1):
                crash_once(rank, world_size, epoch, step)
            optimizer.zero_grad()  # 1. forget the previous step's gradients
            outputs = model(images)  # 2. forward pass, on this rank's share of the batch
            loss = criterion(outputs, labels)  # 3. the loss of this rank's share
            loss.backward()  # 4. gradients, averaged over all ranks (all-reduce) by DDP
            optimizer.step()  # 5. the same step on every rank: the copies stay identical
            scheduler.step()
            loss_sum += loss.detach()
            progress.step(epoch, step, loss, len(labels))  # now and then, a line in a file
        mean_loss = average_over_ranks(loss_sum / len(loader))
        seconds = slowest_rank(time.perf_counter() - started)  # an epoch ends for all at once
        if not math.isfinite(mean_loss):
            raise TrainingDivergedError(
                f"The loss became {mean_loss} in epoch {epoch + 1}: lower the learning rate "
                "(--lr) and train again."
            )
        history.append({"epoch": epoch + 1, "loss": mean_loss, "seconds": seconds})
        if rank == 0:  # one writer; written atomically, so a crash keeps the last good one
            save_snapshot(snapshot_path, net, optimizer, scheduler, next_epoch=epoch + 1,
                          settings=settings, history=history)  # fmt: skip
        say(f"epoch {epoch + 1}/{recipe.epochs}: loss {mean_loss:.3f}, {seconds:.1f} s")

    accuracy = test_accuracy(net, args, device, rank, world_size)
    say(f"test accuracy {accuracy:.2%} on rank 0's copy, measured by all {world_size} ranks")
    results = {
        "world_size": world_size,
        "backend": dist.get_backend(),
        "threads_per_process": threads,
        "device": str(device),
        "batch_size": recipe.batch_size,
        "batch_size_per_process": loader.local_batch_size,
        "steps_per_epoch": len(loader),
        "recipe": recipe.as_dict(),
        "history": history,
        "resumed_at_epoch": start_epoch,
        "restarts": int(os.environ.get("TORCHELASTIC_RESTART_COUNT", 0)),
        "test_accuracy": accuracy,
        "snapshot": str(snapshot_path),
    }
    if rank == 0 and args.results:
        atomic_write(Path(args.results).expanduser(), json.dumps(results, indent=1) + "\n")
    return results if rank == 0 else {}


def first_images(data: ImageSet, count: int | None) -> ImageSet:
    """The first ``count`` images of ``data`` (all of them for ``None``)."""
    if count is None:
        return data
    count = check_int("train_images", count, minimum=1, maximum=len(data))
    return ImageSet(data.images[:count], data.labels[:count], data.split, data.source)


def resume(
    path: Path, settings: dict[str, Any], net: nn.Module, optimizer, scheduler
) -> tuple[int, list[dict[str, float]]]:
    """Load the snapshot into net, optimizer and schedule; ``(next epoch, history)``.
    Every rank reads the same file. A snapshot of other settings is refused, not mixed in."""
    saved = load_snapshot(path)
    if saved is None:
        return 0, []
    if saved["settings"] != settings:
        raise CheckpointError(
            f"The snapshot {pretty_path(path)} comes from a run with other settings "
            f"({saved['settings']}); delete it, or give --snapshot another file."
        )
    net.load_state_dict(saved["state_dict"])
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    return saved["next_epoch"], list(saved["history"])


def average_over_ranks(value: torch.Tensor) -> float:
    """The mean of ``value`` over all ranks (an all-reduce), as a float on every rank."""
    total = value.detach().clone()
    dist.all_reduce(total, op=dist.ReduceOp.SUM)
    return total.item() / dist.get_world_size()


def slowest_rank(seconds: float) -> float:
    """The longest of every rank's ``seconds``: the time the epoch took for the group."""
    on_gpu = dist.get_backend() == "nccl"  # nccl reduces tensors on the GPU only
    device = torch.device("cuda", torch.cuda.current_device()) if on_gpu else torch.device("cpu")
    value = torch.tensor(seconds, dtype=torch.float64, device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return value.item()


@torch.no_grad()
def test_accuracy(net: nn.Module, args, device: torch.device, rank: int, world_size: int) -> float:
    """Accuracy on the whole test split: each rank scores every ``world_size``-th image."""
    test_set = load_split(args.dataset, "test", args.data_root)
    counts = torch.zeros(2, dtype=torch.float64, device=device)  # right, seen
    net.eval()
    for images, labels in share_of(test_set, rank, world_size, device=device):
        counts[0] += (net(images).argmax(1) == labels).sum()
        counts[1] += len(labels)
    dist.all_reduce(counts, op=dist.ReduceOp.SUM)  # the sums of all ranks, on every rank
    return (counts[0] / counts[1]).item()


def say(line: str) -> None:
    """Print from rank 0 only: N processes, one voice."""
    if dist.get_rank() == 0:
        print(line, flush=True)


def parse_crash_at(text: str | None) -> tuple[int, int] | None:
    """``"2:5"`` -> ``(2, 5)``: epoch 2, step 5 (both counted from 1)."""
    if text is None:
        return None
    try:
        epoch, step = (int(part) for part in text.split(":"))
    except ValueError:
        raise ParameterError("--crash-at", text, "EPOCH:STEP, e.g. 2:5") from None
    if epoch < 1 or step < 1:
        raise ParameterError("--crash-at", text, "EPOCH:STEP with both from 1, e.g. 2:5")
    return epoch, step


def crash_once(rank: int, world_size: int, epoch: int, step: int) -> None:
    """The last rank kills itself (SIGKILL: no clean-up, like a lost machine), on the first try."""
    if rank != world_size - 1 or os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") != "0":
        return
    print(f"[rank {rank}] crashing on purpose in epoch {epoch + 1}, step {step + 1}",
          file=sys.stderr, flush=True)  # fmt: skip
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
