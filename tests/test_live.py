"""The live view: throttling (fake clock), one output replaced in place (fake output and IPython's
own display machinery, no kernel), nothing drawn outside a notebook."""

from __future__ import annotations

import base64
import time

import matplotlib.pyplot as plt
import pytest
import torch
from IPython.core.displaypub import CapturingDisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from matplotlib.colors import to_hex

from cifar_tutorial import live as live_module
from cifar_tutorial.alt_text import ALT, alt_of, describe
from cifar_tutorial.errors import ParameterError
from cifar_tutorial.live import FIRST_DRAW_SECONDS, WAITING, LivePlot, NotebookOutput
from cifar_tutorial.palette import colour, styled

PNG_START = b"\x89PNG"


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 100.0  # any start: only differences count

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeOutput:
    """Records what a notebook cell would get, and keeps what a saved notebook keeps."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict, dict]] = []

    def show(self, data: dict, metadata: dict) -> None:
        self.calls.append(("show", data, metadata))

    def update(self, data: dict, metadata: dict) -> None:
        self.calls.append(("update", data, metadata))

    @property
    def kept(self) -> list[tuple[dict, dict]]:
        """The saved notebook's outputs: each show adds one, each update replaces it."""
        outputs = []
        for kind, data, metadata in self.calls:
            if kind == "show":
                outputs.append((data, metadata))
            else:
                outputs[-1] = (data, metadata)
        return outputs

    @property
    def updates(self) -> int:
        return sum(kind == "update" for kind, _, _ in self.calls)


STEP = 1 / 128  # seconds per step of the loops here (exact in binary: no rounding drift)


def curve(values: list[float], *, cost: float = 0.0, timer: FakeClock | None = None):
    """A small described figure of ``values``; drawing it takes ``cost`` seconds of ``timer``."""
    if timer is not None:
        timer.advance(cost)
    with styled():
        figure, axis = plt.subplots(figsize=(1, 0.5), dpi=50)  # quick to draw
        axis.plot(values, color=colour(0))
    return describe(figure, f"{len(values)} values, the last {values[-1] if values else 'none'}")


def run_loop(plot: LivePlot, clock: FakeClock, values: list, seconds: float, step: float) -> None:
    """A training loop of ``seconds``, one step every ``step`` seconds, updating the plot."""
    with plot:
        for index in range(round(seconds / step)):
            clock.advance(step)
            values.append(float(index))
            plot.update()


def test_at_most_per_second_draws_a_second():
    clock, output, values = FakeClock(), FakeOutput(), []
    plot = LivePlot(curve, values, per_second=2, share=1.0, clock=clock, output=output)
    run_loop(plot, clock, values, seconds=4.0, step=STEP)
    assert plot.draws == 8  # every 0.5 s, from 0.5 s to 4 s
    assert output.updates == plot.draws + 1  # and the final draw


def test_drawing_as_long_as_guessed_stays_within_its_share_at_every_step():
    clock, output, values = FakeClock(), FakeOutput(), []
    plot = LivePlot(curve, values, share=0.02, clock=clock, output=output,
                    cost=FIRST_DRAW_SECONDS, timer=clock)  # fmt: skip
    start = clock()
    with plot:
        for index in range(round(100 / STEP)):  # 100 s of training
            clock.advance(STEP)
            values.append(float(index))
            plot.update()
            assert plot.drawing_seconds <= 0.02 * (clock() - start)
    assert plot.draws in (19, 20)  # 0.1 s every 5 s


@pytest.mark.parametrize("cost", [0.5, 2.0])
def test_drawing_takes_its_share_of_the_time_however_long_a_draw_takes(cost):
    clock, output, values = FakeClock(), FakeOutput(), []
    plot = LivePlot(curve, values, share=0.02, clock=clock, output=output, cost=cost, timer=clock)
    start = clock()
    run_loop(plot, clock, values, seconds=150 * cost, step=STEP)  # time for 3 draws
    elapsed = clock() - start - cost  # the loop's time, less the final draw's
    assert plot.last_seconds == pytest.approx(cost)
    assert 0.02 * elapsed - 2 * cost <= plot.drawing_seconds <= 0.02 * elapsed


