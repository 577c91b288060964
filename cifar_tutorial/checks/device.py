"""Checks of notebook 06's exercises: moving a network and a batch to a device, how much bigger
the wide network is, and what one epoch would cost from a measured step time.
The device check also runs the learner's function on PyTorch's ``meta`` device, which every
machine has: on a CPU only that run can tell a forgotten ``.to(device)``, so the hints are the
same on a CPU, MPS and CUDA."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import torch
import torch.nn as nn

from ..models import Net, WideNet, count_parameters
from .answers import as_number, kind
from .feedback import Feedback, NotYet, checker, not_yet, right

PROBE = torch.device("meta")  # tensors with a shape but no data: a device on every machine


def _where(value: object) -> str:
    if isinstance(value, nn.Module):
        parameter = next(value.parameters(), None)
        return "nowhere" if parameter is None else str(parameter.device)
    if isinstance(value, torch.Tensor):
        return str(value.device)
    return kind(value)


def _moved(function: Callable, device: torch.device) -> tuple[object, object, object]:
    """Call ``function(net, images, labels, device)`` on a fresh ``Net`` and a CPU batch."""
    net = Net()  # made with the global random state saved and restored around it
    images, labels = torch.zeros(2, 3, 32, 32), torch.tensor([3, 5])
    try:
        result = function(net, images, labels, device)
    except (AssertionError, RuntimeError, TypeError, ValueError) as error:
        text = str(error)
        if any(name in text for name in ("CUDA", "cuda", "MPS", "mps")):
            raise NotYet(
                "your function asked for a device by name; move everything to the `device` "
                "it is given, so that the same code runs on any machine."
            ) from None
        raise
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        raise NotYet(f"return three things, net, images and labels; you returned {kind(result)}.")
    return tuple(result)


@checker("`net.to(device)` moves the weights; `images.to(device)` returns a moved copy.")
def to_device(answer: object, device: torch.device | str) -> Feedback:
    """``answer(net, images, labels, device)`` returns all three on ``device``."""
    if not callable(answer):
        raise NotYet(f"my_to_device should be a function (def my_to_device(...):); it is "
                     f"{kind(answer)}.")  # fmt: skip
    device = torch.device(device)
    for target in (PROBE, device):
        with torch.random.fork_rng(devices=[]):
            net, images, labels = _moved(answer, target)
        if not isinstance(net, nn.Module):
            raise NotYet(f"the first thing returned should be the network; it is {kind(net)}.")
        for name, value in (("images", images), ("labels", labels)):
            if not isinstance(value, torch.Tensor):
                raise NotYet(f"{name} should come back as a tensor; it is {kind(value)}.")
        places = {"net": _where(net), "images": _where(images), "labels": _where(labels)}
        wanted = torch.empty(0, device=target).device
        if all(place == str(wanted) for place in places.values()):
            continue
        if all(place == "cpu" for place in places.values()):
            raise NotYet(
                "nothing moved: the network, images and labels are all still on the CPU. "
                "Move each of them to `device`."
            )
        if all(place == places["net"] for place in places.values()):
            raise NotYet(
                f"everything went to {places['net']}, not to the `device` your function was "
                "given: use that argument, never a fixed name."
            )
        if places["net"] != str(wanted):
            raise NotYet(
                f"the network's weights stayed on {places['net']}: move the network too "
                "(net.to(device) moves it and returns it)."
            )
        if places["images"] != str(wanted):
            raise NotYet(
                f"the images stayed on {places['images']}: images.to(device) does not move "
                "`images` itself, it returns a moved copy: return that copy."
            )
        raise NotYet(
            f"the labels stayed on {places['labels']}: the loss compares outputs with labels, "
            "so they must be on the same device."
        )
    outputs = net(images)
    return right(
        f"on {device.type} the forward pass gives outputs on {outputs.device.type} too: the "
        "network and each batch on one device, or torch stops with 'Expected all tensors to "
        "be on the same device'."
    )


@checker("count_parameters(...) gives a network's number of weights; divide one by the other.")
def weight_ratio(answer: object, width: int) -> Feedback:
    """``answer`` is how many times more weights ``WideNet(width)`` has than ``Net``."""
    value = as_number(answer, "my_ratio")
    with torch.random.fork_rng(devices=[]):
        small, wide = count_parameters(Net()), count_parameters(WideNet(width))
    expected = wide / small
    if math.isclose(value, expected, rel_tol=2e-3):
        return right(
            f"{expected:.0f} times the weights for {width} times the channels: a layer's "
            "weights grow with its inputs times its outputs, and so does its arithmetic."
        )
    mistakes = [
        (1 / expected, "the other way round: the wide network's count divided by Net's."),
        (float(wide - small), "that is how many weights more; the question asks how many times."),
        (
            float(width),
            f"channels grow {width} times, but a layer's weights grow with its inputs times "
            "its outputs: count them.",
        ),
        (
            float(width**2),
            f"nearly: not every layer grows {width}x{width}: the first convolution keeps its 3 "
            "colour inputs and the last layer its 10 outputs. Count them.",
        ),
    ]
    for wrong, hint in mistakes:
        if math.isclose(value, wrong, rel_tol=1e-3):
            return not_yet(hint)
    return not_yet("not the ratio of the two networks' numbers of weights.")


@checker("an epoch is len(train_set) images in batches of batch_size: that many steps, times "
         "the seconds one step takes.")  # fmt: skip
def epoch_seconds(
    answer: object,
    timings: Mapping[str, Mapping[str, float]],
    network: str,
    kind_of_device: str,
    images: int,
    batch_size: int,
) -> Feedback:
    """``answer`` estimates one epoch of ``network`` on ``kind_of_device`` from ``timings``."""
    value = as_number(answer, "my_epoch_seconds")
    per_step = timings[network][kind_of_device]
    steps = images / batch_size
    expected = math.ceil(steps) * per_step
    if math.isclose(value, expected, rel_tol=0.01) or math.isclose(value, steps * per_step,
                                                                   rel_tol=0.01):  # fmt: skip
        return right(
            f"about {expected:.0f} s ({expected / 60:.1f} min) per epoch of {network} on "
            f"{kind_of_device}: multiply by the epochs before you start a long run."
        )
    mistakes = [
        (expected * 1000, "that is in milliseconds; timings holds seconds per step."),
        (expected / 60, "that is in minutes; give seconds."),
        (images * per_step, "a step trains a whole batch, not one image: count steps, not images."),
        (batch_size * per_step, "that is one step times the batch size; multiply by the steps."),
        (per_step, "that is one step; an epoch has many."),
    ]
    for other, times in timings.items():
        for where, seconds in times.items():
            if (other, where) != (network, kind_of_device):
                what = other if other != network else f"{network} on {where}"
                mistakes.append((math.ceil(steps) * seconds, f"that uses the step time of "
                                 f"{what}; the question is about {network} on "
                                 f"{kind_of_device}."))  # fmt: skip
    for wrong, hint in mistakes:
        if math.isclose(value, wrong, rel_tol=0.01):
            return not_yet(hint)
    return not_yet("not the steps of one epoch times the seconds of one step.")
