"""Notebooks 01-08 end to end, in the smoke profile: what they print, record and draw.

Most tests read the session's one run of the whole collection (``collection_run``, see
``tests/collection_run.py``): each notebook recorded its results in a metrics file, and the
tests check those numbers, the printed output and the pictures; every exercise's check must
have said "Right!". What that run cannot show (resuming 04, 05 training missing weights, the
parameter checks that stop 04, 07 and 08 in their first cells) runs the notebooks again, in
tests/test_notebook_parameters.py.
"""

from __future__ import annotations

import functools
import json
import math
import re
from pathlib import Path

import pytest
import torch
from collection_run import COLLECTION, EXPECTED, SEED, CollectionRun, Run
from exercise_cells import check_feedback
from figure_outputs import figure_problems
from notebook_runs import SAMPLE_TEST, SAMPLE_TRAIN, assert_same_weights, train_like_notebook_04

from cifar_tutorial.checkpoint import load_checkpoint
from cifar_tutorial.data import CLASSES, load_split
from cifar_tutorial.distributed import ShardedLoader
from cifar_tutorial.distributed.progress import read_progress
from cifar_tutorial.models import Net
from cifar_tutorial.seeding import seed_everything
from cifar_tutorial.training import make_optimizer, make_recipe, make_scheduler

pytestmark = pytest.mark.slow

WIDGET = "application/vnd.jupyter.widget-view+json"  # how a tqdm bar is shown in a notebook


def summary(collection_run: CollectionRun) -> dict:
    return json.loads((collection_run.folder / "summary.json").read_text())


@pytest.fixture(scope="module")
def nb04(collection_run: CollectionRun) -> Run:
    """Notebook 04 with its defaults (seed 3), saving to the run folder's checkpoint."""
    return collection_run.run("04_train")


@pytest.mark.parametrize("path", COLLECTION, ids=lambda path: path.stem[:2])
def test_every_notebook_ran_and_every_exercise_check_said_right(collection_run, path):
    entry = next(e for e in summary(collection_run)["notebooks"] if e["notebook"] == path.stem)
    assert entry["status"] == "completed", entry.get("error")
    feedback = check_feedback(collection_run.run(path.stem).notebook)
    for line in feedback:
        assert line.startswith("Right! "), f"{path.name}: an exercise's check said {line!r}"


@pytest.mark.parametrize("path", COLLECTION, ids=lambda path: path.stem[:2])
def test_figures_have_alt_text_one_live_view_and_explorers_as_figures(collection_run, path):
    """papermill's saved notebook: each figure with alt text, each live view one figure (its
    updates replaced it in place), each explorer one output with its static figure."""
    notebook = collection_run.run(path.stem).notebook
    assert not figure_problems(notebook, path.name, committed=False)


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda e: e.name[:2])
def test_every_notebook_shows_its_figures_progress_and_texts_without_errors(
    collection_run, expected
):
    """What the browser test checks in JupyterLab for two notebooks, here for all eight."""
    run = collection_run.run(expected.name.removesuffix(".ipynb"))
    code = [cell for cell in run.notebook.cells if cell.cell_type == "code"]
    for cell in code:
        kinds = [output.output_type for output in cell.outputs]
        streams = [output.get("name") for output in cell.outputs]
        assert "error" not in kinds and "stderr" not in streams, f"{expected.name}: {cell.source}"
    assert "IProgress not found" not in run.text, f"{expected.name}: tqdm fell back to text"
    for call in expected.figures:
        drawing = [cell for cell in code if call in cell.source]
        assert drawing, f"{expected.name}: no cell calls {call}...)"
        for cell in drawing:
            assert any("image/png" in o.get("data", {}) for o in cell.outputs), cell.source
    if expected.progress_bar:
        shown = [o for c in code for o in c.outputs if WIDGET in o.get("data", {})]
        assert shown, f"{expected.name}: no progress bar widget"
    for text in expected.texts:
        assert text in run.text, f"{expected.name}: {text!r} is not shown"


def test_01_counts_classes_and_measures_channels(collection_run):
    run = collection_run.run("01_load_and_normalize")
    assert run.metrics["class_counts"]["train"] == {name: 500 for name in CLASSES}
    assert run.metrics["class_counts"]["test"] == {name: 100 for name in CLASSES}
    for mean, std in zip(run.metrics["channel_mean"], run.metrics["channel_std"], strict=True):
        assert 0.4 < mean < 0.55 and 0.2 < std < 0.3  # CIFAR-10's known statistics
    assert "images: shape (4, 3, 32, 32), torch.float32" in run.text
    assert re.search(r"after Normalize +torch\.float32 +from -1 to 1\n", run.text)