def test_the_first_draw_waits_until_a_guessed_draw_fits_the_share():
    clock, output, values = FakeClock(), FakeOutput(), []
    plot = LivePlot(curve, values, share=0.02, clock=clock, output=output)
    run_loop(plot, clock, values, seconds=0.98 * FIRST_DRAW_SECONDS / 0.02, step=STEP)
    assert plot.draws == 0  # the loop was too short for a draw within 2% of its time ...
    assert output.updates == 1  # ... but the final one always happens
    data, metadata = output.kept[0]
    assert metadata["image/png"][ALT] == f"{len(values)} values, the last {values[-1]}"


def test_one_output_replaced_in_place_ends_with_the_whole_figure():
    clock, output, values = FakeClock(), FakeOutput(), []
    plot = LivePlot(curve, values, per_second=4, share=1.0, clock=clock, output=output)
    run_loop(plot, clock, values, seconds=3.0, step=1 / 16)
    assert [kind for kind, _, _ in output.calls[:2]] == ["show", "update"]
    assert output.calls[0][1] == {"text/plain": WAITING}  # where the figure will be
    assert sum(kind == "show" for kind, _, _ in output.calls) == 1
    assert output.updates > 5
    [(data, metadata)] = output.kept  # one output, the last figure: all 60 values
    assert base64.b64decode(data["image/png"]).startswith(PNG_START)
    assert data["text/plain"] == metadata["image/png"][ALT] == "48 values, the last 47.0"


def test_update_can_give_new_data():
    output = FakeOutput()
    with LivePlot(curve, [1.0], output=output) as plot:
        plot.update([1.0, 2.0, 3.0])
    assert output.kept[0][0]["text/plain"] == "3 values, the last 3.0"


def test_the_final_draw_happens_once():
    output = FakeOutput()
    plot = LivePlot(curve, [1.0], output=output)
    with plot:
        pass
    plot.close()
    assert output.updates == 1


def test_a_failing_loop_still_leaves_the_figure_so_far_and_its_error():
    output, values = FakeOutput(), [2.3]
    with (
        pytest.raises(KeyError, match="the loop's own error"),
        LivePlot(curve, values, output=output),
    ):
        values.append(1.9)
        raise KeyError("the loop's own error")
    assert output.kept[0][0]["text/plain"] == "2 values, the last 1.9"


def test_a_figure_that_cannot_be_drawn_does_not_hide_the_loops_error():
    def broken(values):
        raise ValueError("cannot draw")

    with (
        pytest.raises(KeyError, match="the loop's own error"),
        LivePlot(broken, [], output=FakeOutput()),
    ):
        raise KeyError("the loop's own error")


def test_figures_are_closed_after_drawing():
    clock, values = FakeClock(), []
    open_before = plt.get_fignums()
    plot = LivePlot(curve, values, per_second=8, share=1.0, clock=clock, output=FakeOutput())
    run_loop(plot, clock, values, seconds=1.0, step=1 / 16)
    assert plot.draws == 8  # every 0.125 s
    assert plt.get_fignums() == open_before


def test_outside_a_notebook_nothing_is_drawn(monkeypatch):
    def never(*data):
        raise AssertionError("drawn outside a notebook")

    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    clock = FakeClock()
    plot = LivePlot(never, [], clock=clock, share=1.0)  # output="notebook": there is none
    assert not plot.active
    run_loop(plot, clock, [], seconds=5.0, step=STEP)
    assert plot.draws == 0 and plot.started is None


def test_nothing_is_drawn_into_no_output():
    plot = LivePlot(curve, [], output=None)
    with plot:
        plot.update([1.0])
    assert not plot.active and plot.draws == 0


@pytest.fixture
def shell():
    """An IPython shell (no kernel) whose displays are captured instead of sent."""
    shell = InteractiveShell.instance()
    shell.display_pub = CapturingDisplayPublisher()
    yield shell
    InteractiveShell.clear_instance()


