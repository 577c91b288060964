"""The notebook-time forecast: each notebook's work, read from the notebook, times fixed speeds.

The forecast keeps no copy of what a notebook does: the tests change a copy of a notebook
(a parameter's default, a number in a cell, one more figure) and see the forecast follow.
Real speeds are measured by ``cifar-tutorial doctor``; how close the forecast comes to real
runs is ``benchmarks/forecast_accuracy.py``'s job, not a timed unit test's.
"""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path

import pytest
import torch

from cifar_tutorial.course.dry_run import UNKNOWN, DryRun, Opaque
from cifar_tutorial.course.forecast import (
    SPLIT_SIZES,
    forecast_all,
    forecast_notebook,
    views_per_image,
)
from cifar_tutorial.course.speed import FastNetStep, MeasuredSpeeds, StepTime
from cifar_tutorial.data import load_split
from cifar_tutorial.modern import ABLATION_BUDGET, NOTEBOOK_MINUTES, ablation_share
from cifar_tutorial.modern import make_recipe as make_modern_recipe
from cifar_tutorial.modern.budget import AIM
from cifar_tutorial.training import RECIPES as CLASSIC_RECIPES
from cifar_tutorial.training import make_recipe as make_classic_recipe
from tests.conftest import NOTEBOOKS

FIXED_PARTS = {"start-up and imports", "figures", "loading the data"}


class FixedSpeeds:
    """A machine whose every step takes a known time: steps cost per image, plus set-up."""

    def __init__(self, device: str = "cpu", scale: float = 1.0) -> None:
        self.device = torch.device(device)
        self.scale = scale
        self.startup, self.figure = 3.0, 0.5
        self.load = {f"{d}-{s}": 0.1 for d in SPLIT_SIZES for s in ("train", "test")}
        self.autocast_bfloat16 = self.native_bfloat16 = False
        self.cores = 2

    def _step(self, images: int, per_image: float) -> StepTime:
        each = self.scale * (0.002 + images * per_image)
        return StepTime(first=each + self.scale * 0.25, each=each)

    def net_step(self, batch_size: int, threads: int | None = None) -> StepTime:
        return self._step(batch_size, 1e-4 * self.cores / (threads or self.cores))

    def wide_net_step(self, width: int, batch_size: int) -> StepTime:
        return self._step(batch_size, width * 1e-4)

    def net_test_per_image(self) -> float:
        return self.scale * 2e-5

    def augment_per_image(self) -> float:
        return self.scale * 1e-5

    def fast_net_step(self, step: FastNetStep) -> StepTime:
        pixels = step.image_size**2 / 32**2
        layout = 1.0 if step.channels_last else 1.5
        return self._step(step.batch_size, 1e-3 * pixels * layout * step.widths[0] / 32)

    def fast_net_view(self, step: FastNetStep) -> StepTime:
        return self._step(step.batch_size, 3e-4 * step.widths[0] / 32)

    def on_cpu(self) -> FixedSpeeds:
        return self if self.device.type == "cpu" else FixedSpeeds("cpu", self.scale)


