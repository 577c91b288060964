"""Notebook 03's checkers: the right answer, and each typical mistake with its own hint."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from check_hints import assert_hints

from cifar_tutorial.checks import loss as check


@pytest.fixture(scope="module")
def batch() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    outputs = torch.randn(4, 10, generator=generator, requires_grad=True)
    return outputs, torch.tensor([3, 0, 9, 3])


def test_per_image_losses_right_and_its_mistakes(batch):
    outputs, labels = batch
    rows = torch.arange(4)
    log_p = F.log_softmax(outputs, dim=1)
    feedback = check.per_image_losses(-log_p[rows, labels], outputs, labels)
    assert feedback.right and "nn.CrossEntropyLoss" in feedback.message
    assert check.per_image_losses(F.cross_entropy(outputs, labels, reduction="none"), *batch).right
    assert_hints(
        lambda answer: check.per_image_losses(answer, outputs, labels),
        {
            "flip the sign": log_p[rows, labels],
            "take their log": log_p.exp()[rows, labels],
            "not dim=0": -F.log_softmax(outputs, dim=0)[rows, labels],
            "largest log-probability": -log_p.max(dim=1).values,
            "raw logits": -outputs[rows, labels],
            "you averaged over the classes": -log_p.mean(dim=1),
            "you kept all 10 log-probabilities": -log_p,
            "that is the batch's average": F.cross_entropy(outputs, labels),
            "one number for the batch": torch.tensor(1.0),
            "shape (4,) expected, got (10,): did you sum over the batch": -log_p.sum(dim=0),
            "shape (4,) expected, got (2, 2)": torch.ones(2, 2),
            "minus sign": torch.ones(4),
            "holds torch.int64": labels,
            "should be a tensor; it is a list": [1.0, 2.0, 3.0, 4.0],
        },
    )


def test_first_loss_right_and_its_mistakes():
    feedback = check.first_loss(math.log(100))
    assert feedback.right and "ln(100) = 4.605" in feedback.message
    assert check.first_loss(4.605).right and check.first_loss(math.log(10), classes=10).right
    assert_hints(
        check.first_loss,
        {
            "that is for 10 classes": math.log(10),
            "the loss is minus its log": 0.01,
            "not log10": 2,
            "minus it: positive": -math.log(100),
            "minus the log of the right class's probability": 100,
            "gives each about 1/100": 3,
        },
    )


@pytest.fixture()
def step() -> tuple[torch.Tensor, torch.Tensor, float]:
    generator = torch.Generator().manual_seed(1)
    weight = torch.randn(10, 84, generator=generator) * 0.1
    return weight, torch.randn(10, 84, generator=generator) * 0.01, 0.001


def test_sgd_step_right_and_equal_to_the_optimizer_first_step(step):
    weight, gradient, lr = step
    feedback = check.sgd_step(weight - lr * gradient, weight, gradient, lr)
    assert feedback.right and "optimizer.step()" in feedback.message
    parameter = torch.nn.Parameter(weight.clone())
    parameter.grad = gradient.clone()
    torch.optim.SGD([parameter], lr=lr, momentum=0.9).step()
    assert check.sgd_step(parameter.detach().clone(), weight, gradient, lr).right


def test_sgd_step_mistakes(step):
    weight, gradient, lr = step
    assert_hints(
        lambda answer: check.sgd_step(answer, weight, gradient, lr),
        {
            "the weight did not move": weight.clone(),
            "you stepped uphill": weight + lr * gradient,
            "you took the whole gradient": weight - gradient,
            "that is the step itself": lr * gradient,
            "compare with the rule above": weight - 2 * lr * gradient,
            "shape (10, 84) expected (the weight's), got (84, 10)": (weight - lr * gradient).T,
            "should be a tensor; it is a float": 0.5,
        },
    )
    assert "you changed `weight` in place" in check.sgd_step(weight, weight, gradient, lr).message