def test_02_counts_the_reference_parameters(collection_run):
    run = collection_run.run("02_define_a_cnn")
    assert run.metrics["parameter_count"] == 62_006
    assert "(fc1): Linear(in_features=400, out_features=120, bias=True)" in run.text
    assert "same as cifar_tutorial.models.Net: True" in run.text
    assert re.search(r"pool +\(4, 16, 5, 5\) +400", run.text)


def test_03_loss_starts_near_ln10_and_one_step_lowers_it(collection_run):
    run = collection_run.run("03_loss_and_optimizer")
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


def test_04_saves_weights_identical_to_training_train(nb04):
    recipe = make_recipe("fast")
    checkpoint = load_checkpoint(nb04.folder / "cifar_net.pth", architecture="Net")
    assert checkpoint["epoch"] == recipe.epochs
    assert checkpoint["params"] == {"recipe": recipe.as_dict(), "dataset": "sample", "seed": SEED}
    assert_same_weights(nb04.folder / "cifar_net.pth", train_like_notebook_04(recipe, seed=SEED))


def test_05_tests_the_weights_of_04_class_by_class(collection_run):
    run = collection_run.run("05_test")
    metrics = run.metrics
    assert metrics["checkpoint_trained_here"] is False
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


def test_06_runs_to_the_end_on_the_cpu(collection_run):
    run = collection_run.run("06_gpu")  # -p 06:device cpu
    timings = run.metrics["step_ms"]
    assert set(timings) == {"Net", "WideNet(8)"}
    assert all(timings[name]["cpu"] > 0 for name in timings)
    assert run.metrics["accelerator"] is None
    assert "the accelerator columns below stay empty" in run.text
    assert "This notebook ran in" in run.text


@pytest.fixture(scope="module")
def nb07(collection_run: CollectionRun) -> Run:
    """Notebook 07 on the sample for the smoke profile's 2 epochs (its time-budget path runs
    in the student edition's test): the recipe, the ablation, the comparison."""
    return collection_run.run("07_faster_and_better")


def test_07_trains_the_modern_recipe_and_tests_it_at_every_tta_level(nb07):
    metrics = nb07.metrics
    assert metrics["recipe"]["name"] == "cpu"
    assert metrics["recipe"]["widths"] == [16, 32, 64]  # the smoke profile's
    assert metrics["recipe"]["epochs"] == 2  # the smoke profile's, instead of a time budget
    assert metrics["recipe"]["optimizer"] == "sgd"
    assert metrics["test_accuracy"] > 0.2  # two short epochs on 5,000 images; chance is 0.10
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


def test_08_trains_on_two_processes_like_one_and_survives_a_crash(collection_run):
    run = collection_run.run("08_scale_out")
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
    progress = read_progress(runs_dir_08(collection_run) / "2x-crashed.progress.jsonl")
    attempts = {(line["rank"], line["restart"]) for line in progress}  # the live view's lines
    assert attempts == {(0, 0), (1, 0), (0, 1), (1, 1)}
    assert not collection_run.left_running  # no kernel, worker or torchrun outlived the run


def runs_dir_08(collection_run: CollectionRun) -> Path:
    """Where notebook 08 kept its runs' results and snapshots, in the collection run's home."""
    return collection_run.home / "artifacts" / "08_scale_out"


def runs_of_08(collection_run: CollectionRun, name: str) -> tuple[dict, dict[str, torch.Tensor]]:
    """What rank 0 of 08's run ``name`` wrote, and its snapshot's weights."""
    folder = runs_dir_08(collection_run)
    found = json.loads((folder / f"{name}.json").read_text())
    weights = torch.load(folder / f"{name}.pt", weights_only=True)["state_dict"]
    return found, weights