def changed_copy(tmp_path: Path, number: str, old: str, new: str) -> Path:
    """A folder holding a copy of notebook ``number`` with ``old`` replaced by ``new`` once
    in its code."""
    [source] = NOTEBOOKS.glob(f"{number}_*.ipynb")
    notebook = json.loads(source.read_text())
    hits = 0
    for cell in notebook["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] == "code" and old in text:
            cell["source"] = text.replace(old, new, 1)
            hits += 1
    assert hits >= 1, f"{old!r} is not in notebook {number}"
    (tmp_path / source.name).write_text(json.dumps(notebook))
    return tmp_path


# ---------------------------------------------------------------- every notebook, read


WORK_PARTS = {
    "01": {"loading the data", "figures"},
    "02": {"loading the data", "figures"},
    "03": {"loading the data", "training steps"},
    "04": {"loading the data", "training Net", "figures", "images/s table"},
    "05": {"loading the data", "testing Net", "figures"},
    "06": {"loading the data", "timed steps"},
    "07": {"Net curves", "augmented batches", "step table", "the recipe", "ablation study"},
    "08": {"launched processes", "torchrun runs", "run in the notebook", "figures"},
}


@pytest.mark.parametrize("profile", ["full", "smoke"])
def test_every_notebook_is_forecast_from_the_work_its_cells_do(profile):
    forecasts = forecast_all(profile, FixedSpeeds(), NOTEBOOKS)
    assert [f.notebook for f in forecasts] == sorted(WORK_PARTS)
    for forecast in forecasts:
        assert WORK_PARTS[forecast.notebook] <= set(forecast.parts), forecast.notebook
        assert all(seconds > 0 for seconds in forecast.parts.values()), forecast.parts
        assert forecast.parts["start-up and imports"] == 3.0


def test_the_smoke_profile_is_faster_for_every_notebook():
    speeds = FixedSpeeds()
    full, smoke = forecast_all("full", speeds), forecast_all("smoke", speeds)
    for f, s in zip(full, smoke, strict=True):
        assert s.seconds <= f.seconds and s.profile == "smoke"
    assert smoke[6].seconds < full[6].seconds / 10


def test_notebook_04_counts_its_recipes_epochs_and_its_images_per_second_probes():
    speeds = FixedSpeeds()
    result = forecast_notebook("04", "full", speeds)
    recipe = make_classic_recipe("fast")
    steps = recipe.epochs * math.ceil(50_000 / recipe.batch_size)
    step = speeds.net_step(recipe.batch_size)
    assert result.parts["training Net"] == pytest.approx(
        step.first + (steps - 1) * step.each + steps * recipe.batch_size * 1e-5
    )
    # the table probes batch sizes 4 and 128, the exercise 16, 64, 256 and 1,024: 2 s each
    sizes = sorted({4, CLASSIC_RECIPES["fast"].batch_size}) + [16, 64, 256, 1024]
    assert result.parts["images/s table"] == pytest.approx(2.0 * len(sizes))
    assert result.parts["figures"] == 0.5  # the loss curve


def test_a_parameter_default_of_the_notebook_changes_its_forecast(tmp_path):
    speeds = FixedSpeeds()
    three = forecast_notebook("04", "full", speeds).parts["training Net"]
    folder = changed_copy(tmp_path, "04", "epochs = None", "epochs = 1")
    one = forecast_notebook("04", "full", speeds, folder).parts["training Net"]
    first = speeds.net_step(CLASSIC_RECIPES["fast"].batch_size)
    assert one == pytest.approx((three + 2 * (first.first - first.each)) / 3)
    given = forecast_notebook("04", "full", speeds, parameters={"epochs": 1})  # -p epochs=1
    assert given.parts["training Net"] == pytest.approx(one)


def test_a_number_in_a_cell_changes_the_forecast(tmp_path):
    speeds = FixedSpeeds()
    steps_31 = forecast_notebook("03", "full", speeds).parts["training steps"]
    folder = changed_copy(tmp_path, "03", "range(1, 31)", "range(1, 11)")
    steps_11 = forecast_notebook("03", "full", speeds, folder).parts["training steps"]
    step = speeds.net_step(4)  # 03 steps on a batch of 4 images: 1 step, then the loop's
    assert steps_31 == pytest.approx(step.total(31)) and steps_11 == pytest.approx(step.total(11))


def test_one_more_figure_in_a_cell_is_one_more_figure_in_the_forecast(tmp_path):
    speeds = FixedSpeeds()
    before = forecast_notebook("02", "full", speeds).parts["figures"]
    again = "filter_grid(net.conv2.weight)\nfilter_grid(net.conv1.weight"
    folder = changed_copy(tmp_path, "02", "filter_grid(net.conv1.weight", again)
    after = forecast_notebook("02", "full", speeds, folder).parts["figures"]
    assert after == before + speeds.figure


def test_notebook_06_times_its_width_and_its_steps_on_both_devices(tmp_path):
    cpu = forecast_notebook("06", "full", FixedSpeeds("cpu"))
    gpu = forecast_notebook("06", "full", FixedSpeeds("cuda"))
    assert gpu.parts["timed steps"] == pytest.approx(2 * cpu.parts["timed steps"])
    speeds = FixedSpeeds()
    steps = 3 + 20  # three untimed steps, then the full profile's timed ones
    expected = speeds.net_step(128).total(steps) + speeds.wide_net_step(8, 128).total(steps)
    assert cpu.parts["timed steps"] == pytest.approx(expected)
    wider = forecast_notebook("06", "full", speeds, changed_copy(tmp_path, "06", "width = 8",
                                                                 "width = 16"))  # fmt: skip
    expected = speeds.net_step(128).total(steps) + speeds.wide_net_step(16, 128).total(steps)
    assert wider.parts["timed steps"] == pytest.approx(expected)


def test_notebook_07_counts_its_budgets_the_extra_tta_levels_and_every_ablation_run():
    speeds = FixedSpeeds(scale=0.5)  # fast enough for the ablation runs' longest budgets
    result = forecast_notebook("07", "full", speeds)
    view = speeds.fast_net_view(FastNetStep((32, 64, 128), 32, 1000))
    # the budget holds training and testing at the recipe's tta level (2: 6 views), the
    # notebook tests at levels 0 and 1 too (1 + 2 views)
    assert result.parts["the recipe"] == pytest.approx(AIM * 300 + view.total((1 + 2) * 10))
    # the baseline and 10 changed runs train on budgets; the tta ablation only tests the
    # baseline again
    tta_off = speeds.fast_net_view(FastNetStep((16, 32, 64), 32, 1000)).total(1)  # 1,000 images
    assert result.parts["ablation study"] == pytest.approx(
        11 * AIM * 60 * ABLATION_BUDGET + tta_off
    )
    assert result.parts["figures"] == 5 * 0.5


def test_notebook_07_ablation_runs_share_what_is_left_of_its_ten_minutes_on_a_slow_machine():
    speeds = FixedSpeeds(scale=1.5)
    slow = forecast_notebook("07", "full", speeds)
    before = slow.seconds - slow.parts["ablation study"] - slow.parts["figures"]
    share = ablation_share(before - speeds.startup, 11)  # the notebook's clock starts after
    assert 0.1 < share < ABLATION_BUDGET  # the Net curves took longer: less is left
    tta_off = speeds.fast_net_view(FastNetStep((16, 32, 64), 32, 1000)).total(1)
    # the notebook's clock also counts the figures drawn before the ablation: a little less
    expected = 11 * AIM * 60 * share + tta_off
    assert expected - slow.parts["figures"] < slow.parts["ablation study"] <= expected
    assert slow.seconds <= 60 * NOTEBOOK_MINUTES


def test_notebook_07_with_epochs_counts_the_steps_small_images_first():
    speeds = FixedSpeeds()
    result = forecast_notebook("07", "full", speeds, parameters={"epochs": 7, "ablation": False})
    assert "ablation study" not in result.parts
    total = round(7 * (50_000 // 512))
    low = round(0.7 * total)
    small = speeds.fast_net_step(FastNetStep((32, 64, 128), 24, 512))
    large = speeds.fast_net_step(FastNetStep((32, 64, 128), 32, 512))
    view = speeds.fast_net_view(FastNetStep((32, 64, 128), 32, 1000))
    # the step table paid the set-up of the full-size step; the test at every tta level
    training = small.total(low) + (total - low) * large.each + total * 512 * 1e-5
    assert result.parts["the recipe"] == pytest.approx(training + view.total((1 + 2 + 6) * 10))


def test_notebook_07_reads_its_smoke_values_from_its_set_up_cell(tmp_path):
    speeds = FixedSpeeds()
    smoke = forecast_notebook("07", "smoke", speeds)
    folder = changed_copy(tmp_path, "07", "(250 if smoke else None)", "(500 if smoke else None)")
    bigger = forecast_notebook("07", "smoke", speeds, folder)
    assert bigger.parts["step table"] > smoke.parts["step table"]  # steps of 500 images


def test_a_gpu_machine_takes_notebook_07s_gpu_recipe():
    recipe = make_modern_recipe("gpu")
    parts = forecast_notebook("07", "full", FixedSpeeds("cuda")).parts
    step = FixedSpeeds().fast_net_step(FastNetStep(recipe.widths, 32, recipe.batch_size))
    steps = round(recipe.epochs * (50_000 // recipe.batch_size))
    view = FixedSpeeds().fast_net_view(FastNetStep(recipe.widths, 32, 1000))
    # the same steps as the step table's second row, which paid their set-up; then the test
    assert parts["the recipe"] == pytest.approx(
        steps * step.each + steps * recipe.batch_size * 1e-5 + view.total((1 + 2 + 6) * 10)
    )


def test_notebook_08_launches_follow_its_parameters(tmp_path):
    speeds = FixedSpeeds()
    two = forecast_notebook("08", "full", speeds)
    # torchrun: 1 process, then 2 that crash and restart; each launch starts torchrun itself
    assert two.parts["torchrun runs"] > 4 * speeds.startup
    assert "4 processes" not in json.dumps(two.parts)
    folder = changed_copy(tmp_path, "08", "max_processes = 2", "max_processes = 4")
    four = forecast_notebook("08", "full", speeds, folder)  # one more run, of 4 processes
    extra = four.parts["torchrun runs"] - two.parts["torchrun runs"]
    assert extra > speeds.startup * (1 + 4 / speeds.cores)
    more_epochs = forecast_notebook("08", "full", speeds, parameters={"epochs": 3})
    for part in ("torchrun runs", "launched processes", "run in the notebook"):
        assert more_epochs.parts[part] > two.parts[part]


def test_every_part_of_the_work_scales_with_the_speed_and_the_fixed_costs_do_not():
    slow, fast = (forecast_all("full", FixedSpeeds(scale=s)) for s in (1.5, 1.0))
    budgeted = {("07", "the recipe"), ("07", "ablation study")}  # checked below
    for a, b in zip(slow[:7], fast[:7], strict=True):  # 08's launches start interpreters
        for part, seconds in a.parts.items():
            if part in FIXED_PARTS | {"images/s table"}:  # seconds per probe
                assert seconds == b.parts[part]
            elif (a.notebook, part) not in budgeted:
                assert seconds == pytest.approx(1.5 * b.parts[part]), (a.notebook, part)
    a, b = slow[6], fast[6]
    # the budgets are minutes, whatever the speed: only the extra tests outside them scale
    assert b.parts["the recipe"] < a.parts["the recipe"] < 1.2 * b.parts["the recipe"]
    # ... and the ablation runs share what the slower cells before them left of 10 minutes
    assert a.parts["ablation study"] < b.parts["ablation study"]
    assert a.seconds <= 60 * NOTEBOOK_MINUTES


def test_views_per_image_are_counted_on_the_package_s_tta():
    assert [views_per_image(level) for level in (0, 1, 2)] == [1, 2, 6]


# ---------------------------------------------------------------- the dry run


def dry_run(code: str, on_call=lambda call: UNKNOWN, **parameters) -> DryRun:
    return DryRun(on_call).run(parameters, [code])


def test_a_dry_run_computes_what_it_knows_and_hands_over_every_other_call():
    calls = []

    def on_call(call):
        calls.append((call.name, call.args, call.kwargs))
        return 42 if call.args == ("cifar10", "train") else UNKNOWN

    code = (
        "from cifar_tutorial.training import make_recipe\n"
        "from cifar_tutorial.data import load_split\n"
        "answer = load_split\n"  # another name for it: the call is the same
        "recipe = make_recipe('fast', epochs=epochs)\n"
        "steps = 2 if profile == 'smoke' else 20\n"
        "value = answer('cifar10', 'train')\n"
        "net = load_split('x', 'y')\n"
        "for step in range(steps // 10):\n"
        "    net.step(step)\n"
        "if net.ready():\n"
        "    never = 1\n"
    )
    run = dry_run(code, on_call, epochs=5, profile="full")
    assert run.namespace["recipe"].epochs == 5 and run.namespace["steps"] == 20
    assert run.namespace["value"] == 42 and isinstance(run.namespace["never"], Opaque)
    assert isinstance(run.namespace["net"], Opaque)
    assert [name for name, *_ in calls] == ["load_split", "load_split", "net.step", "net.step",
                                            "net.ready"]  # fmt: skip
    assert calls[2][1] == (0,) and calls[3][1] == (1,)


def test_a_dry_run_skips_what_depends_on_an_unknown_value_and_keeps_the_rest():
    code = (
        "import os\n"  # not the package's: its calls are handed over, never made
        "a, b = 1, os.getcwd()\n"
        "c = b + '/x'\n"
        "d = len(b)\n"
        "e = a + 1\n"
        "def helper(n):\n"
        "    return n * 2\n"
        "f = helper(e)\n"
    )
    namespace = dry_run(code).namespace
    assert namespace["a"] == 1 and namespace["e"] == 2 and namespace["f"] == 4
    assert isinstance(namespace["b"], Opaque) and isinstance(namespace["d"], Opaque)
    assert str(namespace["c"]) == "b//x"  # a path under an unknown folder, named


def test_the_notebooks_code_is_only_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    forecast_all("full", FixedSpeeds(), NOTEBOOKS)
    assert list(tmp_path.iterdir()) == []  # no checkpoint, no run folder, no metrics


# ---------------------------------------------------------------- measured speeds, benchmark


def test_measured_speeds_time_real_steps_once_and_scale_emulated_bfloat16(monkeypatch):
    sample = load_split("sample", "test")
    speeds = MeasuredSpeeds(torch.device("cpu"), sample, startup=1.0, load={}, figure=0.1)
    threads = torch.get_num_threads()
    step = speeds.net_step(8)
    assert 0 < step.each and speeds.net_step(8) is step  # remembered, not measured again
    assert speeds.net_step(8, threads=1).each > 0 and speeds.cores >= 1
    assert torch.get_num_threads() == threads  # put back after timing on one thread
    assert speeds.on_cpu() is speeds and speeds.net_test_per_image() > 0
    speeds.native_bfloat16 = False
    measured = []
    real = MeasuredSpeeds._batch
    monkeypatch.setattr(
        MeasuredSpeeds, "_batch", lambda self, n: measured.append(n) or real(self, n)
    )
    timing = speeds.fast_net_step(FastNetStep((4, 8, 8), 24, 256, bfloat16=True))
    assert measured == [32] and timing.each > 0  # timed on 32 images, scaled to 256


def test_the_benchmark_sets_each_forecast_beside_its_measured_run():
    from benchmarks import forecast_accuracy as bench

    forecasts = {"04": {"seconds": 25.0}, "07": {"seconds": 500.0}, "05": {"seconds": 9.0}}
    run = {"notebooks": [
        {"notebook": "04_train", "status": "completed", "seconds": 20.0},
        {"notebook": "07_faster_and_better", "status": "completed", "seconds": 400.0},
        {"notebook": "05_test", "status": "failed", "seconds": 3.0},
    ]}  # fmt: skip
    rows = bench.compare(forecasts, run, tolerance=0.3)
    assert [(r["notebook"], r["within"]) for r in rows] == [
        ("04_train", True), ("07_faster_and_better", True), ("05_test", False)
    ]  # fmt: skip
    assert rows[0]["error"] == pytest.approx(0.25) and rows[2]["measured_seconds"] is None
    report = {
        "machine": {"cpu": "Test CPU", "cpu_count": 2, "torch": "2.x", "torch_threads": 2,
                    "cpu_capability": "AVX2"},
        "check": {"native_bfloat16": False, "device": "cpu", "check_seconds": 12.0,
                  "steps_seconds": 7.0, "startup_seconds": 3.1},
        "profile": "full", "tolerance": 0.3, "rows": rows,
    }  # fmt: skip
    table = bench.markdown(report)
    assert "Machine: Test CPU, 2 cores" in table and "CPU capability AVX2" in table
    assert "| 04_train | 25 s | 20 s | +25% | yes |" in table
    assert "| 05_test | 9 s | not run | - | no |" in table
    report["check"]["load_average"] = {"before": 0.3, "after": 2.5}
    report["check"]["load_average_during_runs"] = {"mean": 3.0, "min": 1.0, "max": 5.5}
    table = bench.markdown(report)
    assert "Load average (1 min) before the check: 0.3, after the runs: 2.5" in table
    assert "During the runs (sampled every 10 s): mean 3.0, from 1.0 to 5.5." in table


def test_the_benchmark_reads_measured_times_from_a_finished_run_of_its_profile(tmp_path):
    from benchmarks import forecast_accuracy as bench

    summary = {"profile": "full", "status": "completed", "device": "cpu", "notebooks": [
        {"notebook": "04_train", "status": "completed", "seconds": 410.0, "metrics": {}},
    ]}  # fmt: skip
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    timing = bench.timings_of_run(tmp_path, "full")
    assert timing["notebooks"][0]["seconds"] == 410.0 and tmp_path.name in timing["command"]
    with pytest.raises(SystemExit, match="is a full run; this check is for the smoke profile"):
        bench.timings_of_run(tmp_path, "smoke")
    with pytest.raises(SystemExit, match="has no summary.json"):
        bench.timings_of_run(tmp_path / "missing", "full")


def test_real_measurements_feed_a_whole_forecast_of_the_smoke_profile():
    from cifar_tutorial.course import doctor

    measured = doctor.Measured(startup=2.0)
    doctor.check_sample(measured)
    speeds = doctor.measure_speeds(measured)  # the real thing, on the sample's small steps
    result = forecast_notebook("07", "smoke", speeds)
    assert {"Net curves", "step table", "the recipe", "ablation study"} <= set(result.parts)
    assert all(seconds > 0 for seconds in result.parts.values())
    assert speeds.measured_seconds > 0 and result.parts["start-up and imports"] == 2.0


def test_the_parameters_are_read_as_papermill_reads_them():
    from cifar_tutorial.course.forecast import read_notebook

    code = read_notebook("08", NOTEBOOKS)
    assert code.parameters["max_processes"] == 2 and code.parameters["profile"] is None
    assert not any("max_processes = 2" in cell for cell in code.cells)  # not run twice
    assert all(ast.parse(cell) for cell in code.cells)
