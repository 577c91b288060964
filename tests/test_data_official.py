"""The official CIFAR-10 source: python batches, the archive, and downloads (never a network)."""

from __future__ import annotations

import shutil
import socket

import pytest
import torch
from tiny_cifar import (
    TRAIN_BATCHES,
    make_archive,
    reference_normalize,
    trust_official_files,
    write_official_batches,
)
from torchvision.datasets import CIFAR10

from cifar_tutorial.data import FastLoader, classic_dataset, load_split, official
from cifar_tutorial.data.load import find_source
from cifar_tutorial.errors import DataCorruptError, DataUnavailableError


@pytest.fixture
def batches_root(tmp_path, monkeypatch):
    """A data root holding tiny official batches that torchvision accepts as genuine."""
    root = tmp_path / "data"
    written = write_official_batches(root)
    trust_official_files(monkeypatch, root)
    return root, written


@pytest.fixture
def no_network(monkeypatch):
    """Every connection attempt fails at once, as on an offline laptop; record the attempts."""
    attempts = []

    def refuse(address, timeout=None, *args, **kwargs):
        attempts.append((address, timeout))
        raise OSError(101, "Network is unreachable")

    def must_not_download(*args, **kwargs):
        raise AssertionError("download_url was called although the network is unreachable")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(official, "download_url", must_not_download)
    for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    return attempts


def test_batches_load_with_their_pixels_and_labels(batches_root):
    root, written = batches_root
    for split in ("train", "test"):
        data = load_split("cifar10-subset", split, root)
        images, labels = written[split]
        assert torch.equal(data.images, images)
        assert torch.equal(data.labels, labels)
        assert data.images.dtype == torch.uint8 and data.labels.dtype == torch.int64
        assert "official python batches" in data.summary()
    assert len(load_split("cifar10-subset", "train", root)) == 4 * len(TRAIN_BATCHES)


def test_classic_path_is_torchvision_cifar10_with_the_same_pixels(batches_root):
    root, written = batches_root
    dataset = classic_dataset("cifar10-subset", "test", root)
    assert isinstance(dataset, CIFAR10)
    image, label = dataset[3]
    assert image.shape == (3, 32, 32) and label == int(written["test"][1][3])
    fast_images, _ = next(
        iter(FastLoader(load_split("cifar10-subset", "test", root), batch_size=4))
    )
    assert torch.allclose(image, fast_images[3], atol=1e-6)
    assert torch.allclose(image, reference_normalize(written["test"][0][3]), atol=1e-6)


def test_a_damaged_batch_file_is_named(batches_root):
    root, _ = batches_root
    damaged = root / CIFAR10.base_folder / TRAIN_BATCHES[2]
    damaged.write_bytes(damaged.read_bytes()[:-10])
    with pytest.raises(DataCorruptError, match=TRAIN_BATCHES[2]):
        load_split("cifar10-subset", "train", root)
    with pytest.raises(DataCorruptError, match="md5"):
        classic_dataset("cifar10-subset", "train", root)


def test_a_missing_batch_file_is_named(batches_root):
    root, _ = batches_root
    (root / CIFAR10.base_folder / "test_batch").unlink()
    with pytest.raises(DataCorruptError, match="test_batch is missing"):
        load_split("cifar10-subset", "test", root)


def test_an_archive_on_disk_is_verified_and_extracted(tmp_path, monkeypatch):
    made = tmp_path / "made"
    written = write_official_batches(made)
    archive = make_archive(made, tmp_path / "data" / CIFAR10.filename)
    trust_official_files(monkeypatch, made, archive)
    root = archive.parent
    assert find_source(root, download=False) == "official"
    assert (root / CIFAR10.base_folder / TRAIN_BATCHES[0]).is_file()
    assert not [p for p in root.iterdir() if p.name.startswith(".extract-")]
    assert torch.equal(load_split("cifar10-subset", "test", root).images, written["test"][0])


