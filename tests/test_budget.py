"""Training on a time budget, and Muon: the mechanism, checked with a fake clock.

The fake clock advances only when the network computes: each training forward pass costs a
fixed time that grows with the image's area, each test image a fixed time. The number of
steps the recipe chooses can then be computed by hand, and the run must end within its
budget. Real adherence on a real machine is the benchmark's job (benchmarks/budget_recipe.py).
"""

from __future__ import annotations

import argparse
import json

import pytest
import torch
import torch.nn as nn
from tiny_cifar import subset

from benchmarks import budget_recipe
from cifar_tutorial.course.parameters import check_modern_recipe
from cifar_tutorial.data import load_split
from cifar_tutorial.errors import ParameterError
from cifar_tutorial.modern import ABLATIONS, FastNet, evaluate, make_recipe, run
from cifar_tutorial.modern.budget import (
    AIM,
    MEASURED_STEPS,
    REPLAN_EVERY,
    WARMUP_STEPS,
    BudgetPlan,
    StepCount,
    plan_budget,
    seconds_per_call,
    share_of_what_is_left,
    steps_within,
)
from cifar_tutorial.modern.muon import filters_as_matrices, keep_filter_norms
from cifar_tutorial.modern.train import build_net, make_optimizers, train

STEP_SECONDS = 0.05  # a training forward pass on 32x32 images, on the fake clock
TEST_IMAGE_SECONDS = 1e-4  # one test image, one view


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def charge_the_clock(net: nn.Module, clock: FakeClock, real_steps: float = 1.0) -> None:
    """Every forward pass of ``net`` (and of its copies) advances ``clock`` by its cost;
    ``net``'s own training steps cost ``real_steps`` times what its copies' do."""

    def cost(module: nn.Module, inputs: tuple[torch.Tensor]) -> None:
        images = inputs[0]
        if module.training:
            factor = real_steps if module is net else 1.0
            clock.advance(factor * STEP_SECONDS * (images.shape[-1] / 32) ** 2)
        else:
            clock.advance(TEST_IMAGE_SECONDS * len(images))

    net.register_forward_pre_hook(cost)


@pytest.fixture(scope="module")
def tiny():
    return subset(load_split("sample", "train"), 30), subset(load_split("sample", "test"), 10)


def budgeted(**changes):
    settings = dict(widths=(8, 16, 16), batch_size=100, lr=0.2, budget=0.05, tta=2)
    return make_recipe("cpu", **{**settings, **changes})


def test_steps_within_splits_the_time_between_the_two_image_sizes():
    speeds = {24: 0.5, 32: 1.0}
    assert steps_within(100, speeds, low_res_fraction=0.6) == 142  # 100 / (0.6*0.5 + 0.4)
    assert steps_within(100, {32: 1.0}, low_res_fraction=0.6) == 100
    assert steps_within(0.1, speeds, low_res_fraction=0.6) == 1  # never fewer than one step


def test_runs_share_what_is_left_within_their_limits():
    share = share_of_what_is_left(10, 300, 10, at_most=0.5, at_least=0.1, keep_seconds=60)
    assert share == pytest.approx(0.4)  # (600 - 300 - 60) s / 10 runs = 24 s
    assert share_of_what_is_left(10, 0, 10, at_most=0.3, at_least=0.1) == 0.3
    assert share_of_what_is_left(10, 590, 10, at_most=0.3, at_least=0.1) == 0.1
    assert share_of_what_is_left(10, 700, 0, at_most=0.3, at_least=0.1) == 0.1  # never below


def test_seconds_per_call_leaves_the_first_call_out_and_takes_the_median():
    clock, costs = FakeClock(), iter([5.0, 1.0, 9.0, 2.0])
    median = seconds_per_call(lambda: clock.advance(next(costs)), 3, clock, torch.device("cpu"))
    assert median == 2.0  # the first call (5 s: choosing kernels) is not counted, nor the slow 9


