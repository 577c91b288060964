"""The fast path: batches by indexing, normalized like ToTensor + Normalize, seeded per epoch."""

from __future__ import annotations

import pytest
import torch
from tiny_cifar import random_images
from torchvision import transforms
from torchvision.transforms.functional import to_pil_image

from cifar_tutorial.data import FastLoader, ImageSet, reference_transform
from cifar_tutorial.errors import ParameterError


def tiny_set(count: int = 10) -> ImageSet:
    return ImageSet(random_images(count), torch.arange(count), "train", "random test images")


@pytest.mark.parametrize(
    ("batch_size", "drop_last", "sizes"),
    [(4, False, [4, 4, 2]), (4, True, [4, 4]), (5, False, [5, 5]), (5, True, [5, 5]),
     (10, True, [10]), (64, False, [10])],
)  # fmt: skip
def test_batch_counts_and_sizes(batch_size, drop_last, sizes):
    loader = FastLoader(tiny_set(), batch_size, drop_last=drop_last)
    assert len(loader) == len(sizes)
    assert [len(labels) for _, labels in loader] == sizes


def test_without_shuffle_the_order_is_kept_and_every_image_served_once():
    data = tiny_set()
    got = torch.cat([labels for _, labels in FastLoader(data, 3)])
    assert torch.equal(got, data.labels)


def test_batches_are_normalized_exactly_like_totensor_and_normalize():
    data = tiny_set(6)
    images, _ = next(iter(FastLoader(data, 6)))
    assert images.dtype == torch.float32 and images.shape == (6, 3, 32, 32)
    classic = torch.stack([reference_transform()(to_pil_image(image)) for image in data.images])
    assert torch.allclose(images, classic, atol=1e-6)
    mean, std = (0.49, 0.48, 0.45), (0.25, 0.24, 0.26)
    measured, _ = next(iter(FastLoader(data, 6, mean=mean, std=std)))
    normalize = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])
    expected = torch.stack([normalize(to_pil_image(image)) for image in data.images])
    assert torch.allclose(measured, expected, atol=1e-5)


def test_shuffling_is_a_permutation_fixed_by_seed_and_epoch():
    data = tiny_set(50)

    def order(seed: int, epoch: int) -> list[int]:
        loader = FastLoader(data, 8, shuffle=True, seed=seed)
        loader.set_epoch(epoch)
        return torch.cat([labels for _, labels in loader]).tolist()

    assert sorted(order(0, 0)) == list(range(50))
    assert order(0, 0) == order(0, 0) and order(3, 2) == order(3, 2)
    assert order(0, 0) != order(0, 1)  # a new order every epoch
    assert order(0, 0) != order(1, 0)  # another seed, another order
    assert order(0, 1) != order(1, 0)  # seeds are not the same sequence shifted by an epoch

    loader = FastLoader(data, 8, shuffle=True, seed=0)
    epochs = [torch.cat([labels for _, labels in loader]).tolist() for _ in range(3)]
    assert epochs == [order(0, 0), order(0, 1), order(0, 2)]  # resuming at epoch 2 matches


def test_flip_mirrors_some_images_and_leaves_the_others():
    data = tiny_set(64)
    plain, _ = next(iter(FastLoader(data, 64)))
    flipped, _ = next(iter(FastLoader(data, 64, flip=True, seed=1)))
    assert flipped.shape == plain.shape
    mirrored = [torch.equal(f, p.flip(2)) for f, p in zip(flipped, plain, strict=True)]
    kept = [torch.equal(f, p) for f, p in zip(flipped, plain, strict=True)]
    assert all(m or k for m, k in zip(mirrored, kept, strict=True))
    assert 10 < sum(mirrored) < 54


def test_translate_shifts_each_image_keeping_its_pixels():
    data, pixels = tiny_set(16), 2
    plain, _ = next(iter(FastLoader(data, 16)))
    shifted, labels = next(iter(FastLoader(data, 16, translate=pixels, seed=5)))
    assert shifted.shape == plain.shape and torch.equal(labels, data.labels)
    padded = torch.nn.functional.pad(plain, (pixels,) * 4, mode="reflect")
    offsets = []
    for image, source in zip(shifted, padded, strict=True):
        found = [
            (dy, dx)
            for dy in range(2 * pixels + 1)
            for dx in range(2 * pixels + 1)
            if torch.equal(image, source[:, dy : dy + 32, dx : dx + 32])
        ]
        assert found, "a translated image is not a crop of its reflected-padded original"
        offsets.append(found[0])
    assert len(set(offsets)) > 1  # images are shifted independently


def test_augmentation_is_repeatable_per_seed_and_epoch():
    data = tiny_set(32)

    def first_batch(seed: int, epoch: int) -> torch.Tensor:
        loader = FastLoader(data, 32, shuffle=True, flip=True, translate=4, seed=seed)
        loader.set_epoch(epoch)
        return next(iter(loader))[0]

    assert torch.equal(first_batch(7, 3), first_batch(7, 3))
    assert not torch.equal(first_batch(7, 3), first_batch(7, 4))


def test_the_images_live_on_the_requested_device():
    loader = FastLoader(tiny_set(), 4, device="cpu")
    images, labels = next(iter(loader))
    assert images.device.type == labels.device.type == "cpu"
    assert loader.dataset.source == "random test images"


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"batch_size": 0}, "batch_size=0"),
        ({"batch_size": 11, "drop_last": True}, "batch_size=11"),
        ({"batch_size": "many"}, "batch_size='many'"),
        ({"batch_size": 4, "translate": 17}, "translate=17"),
        ({"batch_size": 4, "seed": -1}, "seed=-1"),
        ({"batch_size": 4, "shuffle": "maybe"}, "shuffle='maybe'"),
    ],
)
def test_bad_options_are_refused_by_name(options, named):
    with pytest.raises(ParameterError, match=named):
        FastLoader(tiny_set(), **options)


def test_numbers_given_as_text_are_accepted():
    loader = FastLoader(tiny_set(), "4", shuffle="true", seed="3")
    assert (loader.batch_size, loader.shuffle, loader.seed) == (4, True, 3)


def test_spread_takes_images_evenly_from_every_class():
    labels = torch.arange(10).repeat_interleave(100)  # stored class by class
    data = ImageSet(random_images(1000), labels, "test", "random")
    picked = data.spread(300)
    assert len(picked) == 300 and set(picked.class_counts().values()) == {30}
    assert torch.equal(picked.images[1], data.images[3])  # every third image, in order
    assert len(data.spread(5000)) == 1000  # never more than there are
