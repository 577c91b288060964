"""Training stopped by Ctrl-C and resumed from the last checkpoint ends with identical weights."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from cifar_tutorial.checkpoint import load_checkpoint, load_weights, save_checkpoint
from cifar_tutorial.data import FastLoader, ImageSet, load_split
from cifar_tutorial.models import Net
from cifar_tutorial.training import Recipe, make_optimizer, make_recipe, make_scheduler, train

RECIPE = make_recipe("fast", epochs=3, batch_size=64)  # one-cycle, Nesterov, random flips


@pytest.fixture(scope="module")
def data() -> ImageSet:
    """1,280 photos of the embedded sample: 20 batches an epoch, a second for the whole run."""
    sample = load_split("sample", "train")
    order = torch.randperm(len(sample), generator=torch.Generator().manual_seed(0))[:1280]
    return ImageSet(sample.images[order], sample.labels[order], "train", "part of the sample")


class CtrlCDuring:
    """A loader that raises ``KeyboardInterrupt`` at batch ``step`` of ``epoch`` (from 0)."""

    def __init__(self, loader: FastLoader, epoch: int, step: int) -> None:
        self.loader, self.epoch, self.step = loader, epoch, step
        self.batch_size = loader.batch_size
        self.current = 0

    def __len__(self) -> int:
        return len(self.loader)

    def set_epoch(self, epoch: int) -> None:
        self.current = epoch
        self.loader.set_epoch(epoch)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for step, batch in enumerate(self.loader):
            if (self.current, step) == (self.epoch, self.step):
                raise KeyboardInterrupt
            yield batch


def make_loader(data: ImageSet, recipe: Recipe) -> FastLoader:
    return FastLoader(data, recipe.batch_size, shuffle=True, drop_last=True, flip=recipe.flip)


def checkpoint_every_epoch(path: Path, net: Net, recipe: Recipe, history: list[float]):
    """An ``on_epoch_end`` that saves everything needed to resume, as notebook 04 does.

    ``epoch`` in the checkpoint counts the epochs completed, as notebook 04 records it.
    """

    def save(epoch, optimizer, scheduler, log) -> None:
        save_checkpoint(
            path,
            net,
            epoch=epoch + 1,
            params=recipe.as_dict(),
            optimizer=optimizer,
            scheduler=scheduler,
            history=history + log.losses,
        )

    return save


def fresh_run(data: ImageSet, path: Path, loader=None) -> tuple[Net, list[float]]:
    torch.manual_seed(0)
    net = Net()
    log = train(
        net,
        loader if loader is not None else make_loader(data, RECIPE),
        RECIPE,
        progress=False,
        on_epoch_end=checkpoint_every_epoch(path, net, RECIPE, []),
    )
    return net, log.losses


def resumed_run(data: ImageSet, path: Path, restore_optimizer: bool = True) -> tuple[Net, list]:
    """Continue from the checkpoint at ``path`` as notebook 04 does with ``resume=True``."""
    entry = load_checkpoint(path, architecture="Net")
    net = load_weights(Net(), entry)
    loader = make_loader(data, RECIPE)
    optimizer = make_optimizer(net, RECIPE)
    scheduler = make_scheduler(optimizer, RECIPE, len(loader))
    if restore_optimizer:
        optimizer.load_state_dict(entry["optimizer"])
        scheduler.load_state_dict(entry["scheduler"])
    log = train(
        net,
        loader,
        RECIPE,
        progress=False,
        start_epoch=entry["epoch"],
        optimizer=optimizer,
        scheduler=scheduler,
        on_epoch_end=checkpoint_every_epoch(path, net, RECIPE, entry["history"]),
    )
    return net, entry["history"] + log.losses


@pytest.fixture(scope="module")
def uninterrupted(data, tmp_path_factory) -> tuple[Net, list[float]]:
    return fresh_run(data, tmp_path_factory.mktemp("uninterrupted") / "cifar_net.pth")


@pytest.fixture(scope="module")
def interrupted_checkpoint(data, tmp_path_factory) -> Path:
    """The checkpoint left by a run stopped with Ctrl-C at batch 7 of epoch 2."""
    path = tmp_path_factory.mktemp("interrupted") / "cifar_net.pth"
    with pytest.raises(KeyboardInterrupt):
        fresh_run(data, path, loader=CtrlCDuring(make_loader(data, RECIPE), epoch=1, step=7))
    return path


def test_an_interrupted_run_keeps_the_last_completed_epoch(interrupted_checkpoint):
    entry = load_checkpoint(interrupted_checkpoint, architecture="Net")
    assert entry["epoch"] == 1  # epoch 1 completed, epoch 2 was cut off
    assert len(entry["history"]) == 20
    assert entry["params"] == RECIPE.as_dict()


def test_resuming_ends_with_the_weights_of_an_uninterrupted_run(
    data, uninterrupted, interrupted_checkpoint, tmp_path
):
    path = shutil.copy(interrupted_checkpoint, tmp_path / "cifar_net.pth")
    reference, reference_losses = uninterrupted
    resumed, resumed_losses = resumed_run(data, path)
    for name, tensor in reference.state_dict().items():
        assert torch.equal(resumed.state_dict()[name], tensor), name
    assert resumed_losses == reference_losses  # every step's loss, bit for bit
    assert load_checkpoint(path)["epoch"] == RECIPE.epochs


def test_resuming_without_the_optimizer_state_would_not_match(data, uninterrupted, tmp_path):
    """Why checkpoints carry the optimizer: momentum and the schedule's position matter."""
    path = tmp_path / "cifar_net.pth"
    with pytest.raises(KeyboardInterrupt):
        fresh_run(data, path, loader=CtrlCDuring(make_loader(data, RECIPE), epoch=1, step=0))
    resumed, _ = resumed_run(data, path, restore_optimizer=False)
    assert not torch.equal(resumed.fc3.weight, uninterrupted[0].fc3.weight)
