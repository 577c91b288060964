"""Notebooks run again with papermill, for what the session's collection run cannot show:
resuming 04 with other parameters, 05 training weights it cannot find, 07 fitting a time
budget, and the parameter checks that stop 04, 07 and 08 in their first cells.

These tests start kernels of their own and read nothing of the collection run, so pytest-xdist
runs them beside it on another worker (tests/conftest.py).
"""

from __future__ import annotations

import math

import papermill
import pytest
from collection_run import Run
from exercise_cells import check_feedback
from notebook_runs import (
    SAMPLE_TEST,
    SAMPLE_TRAIN,
    assert_same_weights,
    run_notebook,
    train_like_notebook_04,
)

from cifar_tutorial.checkpoint import save_checkpoint
from cifar_tutorial.data import REFERENCE_MEAN, REFERENCE_STD, FastLoader, load_split
from cifar_tutorial.models import Net
from cifar_tutorial.seeding import seed_everything
from cifar_tutorial.training import Recipe, make_recipe, train

pytestmark = pytest.mark.slow


class Interrupted(Exception):
    """Stands in for the kernel being stopped after an epoch."""


@pytest.fixture(scope="module")
def nb04_resumed(tmp_path_factory) -> tuple[Run, Recipe]:
    """Notebook 04 with another batch size, learning rate (given as text, as papermill -r
    passes it) and epoch count, resuming a run that stopped after its first epoch."""
    folder = tmp_path_factory.mktemp("nb04-resumed")
    recipe = make_recipe("fast", epochs=2, batch_size=64, lr=0.02)
    checkpoint = folder / "weights.pth"
    run_params = {"recipe": recipe.as_dict(), "dataset": "sample", "seed": 0}

    loader = FastLoader(load_split("sample", "train"), 64, shuffle=True, flip=recipe.flip, seed=0)
    seed_everything(0)
    net = Net()

    def save_then_stop(epoch, optimizer, scheduler, log):
        save_checkpoint(checkpoint, net, epoch=epoch + 1, params=run_params,
                        normalization={"mean": list(REFERENCE_MEAN), "std": list(REFERENCE_STD)},
                        optimizer=optimizer, scheduler=scheduler, history=log.losses)  # fmt: skip
        raise Interrupted

    with pytest.raises(Interrupted):
        train(net, loader, recipe, progress=False, on_epoch_end=save_then_stop)
    run = run_notebook(
        "04_train.ipynb", folder, epochs=2, batch_size=64, lr="0.02",
        checkpoint_path=str(checkpoint), resume=True,
    )  # fmt: skip
    return run, recipe


def test_04_takes_batch_size_lr_and_epochs_from_parameters(nb04_resumed):
    run, _ = nb04_resumed
    recipe = run.metrics["recipe"]
    assert (recipe["batch_size"], recipe["lr"], recipe["epochs"]) == (64, 0.02, 2)
    assert run.metrics["steps_per_epoch"] == math.ceil(SAMPLE_TRAIN / 64)
    assert "64 images each" in run.text


def test_04_resumes_after_the_last_completed_epoch(nb04_resumed):
    run, recipe = nb04_resumed
    assert "Resuming from weights.pth: 1 of 2 epochs done." in run.text
    assert str(run.folder) not in run.text  # paths are printed relative to the working folder
    assert run.metrics["epochs_trained"] == 1
    assert len(run.metrics["loss_history"]) == 2 * run.metrics["steps_per_epoch"]
    assert_same_weights(run.folder / "weights.pth", train_like_notebook_04(recipe))


def test_05_trains_missing_weights_like_04_and_tests_them(tmp_path):
    run = run_notebook("05_test.ipynb", tmp_path, checkpoint_path=str(tmp_path / "new.pth"))
    assert run.metrics["checkpoint_trained_here"] is True
    assert "No weights at new.pth: training them now" in run.text
    assert_same_weights(tmp_path / "new.pth", train_like_notebook_04(make_recipe("fast")))
    assert run.metrics["test_count"] == SAMPLE_TEST and run.metrics["test_accuracy"] > 0.15


def test_07_fits_a_time_budget_and_says_when_its_ablation_did_not_run(tmp_path):
    """07's time-budget path (the collection run trains for the smoke profile's 2 epochs, so
    that what it learns does not depend on the machine's speed), without the ablation study."""
    run = run_notebook("07_faster_and_better.ipynb", tmp_path, expect_right=False, budget=0.2,
                       ablation=False)  # fmt: skip
    assert "budget 0.2 min: measured" in run.text and "of the 0.2-minute budget" in run.text
    *others, last = check_feedback(run.notebook)
    assert all(line.startswith("Right! ") for line in others) and len(others) == 3
    assert last.startswith("Not yet: ") and "ablation" in last


@pytest.mark.parametrize(
    ("name", "parameters", "message"),
    [("04_train.ipynb", {"batch_size": 0}, "batch_size=0 is not allowed"),
     ("07_faster_and_better.ipynb", {"tta": 5}, "tta=5 is not allowed"),
     ("08_scale_out.ipynb", {"batch_size": 3}, "batch_size=3 is not allowed")],
    ids=["04-batch-size-0", "07-tta-5-before-loading-data", "08-batch-the-processes-cannot-share"],
)  # fmt: skip
def test_a_notebook_refuses_a_bad_parameter_in_its_first_cells(name, parameters, message,
                                                               tmp_path):  # fmt: skip
    """04, 07 (before loading data) and 08 (before starting any process) stop in their first
    cells, with the parameter's one-line error."""
    with pytest.raises(papermill.PapermillExecutionError) as failure:
        run_notebook(name, tmp_path, **parameters)
    assert failure.value.ename == "ParameterError"
    assert message in failure.value.evalue
    assert failure.value.exec_count <= 5
