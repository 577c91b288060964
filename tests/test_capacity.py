"""How many learners a server holds (``cifar-tutorial doctor --server``), from fixed numbers."""

from __future__ import annotations

import json

import pytest

from cifar_tutorial.course import capacity
from cifar_tutorial.course.capacity import Cost, Reference, Server
from cifar_tutorial.course.cli import main
from cifar_tutorial.course.notebooks import notebook_names
from cifar_tutorial.errors import ParameterError
from cifar_tutorial.settings import PROFILES
from tests.conftest import NOTEBOOKS

STEP = 0.02  # seconds of the reference step in the fixed numbers


def reference(*costs: Cost, server_mb: float = 100, hub_mb: float = 100) -> Reference:
    return Reference("full", costs, STEP, server_mb, hub_mb, {"cpu": "Test CPU"}, "2026-01-01")


def test_up_to_one_learner_per_core_each_runs_as_fast_as_alone():
    cost = Cost("04", cpu_seconds=100, wall_seconds=110, peak_rss_mb=500)
    assert capacity.notebook_seconds(cost, learners=2, cores=4, scale=1) == 110
    assert capacity.notebook_seconds(cost, learners=4, cores=4, scale=1) == 110


def test_more_learners_than_cores_share_them_cpu_seconds_over_cores():
    cost = Cost("04", cpu_seconds=100, wall_seconds=110, peak_rss_mb=500)
    assert capacity.notebook_seconds(cost, learners=8, cores=2, scale=1) == 400
    assert capacity.notebook_seconds(cost, learners=3, cores=2, scale=1) == 150


def test_a_slower_server_scales_the_work_by_its_step_time():
    cost = Cost("04", cpu_seconds=100, wall_seconds=110, peak_rss_mb=500)
    assert capacity.notebook_seconds(cost, learners=1, cores=2, scale=2) == 220
    assert capacity.notebook_seconds(cost, learners=8, cores=2, scale=2) == 800
    fits = capacity.fit(reference(cost), Server(2, 64, 2 * STEP), 8, {})
    assert fits[0].seconds == 800 and fits[0].alone_seconds == 220


def test_a_time_budget_does_not_stretch_but_each_learner_does_fewer_steps():
    cost = Cost("07", cpu_seconds=310, wall_seconds=320, peak_rss_mb=900, budget_seconds=300)
    assert capacity.notebook_seconds(cost, learners=4, cores=2, scale=1) == 300 + 20
    assert capacity.notebook_seconds(cost, learners=8, cores=2, scale=1) == 300 + 40
    assert capacity.step_share(cost, learners=4, cores=2, scale=1) == 0.5
    assert capacity.step_share(cost, learners=1, cores=2, scale=1) == 1
    assert capacity.step_share(Cost("01", 10, 10, 10), learners=8, cores=2, scale=1) == 1


def test_time_waiting_for_a_busy_core_is_taken_off_except_inside_a_budget():
    quiet = capacity.alone_cost("01", 100, 110, 0, 0, 500)
    assert (quiet.cpu_seconds, quiet.wall_seconds) == (100, 110)
    busy = capacity.alone_cost("01", 100, 150, 50, 0, 500)
    assert (busy.cpu_seconds, busy.wall_seconds) == (100, 100)
    # half the core: 400 budgeted seconds used 200 CPU-s, alone 400; 100 s waited outside
    budgeted = capacity.alone_cost("07", 300, 600, 300, 400, 900)
    assert budgeted.cpu_seconds == pytest.approx(500) and budgeted.wall_seconds == 500
    assert budgeted.budget_seconds == 400


def test_a_cpu_bound_class_ends_where_the_schedule_slack_runs_out():
    ref = reference(Cost("04", cpu_seconds=100, wall_seconds=100, peak_rss_mb=100))
    server = Server(cores=2, memory_gb=1000, step_seconds=STEP)
    # 150 s allowed (100 alone + 50 slack): 3 learners take 150 s, 4 take 200 s
    prediction = capacity.predict(ref, server, 4, {"04": 50})
    assert (prediction.largest, prediction.limit, prediction.limit_notebook) == (3, "CPU", "04")
    assert not prediction.fits and prediction.notebooks[0].seconds == 200
    assert capacity.predict(ref, server, 3, {"04": 50}).fits


def test_a_memory_bound_class_counts_kernel_server_and_hub_less_the_reserve():
    ref = reference(
        Cost("01", cpu_seconds=1, wall_seconds=1, peak_rss_mb=200),
        Cost("05", cpu_seconds=1, wall_seconds=1, peak_rss_mb=1000),
    )
    server = Server(cores=64, memory_gb=8, step_seconds=STEP)
    assert capacity.usable_memory_gb(8) == 7  # 1 GB reserve (10% would be 0.8)
    assert capacity.usable_memory_gb(100) == 90
    # (7 * 1024 - 100 hub) / (1000 + 100) = 6.4 learners
    prediction = capacity.predict(ref, server, 7)
    assert (prediction.largest, prediction.limit, prediction.limit_notebook) == (6, "memory", "05")
    assert prediction.notebooks[1].memory_gb == pytest.approx((7 * 1100 + 100) / 1024)
    assert not prediction.fits