def test_the_plan_fits_training_and_testing_into_the_budget():
    clock = FakeClock()
    started = clock() - 3.0  # the whitening layer took 3 s

    def step_at_size(size):
        return lambda: clock.advance(0.01 * (size / 32) ** 2)

    plan = plan_budget(1, started=started, step_at_size=step_at_size, sizes=[32, 24],
                       test_at=lambda: clock.advance(0.5), test_scale=40,
                       low_res_fraction=0.7, steps_per_epoch=97, clock=clock,
                       device=torch.device("cpu"))  # fmt: skip
    measuring = (WARMUP_STEPS + MEASURED_STEPS) * (0.01 + 0.01 * 0.5625) + 2 * 0.5
    assert plan.spent_seconds == pytest.approx(3.0 + measuring)
    assert plan.test_seconds == pytest.approx(20.0)
    per_step = 0.7 * 0.005625 + 0.3 * 0.01
    left = AIM * 60 - plan.spent_seconds - 20.0
    assert plan.total_steps == int(left / per_step)
    assert plan.low_res_steps == round(0.7 * plan.total_steps)
    assert plan.epochs == pytest.approx(plan.total_steps / 97)
    assert plan.planned_seconds == pytest.approx(AIM * 60, rel=1e-3)
    text = plan.describe()
    assert "budget 1 min" in text and "10 ms per step at 32x32" in text
    assert f"{plan.total_steps:,} steps" in text and "97% of the budget" in text


@pytest.mark.parametrize("optimizer", ["sgd", "muon"])
def test_a_budgeted_run_ends_within_its_budget_on_the_fake_clock(tiny, optimizer):
    recipe = budgeted(optimizer=optimizer)
    clock = FakeClock()
    net = build_net(recipe, torch.device("cpu"))
    charge_the_clock(net, clock)
    log = train(net, tiny[0], recipe, verbose=False, test_set=tiny[1], clock=clock)
    testing_started = clock()
    evaluate(net, tiny[1], tta=recipe.tta)
    total = log.seconds + clock() - testing_started
    assert isinstance(log.budget.plan, BudgetPlan)
    assert log.steps == log.budget.total == log.budget.plan.total_steps > 10
    assert len(log.budget.replans) == 2  # on small images, then at full size: same speed
    assert 0.95 * 3.0 <= total <= 3.0  # within the budget of 0.05 min = 3 s, and fills it
    assert total == pytest.approx(log.budget.plan.planned_seconds, rel=0.01)


@pytest.mark.parametrize("slower", [1.3, 0.8])
def test_real_steps_slower_or_faster_than_the_copys_are_planned_again(tiny, slower):
    recipe = budgeted()
    clock = FakeClock()
    net = build_net(recipe, torch.device("cpu"))
    charge_the_clock(net, clock, real_steps=slower)
    log = train(net, tiny[0], recipe, verbose=False, test_set=tiny[1], clock=clock)
    testing_started = clock()
    evaluate(net, tiny[1], tta=recipe.tta)
    total = log.seconds + clock() - testing_started
    assert 0.95 * 3.0 <= total <= 3.0  # still within the budget, and filling it
    planned = log.budget.plan.total_steps
    assert (log.steps < planned) if slower > 1 else (log.steps > planned)
    assert len(log.budget.replans) == 2 and "the copy: 50 ms" in log.budget.describe()


def simulate(count: StepCount, clock: FakeClock, seconds: dict[int, float], later: float) -> float:
    """Run the steps ``count`` asks for on ``clock``: ``seconds`` per step at each image size,
    full-size steps ``later`` times slower from the 40% of the planned steps on (a laptop
    warming up, something else starting); the seconds of the whole run, testing included."""
    step, planned = 0, count.total
    while step < count.total:
        at_full_size = step >= count.low_res
        slowdown = later if at_full_size and step >= 0.4 * planned else 1.0
        clock.advance(seconds[32 if at_full_size else 24] * slowdown)
        step += 1
        count.after_step(step, clock())
    clock.advance(count.plan.test_seconds)
    return clock() - count.started


