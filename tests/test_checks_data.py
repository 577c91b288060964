"""Notebook 01's checkers: the right answer, and each typical mistake with its own hint."""

from __future__ import annotations

import pytest
import torch
from check_hints import assert_hints
from PIL import Image
from torch.utils.data import DataLoader, TensorDataset
from torchvision import transforms

from cifar_tutorial.checks import data as check

MEAN, STD = (0.491, 0.482, 0.447), (0.247, 0.243, 0.261)


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    pixels = torch.arange(32 * 32 * 3, dtype=torch.int64).remainder(256).to(torch.uint8)
    return Image.fromarray(pixels.reshape(32, 32, 3).numpy(), mode="RGB")


def test_pixel_value_right_and_its_mistakes():
    assert check.pixel_value((51 / 255 - 0.5) / 0.5).right
    assert check.pixel_value(torch.tensor(-0.6)).right
    assert_hints(
        check.pixel_value,
        {
            "ToTensor divides by 255 first": (51 - 0.5) / 0.5,
            "the value after ToTensor": 51 / 255,
            "now divide by the std": 51 / 255 - 0.5,
            "you multiplied by it": (51 / 255 - 0.5) * 0.5,
            "subtract the mean first": 51 / 255 / 0.5 - 0.5,
            "the sign is flipped": (0.5 - 51 / 255) / 0.5,
            "outside [-1, 1]": 3.0,
            "in that order": 0.9,
            "should be a number; it is a str": "-0.6",
        },
    )
    assert "Hint: ToTensor divides by 255" in check.pixel_value(...).message


def test_test_loader_right_and_its_mistakes():
    testset = TensorDataset(torch.zeros(20, 3, 32, 32), torch.zeros(20, dtype=torch.int64))
    trainset = TensorDataset(torch.zeros(40, 3, 32, 32), torch.zeros(40, dtype=torch.int64))
    right = check.test_loader(DataLoader(testset, batch_size=8, shuffle=False), testset, trainset)
    assert right.right and "(8, 3, 32, 32)" in right.message
    assert_hints(
        lambda answer: check.test_loader(answer, testset, trainset),
        {
            "draws from the training set": DataLoader(trainset, batch_size=8),
            "batches hold 4 images": DataLoader(testset, batch_size=4),
            "it shuffles": DataLoader(testset, batch_size=8, shuffle=True),
            "that is a dataset; wrap it in DataLoader": testset,
            "should be a DataLoader; it is a list": [testset],
            "serves another dataset": DataLoader(TensorDataset(torch.zeros(8, 1)), batch_size=8),
        },
    )


def test_transform_right_and_its_mistakes(photo):
    mine = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    feedback = check.transform(mine, photo, MEAN, STD)
    assert feedback.right and "centred at 0 with spread 1" in feedback.message
    assert_hints(
        lambda answer: check.transform(answer, photo, MEAN, STD),
        {
            "Normalize is missing": transforms.ToTensor(),
            "the tutorial's Normalize(0.5, 0.5)": transforms.Compose(
                [transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)]
            ),
            "mean and std are swapped": transforms.Compose(
                [transforms.ToTensor(), transforms.Normalize(STD, MEAN)]
            ),
            "ToTensor must come first": transforms.Compose(
                [transforms.Normalize(MEAN, STD), transforms.ToTensor()]
            ),
            "not PILToTensor": transforms.PILToTensor(),
            "returns a Image; ToTensor turns": transforms.Compose([transforms.CenterCrop(32)]),
            "shape (3, 32, 32) expected, got (3, 16, 16)": transforms.Compose(
                [transforms.Resize(16), transforms.ToTensor(), transforms.Normalize(MEAN, STD)]
            ),
            "check the arguments of each step": transforms.Compose(
                [transforms.ToTensor(), transforms.Normalize(MEAN, (1.0, 1.0, 1.0))]
            ),
            "should be a transform you can call": "ToTensor",
        },
    )


def test_transform_that_fails_says_so_in_one_line(photo):
    feedback = check.transform(lambda image: image.no_such_method(), photo, MEAN, STD)
    assert str(feedback).startswith("Not yet: your answer raised AttributeError: ")
    assert "\n" not in str(feedback)