def test_in_ipython_the_figure_is_one_display_id_updated_in_place(shell):
    clock, values = FakeClock(), []
    plot = LivePlot(curve, values, per_second=4, share=1.0, clock=clock)  # output="notebook"
    assert isinstance(plot.output, NotebookOutput)
    run_loop(plot, clock, values, seconds=2.0, step=1 / 16)
    published = shell.display_pub.outputs
    first, *updates = published
    display_id = first["transient"]["display_id"]
    assert not first["update"] and first["data"] == {"text/plain": WAITING}
    assert len(updates) == plot.draws + 1 > 2
    for message in updates:
        assert message["update"] and message["transient"]["display_id"] == display_id
        assert set(message["data"]) == {"image/png", "text/plain"}
        assert message["metadata"]["image/png"][ALT] == message["data"]["text/plain"]
    assert updates[-1]["data"]["text/plain"] == "32 values, the last 31.0"


def test_the_terminal_ipython_is_not_a_notebook(monkeypatch):
    class TerminalInteractiveShell:  # as IPython's terminal names its shell
        pass

    import IPython

    monkeypatch.setattr(IPython, "get_ipython", TerminalInteractiveShell)
    assert live_module.notebook_output() is None


@pytest.mark.parametrize(
    ("setting", "value"), [("per_second", 0), ("share", 0), ("share", 1.5), ("per_second", "x")]
)
def test_bad_settings_are_refused_by_name(setting, value):
    with pytest.raises(ParameterError, match=f"^{setting}="):
        LivePlot(curve, [], output=None, **{setting: value})


# Notebook 04: training.train redraws the loss curve


@pytest.fixture(scope="module")
def sample():
    from cifar_tutorial.data import load_split

    return load_split("sample", "train").spread(640), load_split("sample", "test").spread(200)


class TickingClock(FakeClock):
    """A clock that moves a second each time it is read: draws come often, whatever the CPU."""

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def classic_weights(sample, live):
    from cifar_tutorial.data import FastLoader
    from cifar_tutorial.models import Net
    from cifar_tutorial.training import make_recipe, train

    recipe = make_recipe("fast", epochs=2)
    torch.manual_seed(0)
    net = Net()
    loader = FastLoader(sample[0], recipe.batch_size, shuffle=True, flip=True, seed=0)
    log = train(net, loader, recipe, progress=False, live=live)
    return net.state_dict(), log.losses


def test_notebook_04s_training_leaves_its_loss_curve_and_learns_the_same(sample):
    output = FakeOutput()
    weights, losses = classic_weights(sample, output)
    [(data, metadata)] = output.kept
    assert base64.b64decode(data["image/png"]).startswith(PNG_START)
    assert "loss" in metadata["image/png"][ALT].lower()
    assert data["text/plain"] == metadata["image/png"][ALT]
    unseen_weights, unseen_losses = classic_weights(sample, None)
    assert losses == unseen_losses
    for name, value in weights.items():
        assert torch.equal(value, unseen_weights[name]), name


# Notebook 07: loss and test accuracy against time, the budget's end marked

MODERN_TINY = dict(widths=(8, 16, 16), epochs=2, batch_size=64, lr=0.2, tta=0)


def modern_run(sample, live, clock=time.perf_counter):
    from cifar_tutorial.modern import make_recipe
    from cifar_tutorial.modern.train import build_net, train

    recipe = make_recipe("cpu", **MODERN_TINY)
    torch.manual_seed(0)
    net = build_net(recipe, torch.device("cpu"))
    log = train(net, sample[0], recipe, verbose=False, test_set=sample[1], clock=clock, live=live)
    return net.state_dict(), log


def test_notebook_07s_training_redraws_loss_and_accuracy_and_learns_the_same(sample):
    output = FakeOutput()
    weights, log = modern_run(sample, output, clock=TickingClock())
    assert output.updates >= 2  # drawn while it trained (a second per clock reading), and after
    [(data, metadata)] = output.kept
    alt = metadata["image/png"][ALT]
    assert alt.startswith(f"Training loss from {log.losses[0]:.2f} to {log.losses[-1]:.2f} ")
    assert f"over {log.steps} steps" in alt and "test accuracy" in alt
    unseen_weights, unseen_log = modern_run(sample, None)
    assert log.losses == unseen_log.losses
    for name, value in weights.items():
        assert torch.equal(value, unseen_weights[name]), name


