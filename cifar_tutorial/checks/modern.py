"""Checks of notebook 07's exercises: the work a smaller image saves, label smoothing's targets,
test-time augmentation with a mirror, and which idea of the ablation study matters most."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping

import torch
import torch.nn as nn
import torch.nn.functional as F

from .answers import as_number, as_tensor, close, kind
from .feedback import Feedback, NotYet, checker, not_yet, right


@checker("a convolution does the same work at every pixel; count the pixels of each size.")
def work_ratio(answer: object, small: int = 24, full: int = 32) -> Feedback:
    """``answer`` is the work of a ``small``-pixel image as a share of a ``full``-pixel one."""
    value = as_number(answer, "my_work_ratio")
    expected = (small / full) ** 2
    if math.isclose(value, expected, abs_tol=0.006):
        return right(
            f"{small}x{small} is {expected:.0%} of the pixels of {full}x{full}, so about "
            "half the work per step: most of the run costs half, and the last steps at full "
            "size tune the network to the size it is tested at."
        )
    mistakes = [
        (
            small / full,
            "that is the ratio of the sides; the work goes with the pixels, width times height.",
        ),  # fmt: skip
        ((full / small) ** 2, "the other way round: the small image's pixels over the full one's."),
        (1 - expected, "that is the share of the work saved; give the share that remains."),
        (1 - small / full, "the work goes with the pixels, width times height, not the side."),
    ]
    for wrong, hint in mistakes:
        if math.isclose(value, wrong, abs_tol=0.006):
            return not_yet(hint)
    return not_yet(f"not the pixels of {small}x{small} as a share of {full}x{full}.")


@checker("F.one_hot(labels, 10) gives the plain targets; label smoothing takes a share `s` "
         "off the true class and spreads it evenly over all 10 classes.")  # fmt: skip
def smoothed_targets(
    answer: object, labels: torch.Tensor, smoothing: float, classes: int = 10
) -> Feedback:
    """``answer`` holds, for each label, the target probabilities of label smoothing."""
    values = as_tensor(answer, "my_targets")
    labels = labels.detach().cpu().long()
    one_hot = F.one_hot(labels, classes).float()
    expected = one_hot * (1 - smoothing) + smoothing / classes
    if values.shape != expected.shape:
        if values.shape == labels.shape:
            raise NotYet(f"one row of {classes} probabilities per image is expected, shape "
                         f"{tuple(expected.shape)}; you gave one number per image.")  # fmt: skip
        raise NotYet(f"shape {tuple(expected.shape)} expected (images, classes); got "
                     f"{tuple(values.shape)}.")  # fmt: skip
    if close(values, expected, 1e-5):
        return right(
            f"the true class gets {1 - smoothing + smoothing / classes:.3g}, every other one "
            f"{smoothing / classes:.3g}: cross-entropy against these targets is exactly "
            "nn.CrossEntropyLoss(label_smoothing=...), so the network is never pushed to "
            "infinitely confident scores."
        )
    rows = values.sum(dim=1)
    mistakes = [
        (one_hot, "those are the plain targets, without smoothing: take `s` off the true class."),
        (
            one_hot * (1 - smoothing) + (1 - one_hot) * smoothing / (classes - 1),
            f"close: PyTorch spreads `s` over all {classes} classes, the true one included, "
            f"not over the {classes - 1} others.",
        ),
        (
            one_hot * smoothing + (1 - one_hot) * (1 - smoothing) / (classes - 1),
            "the true class should keep most of the probability; `s` is the small share.",
        ),
    ]
    for wrong, hint in mistakes:
        if close(values, wrong, 1e-5):
            return not_yet(hint)
    if not torch.allclose(rows, torch.ones_like(rows), atol=1e-4):
        return not_yet(
            f"each row should sum to 1, a probability distribution; yours sum to "
            f"{rows.mean():.3g}: spread the share taken off the true class over the classes."
        )
    return not_yet("not label smoothing's targets: reread how the share `s` is spread.")


@checker("flip the images left to right (the width is the last dimension), ask the network "
         "about both versions, and average the two sets of logits.")  # fmt: skip
def mirror_logits(answer: object, net: nn.Module, images: torch.Tensor) -> Feedback:
    """``answer`` is the mean of the logits of ``images`` and of their mirror images."""
    values = as_tensor(answer, "my_logits")
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            plain, mirrored = net(images).float().cpu(), net(images.flip(3)).float().cpu()
            upside_down = net(images.flip(2)).float().cpu()
    finally:
        net.train(was_training)
    expected = (plain + mirrored) / 2
    if values.shape != expected.shape:
        raise NotYet(f"shape {tuple(expected.shape)} expected, ten logits per image; got "
                     f"{tuple(values.shape)}.")  # fmt: skip
    tolerance = 2e-3
    if close(values, expected, tolerance):
        if was_training:
            raise NotYet("right numbers, but the network is now in training mode: put it "
                         "back with net.eval() before testing.")  # fmt: skip
        changed = (expected.argmax(1) != plain.argmax(1)).sum().item()
        return right(
            f"the mirror changed the answer for {changed} of these {len(images)} images: "
            "two questions about one photo, for the price of a second forward pass."
        )
    mistakes = [
        (plain, "those are the logits of the images as they are; add their mirror images."),
        (mirrored, "those are the mirror images' logits alone; average them with the originals'."),
        (plain + mirrored, "that is the sum of the two; the average divides it by 2."),
        (
            (plain + upside_down) / 2,
            "flip(2) turns the images upside down; a mirror flips left to right, the last "
            "dimension (flip(3) or flip(-1)).",
        ),
        (
            (plain.softmax(1) + mirrored.softmax(1)) / 2,
            "you averaged probabilities; average the logits, the scores before softmax.",
        ),
    ]
    for wrong, hint in mistakes:
        if close(values, wrong, tolerance):
            return not_yet(hint)
    if was_training:
        return not_yet("the network was in training mode: batch normalization then uses each "
                       "batch's own statistics. Call net.eval() first.")  # fmt: skip
    return not_yet("not the average of the logits of the images and of their mirror images.")


@checker("each value of ablation_results is a run without one idea: the lower its accuracy, "
         "the more that idea was worth.")  # fmt: skip
def most_important_idea(answer: object, results: Mapping[str, object]) -> Feedback:
    """``answer`` names the idea whose removal lowered the test accuracy most."""
    if not results:
        raise NotYet("the ablation study did not run (ablation = False): set ablation = True "
                     "and run the notebook again to answer.")  # fmt: skip
    if not isinstance(answer, str):
        raise NotYet(f"my_idea should be the idea's name, a str such as 'lookahead'; it is "
                     f"{kind(answer)}.")  # fmt: skip
    if answer not in results:
        raise NotYet(f"{answer!r} is not one of the ideas: {', '.join(map(repr, results))}.")
    accuracy = {idea: result.accuracy for idea, result in results.items()}
    seconds = {idea: result.seconds for idea, result in results.items()}
    lowest = min(accuracy.values())
    if accuracy[answer] <= lowest + 0.001:  # ties within a tenth of a point count alike
        return right(
            f"without {answer} the short run reached only {accuracy[answer]:.1%}. A longer run "
            "can rank the ideas differently: augmentation, for one, is worth more the longer "
            "the training."
        )
    if accuracy[answer] == max(accuracy.values()):
        raise NotYet("without that idea the run did best: it mattered least (here, it even "
                     "cost accuracy). Look for the lowest accuracy.")  # fmt: skip
    typical = statistics.median(seconds.values())
    if answer == max(seconds, key=lambda idea: abs(seconds[idea] - typical)):
        raise NotYet("that idea's worth is mostly time (look at the seconds); the question is "
                     "about accuracy.")  # fmt: skip
    return not_yet(f"without {answer} the run still reached {accuracy[answer]:.1%}; removing "
                   "another idea cost more.")  # fmt: skip
