"""The notebook-time forecast: work counted from the notebooks' parameters times fixed speeds.

Real speeds are measured by ``cifar-tutorial doctor``; how close the forecast comes to real
runs is ``benchmarks/forecast_accuracy.py``'s job, not a timed unit test's.
"""

from __future__ import annotations

import json
import math
import re

import pytest
import torch

from cifar_tutorial.course import forecast
from cifar_tutorial.course.forecast import (
    SMOKE_07,
    SPLIT_SIZES,
    Forecast,
    forecast_all,
    forecast_notebook,
    format_seconds,
    modern_recipes,
    modern_training,
)
from cifar_tutorial.course.speed import FastNetStep, MeasuredSpeeds, StepTime
from cifar_tutorial.data import load_split
from cifar_tutorial.modern import ABLATION_BUDGET, NOTEBOOK_MINUTES, ablation_share
from cifar_tutorial.modern import make_recipe as make_modern_recipe
from cifar_tutorial.modern.budget import AIM
from cifar_tutorial.training import make_recipe as make_classic_recipe
from tests.conftest import NOTEBOOKS


class FixedSpeeds:
    """A machine whose every step takes a known time: steps cost per image, plus set-up."""

    def __init__(self, device: str = "cpu", scale: float = 1.0) -> None:
        self.device = torch.device(device)
        self.scale = scale
        self.startup, self.figure = 3.0, 0.5
        self.load = {f"{d}-{s}": 0.1 for d in SPLIT_SIZES for s in ("train", "test")}
        self.autocast_bfloat16 = False

    def _step(self, images: int, per_image: float) -> StepTime:
        each = self.scale * (0.002 + images * per_image)
        return StepTime(first=each + self.scale * 0.25, each=each)

    def net_step(self, batch_size: int) -> StepTime:
        return self._step(batch_size, 1e-4)

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


def test_notebook_04_counts_the_recipe_steps_and_its_speed_table():
    speeds = FixedSpeeds()
    result = forecast_notebook("04", "full", speeds)
    recipe = make_classic_recipe("fast")
    steps = recipe.epochs * math.ceil(50_000 / recipe.batch_size)
    assert steps == 3 * 391
    step = speeds.net_step(recipe.batch_size)
    assert result.parts["training Net"] == pytest.approx(
        step.first + (steps - 1) * step.each + steps * recipe.batch_size * 1e-5
    )
    assert result.parts["images/s table"] == 2 * 2.0  # batch sizes 4 and 128, 2 s each
    assert result.parts["start-up and imports"] == 3.0
    assert result.parts["figures"] == 0.5
    assert result.seconds == pytest.approx(sum(result.parts.values()))


def test_notebook_07_counts_its_budgets_the_extra_tta_levels_and_every_ablation_run():
    speeds = FixedSpeeds(scale=0.5)  # fast enough for the ablation runs' longest budgets
    result = forecast_notebook("07", "full", speeds)
    recipe, ablation = modern_recipes(False, torch.device("cpu"))
    assert (recipe.budget, recipe.widths, ablation.widths, ablation.budget) == (
        5.0,
        (32, 64, 128),
        (16, 32, 64),
        ABLATION_BUDGET,
    )
    view = speeds.fast_net_view(FastNetStep((32, 64, 128), 32, 1000))
    # the budget holds training and testing at the recipe's tta level (2: 6 views), the
    # notebook tests at levels 0 and 1 too (1 + 2 views)
    others = view.total((1 + 2) * 10)
    assert result.parts["the recipe"] == pytest.approx(AIM * 300 + others)
    # the baseline and 10 changed runs train (Muon instead of SGD among them) on budgets; the tta
    # ablation only tests the baseline again
    tta_off = speeds.fast_net_view(FastNetStep((16, 32, 64), 32, 1000)).total(1)  # 1,000 images
    assert result.parts["ablation study"] == pytest.approx(11 * AIM * 60 * 0.3 + tta_off)
    assert result.parts["figures"] == 5 * 0.5


def test_notebook_07_ablation_runs_share_what_is_left_of_its_ten_minutes_on_a_slow_machine():
    slow = forecast_notebook("07", "full", FixedSpeeds(scale=1.5))
    before = slow.seconds - slow.parts["ablation study"] - slow.parts["figures"]
    share = ablation_share(before, 11)
    assert 0.1 < share < ABLATION_BUDGET  # the Net curves took longer: less is left
    tta_off = FixedSpeeds(scale=1.5).fast_net_view(FastNetStep((16, 32, 64), 32, 1000)).total(1)
    assert slow.parts["ablation study"] == pytest.approx(11 * AIM * 60 * share + tta_off)
    assert slow.seconds <= 60 * NOTEBOOK_MINUTES