def test_impossible_servers_and_classes_are_refused_naming_the_option():
    ref = reference(Cost("01", 1, 1, 1))
    for server, learners, option in (
        (Server(2, 8, STEP), 0, "--learners"),
        (Server(0, 8, STEP), 1, "--cores"),
        (Server(2, 0, STEP), 1, "--memory-gb"),
    ):
        with pytest.raises(ParameterError, match=f"^{option}="):
            capacity.predict(ref, server, learners)


@pytest.mark.parametrize("profile", PROFILES)
def test_the_measured_costs_cover_every_notebook(profile):
    ref = capacity.read_reference(profile)
    assert [c.notebook for c in ref.costs] == sorted(notebook_names(NOTEBOOKS))
    for cost in ref.costs:
        assert cost.cpu_seconds > 0 and cost.wall_seconds > 0 and cost.peak_rss_mb > 100
        assert 0 <= cost.budget_seconds < cost.wall_seconds
    assert ref.step_seconds > 0 and ref.server_mb > 0 and ref.hub_mb > 0
    assert ref.machine["cpu"] and ref.machine["cores"] >= 1


def test_the_time_budget_is_read_from_the_forecast():
    assert capacity.budget_seconds("04", "smoke", NOTEBOOKS) > 0  # its images/s table
    assert capacity.budget_seconds("01", "smoke", NOTEBOOKS) == 0


@pytest.fixture
def fixed_reference(tmp_path, monkeypatch):
    """A capacity file of fixed numbers, and a speed that takes no measuring."""
    notebooks = {
        number: {"cpu_seconds": 60.0, "wall_seconds": 62.0, "peak_rss_mb": 1000,
                 "budget_seconds": 0.0}
        for number in notebook_names(NOTEBOOKS)
    }  # fmt: skip
    entry = {"machine": {"cpu": "Test CPU", "cpu_capability": "AVX2", "cores": 2},
             "date": "2026-01-01", "reference": {"step_seconds": STEP}, "server_mb": 100,
             "hub_mb": 100, "notebooks": notebooks}  # fmt: skip
    path = tmp_path / "capacity.json"
    path.write_text(json.dumps({"profiles": {"full": entry, "smoke": entry}}))
    monkeypatch.setattr(capacity, "CAPACITY_FILE", path)
    monkeypatch.setattr(capacity, "measure_step_seconds", lambda: STEP)
    return path


def test_doctor_server_says_each_notebook_and_how_many_learners_fit(fixed_reference, capsys):
    assert main(["doctor", "--server", "--learners", "2", "--cores", "2", "--memory-gb", "24"]) == 0
    printed = capsys.readouterr().out
    assert "Server: 2 cores, 24 GB; speed assumed as fast per core as this machine" in printed
    lines = [line for line in printed.splitlines() if line.startswith("[")]
    assert len(lines) == len(notebook_names(NOTEBOOKS))
    assert all(line.startswith("[OK]   ") for line in lines)
    assert "01_load_and_normalize: 1 min 02 s each (alone 1 min 02 s" in printed
    # memory: (24 - 2.4) GB usable, (N * 1100 + 100) MB -> 20; CPU: N * 30 s <= 62 s + slack
    assert "Fits: this server holds up to " in printed and "(limited by " in printed


def test_doctor_server_fails_with_exit_code_1_when_the_class_does_not_fit(fixed_reference, capsys):
    code = main(["doctor", "--server", "--learners", "40", "--cores", "2", "--memory-gb", "24"])
    printed = capsys.readouterr().out
    assert code == 1
    assert "[FAIL] 01_load_and_normalize: 20 min 00 s each" in printed
    assert "memory 43.1 of 21.6 GB" in printed
    assert "Does not fit: this server holds up to " in printed


def test_doctor_server_on_a_big_server_is_limited_by_memory(fixed_reference, capsys):
    code = main(["doctor", "--server", "--learners", "40", "--cores", "32",
                 "--memory-gb", "128", "--speed-from-reference"])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0, printed
    # 115.2 GB usable: (115.2 * 1024 - 100) / 1100 = 107.1, but 32 cores: 62 s + slack
    assert "as fast per core as the reference machine" in printed
    assert "learners for the full profile of the full-day schedule (limited by " in printed


@pytest.mark.parametrize(
    "option, value",
    [("--learners", "0"), ("--cores", "0"), ("--memory-gb", "0"), ("--memory-gb", "-3")],
)
def test_doctor_server_refuses_bad_numbers_in_one_line(fixed_reference, capsys, option, value):
    assert main(["doctor", "--server", option, value]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"cifar-tutorial: error: {option}=") and error.count("\n") == 1


def test_server_options_need_server(capsys):
    assert main(["doctor", "--learners", "40"]) == 2
    assert "--learners=40 is not allowed" in capsys.readouterr().err