@pytest.mark.parametrize("later", [1.25, 0.8])
def test_steps_slowing_down_or_speeding_up_late_are_planned_again_every_few(later):
    clock = FakeClock()
    seconds = {24: 0.1, 32: 0.18}
    plan = BudgetPlan(300.0, 5.0, seconds, 10.0, total_steps=1500, low_res_steps=300,
                      steps_per_epoch=97)  # fmt: skip
    count = StepCount(plan.total_steps, plan.low_res_steps, plan, started=clock() - 5.0)
    total = simulate(count, clock, seconds, later)
    assert 0.9 * 300 <= total <= 300  # within the budget and filling it: 90-100%
    assert total == pytest.approx(AIM * 300, rel=0.01)
    assert len(count.later_totals) >= 5 and (count.total < 1500) == (later > 1)
    assert f"then every {REPLAN_EVERY} steps" in count.describe()


def test_without_a_plan_the_steps_stay_fixed():
    count = StepCount(50, 20)
    for step in range(1, 51):
        count.after_step(step, float(step))
    assert (count.total, count.low_res, count.replans, count.later_totals) == (50, 20, [], [])
    assert count.describe() == "50 steps"


@pytest.mark.parametrize("optimizer", ["sgd", "muon"])
def test_measuring_leaves_the_network_alone(tiny, optimizer):
    """A budgeted run trains exactly as a run of the epochs it chose: measuring the speed
    happened on a copy, and took nothing from the random numbers either."""
    planned, fixed = FastNet((8, 16, 16)), FastNet((8, 16, 16))
    fixed.load_state_dict(planned.state_dict())
    clock = FakeClock()
    charge_the_clock(planned, clock)
    recipe = budgeted(optimizer=optimizer)
    log = train(planned, tiny[0], recipe, verbose=False, test_set=tiny[1], clock=clock)
    same_steps = budgeted(optimizer=optimizer, epochs=log.budget.plan.epochs)
    assert train(fixed, tiny[0], same_steps, verbose=False).steps == log.steps
    for (name, a), b in zip(planned.state_dict().items(), fixed.state_dict().values(),
                            strict=True):  # fmt: skip
        torch.testing.assert_close(a, b, msg=name)


def test_epochs_given_explicitly_win_over_the_budget():
    assert make_recipe("cpu").budget == 5.0 and make_recipe("cpu").epochs is None
    assert make_recipe("cpu-long").budget == 15.0
    fixed = make_recipe("cpu", epochs=7)
    assert fixed.epochs == 7 and fixed.budget is None
    both = make_recipe("cpu", epochs=3, budget=2)
    assert both.epochs == 3 and both.budget is None
    assert make_recipe("gpu", budget=0.1).epochs is None


@pytest.mark.parametrize(
    "setting, value",
    [("budget", 0), ("budget", -1), ("budget", "soon"), ("budget", 24 * 60 + 1),
     ("optimizer", "adam"), ("muon_lr", 0), ("muon_momentum", 1)],
)  # fmt: skip
def test_bad_budget_and_optimizer_settings_are_refused_by_name(setting, value):
    with pytest.raises(ParameterError, match=setting):
        make_recipe("cpu", **{setting: value})


def test_muon_trains_the_conv_filters_as_matrices_and_sgd_the_rest():
    recipe = make_recipe("cpu", widths=(8, 16, 16), epochs=1, optimizer="muon")
    net = build_net(recipe, torch.device("cpu"))
    matrices = filters_as_matrices(net)
    assert [tuple(m.shape) for m in matrices] == [
        (8, 24 * 9), (8, 8 * 9), (16, 8 * 9), (16, 16 * 9), (16, 16 * 9), (16, 16 * 9)
    ]  # fmt: skip
    assert net.groups[0].conv1.weight.shape == (8, 24, 3, 3)  # used as filters, as before
    sgd, muon = make_optimizers(net, recipe)
    assert isinstance(muon, torch.optim.Muon) and isinstance(sgd, torch.optim.SGD)
    in_muon = {id(p) for group in muon.param_groups for p in group["params"]}
    in_sgd = {id(p) for group in sgd.param_groups for p in group["params"]}
    assert in_muon == {id(m) for m in matrices} and not in_muon & in_sgd
    trained = {id(p) for p in net.parameters() if p.requires_grad}
    assert in_muon | in_sgd == trained


