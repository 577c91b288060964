"""Checks of notebook 04's exercises: steps per epoch, the five lines of a training step, and
which batch size trains the most images per second on the learner's machine."""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
import torch.nn as nn

from .answers import as_number, kind
from .feedback import Feedback, NotYet, checker, not_yet, right


@checker("one step per batch; the last batch may hold fewer images than the others.")
def steps_per_epoch(answer: object, images: int, batch_size: int) -> Feedback:
    """How many steps (batches) one epoch of ``images`` takes at ``batch_size``."""
    value = as_number(answer, "my_steps")
    expected = math.ceil(images / batch_size)
    if value == expected:
        return right(
            f"{images:,} images in batches of {batch_size} is {expected:,} weight updates per "
            "epoch: with batches of 4 it would be 12,500, each paying the same fixed costs."
        )
    mistakes = [
        (images // batch_size, "the last, smaller batch is a step too: round up, not down."),
        (images / batch_size, "a number of steps is a whole number: round the division up."),
        (images * batch_size, "each step takes a batch of images: divide, do not multiply."),
        (batch_size / images, "the other way round: the images divided by the batch size."),
        (float(images), "that is the number of images; each step takes a whole batch of them."),
    ]
    for wrong, hint in mistakes:
        if math.isclose(value, wrong, rel_tol=1e-9):
            return not_yet(hint)
    if expected > 0 and value % expected == 0:
        return not_yet("that counts the steps of several epochs; one epoch shows each image once.")
    return not_yet("not the number of batches in one epoch: images divided by the batch size.")


# -------------------------------------------------------------------------- the training step


class _RecordingSGD(torch.optim.SGD):
    """Plain SGD that notes when ``zero_grad`` and ``step`` are called."""

    def __init__(self, params, lr: float, events: list[str]) -> None:
        super().__init__(params, lr=lr)
        self.events = events

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.events.append("zero_grad")
        super().zero_grad(set_to_none)

    def step(self, closure=None):  # noqa: ANN001 - torch's signature
        self.events.append("step")
        return super().step(closure)


def _tiny_problem(events: list[str]) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """A small linear classifier and a batch, made without touching the global random state."""
    generator = torch.Generator().manual_seed(11)
    net = nn.Linear(8, 3)
    with torch.no_grad():
        net.weight.copy_(torch.randn(3, 8, generator=generator) * 0.3)
        net.bias.copy_(torch.randn(3, generator=generator) * 0.1)
    inputs = torch.randn(6, 8, generator=generator)
    labels = torch.tensor([0, 2, 1, 2, 0, 1])
    net.register_forward_hook(lambda *_: events.append("forward"))
    net.weight.register_post_accumulate_grad_hook(lambda _: events.append("backward"))
    return net, inputs, labels


def _first(events: list[str], name: str) -> int:
    return events.index(name) if name in events else -1


@checker(
    "def my_training_step(net, inputs, labels, criterion, optimizer): the five steps of the "
    "list above, then return the loss."
)
def training_step(answer: object) -> Feedback:
    """``answer(net, inputs, labels, criterion, optimizer)`` does one training step."""
    with torch.random.fork_rng(devices=[]):  # the lesson's random numbers stay as they were
        return _check_training_step(answer)


def _check_training_step(answer: object) -> Feedback:
    if not callable(answer):
        raise NotYet(
            f"my_training_step should be a function (def my_training_step(...):); it is "
            f"{kind(answer)}."
        )
    lr, stale = 0.1, 0.5  # a previous step left gradients of 0.5 behind
    events: list[str] = []
    net, inputs, labels = _tiny_problem(events)
    criterion = nn.CrossEntropyLoss()
    criterion.register_forward_hook(lambda *_: events.append("loss"))
    weight_before = net.weight.detach().clone()
    reference = nn.Linear(8, 3)
    reference.load_state_dict(net.state_dict())
    reference_loss = criterion(reference(inputs), labels)
    events.clear()  # the reference above is not the learner's
    reference_loss.backward()
    gradient = reference.weight.grad.detach().clone()
    for parameter in net.parameters():
        parameter.grad = torch.full_like(parameter, stale)
    optimizer = _RecordingSGD(net.parameters(), lr, events)

    returned = answer(net, inputs, labels, criterion, optimizer)

    moved = net.weight.detach() - weight_before

    def moved_by(step: torch.Tensor) -> bool:
        return bool((moved - step).abs().max() <= 1e-5)

    forward, backward, step = (_first(events, name) for name in ("forward", "backward", "step"))
    if forward < 0:
        raise NotYet("the network never ran: compute the outputs with net(inputs).")
    if _first(events, "loss") < 0:
        raise NotYet("no loss was computed: criterion(outputs, labels) gives it.")
    if backward < 0:
        raise NotYet("no gradients were computed: call loss.backward() before the step.")
    if step < 0:
        raise NotYet("the weights never moved: finish with optimizer.step().")
    if events.count("step") > 1 or events.count("backward") > 1:
        raise NotYet("one batch, one step: call loss.backward() and optimizer.step() once each.")
    if step < backward:
        raise NotYet(
            "optimizer.step() ran before loss.backward(): the step needs this batch's "
            "gradients, so compute them first."
        )
    zero_grads = [i for i, event in enumerate(events) if event == "zero_grad"]
    if any(backward < i < step for i in zero_grads):
        raise NotYet(
            "optimizer.zero_grad() between backward and step wipes the new gradients before "
            "the step can use them: call it first."
        )
    if moved_by(-lr * (gradient + stale)):
        if zero_grads and zero_grads[-1] > step:
            raise NotYet(
                "you clear the gradients after the step, so this step used whatever gradients "
                "were left over (here a previous step's): call optimizer.zero_grad() first."
            )
        raise NotYet(
            "this step also used the previous step's gradients (they add up): start with "
            "optimizer.zero_grad()."
        )
    if not moved_by(-lr * gradient):
        raise NotYet("the weights did not move as one step on this batch should: compare with "
                     "the five steps above.")  # fmt: skip
    if returned is None:
        raise NotYet("the step is right; now return the loss, so that the loop can log it.")
    if isinstance(returned, torch.Tensor) and returned.numel() > 1:
        raise NotYet(
            f"you returned {kind(returned)}, the outputs perhaps; return the loss (one number)."
        )
    value = as_number(returned, "what my_training_step returns")
    if not math.isclose(value, reference_loss.item(), rel_tol=1e-4):
        return not_yet("the step is right, but what it returns is not this batch's loss.")
    return right(
        "these five lines are the whole of training: the loop below runs them once per "
        "batch, and every optimizer, Adam included, fits into the same five."
    )


# -------------------------------------------------------------------------- batch size


@checker(
    "measure at least three batch sizes with images_per_second, then pick the batch size "
    "with the most images per second."
)
def fastest_batch_size(answer: object, speeds: Mapping[int, float]) -> Feedback:
    """``answer`` is the batch size with the highest of the measured ``speeds``."""
    if not isinstance(speeds, Mapping):
        raise NotYet(f"my_speeds should be a dict {{batch size: images per second}}; it is "
                     f"{kind(speeds)}.")  # fmt: skip
    if len(speeds) < 3:
        raise NotYet(f"you measured {len(speeds)} batch size(s); measure at least three.")
    for size, speed in speeds.items():
        if isinstance(size, bool) or not isinstance(size, int):
            raise NotYet(f"the keys of my_speeds should be batch sizes (whole numbers); one is "
                         f"{kind(size)}.")  # fmt: skip
        as_number(speed, f"my_speeds[{size}]")
    value = as_number(answer, "my_fastest")
    fastest = max(speeds, key=speeds.get)
    slowest = min(speeds, key=speeds.get)
    if any(math.isclose(value, speed, rel_tol=1e-9) for speed in speeds.values()):
        raise NotYet("that is a speed (images per second); give the batch size that reached it.")
    if value not in speeds:
        sizes = ", ".join(str(size) for size in sorted(speeds))
        raise NotYet(f"you did not measure batch size {value:g}: pick one of yours ({sizes}).")
    size = int(value)
    if size == slowest:
        raise NotYet("that batch size trained the fewest images per second; look for the most.")
    if speeds[size] >= 0.97 * speeds[fastest]:  # within the noise of a two-second measurement
        close = " (the others within 3% of it are as good: that is measurement noise)"
        return right(
            f"batch {size} trained {speeds[size]:,.0f} images per second here"
            f"{close if size != fastest else ''}. Past some size the speed stops growing, "
            "and each epoch makes fewer, larger steps: speed per image is not learning per image."
        )
    return not_yet(
        f"batch {size} trained {speeds[size]:,.0f} images per second; another of your "
        "measurements trained more."
    )
