"""Notebook 04's checkers: the right answer, and each typical mistake with its own hint."""

from __future__ import annotations

import torch
from check_hints import assert_hints

from cifar_tutorial.checks import STUB
from cifar_tutorial.checks import training as check


def test_steps_per_epoch_right_and_its_mistakes():
    feedback = check.steps_per_epoch(391, 50_000, 128)
    assert feedback.right and "391 weight updates" in feedback.message
    assert check.steps_per_epoch(torch.tensor(40), 5_000, 128).right
    assert check.steps_per_epoch(10, 40, 4).right  # no smaller last batch
    assert_hints(
        lambda answer: check.steps_per_epoch(answer, 50_000, 128),
        {
            "round up, not down": 390,
            "a whole number": 50_000 / 128,
            "divide, do not multiply": 50_000 * 128,
            "the other way round": 128 / 50_000,
            "that is the number of images": 50_000,
            "several epochs": 3 * 391,
            "images divided by the batch size": 17,
            "should be a number; it is a str": "391",
        },
    )


def step_right(net, inputs, labels, criterion, optimizer):
    optimizer.zero_grad()
    outputs = net(inputs)
    loss = criterion(outputs, labels)
    loss.backward()
    optimizer.step()
    return loss


def step_without_zero_grad(net, inputs, labels, criterion, optimizer):
    loss = criterion(net(inputs), labels)
    loss.backward()
    optimizer.step()
    return loss


def step_zero_grad_at_the_end(net, inputs, labels, criterion, optimizer):
    loss = criterion(net(inputs), labels)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss


def step_zero_grad_before_step(net, inputs, labels, criterion, optimizer):
    loss = criterion(net(inputs), labels)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss


def step_without_backward(net, inputs, labels, criterion, optimizer):
    optimizer.zero_grad()
    loss = criterion(net(inputs), labels)
    optimizer.step()
    return loss


def step_before_backward(net, inputs, labels, criterion, optimizer):
    optimizer.zero_grad()
    loss = criterion(net(inputs), labels)
    optimizer.step()
    loss.backward()
    return loss


def step_without_step(net, inputs, labels, criterion, optimizer):
    optimizer.zero_grad()
    loss = criterion(net(inputs), labels)
    loss.backward()
    return loss


def step_returning_nothing(net, inputs, labels, criterion, optimizer):
    step_right(net, inputs, labels, criterion, optimizer)


def step_returning_outputs(net, inputs, labels, criterion, optimizer):
    step_right(net, inputs, labels, criterion, optimizer)
    return net(inputs)


def step_twice(net, inputs, labels, criterion, optimizer):
    step_right(net, inputs, labels, criterion, optimizer)
    return step_right(net, inputs, labels, criterion, optimizer)


def step_without_loss(net, inputs, labels, criterion, optimizer):
    optimizer.zero_grad()
    net(inputs).sum().backward()
    optimizer.step()


def step_raising(net, inputs, labels, criterion, optimizer):
    return criterion(net(labels), inputs)


def test_training_step_right_with_either_way_of_clearing_and_returning():
    feedback = check.training_step(step_right)
    assert feedback.right and "five lines" in feedback.message

    def net_zero_grad_and_item(net, inputs, labels, criterion, optimizer):
        net.zero_grad()
        loss = criterion(net(inputs), labels)
        loss.backward()
        optimizer.step()
        return loss.item()

    assert check.training_step(net_zero_grad_and_item).right


def test_training_step_mistakes_each_get_their_own_hint():
    assert_hints(
        check.training_step,
        {
            "start with optimizer.zero_grad()": step_without_zero_grad,
            "you clear the gradients after the step": step_zero_grad_at_the_end,
            "wipes the new gradients": step_zero_grad_before_step,
            "no gradients were computed": step_without_backward,
            "ran before loss.backward()": step_before_backward,
            "finish with optimizer.step()": step_without_step,
            "now return the loss": step_returning_nothing,
            "the outputs perhaps": step_returning_outputs,
            "once each": step_twice,
            "no loss was computed": step_without_loss,
            "your answer raised": step_raising,
            "should be a function": 42,
        },
    )


def test_training_step_leaves_the_global_random_state_alone():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    check.training_step(step_right)
    assert torch.equal(torch.rand(3), expected)


def test_training_step_stub():
    feedback = check.training_step(STUB)
    assert not feedback.right and feedback.message.startswith("replace `...`")


SPEEDS = {4: 1_900.0, 16: 5_200.0, 128: 10_400.0, 512: 9_000.0}


def test_fastest_batch_size_right_and_near_ties():
    feedback = check.fastest_batch_size(128, SPEEDS)
    assert feedback.right and "10,400 images per second" in feedback.message
    tie = check.fastest_batch_size(512, {**SPEEDS, 512: 10_200.0})
    assert tie.right and "measurement noise" in tie.message


def test_fastest_batch_size_mistakes():
    assert_hints(
        lambda answer: check.fastest_batch_size(answer, SPEEDS),
        {
            "that is a speed": 10_400.0,
            "the fewest images per second": 4,
            "another of your measurements trained more": 512,
            "you did not measure batch size 64": 64,
            "my_fastest should be a number": "128",
        },
    )
    assert "measure at least three" in check.fastest_batch_size(128, {4: 1.0, 128: 2.0}).message
    assert "should be a dict" in check.fastest_batch_size(128, [1.0, 2.0, 3.0]).message
    assert (
        "batch sizes (whole numbers)"
        in check.fastest_batch_size(128, {"4": 1.0, "16": 2.0, "128": 3.0}).message
    )
