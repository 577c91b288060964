"""Notebook 02's checkers: the right answer, and each typical mistake with its own hint."""

from __future__ import annotations

import torch.nn as nn
from check_hints import assert_hints

from cifar_tutorial.checks import network as check
from cifar_tutorial.models import Net

RIGHT_COUNTS = {"conv1": 456, "conv2": 2416, "fc1": 48120, "fc2": 10164, "fc3": 850}


def test_shapes_right_and_mistakes_of_conv1():
    assert check.conv1_and_pool_shapes((4, 6, 28, 28), (4, 6, 14, 14)).right
    assert check.conv1_and_pool_shapes([8, 6, 28, 28], (8, 6, 14, 14), batch_size=8).right
    assert_hints(
        lambda answer: check.conv1_and_pool_shapes(answer, (4, 6, 14, 14)),
        {
            "a batch keeps its first dimension": (6, 28, 28),
            "did you apply conv2 too?": (4, 16, 28, 28),
            "channels before height and width": (4, 28, 28, 6),
            "3 is what conv1 takes in": (4, 3, 28, 28),
            "one more than 32 - 5": (4, 6, 27, 27),
            "there is no padding": (4, 6, 32, 32),
            "that is after the pool already": (4, 6, 14, 14),
            "the first number is the batch size, 4": (1, 6, 28, 28),
            "should have 4 numbers": (4, 6, 28, 28, 1),
            "height and width shrink alike": (4, 6, 28, 27),
            "its second argument, out_channels": (4, 12, 28, 28),
            "count the positions": (4, 6, 20, 20),
            "give its shape as a tuple": Net().conv1.weight,
        },
    )


def test_shapes_mistakes_of_the_pool():
    assert_hints(
        lambda answer: check.conv1_and_pool_shapes((4, 6, 28, 28), answer),
        {
            "it halves height and width": (4, 6, 28, 28),
            "pooling keeps every channel": (4, 3, 14, 14),
            "not the photo's": (4, 6, 16, 16),
            "one 2 x 2 pool halves once": (4, 6, 7, 7),
            "moves 2 pixels at a time": (4, 6, 27, 27),
            "halve conv1's height and width.": (4, 6, 10, 10),
        },
    )
    assert "Hint: a 5 x 5 filter" in check.conv1_and_pool_shapes(..., ...).message


def test_fc1_inputs_right_and_its_mistakes():
    feedback = check.fc1_inputs(16 * 13 * 13)
    assert feedback.right and "2,704 numbers per 64 x 64 photo" in feedback.message
    assert check.fc1_inputs(400, image_size=32).right
    assert_hints(
        check.fc1_inputs,
        {
            "that is for 32 x 32 photos": 400,
            "does not grow with the area alone": 1600,
            "the convolutions shrink the maps too": 16 * 16 * 16,
            "conv2 shrinks the maps too": 16 * 15 * 15,
            "conv1 shrinks the maps too": 16 * 14 * 14,
            "there are 16 channels, not 6": 6 * 13 * 13,
            "multiply by the number of channels": 13 * 13,
            "height and width both count": 16 * 13,
            "follow the side step by step": 2000,
            "should be a number; it is a tuple": (16, 13, 13),
        },
    )


def test_parameter_counts_right_and_its_mistakes():
    feedback = check.parameter_counts(RIGHT_COUNTS, Net())
    assert feedback.right and "62,006 in all, 77% in fc1's weights" in feedback.message
    wider = Net()  # the "try this" of notebook 2: 12 filters in conv1
    wider.conv1, wider.conv2 = nn.Conv2d(3, 12, 5), nn.Conv2d(12, 16, 5)
    counts = {**RIGHT_COUNTS, "conv1": 12 * 3 * 25 + 12, "conv2": 16 * 12 * 25 + 16}
    assert check.parameter_counts(counts, wider).right
    assert "conv1: out x in x 5 x 5 weights" in check.parameter_counts(RIGHT_COUNTS, wider).message

    def counts_with(**changed):
        return {**RIGHT_COUNTS, **changed}

    assert_hints(
        check.parameter_counts,
        {
            "conv1: you counted the weights; add the biases": counts_with(conv1=450),
            "conv1: each filter spans all 3 input channels": counts_with(conv1=6 * 25 + 6),
            "conv2: a filter is 5 x 5, so 25 weights": counts_with(conv2=16 * 6 * 5 + 16),
            "fc1: one bias per output, not per input": counts_with(fc1=48000 + 400),
            "fc2: every input connects to every output": counts_with(fc2=120 + 84),
            "fc3: out x in weights, plus one bias": counts_with(fc3=851),
            "missing: fc2, fc3": {"conv1": 456, "conv2": 2416, "fc1": 48120},
            "pool learns nothing": counts_with(pool=0),
            "Net has no layer 'fc4'": counts_with(fc4=10),
            "should be a dict": 62006,
            "the count of fc1 should be a number": counts_with(fc1="48120"),
        },
    )
