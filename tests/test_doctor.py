"""``cifar-tutorial doctor``: one [OK]/[WARN]/[FAIL] line per item, a forecast, an exit code."""

from __future__ import annotations

import re

import pytest
import torch

from cifar_tutorial.course import doctor
from cifar_tutorial.course.cli import main
from cifar_tutorial.course.forecast import Forecast
from cifar_tutorial.course.speed import StepTime
from cifar_tutorial.data import load
from tests.conftest import NOTEBOOKS
from tests.test_cli import small_batches

LINE = re.compile(r"^(\[OK\]  |\[WARN\]|\[FAIL\]) \S")


def lines_of(printed: str) -> list[str]:
    return [line for line in printed.splitlines() if line.startswith("[")]


@pytest.mark.slow
def test_doctor_checks_everything_with_one_line_each(tmp_path, capsys):
    assert main(["doctor", "--data-root", str(tmp_path / "nothing"), "--no-forecast"]) == 0
    printed = capsys.readouterr().out
    findings = lines_of(printed)
    assert findings and all(LINE.match(line) for line in findings)
    for expected in (
        "[OK]   Python 3.",
        "torchvision ",
        "kernel python3",
        "imports torch and cifar_tutorial in ",
        "the package's sample: 5,000 + 1,000 photos",
        "[WARN] data cifar10: not ready",
        "fix: ",
        "cifar-tutorial prefetch",
        "free disk: ",
        "devices: cpu",
    ):
        assert expected in printed, expected
    assert "Predicted time" not in printed and printed.rstrip().endswith("Ready.")


def test_doctor_fails_with_exit_code_1_when_the_disk_is_full(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(doctor, "free_space", lambda path: 0.1)
    monkeypatch.setattr(doctor, "check_kernels", lambda measured: [])
    assert main(["doctor", "--data-root", str(tmp_path), "--no-forecast"]) == 1
    printed = capsys.readouterr().out
    assert "[FAIL] free disk: 0.1 GB" in printed
    assert "fix: the course needs about 0.5 GB" in printed
    assert "1 problem(s) to fix before the course." in printed
    assert "Predicted time" not in printed


def test_doctor_verifies_official_batches_and_fails_on_a_damaged_file(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(doctor, "check_kernels", lambda measured: [])
    small_batches(tmp_path / "cifar-10-batches-py")
    assert main(["doctor", "--data-root", str(tmp_path), "--no-forecast"]) == 1
    printed = capsys.readouterr().out
    # the miniature batches are not CIFAR-10's files: their md5 sums differ
    assert "[FAIL] data cifar10 in " in printed and "md5 sum" in printed
    assert "or cifar-tutorial prefetch --from-archive FILE installs a complete copy" in printed


def test_doctor_loads_a_verified_copy_and_reports_its_size(tmp_path, capsys, monkeypatch):
    from torchvision.datasets import CIFAR10
    from torchvision.datasets.utils import calculate_md5

    monkeypatch.setattr(doctor, "check_kernels", lambda measured: [])
    folder = tmp_path / "cifar-10-batches-py"
    small_batches(folder)
    md5 = {p.name: calculate_md5(str(p)) for p in folder.iterdir()}  # these become CIFAR-10's
    train = [[f"data_batch_{i}", md5[f"data_batch_{i}"]] for i in range(1, 6)]
    monkeypatch.setattr(CIFAR10, "train_list", train)
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": md5["batches.meta"]})
    monkeypatch.setattr(load, "check_complete", lambda *args: None)  # stands in for the full set
    assert main(["doctor", "--data-root", str(tmp_path), "--no-forecast"]) == 0
    printed = capsys.readouterr().out
    assert "[OK]   data cifar10: 20 + 6 images in " in printed
    assert "(md5 sums checked), loaded in " in printed


def test_a_long_notebook_gets_a_warning_with_a_shortcut(monkeypatch):
    slow = Forecast("07", "full", {"ablation study": 3 * 3600.0})
    quick = Forecast("04", "full", {"training Net": 20.0})
    monkeypatch.setattr(doctor, "measure_speeds", lambda measured: FakeSpeeds())
    monkeypatch.setattr(doctor, "load_average", lambda: 0.5)
    monkeypatch.setattr(
        "cifar_tutorial.course.forecast.forecast_all", lambda profile, speeds, folder: [quick, slow]
    )
    findings, table = doctor.forecast_lines(doctor.Measured(), str(NOTEBOOKS))
    assert findings[0].level == "ok" and "Net trains 12,800 images/s" in findings[0].what
    assert findings[1].level == "warn" and "3 h 00 min" in findings[1].what
    assert "-p ablation false" in findings[1].fix
    assert table[2].split() == ["notebook", "full", "smoke"]
    assert table[3].split()[0] == "04_train" and table[4].split()[0] == "07_faster_and_better"
    assert table[-1].split() == ["all", "3", "h", "00", "min", "3", "h", "00", "min"]


class FakeSpeeds:
    """Just what the speed line reads: the device, bfloat16, a step of ``Net``."""

    device = torch.device("cpu")
    native_bfloat16 = False

    def net_step(self, batch_size: int) -> StepTime:
        return StepTime(0.02, 0.01)


def test_a_busy_cpu_while_timing_gets_a_warning(monkeypatch):
    monkeypatch.setattr(doctor, "load_average", lambda: 9.9)
    monkeypatch.setattr(doctor.os, "cpu_count", lambda: 2)
    [finding] = doctor.check_competition()
    assert finding.level == "warn" and "load average 9.9 on 2 cores" in finding.what
    assert "run cifar-tutorial doctor again" in finding.fix
    monkeypatch.setattr(doctor, "load_average", lambda: 1.5)
    assert doctor.check_competition() == []
    monkeypatch.setattr(doctor, "load_average", lambda: None)  # Windows has none
    assert doctor.check_competition() == []
