"""Notebooks 01-07 run end to end with papermill, in the smoke profile, from a temporary folder.

Each run records its results in a metrics file (``metrics_path``); the tests check those
numbers and the printed output; every run checks that each exercise's check said "Right!".
Notebook 04's run is shared by the tests that need trained weights (module-scoped fixtures),
so the whole module executes each notebook about once.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import papermill
import pytest
import torch
from exercise_cells import check_feedback

from cifar_tutorial.checkpoint import load_checkpoint, save_checkpoint
from cifar_tutorial.data import CLASSES, REFERENCE_MEAN, REFERENCE_STD, FastLoader, load_split
from cifar_tutorial.models import Net
from cifar_tutorial.seeding import seed_everything
from cifar_tutorial.training import Recipe, make_recipe, train

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SAMPLE_TRAIN, SAMPLE_TEST = 5000, 1000


@dataclass
class Run:
    """An executed notebook: its cells, everything it printed, and the metrics it recorded."""

    notebook: nbformat.NotebookNode
    metrics: dict
    folder: Path

    @property
    def text(self) -> str:
        parts = []
        for cell in self.notebook.cells:
            for output in cell.get("outputs", []):
                parts.append(output.get("text", ""))
                parts.append(output.get("data", {}).get("text/plain", ""))
        return "".join(parts)

    def tagged_images(self, tag: str) -> list[str]:
        return [
            output["data"]["image/png"]
            for cell in self.notebook.cells
            if tag in cell.get("metadata", {}).get("tags", [])
            for output in cell.get("outputs", [])
            if "image/png" in output.get("data", {})
        ]


def run_notebook(name: str, folder: Path, **parameters) -> Run:
    """Execute ``notebooks/<name>`` from ``folder`` in the smoke profile with ``parameters``."""
    metrics = folder / "metrics.json"
    output = folder / name
    papermill.execute_notebook(
        str(NOTEBOOKS / name),
        str(output),
        parameters={"profile": "smoke", "metrics_path": str(metrics), **parameters},
        cwd=str(folder),
        kernel_name="python3",
        progress_bar=False,
    )
    notebook = nbformat.read(output, as_version=4)
    for line in check_feedback(notebook):
        assert line.startswith("Right! "), f"{name}: an exercise's check said {line!r}"
    return Run(notebook, json.loads(metrics.read_text()), folder)


def train_like_notebook_04(recipe: Recipe, seed: int = 0, **train_options) -> Net:
    """What ``training.train`` makes of the sample with notebook 04's data and seeding."""
    loader = FastLoader(
        load_split("sample", "train"), recipe.batch_size, shuffle=True, flip=recipe.flip, seed=seed
    )
    seed_everything(seed)
    net = Net()
    train(net, loader, recipe, progress=False, **train_options)
    return net


def assert_same_weights(checkpoint_path: Path, expected: Net | dict) -> None:
    """The checkpoint's weights are exactly ``expected`` (a network or a state_dict)."""
    saved = load_checkpoint(checkpoint_path, architecture="Net")["state_dict"]
    expected = expected.state_dict() if isinstance(expected, Net) else expected
    assert saved.keys() == expected.keys()
    for name, tensor in expected.items():
        assert torch.equal(saved[name], tensor), f"{name} differs"


@pytest.fixture(scope="module")
def nb04(tmp_path_factory) -> Run:
    """Notebook 04 with its defaults on the sample, saving to its own checkpoint path."""
    folder = tmp_path_factory.mktemp("nb04")
    return run_notebook("04_train.ipynb", folder, checkpoint_path=str(folder / "weights.pth"))


def test_01_counts_classes_and_measures_channels(tmp_path):
    run = run_notebook("01_load_and_normalize.ipynb", tmp_path)
    assert run.metrics["class_counts"]["train"] == {name: 500 for name in CLASSES}
    assert run.metrics["class_counts"]["test"] == {name: 100 for name in CLASSES}
    for mean, std in zip(run.metrics["channel_mean"], run.metrics["channel_std"], strict=True):
        assert 0.4 < mean < 0.55 and 0.2 < std < 0.3  # CIFAR-10's known statistics
    assert "images: shape (4, 3, 32, 32), torch.float32" in run.text
    assert re.search(r"after Normalize +torch\.float32 +from -1 to 1\n", run.text)


def test_02_counts_the_reference_parameters(tmp_path):
    run = run_notebook("02_define_a_cnn.ipynb", tmp_path)
    assert run.metrics["parameter_count"] == 62_006
    assert "(fc1): Linear(in_features=400, out_features=120, bias=True)" in run.text
    assert "same as cifar_tutorial.models.Net: True" in run.text
    assert re.search(r"pool +\(4, 16, 5, 5\) +400", run.text)


