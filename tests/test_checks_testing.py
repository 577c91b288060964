"""Notebook 05's checkers: the right answer, and each typical mistake with its own hint."""

from __future__ import annotations

import pytest
import torch
from check_hints import assert_hints

from cifar_tutorial.checks import testing as check
from cifar_tutorial.data import CLASSES
from cifar_tutorial.metrics import confusion_matrix


@pytest.fixture(scope="module")
def outputs() -> tuple[torch.Tensor, torch.Tensor]:
    """Probabilities of 200 images over 10 classes, right about half the time."""
    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(200) % 10
    logits = torch.randn(200, 10, generator=generator)
    logits[torch.arange(200), labels] += 1.5 * torch.rand(200, generator=generator)
    return logits.softmax(dim=1), labels


def test_accuracy_right_and_its_mistakes(outputs):
    probabilities, labels = outputs
    predicted = probabilities.argmax(dim=1)
    share = (predicted == labels).float().mean()
    feedback = check.accuracy(share, probabilities, labels)
    assert feedback.right and f"{share.item():.2%}" in feedback.message
    assert check.accuracy(share.item(), probabilities.log(), labels).right  # logits work too
    assert 0.2 < share < 0.8
    assert_hints(
        lambda answer: check.accuracy(answer, probabilities, labels),
        {
            "that is a percentage": 100 * share,
            "the number of right answers; divide by 200": (predicted == labels).sum(),
            "the share of wrong answers": 1 - share,
            "average confidence": probabilities.max(dim=1).values.mean(),
            "between 0 and 1": 3.5,
            "whose predicted class is their label": share.item() + 0.01,
            "should be a number; it is a tensor of shape (200,)": predicted == labels,
        },
    )


def test_per_class_accuracy_right_and_its_mistakes(outputs):
    probabilities, labels = outputs
    predicted = probabilities.argmax(dim=1)
    matrix = confusion_matrix(predicted, labels)
    expected = matrix.diagonal() / matrix.sum(dim=1)
    feedback = check.per_class_accuracy(expected, predicted, labels)
    assert feedback.right and "the overall accuracy averages" in feedback.message
    hits = matrix.diagonal().float()
    share = (predicted == labels).float().mean()
    assert_hints(
        lambda answer: check.per_class_accuracy(answer, predicted, labels),
        {
            "percentages": 100 * expected,
            "counts of right answers": hits,
            "precision, not accuracy per class": hits / matrix.sum(dim=0),
            "divided by all the test images": hits / 200,
            "shares of wrong answers": 1 - expected,
            "the overall accuracy for every class": torch.full((10,), share.item()),
            "one number for all the classes": (predicted == labels).float().mean(),
            "a whole matrix": matrix.float() / 20,
            "shape (10,) expected": torch.ones(5),
            "count, class by class": expected.flip(0),
            "holds torch.int64": matrix.diagonal(),
        },
    )


@pytest.fixture(scope="module")
def matrix() -> torch.Tensor:
    """A confusion matrix where cats go to dogs most, and frogs are most often taken for cats."""
    counts = torch.eye(10, dtype=torch.long) * 50
    cat, dog, frog, bird, truck = (
        CLASSES.index(name) for name in ("cat", "dog", "frog", "bird", "truck")
    )
    counts[cat, dog], counts[cat, bird], counts[cat, truck] = 20, 8, 1
    counts[cat, [0, 1, 4, 6, 7, 8]] = 3
    counts[frog, cat] = 30
    return counts


def test_most_confused_with_right_and_its_mistakes(matrix):
    feedback = check.most_confused_with("dog", matrix, "cat", CLASSES)
    assert feedback.right and "20 cat photos were taken for dogs" in feedback.message
    assert_hints(
        lambda answer: check.most_confused_with(answer, matrix, "cat", CLASSES),
        {
            "read the row of cat": "frog",
            "the diagonal counts the right answers": "cat",
            "least* often": "truck",
            "8 cat photos were taken for birds; another class got more": "bird",
            "rather than its number": 5,
            "not one of the classes": "kitten",
            "should be a class name": None,
        },
    )
