"""Checkpoints: atomic saves, recorded metadata, and refusing wrong, damaged or unsafe files."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from cifar_tutorial.checkpoint import load_checkpoint, load_weights, save_checkpoint
from cifar_tutorial.errors import CheckpointError
from cifar_tutorial.models import Net, WideNet
from cifar_tutorial.training import make_optimizer, make_recipe, make_scheduler


def trained_state(seed: int) -> tuple[Net, torch.optim.Optimizer, object]:
    """A Net, its optimizer and scheduler after one step, so every part holds real state."""
    torch.manual_seed(seed)
    net, recipe = Net(), make_recipe("fast")
    optimizer = make_optimizer(net, recipe)
    scheduler = make_scheduler(optimizer, recipe, steps_per_epoch=10)
    net(torch.randn(4, 3, 32, 32)).sum().backward()
    optimizer.step()
    scheduler.step()
    return net, optimizer, scheduler


def same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def crash_while_writing(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """Make torch.save write part of the file, then fail like a full disk or a Ctrl-C."""

    def partial_save(obj, handle, *args, **kwargs):
        handle.write(b"PK\x03\x04 half a checkpoint")
        raise error

    monkeypatch.setattr(torch, "save", partial_save)


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, Net]:
    net, optimizer, scheduler = trained_state(seed=1)
    path = save_checkpoint(
        tmp_path / "cifar_net.pth",
        net,
        epoch=3,
        params=make_recipe("fast").as_dict(),
        normalization={"mean": [0.5] * 3, "std": [0.5] * 3},
        optimizer=optimizer,
        scheduler=scheduler,
        history=[2.3, 1.9],
    )
    return path, net


def test_a_checkpoint_records_what_it_is(saved):
    path, net = saved
    entry = load_checkpoint(path, architecture="Net")
    assert entry["architecture"] == "Net"
    assert entry["epoch"] == 3
    assert entry["params"] == make_recipe("fast").as_dict()
    assert entry["params"]["schedule"] == "onecycle"
    assert entry["normalization"] == {"mean": [0.5] * 3, "std": [0.5] * 3}
    assert entry["optimizer"]["state"]  # momentum buffers
    assert entry["scheduler"]["_step_count"] == 2
    assert entry["history"] == [2.3, 1.9]
    assert same_weights(entry["state_dict"], net.state_dict())


@pytest.mark.parametrize("crash", [KeyboardInterrupt(), OSError(28, "No space left on device")])
def test_an_interrupted_save_leaves_the_previous_checkpoint_intact(saved, monkeypatch, crash):
    path, net = saved
    before = path.read_bytes()
    newer, _, _ = trained_state(seed=2)
    crash_while_writing(monkeypatch, crash)
    with pytest.raises(type(crash)):
        save_checkpoint(path, newer, epoch=4)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert same_weights(load_checkpoint(path)["state_dict"], net.state_dict())
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no half-written leftovers


def test_a_checkpoint_of_another_architecture_is_refused_clearly(saved):
    path, _ = saved
    with pytest.raises(CheckpointError, match=r"holds weights for a Net, not a WideNet"):
        load_checkpoint(path, architecture="WideNet")


def test_weights_of_another_network_are_refused_clearly(tmp_path):
    path = tmp_path / "wide.pth"
    torch.save(WideNet(width=2).state_dict(), path)  # a bare state_dict, as the reference saves
    with pytest.raises(CheckpointError) as caught:
        load_weights(Net(), load_checkpoint(path))
    assert str(caught.value).startswith(
        "The checkpoint's weights do not fit a Net: 10 tensors are missing (e.g. conv1.weight); "
        "8 are not this network's (e.g. features.0.weight). Point checkpoint_path at"
    )


def test_weights_of_another_size_are_refused_clearly(tmp_path):
    path = tmp_path / "resized.pth"
    state = Net().state_dict()
    state["fc3.weight"], state["fc3.bias"] = torch.zeros(100, 84), torch.zeros(100)  # CIFAR-100
    torch.save(state, path)
    with pytest.raises(
        CheckpointError, match=r"fc3.weight has shape \[100, 84\] instead of \[10, 84\]"
    ):
        load_weights(Net(), load_checkpoint(path))


DAMAGE = {
    "truncated": lambda data: data[: len(data) // 2],
    "empty": lambda data: b"",
    "bit-flipped weights": lambda data: flip_bit(data, data.index(b"archive/data/4") + 200),
    "bit-flipped header": lambda data: flip_bit(data, data.index(b"archive/data.pkl") + 60),
    "not a checkpoint": lambda data: b"<html>404 Not Found</html>" * 40,
}


def flip_bit(data: bytes, offset: int) -> bytes:
    damaged = bytearray(data)
    damaged[offset] ^= 0x10
    return bytes(damaged)


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_checkpoint_is_refused_clearly(saved, damage):
    path, _ = saved
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path, architecture="Net")
    message = str(caught.value)
    assert "\n" not in message
    assert path.name in message
    assert "damaged" in message or "not a readable checkpoint" in message
    assert "train again with notebook 04" in message


class RunsCodeWhenUnpickled:
    """What a malicious ``.pth`` holds: unpickling it calls ``exec`` on attacker's code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').write('code ran')",))


def test_a_checkpoint_that_would_run_code_is_refused_and_the_code_never_runs(tmp_path):
    marker = tmp_path / "code-ran.txt"
    path = tmp_path / "shared_from_the_internet.pth"
    torch.save({"state_dict": Net().state_dict(), "x": RunsCodeWhenUnpickled(marker)}, path)

    with pytest.raises(CheckpointError, match=r"Refused to load .*call exec") as caught:
        load_checkpoint(path)
    assert "\n" not in str(caught.value)
    assert not marker.exists()

    # The file really is dangerous: unpickling it without weights_only runs its code.
    torch.load(path, weights_only=False)
    assert marker.read_text() == "code ran"
