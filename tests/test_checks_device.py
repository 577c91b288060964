"""Notebook 06's checkers: the right answer, and each typical mistake with its own hint.

The device check probes the learner's function with PyTorch's ``meta`` device, so every hint
below is found on a machine with only a CPU, as on one with MPS or CUDA."""

from __future__ import annotations

import math

import pytest
import torch
from check_hints import assert_hints

from cifar_tutorial.checks import device as check
from cifar_tutorial.device import available_devices
from cifar_tutorial.models import Net, WideNet, count_parameters


def moves_everything(net, images, labels, device):
    return net.to(device), images.to(device), labels.to(device)


def moves_the_batch_only(net, images, labels, device):
    return net, images.to(device), labels.to(device)


def forgets_to_keep_the_copy(net, images, labels, device):
    net.to(device)
    images.to(device)
    labels = labels.to(device)
    return net, images, labels


def moves_no_labels(net, images, labels, device):
    return net.to(device), images.to(device), labels


def moves_nothing(net, images, labels, device):
    return net, images, labels


def always_to_one_name(net, images, labels, device):
    """Like writing "cuda" on a GPU machine: right there by chance, wrong on any other."""
    return net.to("meta"), images.to("meta"), labels.to("meta")


def asks_for_an_absent_gpu(net, images, labels, device):
    raise AssertionError("Torch not compiled with CUDA enabled")


def returns_two(net, images, labels, device):
    return net.to(device), images.to(device)


@pytest.mark.parametrize("device", available_devices())
def test_to_device_right_on_every_device_this_machine_has(device):
    feedback = check.to_device(moves_everything, torch.device(device))
    assert feedback.right and f"on {device} the forward pass" in feedback.message


def test_to_device_mistakes_are_found_even_on_a_cpu():
    assert_hints(
        lambda answer: check.to_device(answer, torch.device("cpu")),
        {
            "move the network too": moves_the_batch_only,
            "returns a moved copy": forgets_to_keep_the_copy,
            "the labels stayed on cpu": moves_no_labels,
            "nothing moved": moves_nothing,
            "everything went to meta, not to the `device`": always_to_one_name,
            "asked for a device by name": asks_for_an_absent_gpu,
            "return three things": returns_two,
            "should be a function": "net.to(device)",
        },
    )


def test_to_device_leaves_the_global_random_state_alone():
    torch.manual_seed(3)
    expected = torch.rand(2)
    torch.manual_seed(3)
    check.to_device(moves_everything, "cpu")
    assert torch.equal(torch.rand(2), expected)


def test_weight_ratio_right_and_its_mistakes():
    ratio = count_parameters(WideNet(8)) / count_parameters(Net())
    feedback = check.weight_ratio(ratio, 8)
    assert feedback.right and "52 times the weights for 8 times the channels" in feedback.message
    assert check.weight_ratio(3_239_946 / 62_006, 8).right
    assert_hints(
        lambda answer: check.weight_ratio(answer, 8),
        {
            "the other way round": 1 / ratio,
            "how many weights more": 3_239_946 - 62_006,
            "channels grow 8 times": 8,
            "nearly: not every layer grows 8x8": 64,
            "not the ratio": 12,
            "should be a number": "52",
        },
    )


TIMINGS = {"Net": {"cpu": 0.012, "cuda": 0.004}, "WideNet(8)": {"cpu": 0.150, "cuda": 0.006}}


def test_epoch_seconds_right_and_its_mistakes():
    steps = math.ceil(50_000 / 128)
    feedback = check.epoch_seconds(steps * 0.150, TIMINGS, "WideNet(8)", "cpu", 50_000, 128)
    assert feedback.right and "about 59 s (1.0 min) per epoch" in feedback.message
    assert check.epoch_seconds(
        50_000 / 128 * 0.150, TIMINGS, "WideNet(8)", "cpu", 50_000, 128
    ).right
    assert_hints(
        lambda answer: check.epoch_seconds(answer, TIMINGS, "WideNet(8)", "cpu", 50_000, 128),
        {
            "in milliseconds": steps * 150,
            "in minutes": steps * 0.150 / 60,
            "count steps, not images": 50_000 * 0.150,
            "one step times the batch size": 128 * 0.150,
            "that is one step": 0.150,
            "the step time of Net;": steps * 0.012,
            "the step time of WideNet(8) on cuda": steps * 0.006,
            "not the steps of one epoch": 1.0,
        },
    )