def test_the_live_test_uses_a_spread_of_test_images_and_goes_back_to_training(sample):
    from cifar_tutorial.modern import make_recipe
    from cifar_tutorial.modern.progress import LiveTraining
    from cifar_tutorial.modern.train import build_net

    recipe = make_recipe("cpu", **MODERN_TINY)
    net = build_net(recipe, torch.device("cpu"))
    view = LiveTraining(net, sample[1], recipe, "cpu", started=0.0, output=FakeOutput(),
                        test_images=50)  # fmt: skip
    assert len(view.sample) == 50
    assert view.sample.class_counts() == dict.fromkeys(view.sample.classes, 5)
    assert 0 <= view.test_accuracy() <= 1 and net.training
    unseen = LiveTraining(net, sample[1], recipe, "cpu", started=0.0, output=None)
    unseen.update([torch.tensor(2.3)])  # no output: nothing noted, tested or drawn
    assert unseen.sample is None and unseen.seconds == [] and unseen.plot.draws == 0


def test_the_figure_against_time_marks_the_budget_in_palette_colours():
    from cifar_tutorial.modern.progress import loss_and_accuracy_against_time
    from cifar_tutorial.palette import GUIDE, PALETTE

    seconds = [10.0 + step for step in range(100)]
    losses = [2.3 - 0.01 * step for step in range(100)]
    figure = loss_and_accuracy_against_time(
        seconds, losses, [(40.0, 0.31), (109.5, 0.52)], budget_seconds=300, test_images=500
    )
    assert alt_of(figure) == (
        "Training loss from 2.30 to 1.31 over 100 steps in 109 s; test accuracy 31.0% at 40 s, "
        "52.0% at 110 s; the 5-minute budget ends at 300 s."
    )
    top, bottom = figure.axes
    budget_lines = [line for axis in (top, bottom) for line in axis.lines
                    if list(line.get_xdata()) == [300, 300]]  # fmt: skip
    assert len(budget_lines) == 2 and {line.get_color() for line in budget_lines} == {GUIDE}
    others = {to_hex(line.get_color()).upper() for line in top.lines + bottom.lines}
    assert others - {GUIDE} <= set(PALETTE)
    assert bottom.get_xlim()[1] >= 300  # the whole budget, ahead of the training
    assert "end of the 5-minute budget" in {text.get_text().strip() for text in bottom.texts}
    assert figure.get_facecolor()[:3] == (1, 1, 1)  # opaque white paper


def test_the_figure_against_time_says_when_nothing_is_trained_yet():
    from cifar_tutorial.modern.progress import loss_and_accuracy_against_time

    figure = loss_and_accuracy_against_time([], [], [])
    assert alt_of(figure) == "Training loss and test accuracy against time: no step trained yet."


# Notebook 08: the ranks' progress file, read again while torchrun runs