def test_install_archive_replaces_a_stale_folder(tmp_path, monkeypatch):
    made = tmp_path / "made"
    write_official_batches(made)
    archive = make_archive(made, tmp_path / CIFAR10.filename)
    trust_official_files(monkeypatch, made, archive)
    root = tmp_path / "data"
    (root / CIFAR10.base_folder).mkdir(parents=True)
    (root / CIFAR10.base_folder / "half-written").write_text("left over")
    official.install_archive(archive, root)
    assert not (root / CIFAR10.base_folder / "half-written").exists()
    official.verify_batches(root)


def test_a_wrong_archive_is_refused_and_nothing_is_extracted(tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    (root / CIFAR10.filename).write_bytes(b"not the real archive, cut off halfway")
    with pytest.raises(DataCorruptError, match="md5 sum differs"):
        find_source(root, download=False)
    assert not (root / CIFAR10.base_folder).exists()


def test_offline_download_fails_saying_what_to_do(tmp_path, no_network):
    root = tmp_path / "empty"
    with pytest.raises(DataUnavailableError) as caught:
        load_split("cifar10-subset", "train", root)
    message = str(caught.value)
    assert "could not be downloaded" in message and "cannot reach" in message
    assert CIFAR10.filename in message and CIFAR10.base_folder in message  # way forward 1
    assert "dataset='sample'" in message  # way forward 2
    assert "\n" not in message
    (address, timeout) = no_network[0]
    assert address[1] == 443 and timeout is not None and timeout <= 10
    assert not (root / CIFAR10.filename).exists()


def test_offline_classic_dataset_fails_the_same_way(tmp_path, no_network):
    with pytest.raises(DataUnavailableError, match="dataset='sample'"):
        classic_dataset("cifar10", "test", tmp_path / "empty")


def test_download_switched_off_says_so_without_touching_the_network(tmp_path, no_network):
    with pytest.raises(DataUnavailableError, match="downloading is switched off"):
        load_split("cifar10", "train", tmp_path / "empty", download=False)
    assert no_network == []


def test_the_probe_goes_to_the_proxy_when_one_is_set(monkeypatch):
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    assert official.first_hop() == ("proxy.example", 3128)
    monkeypatch.delenv("https_proxy")
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    assert official.first_hop() == ("www.cs.toronto.edu", 443)


def test_a_download_that_arrives_is_verified_and_installed(tmp_path, monkeypatch):
    made = tmp_path / "made"
    written = write_official_batches(made)
    archive = make_archive(made, tmp_path / "server" / CIFAR10.filename)
    trust_official_files(monkeypatch, made, archive)

    class Connection:
        def close(self) -> None:
            pass

    def serve(url, folder, filename, md5):
        shutil.copy(archive, f"{folder}/{filename}")

    monkeypatch.setattr(socket, "create_connection", lambda *args, **kwargs: Connection())
    monkeypatch.setattr(official, "download_url", serve)
    root = tmp_path / "data"
    data = load_split("cifar10-subset", "train", root)
    assert torch.equal(data.images, written["train"][0])
    assert (root / CIFAR10.filename).is_file()


def test_a_download_cut_off_halfway_leaves_nothing_behind(tmp_path, monkeypatch):
    class Connection:
        def close(self) -> None:
            pass

    def cut_off(url, folder, filename, md5):
        (tmp_path / "seen").write_text(folder)
        with open(f"{folder}/{filename}", "wb") as handle:
            handle.write(b"\x1f\x8b half an archive")
        raise OSError("Connection reset by peer")

    monkeypatch.setattr(socket, "create_connection", lambda *args, **kwargs: Connection())
    monkeypatch.setattr(official, "download_url", cut_off)
    root = tmp_path / "data"
    with pytest.raises(DataUnavailableError, match="the download failed: Connection reset"):
        load_split("cifar10-subset", "train", root)
    assert list(root.iterdir()) == []