def test_notebook_07_with_epochs_counts_the_steps_small_images_first():
    speeds = FixedSpeeds()
    recipe = make_modern_recipe("cpu", epochs=7)
    forecast = Forecast("07", "full")
    modern_training(forecast, speeds, recipe, 50_000, False, "training")
    total = round(7 * (50_000 // 512))
    low = round(0.7 * total)
    small = speeds.fast_net_step(FastNetStep((32, 64, 128), 24, 512))
    large = speeds.fast_net_step(FastNetStep((32, 64, 128), 32, 512))
    expected = small.total(low) + large.total(total - low) + total * 512 * 1e-5
    assert forecast.parts["training"] == pytest.approx(expected)


def test_every_part_of_the_work_scales_with_the_speed_and_the_fixed_costs_do_not():
    slow, fast = (forecast_all("full", FixedSpeeds(scale=s)) for s in (1.5, 1.0))
    budgeted = {("07", "the recipe"), ("07", "ablation study")}  # checked below
    for a, b in zip(slow, fast, strict=True):
        for part, seconds in a.parts.items():
            if part in ("start-up and imports", "figures", "loading the data", "images/s table"):
                assert seconds == b.parts[part]
            elif (a.notebook, part) not in budgeted:
                assert seconds == pytest.approx(1.5 * b.parts[part]), (a.notebook, part)
    # the budgets are minutes, whatever the speed: only the extra tests outside them scale
    assert b.parts["the recipe"] < a.parts["the recipe"] < 1.2 * b.parts["the recipe"]
    # ... and the ablation runs share what the slower cells before them left of 10 minutes
    assert a.parts["ablation study"] < b.parts["ablation study"]
    assert a.seconds <= 60 * NOTEBOOK_MINUTES


def test_the_smoke_profile_is_faster_for_every_notebook_and_covers_all():
    speeds = FixedSpeeds()
    full, smoke = forecast_all("full", speeds), forecast_all("smoke", speeds)
    assert [f.notebook for f in full] == ["01", "02", "03", "04", "05", "06", "07"]
    for f, s in zip(full, smoke, strict=True):
        assert s.seconds <= f.seconds and s.profile == "smoke"
    assert smoke[6].seconds < full[6].seconds / 10


def test_a_gpu_machine_times_notebook_06_on_both_and_07_takes_the_gpu_recipe():
    cpu = forecast_notebook("06", "full", FixedSpeeds("cpu"))
    gpu = forecast_notebook("06", "full", FixedSpeeds("cuda"))
    assert gpu.parts["timed steps"] == pytest.approx(2 * cpu.parts["timed steps"])
    recipe, _ = modern_recipes(False, torch.device("cuda"))
    assert recipe.name == "gpu" and recipe.low_res_size == 0
    parts = forecast_notebook("07", "full", FixedSpeeds("cuda")).parts
    step = FixedSpeeds().fast_net_step(FastNetStep(recipe.widths, 32, recipe.batch_size))
    steps = round(recipe.epochs * (50_000 // recipe.batch_size))
    view = FixedSpeeds().fast_net_view(FastNetStep(recipe.widths, 32, 1000))
    # the same steps as the step table's second row, which paid their set-up; then the test
    assert parts["the recipe"] == pytest.approx(
        steps * step.each + steps * recipe.batch_size * 1e-5 + view.total((1 + 2 + 6) * 10)
    )


def test_smoke_values_of_notebook_07_are_those_its_parameters_cell_names():
    cells = json.loads((NOTEBOOKS / "07_faster_and_better.ipynb").read_text())["cells"]
    parameters = "".join(next(c for c in cells if "parameters" in c["metadata"].get("tags", []))
                         ["source"])  # fmt: skip
    for name, value in SMOKE_07.items():
        line = next(line for line in parameters.splitlines() if line.startswith(f"{name} "))
        shown = json.dumps(value) if isinstance(value, str) else f"{value:g}"
        assert f"(smoke: {shown})" in line, name


FIGURE_CALLS = re.compile(
    r"^\s*(image_grid|class_balance_bars|loss_curve|per_class_bars|confusion_heatmap|"
    r"filter_grid|feature_map_grid|mistakes_grid|ablation_chart|accuracy_vs_time)\(",
    re.MULTILINE,
)


@pytest.mark.parametrize("number", sorted(forecast.FIGURES))
def test_figure_counts_follow_the_notebooks(number):
    notebook = next(NOTEBOOKS.glob(f"{number}_*.ipynb"))
    cells = json.loads(notebook.read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    drawn = len(FIGURE_CALLS.findall(code))
    assert forecast.FIGURES[number] + (number == "07") == drawn


def test_format_seconds():
    assert [format_seconds(s) for s in (7.4, 65, 3725)] == ["7 s", "1 min 05 s", "1 h 02 min"]


def test_measured_speeds_time_real_steps_once_and_scale_emulated_bfloat16(monkeypatch):
    sample = load_split("sample", "test")
    speeds = MeasuredSpeeds(torch.device("cpu"), sample, startup=1.0, load={}, figure=0.1)
    step = speeds.net_step(8)
    assert 0 < step.each and speeds.net_step(8) is step  # remembered, not measured again
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
