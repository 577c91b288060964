"""Damaged data is named with what is wrong and how to fix it; nothing half-written is ever used.

Every file here is a tiny CIFAR-10 made in the test (``tiny_cifar``), damaged on purpose:
the official archive and batches (torchvision's md5 sums pointed at the tiny files), class
folders, and the decoded cache. Crashes are simulated by making the writer fail halfway.
"""

from __future__ import annotations

import gzip
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest
import torch
from tiny_cifar import (
    make_archive,
    save_image,
    trust_official_files,
    write_class_folders,
    write_official_batches,
)
from torchvision.datasets import CIFAR10

from cifar_tutorial.data import cache, load_split, official
from cifar_tutorial.errors import DataCorruptError, DataUnavailableError

ARCHIVE, BATCHES = CIFAR10.filename, CIFAR10.base_folder


@pytest.fixture
def archive_root(tmp_path, monkeypatch) -> tuple[Path, dict]:
    """A data root holding only a tiny official archive, trusted as the genuine one."""
    made = tmp_path / "made"
    written = write_official_batches(made)
    root = tmp_path / "data"
    archive = make_archive(made, root / ARCHIVE)
    trust_official_files(monkeypatch, made, archive)
    return root, written


@pytest.fixture
def folders_root(tmp_path) -> Path:
    root = tmp_path / "folders"
    write_class_folders(root, {"train": 2, "test": 1})
    return root


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def cut_in_half(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


class Damage(NamedTuple):
    harm: Callable[[Path], Path]  # damages the data under the root, returns the file harmed
    what: str  # what the message must say is wrong
    fix: str  # how the message must say to fix it


def corrupt_image(root: Path) -> Path:
    file = root / "train" / "cat" / "0007.png"
    file.write_bytes(file.read_bytes()[:40])  # a PNG cut off after its header
    return file


def wrong_size_image(root: Path) -> Path:
    file = root / "test" / "ship" / "0008.png"
    save_image(torch.zeros(3, 16, 24, dtype=torch.uint8), file)
    return file


def altered_batch(root: Path) -> Path:
    flip_byte(root / BATCHES / "data_batch_3", 500)
    return root / BATCHES / "data_batch_3"


def missing_batch(root: Path) -> Path:
    (root / BATCHES / "test_batch").unlink()
    return root / BATCHES / "test_batch"


def truncated_archive(root: Path) -> Path:
    shutil.rmtree(root / BATCHES)  # as if the archive had just been downloaded
    cut_in_half(root / ARCHIVE)
    return root / ARCHIVE


def altered_archive(root: Path) -> Path:
    shutil.rmtree(root / BATCHES)
    flip_byte(root / ARCHIVE, (root / ARCHIVE).stat().st_size // 2)
    return root / ARCHIVE


def another_archive(root: Path) -> Path:
    shutil.rmtree(root / BATCHES)
    (root / ARCHIVE).write_bytes(gzip.compress(b"<html>Please log in to download</html>"))
    return root / ARCHIVE


EXTRACTED_AGAIN = f"Delete the folder {{root}}/{BATCHES} and put {ARCHIVE} in {{root}}"
DAMAGED_DATA = {
    "corrupt image": Damage(corrupt_image, "is not a readable image (cannot identify image file)",
                            "Replace it from a good copy of CIFAR-10, or delete it."),
    "image of the wrong size": Damage(wrong_size_image,
                                      "is 24x16 pixels; CIFAR-10 images are 32x32",
                                      "Replace it from a good copy of CIFAR-10, or delete it."),
    "altered batch file": Damage(altered_batch, "is damaged (its md5 sum is not CIFAR-10's)",
                                 EXTRACTED_AGAIN),
    "missing batch file": Damage(missing_batch, "is missing from the extracted CIFAR-10",
                                 EXTRACTED_AGAIN),
    "truncated archive": Damage(truncated_archive, "its md5 sum differs",
                                "Delete it and download it again."),
    "altered archive": Damage(altered_archive, "its md5 sum differs",
                              "Delete it and download it again."),
    "another file named as the archive": Damage(another_archive, "is not the official",
                                                "Delete it and download it again."),
}  # fmt: skip


@pytest.mark.filterwarnings("ignore:Rebuilding the cache .* the data files changed")
@pytest.mark.parametrize("damage", DAMAGED_DATA.values(), ids=DAMAGED_DATA.keys())
def test_damaged_data_is_named_with_what_is_wrong_and_how_to_fix_it(
    damage, archive_root, folders_root
):
    # Each copy first loads well (so a cache exists), then is damaged and loaded again:
    # the cache of the good copy must not hide the damage.
    root = folders_root if damage.harm in (corrupt_image, wrong_size_image) else archive_root[0]
    load_split("cifar10-subset", "train", root)
    load_split("cifar10-subset", "test", root)
    file = damage.harm(root)
    with pytest.raises(DataCorruptError) as caught:
        load_split("cifar10-subset", "train", root)
        load_split("cifar10-subset", "test", root)
    message = str(caught.value)
    assert "\n" not in message
    assert str(file) in message
    assert damage.what in message
    assert damage.fix.format(root=root) in message
    assert not list(root.glob(".extract-*")) and not list(root.glob(".download-*"))
    if damage.harm in (truncated_archive, altered_archive, another_archive):
        assert not (root / BATCHES).exists()  # nothing was extracted from it


def test_a_stale_cache_never_stands_in_for_changed_data(folders_root):
    """A cache made from an older copy of the images is rebuilt from the current ones."""
    before = load_split("cifar10-subset", "train", folders_root)
    replaced = folders_root / "train" / "frog" / "0012.png"
    new_pixels = torch.full((3, 32, 32), 7, dtype=torch.uint8)
    save_image(new_pixels, replaced)
    with pytest.warns(UserWarning, match=r"Rebuilding the cache folders-train\.pt: the data files"):
        after = load_split("cifar10-subset", "train", folders_root)
    index = sorted(p.name for p in (folders_root / "train").rglob("*.png")).index("0012.png")
    assert torch.equal(after.images[index], new_pixels)
    assert not torch.equal(before.images[index], new_pixels)


DAMAGED_CACHE = {
    "truncated": (cut_in_half, "it cannot be read"),
    "bit-flipped pixels": (lambda path: flip_byte(path, path.stat().st_size // 2),
                           "its contents are damaged"),
    "emptied": (lambda path: path.write_bytes(b""), "it cannot be read"),
    "from an older version": (
        lambda path: torch.save({"format": 1, "images": torch.zeros(1), "labels": []}, path),
        "it was written by another version of cifar_tutorial"),
}  # fmt: skip


@pytest.mark.parametrize("damage", DAMAGED_CACHE.values(), ids=DAMAGED_CACHE.keys())
def test_a_damaged_cache_is_named_and_rebuilt_never_trusted(damage, archive_root):
    root, written = archive_root
    load_split("cifar10-subset", "train", root)
    path = root / cache.CACHE_DIR_NAME / "official-train.pt"
    harm, reason = damage
    harm(path)
    with pytest.warns(UserWarning, match=f"Rebuilding the cache official-train.pt: {reason}"):
        rebuilt = load_split("cifar10-subset", "train", root)
    assert torch.equal(rebuilt.images, written["train"][0])
    assert torch.equal(rebuilt.labels, written["train"][1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rebuilt cache is good: read silently
        load_split("cifar10-subset", "train", root)


def crash_while_writing(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """torch.save writes part of the file, then fails (Ctrl-C, a full disk)."""

    def partial_save(obj, handle, *args, **kwargs):
        handle.write(b"PK\x03\x04 the first bytes of a cache")
        raise error

    monkeypatch.setattr(torch, "save", partial_save)


@pytest.mark.filterwarnings("ignore:Rebuilding the cache .* the data files changed")
@pytest.mark.parametrize("crash", [KeyboardInterrupt(), OSError(28, "No space left on device")])
def test_a_crash_while_rewriting_the_cache_keeps_the_old_one(folders_root, monkeypatch, crash):
    good = load_split("cifar10-subset", "test", folders_root)
    folder = folders_root / cache.CACHE_DIR_NAME
    before = (folder / "folders-test.pt").read_bytes()
    (folders_root / "test" / "dog" / "0005.png").touch()  # the copy changed: rebuild the cache
    crash_while_writing(monkeypatch, crash)
    if isinstance(crash, KeyboardInterrupt):
        with pytest.raises(KeyboardInterrupt):
            load_split("cifar10-subset", "test", folders_root)
    else:  # a cache is an optimisation: the load goes on without writing it
        with pytest.warns(UserWarning, match="Could not write the cache .*No space left"):
            assert torch.equal(
                load_split("cifar10-subset", "test", folders_root).images, good.images
            )
    monkeypatch.undo()
    assert [p.name for p in folder.iterdir()] == ["folders-test.pt"]  # no half-written file
    assert (folder / "folders-test.pt").read_bytes() == before


def test_a_crash_while_extracting_leaves_no_half_extracted_batches(archive_root, monkeypatch):
    root, written = archive_root

    def extract_then_crash(archive, folder):
        (Path(folder) / BATCHES).mkdir()
        (Path(folder) / BATCHES / "data_batch_1").write_bytes(b"\x80\x02 half")
        raise KeyboardInterrupt

    monkeypatch.setattr(official, "extract_archive", extract_then_crash)
    with pytest.raises(KeyboardInterrupt):
        load_split("cifar10-subset", "train", root)
    assert sorted(p.name for p in root.iterdir()) == [ARCHIVE]
    monkeypatch.undo()
    trust_official_files(monkeypatch, root.parent / "made", root / ARCHIVE)
    assert torch.equal(load_split("cifar10-subset", "train", root).images, written["train"][0])


def test_leftovers_of_a_killed_process_are_never_taken_for_data(tmp_path):
    """A power cut skips all clean-up: half a download and half an extraction stay on disk."""
    root = tmp_path / "data"
    (root / ".download-x1y2").mkdir(parents=True)
    (root / ".download-x1y2" / ARCHIVE).write_bytes(b"\x1f\x8b\x08 half an archive")
    (root / ".extract-a3b4" / BATCHES).mkdir(parents=True)
    (root / ".extract-a3b4" / BATCHES / "data_batch_1").write_bytes(b"\x80\x02 half a batch")
    with pytest.raises(DataUnavailableError, match="downloading is switched off"):
        load_split("cifar10-subset", "train", root, download=False)
