"""Checks of notebook 05's exercises: accuracy from the network's outputs, accuracy per class,
and reading the confusion matrix."""

from __future__ import annotations

import math

import torch

from ..data import CLASSES
from .answers import as_number, as_tensor, close, kind
from .feedback import Feedback, NotYet, checker, not_yet, right


def _labels(labels: torch.Tensor) -> torch.Tensor:
    return labels.detach().cpu().long()


@checker("the predicted class is the most probable one (argmax over the classes); compare it "
         "with labels and take the share that agree.")  # fmt: skip
def accuracy(answer: object, outputs: torch.Tensor, labels: torch.Tensor) -> Feedback:
    """``answer`` is the share of images whose most probable class is the true one."""
    value = as_number(answer, "my_accuracy")
    outputs, labels = outputs.detach().float().cpu(), _labels(labels)
    right_ones = outputs.argmax(dim=1) == labels
    expected = right_ones.float().mean().item()
    if math.isclose(value, expected, abs_tol=1e-6):
        return right(
            f"{expected:.2%} of the test images: the one number everybody quotes. It hides "
            "which classes are easy and which are hard, which the next exercise shows."
        )
    total = len(labels)
    mistakes = [
        (100 * expected, "that is a percentage; give the share as a fraction from 0 to 1."),
        (float(right_ones.sum()), f"that is the number of right answers; divide by {total:,}."),
        (1 - expected, "that is the share of wrong answers; count the right ones."),
        (
            outputs.max(dim=1).values.mean().item(),
            "that is the network's average confidence (its highest probability), not how "
            "often it is right: compare the predicted class with labels.",
        ),
    ]
    for wrong, hint in mistakes:
        if math.isclose(value, wrong, rel_tol=1e-6, abs_tol=1e-9):
            return not_yet(hint)
    if not 0 <= value <= 1:
        return not_yet("an accuracy is a share of the test images: between 0 and 1.")
    return not_yet("not the share of the test images whose predicted class is their label.")


@checker("for each class c: among the test images of class c, the share predicted as c.")
def per_class_accuracy(answer: object, predicted: torch.Tensor, labels: torch.Tensor) -> Feedback:
    """``answer[c]`` is the share of the test images of class ``c`` predicted as ``c``."""
    values = as_tensor(answer, "my_class_accuracy")
    predicted, labels = _labels(predicted), _labels(labels)
    classes = int(max(labels.max(), predicted.max())) + 1
    right_ones = predicted == labels
    hits = torch.bincount(labels[right_ones], minlength=classes).float()
    per_true = torch.bincount(labels, minlength=classes).float()
    per_predicted = torch.bincount(predicted, minlength=classes).float()
    expected = hits / per_true
    if values.shape != expected.shape:
        if values.numel() == 1:
            raise NotYet(f"one number for all the classes; give one per class: shape ({classes},).")
        if values.shape == (classes, classes):
            raise NotYet(
                "that is a whole matrix; keep one number per class: the share of its "
                "images predicted right."
            )
        raise NotYet(f"shape ({classes},) expected, one per class; got {tuple(values.shape)}.")
    if close(values, expected, 1e-5):
        easiest, hardest = int(expected.argmax()), int(expected.argmin())
        names = CLASSES if classes == len(CLASSES) else [f"class {c}" for c in range(classes)]
        return right(
            f"from {expected[hardest]:.0%} for {names[hardest]} to {expected[easiest]:.0%} for "
            f"{names[easiest]}: the overall accuracy averages very different classes."
        )
    mistakes = [
        (100 * expected, "those are percentages; give shares from 0 to 1."),
        (hits, "those are counts of right answers; divide each by its class's number of images."),
        (
            hits / per_predicted.clamp(min=1),
            "you divided by how often each class was predicted; divide by how many test "
            "images of each class there are (precision, not accuracy per class).",
        ),
        (hits / len(labels), "you divided by all the test images; divide by those of each class."),
        (1 - expected, "those are the shares of wrong answers; count the right ones."),
        (
            torch.full_like(expected, right_ones.float().mean().item()),
            "that is the overall accuracy for every class; count each class on its own.",
        ),
    ]
    for wrong, hint in mistakes:
        if close(values, wrong, 1e-5):
            return not_yet(hint)
    return not_yet("not each class's share of right answers: count, class by class, then divide.")


@checker("take the row of the true class in matrix, leave out its diagonal cell (the right "
         "answers), and find its largest count.")  # fmt: skip
def most_confused_with(
    answer: object, matrix: torch.Tensor, true_class: str, classes: list[str] | tuple[str, ...]
) -> Feedback:
    """``answer`` names the class that images of ``true_class`` are most often predicted as."""
    if isinstance(answer, int) and not isinstance(answer, bool):
        raise NotYet("give the class's name, as in CLASSES, rather than its number.")
    if not isinstance(answer, str):
        raise NotYet(f"my_mixup should be a class name, a str; it is {kind(answer)}.")
    names = list(classes)
    if answer not in names:
        raise NotYet(f"{answer!r} is not one of the classes: {', '.join(names)}.")
    index = names.index(true_class)
    mistakes = matrix.detach().cpu().clone().long()
    mistakes.fill_diagonal_(-1)
    row, column = mistakes[index], mistakes[:, index]
    if answer == true_class:
        raise NotYet("the diagonal counts the right answers; look for the other class.")
    counts = int(row[names.index(answer)])
    if counts == row.max():
        return right(
            f"{counts} {true_class} photos were taken for {answer}s: such pairs share colours, "
            "backgrounds and shapes, which is what a small network goes by."
        )
    if column[names.index(answer)] == column.max():
        raise NotYet(
            f"that class is the one most often taken for a {true_class} (its column); read "
            f"the row of {true_class}, the true class, instead."
        )
    if row[names.index(answer)] == row[row >= 0].min():
        raise NotYet(f"that is the class {true_class} photos are *least* often taken for.")
    return not_yet(
        f"{counts} {true_class} photos were taken for {answer}s; another class got more."
    )
