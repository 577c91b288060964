"""Checks of notebook 01's exercises: one pixel through the transforms, a test loader, a
transform with the measured statistics."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch.utils.data import DataLoader, Dataset, RandomSampler
from torchvision import transforms

from .answers import as_number, kind
from .feedback import Feedback, NotYet, checker, not_yet, right


def _near(value: float, target: float) -> bool:
    return abs(value - target) <= 1e-3 * max(1.0, abs(target))


@checker("ToTensor divides by 255, then Normalize computes (x - mean) / std with 0.5 and 0.5.")
def pixel_value(answer: object, pixel: int = 51) -> Feedback:
    """``answer`` is what a red value ``pixel`` (0-255) becomes after ToTensor and
    Normalize(0.5, 0.5)."""
    value = as_number(answer, "my_value")
    scaled = pixel / 255
    mistakes = [
        ((pixel - 0.5) / 0.5, "ToTensor divides by 255 first: start from a value in [0, 1]."),
        (scaled, "that is the value after ToTensor; Normalize comes next: (x - mean) / std."),
        (scaled - 0.5, "you subtracted the mean; now divide by the std, 0.5."),
        ((scaled - 0.5) * 0.5, "Normalize divides by the std; you multiplied by it."),
        (scaled / 0.5 - 0.5, "subtract the mean first, then divide the difference by the std."),
        ((0.5 - scaled) / 0.5, "the sign is flipped: (x - mean) / std, pixel value minus mean."),
    ]
    if _near(value, (scaled - 0.5) / 0.5):
        return right(
            "every pixel now lies in [-1, 1], centred on 0: the small numbers a "
            "network learns from best."
        )
    for wrong, hint in mistakes:
        if _near(value, wrong):
            return not_yet(hint)
    if not -1 <= value <= 1:
        return not_yet(f"{value:g} is outside [-1, 1], where Normalize(0.5, 0.5) puts every pixel.")
    return not_yet("not quite: divide by 255, subtract 0.5, divide by 0.5, in that order.")


@checker("DataLoader(the test set, batch_size=..., shuffle=...), like testloader above.")
def test_loader(answer: object, testset: Dataset, trainset: Dataset | None = None) -> Feedback:
    """``answer`` serves ``testset`` in batches of 8, always in the same order."""
    if isinstance(answer, Dataset):
        raise NotYet("that is a dataset; wrap it in DataLoader(...) to get batches.")
    if not isinstance(answer, DataLoader):
        raise NotYet(f"my_testloader should be a DataLoader; it is {kind(answer)}.")
    if answer.dataset is not testset:
        if trainset is not None and answer.dataset is trainset:
            raise NotYet("it draws from the training set; the test set is kept apart for testing.")
        raise NotYet("it serves another dataset; give it testset.")
    if answer.batch_size != 8:
        raise NotYet(f"its batches hold {answer.batch_size} images; the exercise asks for 8.")
    if isinstance(answer.sampler, RandomSampler):
        raise NotYet(
            "it shuffles; a test needs no shuffling (shuffle=False), so that two runs "
            "see the images in the same order."
        )
    images, labels = next(iter(answer))
    return right(
        f"batches of {tuple(images.shape)} images and {tuple(labels.shape)} labels, always in "
        "the same order: how a test set is served, so that two runs compare image by image."
    )


@checker("transforms.Compose([...]) with ToTensor, then Normalize with the measured mean and std.")
def transform(
    answer: object, photo: object, mean: Sequence[float], std: Sequence[float]
) -> Feedback:
    """``answer`` turns ``photo`` into a tensor normalized with the measured ``mean`` and
    ``std``: each channel centred at 0 with spread 1 over the training set."""
    if not callable(answer):
        raise NotYet(f"my_transform should be a transform you can call; it is {kind(answer)}.")
    try:
        values = answer(photo)
    except TypeError as error:
        if "Tensor" in str(error):
            raise NotYet("Normalize needs a tensor: ToTensor must come first.") from None
        raise
    if not isinstance(values, torch.Tensor):
        raise NotYet(
            f"your transform returns {kind(values)}; ToTensor turns a photo into a tensor."
        )
    if not values.is_floating_point():
        raise NotYet(
            f"your tensor holds {values.dtype} from 0 to 255; ToTensor (not "
            "PILToTensor) makes floats in [0, 1]."
        )
    tensor = transforms.ToTensor()(photo)
    expected = transforms.Normalize(mean, std)(tensor)
    if values.shape != expected.shape:
        raise NotYet(f"shape {tuple(expected.shape)} expected, got {tuple(values.shape)}.")
    mistakes: list[tuple[Callable[[], torch.Tensor], str]] = [
        (lambda: tensor, "values from 0 to 1: Normalize is missing."),
        (
            lambda: transforms.Normalize((0.5,) * 3, (0.5,) * 3)(tensor),
            "that is the tutorial's Normalize(0.5, 0.5); use the measured mean and std.",
        ),
        (
            lambda: transforms.Normalize(std, mean)(tensor),
            "mean and std are swapped: Normalize takes the mean first.",
        ),
    ]
    if torch.allclose(values, expected, atol=1e-5):
        return right(
            "each channel of the training set is now centred at 0 with spread 1, "
            "the refinement most modern recipes use."
        )
    for wrong, hint in mistakes:
        if torch.allclose(values, wrong(), atol=1e-5):
            return not_yet(hint)
    return not_yet(
        "the values differ from what the measured statistics give: check the "
        "arguments of each step."
    )
