"""Checks of notebook 02's exercises: shapes through the first layers, fc1's inputs for larger
photos, the parameters of each layer counted by hand. The expected values come from
:class:`cifar_tutorial.models.Net` itself."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..models import Net
from .answers import as_number, as_shape, kind
from .feedback import Feedback, NotYet, checker, right

LAYERS = ("conv1", "conv2", "fc1", "fc2", "fc3")


def _batch_dimension(shape: tuple[int, ...], batch_size: int, what: str) -> None:
    """Stop unless ``shape`` has four dimensions, the first the batch."""
    if len(shape) == 3:
        raise NotYet(
            f"{what}: a batch keeps its first dimension, so start with the batch "
            f"size, {batch_size}."
        )
    if len(shape) != 4:
        raise NotYet(f"{what} should have 4 numbers: (batch, channels, height, width).")
    if shape[0] != batch_size:
        raise NotYet(
            f"{what}: the first number is the batch size, {batch_size}; every layer keeps it."
        )


@checker("a 5 x 5 filter without padding fits 32 - 5 + 1 times across 32 pixels; a pool halves.")
def conv1_and_pool_shapes(
    conv1_shape: object, pool_shape: object, batch_size: int = 4, image_size: int = 32
) -> Feedback:
    """The shapes of a batch after ``conv1`` and after the first pool."""
    net = Net()
    with torch.no_grad():
        after_conv1 = net.conv1(torch.zeros(batch_size, 3, image_size, image_size))
        after_pool = net.pool(F.relu(after_conv1))
    expected_conv1, expected_pool = tuple(after_conv1.shape), tuple(after_pool.shape)
    channels, side = expected_conv1[1], expected_conv1[2]
    kernel = net.conv1.kernel_size[0]

    conv1 = as_shape(conv1_shape, "my_conv1_shape")
    _batch_dimension(conv1, batch_size, "my_conv1_shape")
    if conv1 != expected_conv1:
        if conv1[3] == channels and conv1[1] == conv1[2] != channels:
            raise NotYet(
                "PyTorch puts the channels before height and width: (batch, channels, "
                "height, width)."
            )
        if conv1[1] == net.conv2.out_channels:
            raise NotYet(
                f"your output has {conv1[1]} channels; conv1 makes {channels}: did you "
                "apply conv2 too?"
            )
        if conv1[1] == 3:
            raise NotYet(
                "3 is what conv1 takes in (the colours); it makes one channel per "
                "filter: look at its out_channels."
            )
        if conv1[1] != channels:
            raise NotYet("conv1 makes one channel per filter: its second argument, out_channels.")
        if conv1[2] != conv1[3]:
            raise NotYet("height and width shrink alike: the photo and the filter are square.")
        if conv1[2] == image_size - kernel:
            raise NotYet(
                f"a {kernel} x {kernel} filter fits {image_size} - {kernel} + 1 "
                f"positions across {image_size} pixels: one more than "
                f"{image_size} - {kernel}."
            )
        if conv1[2] == image_size:
            raise NotYet(
                "there is no padding: the filter must fit inside the photo, so the maps shrink."
            )
        if conv1[2] == side // 2:
            raise NotYet("that is after the pool already; conv1 on its own does not halve.")
        raise NotYet(
            f"count the positions of a {kernel} x {kernel} window across {image_size} pixels."
        )

    pool = as_shape(pool_shape, "my_pool_shape")
    _batch_dimension(pool, batch_size, "my_pool_shape")
    if pool != expected_pool:
        if pool == conv1:
            raise NotYet(
                "max pooling keeps the largest of each 2 x 2 square: it halves height and width."
            )
        if pool[1] != channels:
            raise NotYet("pooling keeps every channel; only height and width shrink.")
        if pool[2] == image_size // 2:
            raise NotYet(
                "the pool comes after conv1: halve conv1's height and width, not the photo's."
            )
        if pool[2] == side // 4:
            raise NotYet("one 2 x 2 pool halves once.")
        if pool[2] in (side - 1, side - 2):
            raise NotYet("MaxPool2d(2, 2) moves 2 pixels at a time: it halves the side.")
        raise NotYet("halve conv1's height and width.")
    return right(
        "each convolution takes 4 pixels off the side, each pool halves it: that is how "
        "32 x 32 becomes the 5 x 5 maps fc1 reads."
    )


def _flattened(net: Net, image_size: int) -> tuple[int, int, int]:
    """Channels, side and numbers per image that reach fc1 from a square photo."""
    with torch.no_grad():
        x = torch.zeros(1, 3, image_size, image_size)
        x = net.pool(F.relu(net.conv2(net.pool(F.relu(net.conv1(x))))))
    return x.shape[1], x.shape[2], x[0].numel()


@checker("follow the side of the photo: conv1, pool, conv2, pool; then channels x height x width.")
def fc1_inputs(answer: object, image_size: int = 64) -> Feedback:
    """How many inputs ``fc1`` would need for photos of ``image_size`` x ``image_size``."""
    value = as_number(answer, "my_fc1_inputs")
    net = Net()
    channels, side, expected = _flattened(net, image_size)
    first_channels = net.conv1.out_channels
    shrink = net.conv1.kernel_size[0] - 1
    pool_only = image_size // 4
    without_conv2 = (image_size - shrink) // 2 // 2
    without_conv1 = (image_size // 2 - shrink) // 2
    if value == expected:
        return right(
            f"{expected:,} numbers per {image_size} x {image_size} photo: only fc1 "
            "depends on the photo's size; the convolutions work on any size."
        )
    at_32 = _flattened(net, 32)[2]
    mistakes = [
        (
            at_32,
            f"that is for 32 x 32 photos; follow a {image_size} x {image_size} photo "
            "through the layers.",
        ),
        (
            at_32 * (image_size / 32) ** 2,
            "the count does not grow with the area alone: each "
            "convolution takes pixels off the side before each pool halves it.",
        ),
        (
            channels * pool_only**2,
            "the convolutions shrink the maps too: a 5 x 5 filter takes "
            "4 pixels off the height and the width.",
        ),
        (channels * without_conv2**2, "conv2 shrinks the maps too, before the second pool."),
        (channels * without_conv1**2, "conv1 shrinks the maps too, before the first pool."),
        (
            first_channels * side**2,
            f"after conv2 there are {channels} channels, not {first_channels}.",
        ),
        (side**2, "multiply by the number of channels as well: channels x height x width."),
        (channels * side, "height and width both count: channels x height x width."),
    ]
    for wrong, hint in mistakes:
        if value == wrong:
            raise NotYet(hint)
    raise NotYet(
        "follow the side step by step: a 5 x 5 convolution takes 4 off, a pool halves; "
        "then multiply channels x height x width."
    )


def _layer_hint(name: str, layer: nn.Module, value: float) -> str:
    """The hint for a wrong parameter count ``value`` of one layer."""
    weights, biases = layer.weight.numel(), layer.bias.numel()
    outputs, inputs = layer.weight.shape[0], layer.weight.shape[1]
    is_conv = isinstance(layer, nn.Conv2d)
    if value == weights:
        return f"{name}: you counted the weights; add the biases, one per output."
    if value == weights + inputs:
        return f"{name}: one bias per output, not per input."
    if is_conv:
        side = layer.kernel_size[0]
        if value in (outputs * side * side, outputs * side * side + biases):
            return f"{name}: each filter spans all {inputs} input channels: out x in x 5 x 5."
        if value in (outputs * inputs * side, outputs * inputs * side + biases):
            return f"{name}: a filter is {side} x {side}, so {side * side} weights per channel."
    if value == outputs + inputs:
        return f"{name}: every input connects to every output: multiply, do not add."
    shape = "out x in x 5 x 5" if is_conv else "out x in"
    return f"{name}: {shape} weights, plus one bias per output."


@checker(
    'a dict {"conv1": ..., "conv2": ..., "fc1": ..., "fc2": ..., "fc3": ...}: '
    "weights plus biases of each layer."
)
def parameter_counts(answer: object, net: nn.Module | None = None) -> Feedback:
    """The learnable numbers of each layer of ``net`` (the reference ``Net`` by default)."""
    net = net if net is not None else Net()
    if not isinstance(answer, dict):
        raise NotYet(
            f'my_counts should be a dict such as {{"conv1": 10, ...}}; it is {kind(answer)}.'
        )
    learnless = [name for name in answer if name in ("pool", "relu", "flatten")]
    if learnless:
        raise NotYet(f"{learnless[0]} learns nothing: count only {', '.join(LAYERS)}.")
    unknown = [name for name in answer if name not in LAYERS]
    if unknown:
        raise NotYet(f"Net has no layer {unknown[0]!r}: use {', '.join(LAYERS)}.")
    missing = [name for name in LAYERS if name not in answer]
    if missing:
        raise NotYet(f"give a count for every layer; missing: {', '.join(missing)}.")
    total = 0
    for name in LAYERS:
        layer = getattr(net, name)
        expected = sum(p.numel() for p in layer.parameters())
        value = as_number(answer[name], f"the count of {name}")
        if value != expected:
            raise NotYet(_layer_hint(name, layer, value))
        total += expected
    share = net.fc1.weight.numel() / total
    return right(
        f"{total:,} in all, {share:.0%} in fc1's weights: a convolution reuses one "
        "small filter everywhere, a linear layer links every input to every output."
    )