def test_03_loss_starts_near_ln10_and_one_step_lowers_it(tmp_path):
    run = run_notebook("03_loss_and_optimizer.ipynb", tmp_path)
    assert run.metrics["untrained_loss"] == pytest.approx(math.log(10), abs=0.1)
    assert run.metrics["loss_after_step"] < run.metrics["loss_before_step"]
    assert "all three equal: True" in run.text


def test_04_training_lowers_the_loss_and_reports_speed(nb04):
    metrics = nb04.metrics
    recipe = make_recipe("fast")
    assert metrics["recipe"] == recipe.as_dict()
    assert metrics["steps_per_epoch"] == math.ceil(SAMPLE_TRAIN / recipe.batch_size)
    losses = metrics["loss_history"]
    assert len(losses) == recipe.epochs * metrics["steps_per_epoch"]
    first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
    assert last < first - 0.1, f"the loss did not fall: {first:.3f} -> {last:.3f}"
    assert metrics["final_loss"] < math.log(10)
    assert metrics["train_seconds"] > 0 and metrics["images_per_second"] > 0
    assert "embedded sample" in metrics["dataset"]
    assert re.search(r"^\[1, +\d+\] loss: \d\.\d{3}$", nb04.text, re.MULTILINE)
    assert nb04.tagged_images("report-loss-curve")
    assert str(nb04.folder) not in nb04.text  # paths are printed relative to the working folder


def test_04_saves_weights_identical_to_training_train(nb04):
    recipe = make_recipe("fast")
    checkpoint = load_checkpoint(nb04.folder / "weights.pth", architecture="Net")
    assert checkpoint["epoch"] == recipe.epochs
    assert checkpoint["params"] == {"recipe": recipe.as_dict(), "dataset": "sample", "seed": 0}
    assert_same_weights(nb04.folder / "weights.pth", train_like_notebook_04(recipe))


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
    assert run.metrics["epochs_trained"] == 1
    assert len(run.metrics["loss_history"]) == 2 * run.metrics["steps_per_epoch"]
    assert_same_weights(run.folder / "weights.pth", train_like_notebook_04(recipe))


def test_04_refuses_a_bad_parameter_in_its_first_cells(tmp_path):
    with pytest.raises(papermill.PapermillExecutionError) as failure:
        run_notebook("04_train.ipynb", tmp_path, batch_size=0)
    assert failure.value.ename == "ParameterError"
    assert "batch_size=0 is not allowed" in failure.value.evalue
    assert failure.value.exec_count <= 5


def test_05_trains_missing_weights_like_04_and_tests_them(nb04, tmp_path):
    run = run_notebook("05_test.ipynb", tmp_path, checkpoint_path=str(tmp_path / "new.pth"))
    metrics = run.metrics
    assert metrics["checkpoint_trained_here"] is True
    assert "No weights at new.pth: training them now" in run.text
    weights_of_04 = load_checkpoint(nb04.folder / "weights.pth", architecture="Net")["state_dict"]
    assert_same_weights(tmp_path / "new.pth", weights_of_04)

    matrix = torch.tensor(metrics["confusion_matrix"])
    assert metrics["test_count"] == SAMPLE_TEST == int(matrix.sum())
    assert matrix.sum(dim=1).tolist() == [100] * 10  # rows are the true classes
    assert metrics["correct"] == int(matrix.diagonal().sum())
    assert metrics["test_accuracy"] == pytest.approx(metrics["correct"] / SAMPLE_TEST)
    assert metrics["test_accuracy"] > 0.15  # chance is 0.10
    per_class = [metrics["per_class_accuracy"][name] for name in CLASSES]
    assert per_class == pytest.approx((matrix.diagonal() / 100).tolist())
    percent = 100 * metrics["correct"] // SAMPLE_TEST
    assert f"Accuracy of the network on the 1000 test images: {percent} %" in run.text
    assert run.tagged_images("report-confusion-matrix")
    assert run.tagged_images("report-predictions")


def test_06_runs_to_the_end_on_the_cpu(tmp_path):
    run = run_notebook("06_gpu.ipynb", tmp_path, device="cpu")
    timings = run.metrics["step_ms"]
    assert set(timings) == {"Net", "WideNet(8)"}
    assert all(timings[name]["cpu"] > 0 for name in timings)
    assert run.metrics["accelerator"] is None
    assert "the accelerator columns below stay empty" in run.text
    assert "This notebook ran in" in run.text


@pytest.fixture(scope="module")
def nb07(tmp_path_factory) -> Run:
    """Notebook 07 on the sample with a budget of 12 s for the recipe (the smoke profile's
    default, 2 epochs, is what nbval runs): the recipe, the ablation, the comparison."""
    return run_notebook("07_faster_and_better.ipynb", tmp_path_factory.mktemp("nb07"),
                        budget=0.2, ablation_epochs=0.25)  # fmt: skip


