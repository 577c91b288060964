"""Training that goes wrong says so at once: a diverging loss, a full memory, a missing device."""

from __future__ import annotations

import math
import re

import pytest
import torch

from cifar_tutorial.data import FastLoader, ImageSet, load_split
from cifar_tutorial.device import pick_device
from cifar_tutorial.errors import DeviceMemoryError, DeviceUnavailableError, TrainingDivergedError
from cifar_tutorial.models import Net
from cifar_tutorial.training import RunningLoss, explain_out_of_memory, make_recipe, train


@pytest.fixture(scope="module")
def data() -> ImageSet:
    return load_split("sample", "train")


class CountingLoader:
    """A FastLoader that counts the batches training asked for."""

    def __init__(self, loader: FastLoader) -> None:
        self.loader, self.batch_size, self.drawn = loader, loader.batch_size, 0

    def __len__(self) -> int:
        return len(self.loader)

    def set_epoch(self, epoch: int) -> None:
        self.loader.set_epoch(epoch)

    def __iter__(self):
        for batch in self.loader:
            self.drawn += 1
            yield batch


@pytest.mark.parametrize("recipe_name", ["reference", "fast"])
def test_a_huge_learning_rate_stops_training_at_once(data, recipe_name):
    torch.manual_seed(0)
    recipe = make_recipe(recipe_name, lr=10, batch_size=64, epochs=3)
    loader = CountingLoader(FastLoader(data, 64, shuffle=True))
    with pytest.raises(TrainingDivergedError) as caught:
        train(Net(), loader, recipe, progress=False)
    message = str(caught.value)
    found = re.fullmatch(
        r"The loss became nan at epoch 1, step (\d+): training diverged\. Lower the learning "
        r"rate \(lr\), e\.g\. to a tenth, and train again\.",
        message,
    )
    assert found, message
    assert loader.drawn == int(found.group(1)) < len(loader)  # not one batch more


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_running_loss_refuses_a_loss_that_is_not_finite(bad):
    log = RunningLoss(every=2, verbose=False)
    log.update(torch.tensor(2.5), epoch=0, step=0)
    with pytest.raises(TrainingDivergedError, match=rf"became {bad} at epoch 2, step 5: .*lr"):
        log.update(torch.tensor(bad), epoch=1, step=4)
    assert log.losses == [2.5]  # the bad value is never recorded as a result


@pytest.fixture
def no_accelerator(monkeypatch):
    """A machine with only a CPU, whatever this one has."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


@pytest.mark.parametrize("requested", ["cuda", "mps", "CUDA"])
def test_asking_for_an_absent_device_says_what_to_use(no_accelerator, requested):
    with pytest.raises(DeviceUnavailableError) as caught:
        pick_device(requested, verbose=False)
    kind = requested.lower()
    assert str(caught.value) == (
        f"device={kind!r} was requested but this machine has no {kind.upper()} device "
        "(found: cpu). Use device='auto' or device='cpu'."
    )


def test_auto_falls_back_to_the_cpu_and_says_why(no_accelerator, capsys):
    assert pick_device("auto") == torch.device("cpu")
    assert "no CUDA or MPS device found" in capsys.readouterr().out


OUT_OF_MEMORY = {
    "cuda": torch.OutOfMemoryError(
        "CUDA out of memory. Tried to allocate 3.00 GiB. GPU 0 has a total capacity of 7.79 GiB"
        " of which 1.12 GiB is free.\nIncluding non-PyTorch memory, this process has ..."
    ),
    "mps": RuntimeError("MPS backend out of memory (MPS allocated: 17.00 GB, other: 1.2 GB)."),
}


@pytest.mark.parametrize("device", OUT_OF_MEMORY)
def test_a_batch_too_big_for_the_gpu_suggests_a_smaller_batch_or_the_cpu(device):
    with pytest.raises(DeviceMemoryError) as caught, explain_out_of_memory(device, 4096):
        raise OUT_OF_MEMORY[device]
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"A batch of batch_size=4096 does not fit in the memory of {device}")
    assert message.endswith("Try a smaller batch, e.g. batch_size=2048, or device='cpu'.")


def test_training_out_of_memory_is_explained(data, monkeypatch):
    """A forward pass that runs out of memory inside train(): the loop's own error says so."""
    net = Net()

    def forward_that_does_not_fit(inputs):
        raise RuntimeError(
            "[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate "
            "memory: you tried to allocate 4831838208 bytes. Error code 12"
        )

    monkeypatch.setattr(net, "forward", forward_that_does_not_fit)
    recipe = make_recipe("fast", batch_size=512, epochs=1)
    with pytest.raises(
        DeviceMemoryError, match=r"batch_size=512 does not fit in the memory of cpu"
    ):
        train(net, FastLoader(data, 512), recipe, progress=False)


def test_other_errors_pass_through_unchanged(data, monkeypatch):
    net = Net()
    error = RuntimeError("mat1 and mat2 shapes cannot be multiplied (64x400 and 256x120)")
    monkeypatch.setattr(net, "forward", lambda inputs: (_ for _ in ()).throw(error))
    with pytest.raises(RuntimeError) as caught:
        train(net, FastLoader(data, 64), make_recipe("fast", epochs=1), progress=False)
    assert caught.value is error
