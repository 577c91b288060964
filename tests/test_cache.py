"""The decoded-split cache: reused when valid, rebuilt when the source changes or it is damaged."""

from __future__ import annotations

import os
import warnings

import pytest
import torch
from tiny_cifar import random_images, save_image, write_class_folders

from cifar_tutorial.data import cache, folders, load_split


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "folders"
    write_class_folders(root, {"train": 2, "test": 1})
    return root


def cache_path(root, split="train"):
    return root / cache.CACHE_DIR_NAME / f"folders-{split}.pt"


def forbid_decoding(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("decoded the images again although the cache is valid")

    monkeypatch.setattr(folders, "decode_split", fail)


def test_the_second_load_reads_the_cache_without_decoding(root, monkeypatch):
    first = load_split("cifar10-subset", "train", root)
    assert cache_path(root).is_file()
    forbid_decoding(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a valid cache is read silently
        second = load_split("cifar10-subset", "train", root)
    assert torch.equal(first.images, second.images) and torch.equal(first.labels, second.labels)


def test_an_added_image_invalidates_the_cache(root):
    assert len(load_split("cifar10-subset", "train", root)) == 20
    save_image(random_images(1, seed=9)[0], root / "train" / "truck" / "0099.png")
    with pytest.warns(UserWarning, match="the data files changed"):
        data = load_split("cifar10-subset", "train", root)
    assert len(data) == 21 and data.class_counts()["truck"] == 3


def test_an_image_replaced_in_place_invalidates_the_cache(root):
    load_split("cifar10-subset", "test", root)
    replaced = root / "test" / "cat" / "0003.png"
    new_pixels = random_images(1, seed=42)[0]
    save_image(new_pixels, replaced)
    os.utime(replaced, ns=(1, 1))  # even with an old time stamp the size or time differs
    with pytest.warns(UserWarning, match="the data files changed"):
        data = load_split("cifar10-subset", "test", root)
    assert torch.equal(data.images[3], new_pixels)


def test_a_damaged_cache_is_rebuilt(root, monkeypatch):
    original = load_split("cifar10-subset", "train", root)
    path = cache_path(root)
    raw = bytearray(path.read_bytes())
    pixel_bytes = original.images.numpy().tobytes()
    at = bytes(raw).find(pixel_bytes[:64])  # flip a byte inside the stored pixels
    assert at > 0
    raw[at + 100] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.warns(UserWarning, match="damaged"):
        rebuilt = load_split("cifar10-subset", "train", root)
    assert torch.equal(rebuilt.images, original.images)
    forbid_decoding(monkeypatch)
    assert torch.equal(load_split("cifar10-subset", "train", root).images, original.images)


def test_a_truncated_cache_is_rebuilt(root):
    original = load_split("cifar10-subset", "train", root)
    path = cache_path(root)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.warns(UserWarning, match="cannot be read"):
        rebuilt = load_split("cifar10-subset", "train", root)
    assert torch.equal(rebuilt.images, original.images)


def test_a_cache_of_an_older_format_is_rebuilt(root):
    original = load_split("cifar10-subset", "train", root)
    old = {"format": cache.CACHE_FORMAT - 1, "fingerprint": "x", "data": original.images}
    torch.save(old, cache_path(root))
    with pytest.warns(UserWarning, match="another version of cifar_tutorial"):
        rebuilt = load_split("cifar10-subset", "train", root)
    assert torch.equal(rebuilt.images, original.images)
    assert torch.load(cache_path(root), weights_only=True)["format"] == cache.CACHE_FORMAT


def test_the_cache_is_written_atomically_and_readable_by_others(root):
    load_split("cifar10-subset", "train", root)
    files = list((root / cache.CACHE_DIR_NAME).iterdir())
    assert [f.name for f in files] == ["folders-train.pt"]  # no temporary file left behind
    assert files[0].stat().st_mode & 0o044 == 0o044


def test_a_read_only_data_folder_caches_in_the_tutorial_home(root, monkeypatch, isolated_home):
    monkeypatch.setattr(cache, "_writable", lambda folder: False)
    path = cache.cache_file(root, "folders-test")
    assert path.is_relative_to(isolated_home / "cache")
    load_split("cifar10-subset", "test", root)
    assert path.is_file() and not (root / cache.CACHE_DIR_NAME).exists()


def test_a_cache_that_cannot_be_written_does_not_fail_the_load(root, monkeypatch):
    def disk_full(obj, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache, "atomic_save", disk_full)
    with pytest.warns(UserWarning, match="Could not write the cache"):
        data = load_split("cifar10-subset", "train", root)
    assert len(data) == 20
