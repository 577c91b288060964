"""Checks of notebook 03's exercises: the loss of each image by hand, the first loss to expect
with 100 classes, one step of gradient descent by hand."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .answers import as_number, as_tensor, close
from .feedback import Feedback, NotYet, checker, not_yet, right


@checker("F.log_softmax(outputs, dim=...) gives log-probabilities; keep each image's true class.")
def per_image_losses(answer: object, outputs: torch.Tensor, labels: torch.Tensor) -> Feedback:
    """The cross-entropy of each image of the batch: shape ``(batch,)``."""
    values = as_tensor(answer, "my_losses")
    outputs, labels = outputs.detach().float().cpu(), labels.cpu()
    rows = torch.arange(len(labels))
    log_p = F.log_softmax(outputs, dim=1)
    expected = -log_p[rows, labels]
    batch, classes = outputs.shape
    if values.shape != expected.shape:
        if values.shape == outputs.shape:
            raise NotYet(
                f"you kept all {classes} log-probabilities of each image; pick the one "
                "of its true class (labels)."
            )
        if values.numel() == 1:
            if math.isclose(values.item(), expected.mean().item(), rel_tol=1e-4):
                raise NotYet(
                    "that is the batch's average, the loss above; keep one loss per "
                    f"image: shape ({batch},)."
                )
            raise NotYet(f"one number for the batch; give one loss per image: shape ({batch},).")
        if values.shape == (classes,):
            raise NotYet(
                f"shape ({batch},) expected, got ({classes},): did you sum over the "
                "batch instead of picking each image's class?"
            )
        raise NotYet(f"shape ({batch},) expected, got {tuple(values.shape)}: one loss per image.")
    if close(values, expected):
        return right(
            "their mean is exactly nn.CrossEntropyLoss; one loss per image shows which "
            "images the network gets most wrong."
        )
    mistakes = [
        (-expected, "cross-entropy is minus the log-probability: flip the sign."),
        (
            log_p.exp()[rows, labels],
            "those are probabilities; take their log (log_softmax, not softmax).",
        ),
        (
            -F.log_softmax(outputs, dim=0)[rows, labels],
            "softmax over dim=1, the classes of each image, not dim=0, the images of the batch.",
        ),
        (
            -log_p.max(dim=1).values,
            "you took each image's largest log-probability; take the "
            "one of its true class (labels).",
        ),
        (
            -outputs[rows, labels],
            "those are raw logits; turn them into log-probabilities with log_softmax first.",
        ),
        (
            -log_p.mean(dim=1),
            "you averaged over the classes; pick the true class's log-probability instead.",
        ),
    ]
    for wrong, hint in mistakes:
        if close(values, wrong):
            return not_yet(hint)
    return not_yet(
        "not the loss of each image: log-softmax over the classes, the true class's "
        "value, minus sign."
    )


@checker("a network that knows nothing gives every class the same probability.")
def first_loss(answer: object, classes: int = 100) -> Feedback:
    """The loss to expect from an untrained network over ``classes`` classes."""
    value = as_number(answer, "my_first_loss")
    if math.isclose(value, math.log(classes), rel_tol=1e-3):
        return right(
            f"ln({classes}) = {math.log(classes):.3f}: a first loss near ln(number of "
            "classes) says the set-up is sane, whatever the data set."
        )
    mistakes = [
        (math.log(10), f"that is for 10 classes; this data set has {classes}."),
        (1 / classes, "that is the probability of the right class; the loss is minus its log."),
        (math.log10(classes), "the loss uses the natural logarithm (math.log), not log10."),
        (
            -math.log(classes),
            "the log of a probability below 1 is negative, and the loss is minus it: positive.",
        ),
        (float(classes), "the loss is minus the log of the right class's probability."),
    ]
    for wrong, hint in mistakes:
        if math.isclose(value, wrong, rel_tol=1e-3):
            return not_yet(hint)
    return not_yet(
        f"with {classes} classes an untrained network gives each about 1/{classes}; "
        "the loss is minus the log of that."
    )


def _shares_memory(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


@checker("gradient descent moves a weight a small step against its gradient; lr sets the size.")
def sgd_step(answer: object, weight: torch.Tensor, gradient: torch.Tensor, lr: float) -> Feedback:
    """``answer`` is ``weight`` after one step of plain gradient descent with ``lr``."""
    if isinstance(answer, torch.Tensor) and _shares_memory(answer, weight):
        raise NotYet(
            "you changed `weight` in place, so there is nothing left to compare with: "
            "compute a new tensor (my_new_weight = ...), then rerun the cell above."
        )
    values = as_tensor(answer, "my_new_weight").double()
    if values.shape != weight.shape:
        raise NotYet(
            f"shape {tuple(weight.shape)} expected (the weight's), got {tuple(values.shape)}."
        )
    weight, gradient = weight.detach().double().cpu(), gradient.detach().double().cpu()
    step = lr * gradient
    moved = values - weight
    scale = max(step.abs().max().item(), 1e-12)

    def same(candidate: torch.Tensor, what: torch.Tensor = moved) -> bool:
        return (what - candidate).abs().max().item() <= 1e-2 * scale

    if same(-step):
        return right(
            "that is what optimizer.step() does on the first step, before momentum "
            "has any history: every weight moves lr x its gradient downhill."
        )
    mistakes = [
        (torch.zeros_like(step), "the weight did not move: take lr times its gradient off it."),
        (step, "you stepped uphill: gradient descent subtracts the gradient."),
        (-gradient, "the step is lr times the gradient; you took the whole gradient."),
    ]
    for wrong, hint in mistakes:
        if same(wrong):
            return not_yet(hint)
    if same(step, values) or same(-step, values):
        return not_yet("that is the step itself; the new weight is the old weight minus it.")
    return not_yet("not one step of gradient descent: compare with the rule above.")
