"""The full CIFAR-10 copy (``CIFAR10_ROOT``) through the class-folder path; skipped without one."""

from __future__ import annotations

import pytest
import torch
from torchvision.datasets import ImageFolder

from cifar_tutorial.data import CLASSES, channel_stats, classic_dataset, load_split

pytestmark = pytest.mark.full_data


@pytest.fixture(scope="module")
def full_splits(full_data_root):
    """Both splits, decoded (first time: about 10 s on two cores) or read from the cache."""
    return load_split("cifar10", "train", full_data_root), load_split(
        "cifar10", "test", full_data_root
    )


def test_the_full_copy_loads_as_cifar10(full_splits):
    train, test = full_splits
    assert (len(train), len(test)) == (50_000, 10_000)
    assert train.classes == test.classes == CLASSES
    assert train.class_counts() == dict.fromkeys(CLASSES, 5000)
    assert test.class_counts() == dict.fromkeys(CLASSES, 1000)
    assert train.images.shape == (50_000, 3, 32, 32) and train.images.dtype == torch.uint8
    assert "50,000 images of 10 classes" in train.summary()


def test_a_class_folder_copy_is_read_through_the_class_folder_path(full_splits, full_data_root):
    if not (full_data_root / "train").is_dir():
        pytest.skip("CIFAR10_ROOT holds the official batches, not class folders")
    assert all("class folders" in split.source for split in full_splits)


def test_the_cached_reload_is_identical(full_splits, full_data_root):
    # its speed is measured (README: how long each step takes), never asserted in a test
    again = load_split("cifar10", "train", full_data_root)
    assert torch.equal(again.images, full_splits[0].images)
    assert torch.equal(again.labels, full_splits[0].labels)


def test_the_classic_path_serves_the_same_images(full_splits, full_data_root):
    test_set = classic_dataset("cifar10", "test", full_data_root)
    assert len(test_set) == 10_000 and tuple(test_set.classes) == CLASSES
    if isinstance(test_set, ImageFolder):
        for index in (0, 4321, 9999):
            image, label = test_set[index]
            expected = (full_splits[1].images[index].float() / 255 - 0.5) / 0.5
            assert label == int(full_splits[1].labels[index])
            assert torch.allclose(image, expected, atol=1e-6)


def test_the_measured_channel_statistics_match_the_documented_ones(full_splits):
    mean, std = channel_stats(full_splits[0].images)
    assert mean == pytest.approx((0.491, 0.482, 0.447), abs=0.01)
    assert std == pytest.approx((0.247, 0.243, 0.262), abs=0.01)