def largest_difference(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    assert a.keys() == b.keys()
    return max((a[name] - b[name]).abs().max().item() for name in a)


def test_08_two_processes_share_each_batch_and_end_with_the_weights_of_one(collection_run):
    [alone] = [p.stem for p in runs_dir_08(collection_run).glob("1x*-threads.json")]
    one, one_weights = runs_of_08(collection_run, alone)
    two, two_weights = runs_of_08(collection_run, "2x")
    assert (one["world_size"], two["world_size"]) == (1, 2)
    assert (one["batch_size_per_process"], two["batch_size_per_process"]) == (128, 64)
    assert one["steps_per_epoch"] == two["steps_per_epoch"] == 5000 // 128
    assert largest_difference(one_weights, two_weights) < 1e-3
    for a, b in zip(one["history"], two["history"], strict=True):
        assert a["loss"] == pytest.approx(b["loss"], abs=1e-3)
    assert one["test_accuracy"] == pytest.approx(two["test_accuracy"], abs=0.002)


def test_08_two_processes_compute_one_averaging_two_half_batches_bit_for_bit(collection_run):
    """What differs between one and two processes is only the rounding of the batch average:
    one process computing both halves' gradients and averaging them, as DDP's all-reduce
    does, ends with 08's two-process weights exactly."""
    two, two_weights = runs_of_08(collection_run, "2x")
    threads = torch.get_num_threads()
    torch.set_num_threads(two["threads_per_process"])  # as each of the two processes
    try:
        data = load_split("sample", "train")
        epochs = len(two["history"])
        recipe = make_recipe("fast", epochs=epochs, batch_size=128)
        halves = [ShardedLoader(data, 128, rank=r, world_size=2, flip=True) for r in (0, 1)]
        seed_everything(0)  # 08's seed in the collection run
        net = Net()
        optimizer = make_optimizer(net, recipe)
        scheduler = make_scheduler(optimizer, recipe, steps_per_epoch=len(halves[0]))
        for epoch in range(epochs):
            for loader in halves:
                loader.set_epoch(epoch)
            for (x0, y0), (x1, y1) in zip(*halves, strict=True):
                gradients = []
                for images, labels in ((x0, y0), (x1, y1)):
                    net.zero_grad(set_to_none=True)
                    torch.nn.functional.cross_entropy(net(images), labels).backward()
                    gradients.append([p.grad for p in net.parameters()])
                for p, g0, g1 in zip(net.parameters(), *gradients, strict=True):
                    p.grad = (g0 + g1) / 2  # what DDP's all-reduce leaves on every rank
                optimizer.step()
                scheduler.step()
    finally:
        torch.set_num_threads(threads)
    assert largest_difference(net.state_dict(), two_weights) == 0.0


def test_08_a_worker_killed_mid_epoch_is_restarted_without_repeating_an_epoch(collection_run):
    crashed = json.loads((runs_dir_08(collection_run) / "2x-crashed.json").read_text())
    assert (crashed["restarts"], crashed["resumed_at_epoch"]) == (1, 1)
    assert [row["epoch"] for row in crashed["history"]] == [1, 2]  # no epoch repeated
    assert collection_run.run("08_scale_out").metrics["restart_matches"] is True  # bit for bit


NBVAL_CHECKED = "# NBVAL_CHECK_OUTPUT"
NOT_IN_NBVAL = ("07_faster_and_better", "08_scale_out")  # the Makefile gives nbval 01-06


@functools.cache
def nbval_replacements() -> list[tuple[str, str]]:
    """nbval's ``(regex, replace)`` pairs, from tests/nbval_sanitize.cfg as nbval reads it."""
    import configparser

    config = configparser.ConfigParser()
    config.read(Path(__file__).with_name("nbval_sanitize.cfg"))
    return [(config[name]["regex"], config[name]["replace"]) for name in config.sections()]


def sanitized(text: str) -> str:
    """``text`` with nbval's replacements."""
    for regex, replace in nbval_replacements():
        text = re.sub(regex, replace, text)
    return text


def checked_outputs(notebook) -> dict[str, str]:
    """The text each ``# NBVAL_CHECK_OUTPUT`` cell printed or returned, by its source."""
    found = {}
    for cell in notebook.cells:
        if cell.cell_type == "code" and NBVAL_CHECKED in cell.source:
            parts = [out.get("text", "") or out.get("data", {}).get("text/plain", "")
                     for out in cell.outputs]  # fmt: skip
            found[cell.source] = sanitized("".join(parts))
    return found


@pytest.mark.parametrize("stem", NOT_IN_NBVAL)
def test_the_checked_outputs_of_07_and_08_are_the_committed_ones(collection_run, stem):
    """07 and 08 are half of the smoke profile's CPU: CI executes them once, in the collection
    run, and nbval (01-06) does not run them again; their checked cells are compared here."""
    import nbformat

    committed = checked_outputs(nbformat.read(COLLECTION[int(stem[:2]) - 1], as_version=4))
    ran = checked_outputs(collection_run.run(stem).notebook)
    assert len(committed) == 2 and all(committed.values())
    assert ran == committed