def test_a_muon_step_is_orthogonalized_and_keeps_the_filter_norms():
    torch.manual_seed(0)
    recipe = make_recipe("cpu", widths=(8, 16, 16), epochs=1, optimizer="muon", muon_momentum=0)
    net = build_net(recipe, torch.device("cpu"))
    _, muon = make_optimizers(net, recipe)
    matrix = net.groups[2].conv2.parametrizations.weight.original
    keep_filter_norms([matrix])
    before = matrix.detach().clone()
    net(torch.randn(4, 3, 32, 32)).square().sum().backward()
    muon.step()
    step = (matrix.detach() - before) / recipe.muon_lr
    singular_values = torch.linalg.svdvals(step.float())
    assert singular_values.max() < 1.6 and singular_values.min() > 0.3  # all about 1
    assert matrix.norm().item() == pytest.approx(len(matrix) ** 0.5, rel=1e-4)


def test_a_muon_run_learns_on_the_sample(tiny):
    result = run(make_recipe("cpu", widths=(8, 16, 16), epochs=6, batch_size=100, lr=0.2,
                             optimizer="muon", tta=0), *tiny, verbose=False)  # fmt: skip
    assert result.accuracy > 0.2  # chance is 0.10
    assert result.log.losses[-1] < result.log.losses[0]


def test_the_budget_benchmark_runs_side_by_side_on_the_sample(tmp_path, capsys):
    out = tmp_path / "budget.jsonl"
    argv = ["--dataset", "sample", "--budget", "0.05", "--seeds", "0", "--variants", "muon",
            "fixed", "--set", "widths=8,16,16", "batch_size=250", "tta=0",
            "--json", str(out)]  # fmt: skip
    budget_recipe.main(argv)  # whether 3 s were kept depends on the machine: not judged here
    report = json.loads(out.read_text())
    muon, fixed = report["variants"]
    assert (muon["variant"], fixed["variant"]) == ("muon", "fixed")
    assert muon["recipe"]["budget"] == 0.05 and muon["recipe"]["optimizer"] == "muon"
    assert fixed["recipe"]["epochs"] == 7 and fixed["recipe"]["budget"] is None
    assert muon["runs"][0]["budget_share"] > 0 and fixed["runs"][0]["budget_share"] is None
    assert "budget 0.05 min: measured" in muon["runs"][0]["plan"]
    assert "| muon | muon |" in capsys.readouterr().out


def test_the_budget_benchmark_ablation_and_verdict():
    variants = budget_recipe.variant_settings(argparse.Namespace(ablation=True, base="sgd"))
    assert variants["everything"] == {"optimizer": "sgd"}
    muon = "without Nesterov SGD for the filters (Muon instead)"
    assert variants[muon] == {"optimizer": "muon"}
    assert variants["without random flips"] == {"optimizer": "sgd", "flip": False}
    assert len(variants) == 1 + len(ABLATIONS)
    on_muon = budget_recipe.variant_settings(argparse.Namespace(ablation=True, base="muon"))
    assert muon not in on_muon and len(on_muon) == len(ABLATIONS)  # already Muon

    def summary(name, accuracy, shares):
        runs = [{"budget_share": share} for share in shares]
        kept = all(0.9 <= s <= 1.05 for s in shares) if shares[0] else None
        return {"variant": name, "mean_accuracy": accuracy, "budget_kept": kept, "runs": runs}

    good = [summary("muon", 87.5, [0.97, 0.99]), summary("fixed", 85.5, [None])]
    targets = argparse.Namespace(target=87.0, above=["fixed", "1.0"])
    assert budget_recipe.verdict(good, targets) == 0
    late = [summary("muon", 87.5, [0.97, 1.08]), good[1]]
    assert budget_recipe.verdict(late, targets) == 1
    close = [summary("muon", 86.0, [0.97]), good[1]]
    assert budget_recipe.verdict(close, targets) == 1


@pytest.mark.parametrize(
    "values, name",
    [({"budget": -1}, "budget"), ({"ablation_budget": 0}, "ablation_budget"),
     ({"optimizer": "adam"}, "optimizer")],
)  # fmt: skip
def test_cifar_tutorial_run_refuses_bad_budgets_for_notebook_07_by_name(values, name):
    with pytest.raises(ParameterError, match=f"^{name}="):
        check_modern_recipe(values)
