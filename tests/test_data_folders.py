"""CIFAR-10 as class folders (PNG or JPEG), and the refusal of a wrong or partial tree."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from PIL import Image
from tiny_cifar import reference_normalize, save_image, write_class_folders
from torchvision.datasets import ImageFolder

from cifar_tutorial.course.doctor import describe_sources
from cifar_tutorial.data import CLASSES, FastLoader, classic_dataset, load_split
from cifar_tutorial.errors import DataCorruptError, DataUnavailableError


@pytest.fixture
def png_root(tmp_path):
    root = tmp_path / "folders"
    return root, write_class_folders(root, suffix=".png")


def test_png_folders_load_with_exact_pixels_in_label_order(png_root):
    root, written = png_root
    for split in ("train", "test"):
        data = load_split("cifar10-subset", split, root)
        images, labels = written[split]
        assert torch.equal(data.images, images)
        assert torch.equal(data.labels, labels)
        assert data.classes == CLASSES
        assert "class folders" in data.summary()
    assert load_split("cifar10-subset", "train", root).class_counts() == dict.fromkeys(CLASSES, 3)


def test_jpeg_folders_decode_like_pillow(tmp_path):
    root = tmp_path / "jpeg"
    write_class_folders(root, {"train": 2, "test": 1}, suffix=".jpg")
    data = load_split("cifar10-subset", "train", root)
    assert data.images.shape == (20, 3, 32, 32) and data.images.dtype == torch.uint8
    first = np.array(Image.open(root / "train" / "airplane" / "0000.jpg").convert("RGB"))
    assert torch.equal(data.images[0], torch.from_numpy(first).permute(2, 0, 1))


def test_classic_path_is_image_folder_with_the_same_pixels_as_the_fast_path(png_root):
    root, written = png_root
    dataset = classic_dataset("cifar10-subset", "test", root)
    assert isinstance(dataset, ImageFolder)
    assert tuple(dataset.classes) == CLASSES and len(dataset) == 20
    fast = next(iter(FastLoader(load_split("cifar10-subset", "test", root), batch_size=20)))
    for index in (0, 7, 19):
        image, label = dataset[index]
        assert label == int(written["test"][1][index]) == int(fast[1][index])
        assert torch.allclose(image, fast[0][index], atol=1e-6)
        assert torch.allclose(image, reference_normalize(written["test"][0][index]), atol=1e-6)


def test_other_files_beside_the_images_are_ignored(png_root):
    root, _ = png_root
    (root / "train" / "cat" / ".DS_Store").write_bytes(b"\0\1")
    (root / "train" / "cat" / "notes.txt").write_text("not an image")
    assert len(load_split("cifar10-subset", "train", root)) == 30


@pytest.mark.parametrize(
    ("damage", "named"),
    [
        (lambda root: shutil.rmtree(root / "train" / "cat"), "train/ lacks class folders cat"),
        (lambda root: shutil.rmtree(root / "test"), "folder test/ is missing"),
        (lambda root: (root / "test" / "kangaroo").mkdir(), "not CIFAR-10 classes: kangaroo"),
        (
            lambda root: [p.unlink() for p in (root / "test" / "ship").iterdir()],
            "test/ has empty class folders ship",
        ),
    ],
    ids=["missing-class", "missing-split", "extra-class", "empty-class"],
)
def test_a_wrong_or_partial_tree_is_refused_naming_what_is_wrong(png_root, damage, named):
    root, _ = png_root
    damage(root)
    for load in (load_split, classic_dataset):
        with pytest.raises(DataUnavailableError) as caught:
            load("cifar10-subset", "train", root)
        assert named in str(caught.value)
        assert ", ".join(CLASSES) in str(caught.value)  # and what a good tree holds
    assert named in describe_sources(root)["cifar10"]


def test_a_tree_with_several_problems_names_them_all(tmp_path):
    root = tmp_path / "partial"
    write_class_folders(root, {"train": 1})
    shutil.rmtree(root / "train" / "frog")
    shutil.rmtree(root / "train" / "horse")
    with pytest.raises(DataUnavailableError) as caught:
        load_split("cifar10-subset", "train", root)
    message = str(caught.value)
    assert "train/ lacks class folders frog, horse" in message
    assert "folder test/ is missing" in message


def test_an_unreadable_image_is_named(png_root):
    root, _ = png_root
    broken = root / "train" / "dog" / "0001.png"
    broken.write_bytes(b"\x89PNG but then nothing")
    with pytest.raises(DataCorruptError, match="0001.png is not a readable image"):
        load_split("cifar10-subset", "train", root)


def test_an_image_of_the_wrong_size_is_named(png_root):
    root, _ = png_root
    big = torch.zeros(3, 64, 48, dtype=torch.uint8)
    save_image(big, root / "test" / "deer" / "0000.png")
    with pytest.raises(DataCorruptError, match=r"0000.png is 48x64 pixels"):
        load_split("cifar10-subset", "test", root)


def test_grey_and_rgba_images_are_read_as_rgb(png_root):
    root, _ = png_root
    Image.new("L", (32, 32), 200).save(root / "test" / "bird" / "0000.png")
    Image.new("RGBA", (32, 32), (10, 20, 30, 128)).save(root / "test" / "bird" / "0001.png")
    data = load_split("cifar10-subset", "test", root)
    bird = CLASSES.index("bird")
    first, second = data.images[data.labels == bird][:2]
    assert torch.equal(first, torch.full((3, 32, 32), 200, dtype=torch.uint8))
    assert first.shape == second.shape == (3, 32, 32)
    assert second[:, 0, 0].tolist() == [10, 20, 30]