def test_07_trains_the_modern_recipe_and_tests_it_at_every_tta_level(nb07):
    metrics = nb07.metrics
    assert metrics["recipe"]["name"] == "cpu"
    assert metrics["recipe"]["widths"] == [16, 32, 64]  # the smoke profile's
    assert metrics["recipe"]["budget"] == 0.2 and metrics["recipe"]["epochs"] is None
    assert metrics["recipe"]["optimizer"] == "sgd"
    assert "budget 0.2 min: measured" in nb07.text and "of the 0.2-minute budget" in nb07.text
    assert metrics["test_accuracy"] > 0.2  # a few short epochs on 5,000 images; chance is 0.10
    levels = metrics["tta_accuracy"]
    assert sorted(levels) == ["0", "1", "2"]
    assert metrics["test_accuracy"] == levels[str(metrics["recipe"]["tta"])]
    assert all(0.1 < value <= 1 for value in levels.values())
    losses = metrics["loss_history"]
    assert all(math.isfinite(loss) for loss in losses)
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5  # it learned
    assert metrics["train_seconds"] > 0 and metrics["test_seconds"] > 0
    assert set(metrics["step_ms"]) == {
        "float32, default layout",
        "float32, channels_last",
        "bfloat16, channels_last",
    }
    assert nb07.tagged_images("report-loss-curve")
    assert "This notebook ran in" in nb07.text


def test_07_ablation_removes_each_idea_in_turn_and_draws_the_comparison(nb07):
    from cifar_tutorial.modern import ABLATIONS

    ablation = nb07.metrics["ablation"]
    assert set(ablation) == {"everything", *(f"without {idea}" for idea in ABLATIONS)}
    assert all(0 < row["accuracy"] <= 1 and row["seconds"] > 0 for row in ablation.values())
    curves = nb07.metrics["curves"]
    assert set(curves) == {"reference tutorial (Net)", "notebook 4 (Net)", "this recipe (FastNet)"}
    assert len(curves["this recipe (FastNet)"]) == 2  # the ablation's short run, then the recipe
    assert nb07.tagged_images("report-ablation")
    assert nb07.tagged_images("report-accuracy-vs-time")
    tables = "".join(
        output.get("data", {}).get("text/markdown", "")
        for cell in nb07.notebook.cells
        for output in cell.get("outputs", [])
    )
    assert "| without whitening layer |" in tables


def test_07_refuses_a_bad_parameter_before_loading_data(tmp_path):
    with pytest.raises(papermill.PapermillExecutionError) as failure:
        run_notebook("07_faster_and_better.ipynb", tmp_path, tta=5)
    assert failure.value.ename == "ParameterError"
    assert "tta=5 is not allowed" in failure.value.evalue
    assert failure.value.exec_count <= 5


def test_08_trains_on_two_processes_like_one_and_survives_a_crash(tmp_path):
    import psutil

    run = run_notebook("08_scale_out.ipynb", tmp_path)
    metrics = run.metrics
    assert metrics["largest_difference_1_vs_2"] < 1e-3  # same threads per process: rounding only
    assert metrics["restart_matches"] is True  # killed in epoch 2, restarted: bit for bit
    labels = list(metrics["seconds_per_epoch"])  # 1 process at half and all cores, then 2
    assert [label.split(",")[0] for label in labels] == ["1 process"] * 2 + ["2 processes"]
    assert all(seconds > 0 for seconds in metrics["seconds_per_epoch"].values())
    assert 0.15 < metrics["test_accuracy"] <= 1  # 2 epochs on the sample; chance is 0.10
    text = run.text
    assert "after all_reduce(SUM) it holds [3.0, 6.0, 9.0]" in text
    assert "[rank 1] crashing on purpose in epoch 2" in text
    assert "resumed from" in text and "1 of 2 epochs done (restart 1)" in text
    assert "Refused the snapshot" in text and "is kept" in text
    assert "one process per CUDA GPU" in text or "one process per GPU" in text
    assert run.tagged_images("report-scaling")
    assert not [p for p in psutil.Process().children(recursive=True)
                if "resource_tracker" not in " ".join(p.cmdline())]  # fmt: skip


def test_08_refuses_a_batch_the_processes_cannot_share_before_starting_any(tmp_path):
    with pytest.raises(papermill.PapermillExecutionError) as failure:
        run_notebook("08_scale_out.ipynb", tmp_path, batch_size=3)
    assert failure.value.ename == "ParameterError"
    assert "batch_size=3 is not allowed" in failure.value.evalue
    assert failure.value.exec_count <= 5
