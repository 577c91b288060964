"""The embedded sample: small, balanced, real photos, loaded fast with no data folder at all."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest
import torch
from tiny_cifar import write_class_folders

from cifar_tutorial.data import CLASSES, classic_dataset, load_split, sample
from cifar_tutorial.errors import DataUnavailableError
from scripts.build_sample import build_sample

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample_splits():
    return load_split("sample", "train"), load_split("sample", "test")


def test_the_sample_file_is_small_and_shipped_as_package_data():
    path = sample.sample_path()
    assert path.stat().st_size < 5_000_000
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["cifar_tutorial"]
    shipped = path.relative_to(REPO / "cifar_tutorial").as_posix()
    assert any(fnmatch.fnmatch(shipped, pattern) for pattern in patterns)


def test_the_sample_loads_without_any_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("CIFAR10_ROOT", str(tmp_path / "nothing-here"))
    train, test = load_split("sample", "train"), load_split("sample", "test")
    assert (len(train), len(test)) == (5000, 1000)
    assert not (tmp_path / "nothing-here").exists()


def test_the_sample_is_balanced_and_says_what_it_is(sample_splits):
    train, test = sample_splits
    assert train.class_counts() == dict.fromkeys(CLASSES, 500)
    assert test.class_counts() == dict.fromkeys(CLASSES, 100)
    for split in sample_splits:
        assert split.images.shape[1:] == (3, 32, 32) and split.images.dtype == torch.uint8
        assert "embedded sample" in split.summary() and f"{len(split):,} images" in split.summary()


def test_the_sample_holds_distinct_real_photos(sample_splits):
    train, test = sample_splits
    flat = torch.cat([train.images, test.images]).flatten(1)
    assert len(torch.unique(flat, dim=0)) == len(flat)  # no image twice, no train/test overlap
    per_image_spread = flat.float().std(dim=1)
    assert per_image_spread.median() > 20  # photos, not blank or constant frames
    mean = train.images.float().mean() / 255
    assert 0.4 < mean < 0.55  # CIFAR-10's average brightness is about 0.47


def test_the_classic_path_serves_the_sample_too(sample_splits):
    dataset = classic_dataset("sample", "test")
    image, label = dataset[123]
    assert len(dataset) == 1000 and list(dataset.classes) == list(CLASSES)
    expected = (sample_splits[1].images[123].float() / 255 - 0.5) / 0.5
    assert torch.allclose(image, expected, atol=1e-6)
    assert label == int(sample_splits[1].labels[123])


def test_the_sample_is_never_substituted_for_missing_data(tmp_path):
    with pytest.raises(DataUnavailableError, match="dataset='sample'"):
        load_split("cifar10", "test", tmp_path / "empty", download=False)


def test_build_sample_stores_the_source_files_and_loads_them_back(tmp_path, monkeypatch):
    source = tmp_path / "folders"
    written = write_class_folders(source, {"train": 3, "test": 2}, suffix=".png")
    (source / "train" / "cat" / ".DS_Store").write_bytes(b"not an image")
    output = tmp_path / "sample.npz"
    build_sample(source, output, {"train": 2, "test": 1})
    monkeypatch.setattr(sample, "sample_path", lambda: output)
    train = load_split("sample", "train")
    assert train.class_counts() == dict.fromkeys(CLASSES, 2)
    first_two_of_each = written["train"][0].view(10, 3, 3, 32, 32)[:, :2].reshape(-1, 3, 32, 32)
    assert torch.equal(train.images, first_two_of_each)  # PNG: lossless, so exactly equal


def test_build_sample_refuses_a_class_with_too_few_files(tmp_path):
    source = tmp_path / "folders"
    write_class_folders(source, {"train": 1, "test": 1})
    with pytest.raises(ValueError, match="has 1 files, need 2"):
        build_sample(source, tmp_path / "sample.npz", {"train": 2, "test": 1})
