"""The one-call helpers of notebook 04: settings, resume or start, the result, the speed probe."""

from __future__ import annotations

import math

import pytest
import torch

from cifar_tutorial.checkpoint import resume_or_start, save_checkpoint
from cifar_tutorial.data import ImageSet
from cifar_tutorial.errors import CheckpointError, ParameterError
from cifar_tutorial.models import Net
from cifar_tutorial.settings import default_checkpoint
from cifar_tutorial.training import (
    TrainingResult,
    images_per_second,
    make_optimizer,
    make_recipe,
    make_scheduler,
    training_settings,
)

TINY = ImageSet(
    torch.randint(0, 256, (40, 3, 32, 32), dtype=torch.uint8), torch.arange(40) % 10, "train", "t"
)


def test_training_settings_fill_in_the_recipe_and_the_defaults(tmp_path, capsys):
    settings = training_settings("smoke", metrics_path=tmp_path / "m.json", epochs="2", lr=0.02)
    assert (settings.profile, settings.dataset, settings.device.type) == ("smoke", "sample", "cpu")
    assert settings.recipe == make_recipe("fast", epochs=2, lr=0.02)
    assert settings.checkpoint_path == default_checkpoint("sample")
    assert settings.print_every is None and settings.resume is False and settings.seed == 0
    assert settings.metrics_path == tmp_path / "m.json"
    assert settings.this_run == {
        "recipe": settings.recipe.as_dict(),
        "dataset": "sample",
        "seed": 0,
    }
    assert "Profile smoke (the parameter): dataset sample" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"batch_size": 0}, "batch_size=0 is not allowed"),
        ({"epochs": 0, "lr": "fast"}, "epochs=0 is not allowed"),  # the first bad one is named
        ({"print_every": 0}, "print_every=0 is not allowed"),
        ({"resume": "later"}, "resume='later' is not allowed"),
        ({"seed": -1}, "seed=-1 is not allowed"),
        ({"device": "tpu"}, "device='tpu' is not allowed"),
        ({"recipe": "slow"}, "recipe='slow' is not allowed"),
    ],
)
def test_training_settings_refuse_a_bad_parameter_in_one_line(parameters, message):
    with pytest.raises(ParameterError) as caught:
        training_settings("smoke", **parameters)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_a_training_result_reports_what_the_runner_reads():
    result = TrainingResult([2.0, 1.0, 0.5, 0.3], 2.0, epochs=2, images_per_epoch=100,
                            steps_per_epoch=2, last=2)  # fmt: skip
    assert result.final_loss == pytest.approx(0.4)
    assert result.images_per_second == 100
    assert result.metrics() == {
        "final_loss": pytest.approx(0.4), "loss_history": [2.0, 1.0, 0.5, 0.3],
        "train_seconds": 2.0, "images_per_second": 100, "epochs_trained": 2,
        "steps_per_epoch": 2,
    }  # fmt: skip
    assert str(result).startswith("2 epochs, 200 images, in 2.0 s on cpu")
    assert ": 100 images per second.\n" in str(result)
    assert "Average loss of the last 2 steps: 0.400 (ln 10 = 2.303)." in str(result)


def test_a_resumed_run_with_nothing_left_trained_no_images():
    result = TrainingResult([1.0], 0.1, epochs=0, images_per_epoch=100, steps_per_epoch=1, last=5)
    assert result.images_per_second == 0.0 and result.final_loss == 1.0
    assert math.isnan(TrainingResult([], 0.0, 0, 100, 1, 5).final_loss)


def test_images_per_second_trains_a_fresh_net_for_a_moment():
    speed = images_per_second(TINY, 8, seconds=0.05)
    assert speed > 0


def new_run(recipe):
    torch.manual_seed(0)
    net = Net()
    optimizer = make_optimizer(net, recipe)
    return net, optimizer, make_scheduler(optimizer, recipe, steps_per_epoch=8)


def test_resume_or_start_starts_afresh_unless_asked_and_there_is_a_checkpoint(tmp_path, capsys):
    recipe = make_recipe("fast", epochs=2)
    this_run = {"recipe": recipe.as_dict(), "dataset": "sample", "seed": 0}
    path = tmp_path / "weights.pth"
    kwargs = {"this_run": this_run, "epochs": 2}
    assert resume_or_start(path, *new_run(recipe), **kwargs, resume=False) == (0, [])
    assert resume_or_start(path, *new_run(recipe), **kwargs, resume=True) == (0, [])
    out = capsys.readouterr().out
    assert "Starting from scratch." in out and "Nothing to resume at" in out

    net, optimizer, scheduler = new_run(recipe)
    with torch.no_grad():
        net.fc3.bias.fill_(0.5)
    save_checkpoint(path, net, epoch=1, params=this_run, optimizer=optimizer,
                    scheduler=scheduler, history=[2.3, 2.1])  # fmt: skip
    fresh, fresh_optimizer, fresh_scheduler = new_run(recipe)
    done = resume_or_start(path, fresh, fresh_optimizer, fresh_scheduler, **kwargs, resume=True)
    assert done == (1, [2.3, 2.1])
    assert torch.equal(fresh.fc3.bias, net.fc3.bias)
    assert "weights.pth: 1 of 2 epochs done." in capsys.readouterr().out

    other = {**this_run, "seed": 1}
    with pytest.raises(CheckpointError, match="comes from another run"):
        resume_or_start(path, *new_run(recipe), this_run=other, epochs=2, resume=True)