def test_each_rank_writes_a_line_every_half_second_with_its_loss_and_speed(tmp_path, monkeypatch):
    from cifar_tutorial.distributed.progress import ProgressLog, read_progress

    monkeypatch.setenv("TORCHELASTIC_RESTART_COUNT", "1")
    clock, path = FakeClock(), tmp_path / "run.progress.jsonl"
    ranks = [ProgressLog(path, rank, steps_per_epoch=7, clock=clock) for rank in (0, 1)]
    for step in range(9):  # a step every 0.25 s: a line every second step, and as epochs end
        clock.advance(0.25)
        for rank, log in enumerate(ranks):
            log.step(step // 7, step % 7, torch.tensor(2.0 - 0.1 * step + rank), images=64)
    records = read_progress(path)
    assert [(r["rank"], r["epoch"], r["step"]) for r in records] == [
        (rank, epoch, step) for epoch, step in [(1, 2), (1, 4), (1, 6), (1, 7), (2, 2)]
        for rank in (0, 1)
    ]  # fmt: skip
    assert records[6]["images_per_second"] == pytest.approx(64 / 0.25)  # one step since step 6
    first = records[0]
    assert first["loss"] == pytest.approx((2.0 + 1.9) / 2)  # the mean since the previous line
    assert first["images_per_second"] == pytest.approx(2 * 64 / 0.5)
    assert first["epoch"] == 1 and first["restart"] == 1 and first["time"] == 100.5
    assert records[-1]["loss"] == pytest.approx((1.3 + 1.2) / 2 + 1)  # rank 1's own loss


def test_without_a_file_no_rank_writes_anything(tmp_path):
    from cifar_tutorial.distributed.progress import ProgressLog

    log = ProgressLog(None, 0, every=0.0)
    log.step(0, 0, torch.tensor(1.0), images=8)
    assert log.steps == 0 and not list(tmp_path.iterdir())


def test_reading_progress_skips_what_is_not_a_whole_line(tmp_path):
    from cifar_tutorial.distributed.progress import read_progress

    path = tmp_path / "run.progress.jsonl"
    assert read_progress(path) == []  # torchrun is still starting: no file yet
    line = '{"rank": 0, "restart": 0, "loss": 2.1}\n'
    path.write_text(line + '{"rank": 1, "resta')  # rank 1 is writing its line
    assert read_progress(path) == [{"rank": 0, "restart": 0, "loss": 2.1}]
    path.write_text('{"rank": 1, "resta' + line + line)  # killed mid-line, then appended to
    assert read_progress(path) == [{"rank": 0, "restart": 0, "loss": 2.1}]


def progress_records() -> list[dict]:
    """Two ranks for 4 s, a restart, then 2 s more; rank 1 is a little slower."""
    records = []
    for second in range(7):
        if second == 4:
            continue  # the restart
        for rank in (0, 1):
            records.append({"rank": rank, "restart": int(second > 4), "epoch": 1, "step": second,
                            "loss": 2.3 - 0.1 * second, "time": 1000.0 + second,
                            "images_per_second": 500.0 - 50 * rank})  # fmt: skip
    return records


def test_the_ranks_figure_shows_rank_0s_loss_each_ranks_speed_and_the_restart():
    from cifar_tutorial.distributed.figures import rank_progress
    from cifar_tutorial.palette import GUIDE, PALETTE

    figure = rank_progress(progress_records())
    assert alt_of(figure) == (
        "Rank 0's training loss from 2.30 to 1.70 over 6 s; median images per second: "
        "rank 0 500, rank 1 450; restart 1 at 5 s."
    )
    top, bottom = figure.axes
    loss_lines = [line for line in top.lines if to_hex(line.get_color()) != GUIDE.lower()]
    assert len(loss_lines) == 2  # broken at the restart
    speed_lines = [line for line in bottom.lines if to_hex(line.get_color()) != GUIDE.lower()]
    assert {line.get_marker() for line in speed_lines} == {"o", "s"}  # not by colour alone
    assert {to_hex(line.get_color()).upper() for line in speed_lines} <= set(PALETTE)
    assert [text.get_text() for text in bottom.get_legend().get_texts()] == ["rank 0", "rank 1"]
    restart_lines = [line for line in bottom.lines if list(line.get_xdata()) == [5.0, 5.0]]
    assert len(restart_lines) == 1 and restart_lines[0].get_color() == GUIDE


def test_the_ranks_figure_of_an_empty_file_says_so(tmp_path):
    from cifar_tutorial.distributed.progress import progress_chart

    figure = progress_chart(tmp_path / "not yet.jsonl")
    assert alt_of(figure) == "The ranks' progress: nothing recorded yet."


def test_the_epoch_times_chart_names_every_run_and_the_fastest():
    from cifar_tutorial.distributed.figures import epoch_times_chart
    from cifar_tutorial.palette import GUIDE, PALETTE

    rows = [("1 process, 1 thread", 22.2, 1), ("1 process, 2 threads", 176.0, 1),
            ("2 processes, 1 thread each", 18.5, 2)]  # fmt: skip
    figure = epoch_times_chart(rows, title="Time per epoch, sample")
    assert alt_of(figure) == (
        "Time per epoch, sample: 1 process, 1 thread 22.2 s; 1 process, 2 threads 176.0 s; "
        "2 processes, 1 thread each 18.5 s; fastest: 2 processes, 1 thread each."
    )
    colours = [to_hex(bar.get_facecolor()).upper() for bar in figure.axes[0].patches]
    assert colours == [GUIDE.upper(), GUIDE.upper(), PALETTE[0]]
    assert [text.get_text() for text in figure.axes[0].texts] == [" 22.2 s", " 176.0 s", " 18.5 s"]
