"""Device choice: CUDA, then MPS, then the CPU, or the one asked for; an absent one is an error."""

from __future__ import annotations

import pytest
import torch

from cifar_tutorial.device import available_devices, describe_device, pick_device, synchronize
from cifar_tutorial.errors import DeviceUnavailableError, ParameterError


@pytest.fixture
def machine(monkeypatch):
    """Pretend the machine has the devices named, and nothing else."""

    def have(*kinds: str) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: "cuda" in kinds)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: "mps" in kinds)
        monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Test GPU 80GB")

    return have


@pytest.mark.parametrize(
    ("present", "expected"),
    [(("cuda", "mps"), "cuda"), (("cuda",), "cuda"), (("mps",), "mps"), ((), "cpu")],
)
def test_auto_picks_the_best_device_present(machine, present, expected):
    machine(*present)
    assert pick_device("auto", verbose=False).type == expected
    assert available_devices() == [*[k for k in ("cuda", "mps") if k in present], "cpu"]


def test_auto_says_what_it_picked_and_why(machine, capsys):
    machine("cuda")
    pick_device("auto")
    assert capsys.readouterr().out.strip() == "Using cuda (Test GPU 80GB) (the best device found)."
    machine()
    pick_device()
    out = capsys.readouterr().out
    assert out.startswith("Using cpu (") and "(no CUDA or MPS device found)" in out


@pytest.mark.parametrize("kind", ["cpu", "CUDA", "mps"])
def test_a_device_present_is_used_as_requested(machine, kind, capsys):
    machine("cuda", "mps")
    assert pick_device(kind).type == kind.lower()
    assert "(as requested)" in capsys.readouterr().out


@pytest.mark.parametrize("kind", ["cuda", "mps"])
def test_an_absent_device_is_a_clear_error(machine, kind):
    machine()
    with pytest.raises(DeviceUnavailableError) as caught:
        pick_device(kind)
    message = str(caught.value)
    assert f"device='{kind}'" in message and f"no {kind.upper()}" in message
    assert "found: cpu" in message and "device='auto'" in message


@pytest.mark.parametrize("bad", ["gpu", "", None, 0])
def test_an_unknown_device_name_is_refused(bad):
    with pytest.raises(ParameterError, match="device=.*'auto', 'cpu', 'cuda', 'mps'"):
        pick_device(bad)


def test_describe_and_synchronize_on_the_cpu():
    assert describe_device("cpu") == f"cpu ({torch.get_num_threads()} threads)"
    assert describe_device(torch.device("mps")) == "mps (Apple GPU)"
    synchronize("cpu")  # nothing to wait for, and no error
