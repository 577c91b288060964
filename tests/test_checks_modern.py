"""Notebook 07's checkers: the right answer, and each typical mistake with its own hint."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from check_hints import assert_hints

from cifar_tutorial.checks import modern as check
from cifar_tutorial.modern import FastNet


def test_work_ratio_right_and_its_mistakes():
    feedback = check.work_ratio(24**2 / 32**2)
    assert feedback.right and "56% of the pixels" in feedback.message
    assert check.work_ratio(0.56).right
    assert_hints(
        check.work_ratio,
        {
            "the ratio of the sides": 0.75,
            "the other way round": 32**2 / 24**2,
            "the share of the work saved": 1 - 24**2 / 32**2,
            "not the side": 0.25,
            "not the pixels of 24x24": 0.9,
            "should be a number": "half",
        },
    )


LABELS = torch.tensor([3, 0, 9, 3, 5])


def test_smoothed_targets_right_and_equal_to_the_builtin_loss():
    targets = F.one_hot(LABELS, 10).float() * 0.9 + 0.01
    feedback = check.smoothed_targets(targets, LABELS, 0.1)
    assert feedback.right and "the true class gets 0.91, every other one 0.01" in feedback.message
    logits = torch.randn(5, 10, generator=torch.Generator().manual_seed(0))
    by_hand = -(targets * F.log_softmax(logits, dim=1)).sum(dim=1).mean()
    assert torch.isclose(by_hand, F.cross_entropy(logits, LABELS, label_smoothing=0.1))


def test_smoothed_targets_mistakes():
    one_hot = F.one_hot(LABELS, 10).float()
    assert_hints(
        lambda answer: check.smoothed_targets(answer, LABELS, 0.1),
        {
            "without smoothing": one_hot,
            "spreads `s` over all 10 classes": one_hot * 0.9 + (1 - one_hot) * 0.1 / 9,
            "should keep most of the probability": one_hot * 0.1 + (1 - one_hot) * 0.9 / 9,
            "yours sum to 0.9:": one_hot * 0.9,
            "one number per image": LABELS.float(),
            "shape (5, 10) expected": torch.ones(10, 5) / 10,
            "yours sum to 2": torch.full((5, 10), 0.2),
            "reread how the share": one_hot * 0.5 + 0.05,
            "holds torch.int64": one_hot.long(),
        },
    )


@pytest.fixture(scope="module")
def trained_a_little() -> tuple[FastNet, torch.Tensor]:
    """A FastNet whose batch norms have seen a batch, and four images to ask it about."""
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    net = FastNet((8, 16, 16))
    net.train()
    net(torch.randn(16, 3, 32, 32, generator=generator))
    net.eval()
    return net, torch.randn(4, 3, 32, 32, generator=generator)


def test_mirror_logits_right_and_its_mistakes(trained_a_little):
    net, images = trained_a_little
    with torch.no_grad():
        plain, mirrored = net(images), net(images.flip(-1))
        upside_down = net(images.flip(2))
    feedback = check.mirror_logits((plain + mirrored) / 2, net, images)
    assert feedback.right and "of these 4 images" in feedback.message
    assert not net.training
    assert_hints(
        lambda answer: check.mirror_logits(answer, net, images),
        {
            "as they are; add their mirror": plain,
            "mirror images' logits alone": mirrored,
            "the sum of the two": plain + mirrored,
            "upside down": (plain + upside_down) / 2,
            "you averaged probabilities": (plain.softmax(1) + mirrored.softmax(1)) / 2,
            "shape (4, 10) expected": plain[0],
            "not the average of the logits": plain * 3,
        },
    )


def test_mirror_logits_notices_training_mode(trained_a_little):
    net, images = trained_a_little
    with torch.no_grad():
        expected = (net(images) + net(images.flip(3))) / 2
    net.train()
    try:
        wrong_mode = check.mirror_logits(expected, net, images)
        assert "net.eval()" in wrong_mode.message and not wrong_mode.right
        assert net.training  # the check put the network back in the mode it found it in
        with torch.no_grad():
            in_training = (net(images) + net(images.flip(3))) / 2
        assert (
            "training mode: batch normalization"
            in check.mirror_logits(in_training, net, images).message
        )
    finally:
        net.eval()


def result(accuracy: float, seconds: float) -> SimpleNamespace:
    return SimpleNamespace(accuracy=accuracy, seconds=seconds)


ABLATION = {
    "progressive resizing": result(0.6486, 28),
    "random flips": result(0.6261, 22),
    "whitening layer": result(0.5401, 24),
    "warm-up and decay": result(0.5978, 23),
    "lookahead": result(0.6346, 23),
    "channels_last": result(0.6347, 36),
}


def test_most_important_idea_right_and_its_mistakes():
    feedback = check.most_important_idea("whitening layer", ABLATION)
    assert feedback.right and "reached only 54.0%" in feedback.message
    tie = {**ABLATION, "label smoothing": result(0.5405, 23)}
    assert check.most_important_idea("label smoothing", tie).right
    assert_hints(
        lambda answer: check.most_important_idea(answer, ABLATION),
        {
            "it mattered least": "progressive resizing",
            "mostly time": "channels_last",
            "still reached 59.8%; removing another idea cost more": "warm-up and decay",
            "is not one of the ideas": "batch norm",
            "should be the idea's name": 3,
        },
    )
    assert "ablation = False" in check.most_important_idea("lookahead", {}).message
