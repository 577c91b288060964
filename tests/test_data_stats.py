"""Per-channel statistics, checked against a direct computation and the documented values."""

from __future__ import annotations

import pytest
import torch
from tiny_cifar import random_images

from cifar_tutorial.data import REFERENCE_MEAN, REFERENCE_STD, channel_stats, load_split


@pytest.mark.parametrize("chunk", [1, 7, 10_000])
def test_channel_stats_match_a_direct_computation(chunk):
    images = random_images(23, seed=4)
    images[:, 2] //= 3  # give the channels different statistics
    mean, std = channel_stats(images, chunk=chunk)
    pixels = images.double() / 255
    expected_mean = pixels.mean(dim=(0, 2, 3))
    expected_std = pixels.std(dim=(0, 2, 3), unbiased=False)
    assert torch.allclose(torch.tensor(mean, dtype=torch.float64), expected_mean, atol=1e-9)
    assert torch.allclose(torch.tensor(std, dtype=torch.float64), expected_std, atol=1e-9)
    assert len(mean) == len(std) == 3


def test_a_constant_image_has_zero_spread():
    mean, std = channel_stats(torch.full((2, 3, 32, 32), 51, dtype=torch.uint8))
    assert mean == pytest.approx((0.2, 0.2, 0.2)) and std == pytest.approx((0, 0, 0), abs=1e-6)


def test_a_batch_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        channel_stats(torch.zeros(3, 32, 32, dtype=torch.uint8))


def test_the_documented_values_sit_beside_the_reference_ones():
    assert REFERENCE_MEAN == REFERENCE_STD == (0.5, 0.5, 0.5)
    mean, std = channel_stats(load_split("sample", "train").images)
    # the documentation quotes CIFAR-10's measured mean (0.491, 0.482, 0.447), std (0.247, ...)
    assert mean == pytest.approx((0.491, 0.482, 0.447), abs=0.02)
    assert std == pytest.approx((0.247, 0.243, 0.262), abs=0.02)
