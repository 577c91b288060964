"""First checks of the data layer on the embedded sample and the full copy."""

import time

import pytest

from cifar_tutorial.data import CLASSES, load_split


def test_sample_loads_quickly_without_any_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("CIFAR10_ROOT", str(tmp_path / "nothing-here"))
    start = time.perf_counter()
    train, test = load_split("sample", "train"), load_split("sample", "test")
    assert time.perf_counter() - start < 2
    assert (len(train), len(test)) == (5000, 1000)
    assert train.images.shape[1:] == (3, 32, 32)
    assert list(train.class_counts().values()) == [500] * 10
    assert list(test.class_counts().values()) == [100] * 10
    assert "embedded sample" in train.summary()


@pytest.mark.full_data
def test_full_copy_loads_as_cifar10(full_data_root):
    train, test = (
        load_split("cifar10", "train", full_data_root),
        load_split("cifar10", "test", full_data_root),
    )
    assert (len(train), len(test)) == (50_000, 10_000)
    assert train.classes == CLASSES
    assert set(train.class_counts().values()) == {5000}
