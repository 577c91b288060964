"""The "Are you on track?" cells: measured ranges, verdicts, and what to look at."""

from __future__ import annotations

import pytest
import torch

from cifar_tutorial.checks.on_track import EXPECTED, Range, on_track
from cifar_tutorial.modern import make_recipe as make_modern_recipe
from cifar_tutorial.training import make_recipe

CPU = torch.device("cpu")


def test_every_range_names_its_measurement_and_holds_the_defaults():
    assert make_recipe("fast").as_dict() == dict(EXPECTED[("04", "cifar10")].settings)
    full_07 = make_modern_recipe("cpu").as_dict()
    for key, value in EXPECTED[("07", "cifar10")].settings.items():
        assert full_07[key] == value, key
    for expected in EXPECTED.values():
        assert expected.source
        for measured in (expected.loss, expected.accuracy, expected.seconds):
            if measured is not None:
                assert measured.low < measured.high and measured.measured


def test_range_around_widens_the_measured_span():
    widened = Range.around(0.61, 0.626, 0.015, "61.0-62.6%")
    assert widened.low == pytest.approx(0.595) and widened.high == pytest.approx(0.641)


def test_a_run_like_the_measured_ones_is_on_track():
    report = on_track("04", "cifar10", make_recipe("fast"), CPU, loss=1.111, seconds=15.0)
    assert report.on_track
    text = str(report)
    assert text.count("On track:") == 2 and "loss 1.111, in the expected" in text
    assert "2-core AMD EPYC" in text and "seeds 0, 1, 2" in text
    html = report._repr_html_()
    assert "On track:" in html and "\n" not in html


def test_each_measure_outside_its_range_says_what_to_look_at():
    report = on_track("04", "cifar10", make_recipe("fast").as_dict(), CPU, loss=1.6, seconds=60)
    assert not report.on_track
    lines = str(report).splitlines()
    assert lines[0].startswith("Off track: loss 1.600, above the expected") and "lr" in lines[0]
    assert lines[1].startswith("Off track: time 60.0 s, more than twice")
    assert f"({torch.get_num_threads()} here)" in lines[1]
    low = on_track("04", "cifar10", make_recipe("fast"), CPU, loss=0.7)
    assert "below the expected" in str(low) and "notebook 5" in str(low)


def test_accuracy_of_notebook_05_both_ways():
    fast = {**make_recipe("fast").as_dict(), "dataset": "cifar10"}
    assert on_track("05", "cifar10", fast, CPU, accuracy=0.6098, seconds=0.4).on_track
    low = str(on_track("05", "cifar10", fast, CPU, accuracy=0.42))
    assert "test accuracy 42.0%, below" in low and "normalized" in low
    high = str(on_track("05", "cifar10", fast, CPU, accuracy=0.80))
    assert "above the expected" in high and "trained on" in high
    on_sample = str(on_track("05", "cifar10", {**fast, "dataset": "sample"}, CPU, accuracy=0.3))
    assert "no measured range for these settings (dataset sample instead of cifar10)" in on_sample


def test_a_slower_cpu_is_still_on_track_and_a_gpu_is_not_judged_on_time():
    fast = make_recipe("fast")
    assert on_track("04", "cifar10", fast, CPU, seconds=30.0).on_track
    report = on_track("04", "cifar10", fast, torch.device("cuda"), seconds=3.0)
    assert report.on_track and "Note: time 3.0 s on cuda: no run on cuda" in str(report)


def test_changed_settings_have_no_range_and_say_which():
    report = on_track("04", "cifar10", make_recipe("fast", epochs=8), CPU, loss=0.9)
    assert report.on_track
    assert "no measured range for these settings (epochs 8 instead of 3)" in str(report)
    reference = on_track("04", "cifar10", make_recipe("reference"), CPU, loss=1.3)
    assert "name reference instead of fast" in str(reference)
    smoke_07 = make_modern_recipe("cpu", epochs=2, widths="16,32,64", batch_size=250)
    assert "Note:" not in str(on_track("07", "sample", smoke_07, CPU, accuracy=0.43))
    assert "no measured range for notebook 06" in str(on_track("06", "cifar10", {}, CPU))


def test_an_unmeasured_quantity_is_a_note():
    trained = {**make_recipe("fast").as_dict(), "dataset": "sample"}
    report = on_track("05", "sample", trained, CPU, accuracy=0.34, seconds=0.3)
    assert "Note: time 0.3 s: not measured" in str(report)
