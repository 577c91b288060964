"""The drawing helpers: each returns a figure that shows what it claims, readable by everyone
(palette colours on opaque white, right and wrong marked as well as coloured, alt text from the
data), and none stays open."""

from __future__ import annotations

import inspect
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.pylabtools import select_figure_formats
from matplotlib.collections import Collection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text
from PIL import Image
from torchvision.transforms.functional import to_pil_image

from cifar_tutorial import palette, plots
from cifar_tutorial.alt_text import ALT, alt_of, png_bytes
from cifar_tutorial.data import CLASSES, ImageSet, load_split, reference_transform
from cifar_tutorial.distributed import figures as rank_figures
from cifar_tutorial.explorers import confusion, layers, own_photo, training_set
from cifar_tutorial.explorers.weights import trained_or_fresh
from cifar_tutorial.models import Net
from cifar_tutorial.modern import report

# every module of the lesson layer that draws a figure for learners
DRAWING_MODULES = (plots, report, rank_figures, confusion, layers, own_photo, training_set)
ALLOWED_COLOURS = {c.lower() for c in [*palette.PALETTE, palette.GUIDE, "#000000", "#ffffff"]}
COLOUR_MAPS = {palette.SEQUENTIAL, palette.DIVERGING, palette.GREYSCALE}


@pytest.fixture(scope="module")
def sample_images() -> tuple[torch.Tensor, torch.Tensor]:
    test = load_split("sample", "test")
    spread = torch.arange(12) * (len(test.labels) // 12)  # the sample is sorted by class
    return test.images[spread], test.labels[spread]


def picture_axes(fig) -> list:
    return [ax for ax in fig.axes if ax.get_images()]


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible()]


# ----------------------------------------------------------------------------- every figure


def figure_functions() -> set[str]:
    """``module.function`` of each public function of the drawing modules that returns a
    ``Figure`` (found by its annotation, so that a new one cannot be left out of ``CASES``)."""
    return {
        f"{module.__name__}.{name}"
        for module in DRAWING_MODULES
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__
        and not name.startswith("_")
        and inspect.signature(function).return_annotation in ("Figure", Figure)
    }


@dataclass
class Case:
    """How to draw one figure function with small fake data, and what its figure must hold."""

    draw: Callable[[tuple[torch.Tensor, torch.Tensor]], Figure]
    number: str  # a number from the data that the alt text must say
    marks: tuple[str, ...] = ()  # the right/wrong marks the figure must write


def _guessed(images_labels):
    images, labels = images_labels
    guesses = labels.clone()
    guesses[:3] = (labels[:3] + 1) % 10
    return plots.image_grid(images, labels, predicted=guesses, columns=6)


def _mistakes(images_labels):
    images, labels = images_labels
    probabilities = torch.full((12, 10), 0.01)
    probabilities[torch.arange(12), (labels + 1) % 10] = 0.91
    return plots.mistakes_grid(images, labels, probabilities, count=4)


EVERYTHING = SimpleNamespace(accuracy=0.94, seconds=45.0)  # what ablation_rows reads of a run
ABLATION = report.ablation_rows(
    EVERYTHING, {"whitening": SimpleNamespace(accuracy=0.912, seconds=41.0)}
)
CURVES = {"modern": [(5, 0.6), (45, 0.94)], "classic": [(60, 0.5)]}
RANKS = [{"rank": rank, "restart": int(second > 4), "epoch": 1, "step": second,
          "loss": 2.3 - 0.1 * second, "time": 1000.0 + second,
          "images_per_second": 500.0 - 50 * rank}
         for second in range(7) for rank in (0, 1)]  # fmt: skip


def _sample_test_set():
    """The sample's test split, its first 40 images (four classes), and made-up probabilities:
    every fifth image taken for the next class."""
    test = load_split("sample", "test")
    spread = torch.arange(40) * (len(test.labels) // 40)
    data = ImageSet(test.images[spread], test.labels[spread], "test", "40 sample photos")
    probabilities = torch.full((40, 10), 0.02)
    guesses = data.labels.clone()
    guesses[::5] = (guesses[::5] + 1) % 10
    probabilities[torch.arange(40), guesses] = 0.82
    return data, probabilities


def _explorer(name: str):
    data, probabilities = _sample_test_set()
    torch.manual_seed(0)
    net = Net().eval()
    if name == "pair":
        true = int(data.labels[0])
        return confusion.pair_figure(data, probabilities, true, (true + 1) % 10)
    if name == "confusion":
        return confusion.confusion_figure(data, probabilities)
    if name == "layer":
        weights = trained_or_fresh("no such checkpoint.pth", fresh=net)
        return layers.layer_figure(data, 0, weights, "conv2")
    if name == "verdict":
        verdict = own_photo.judge(net, data.images[0])
        return own_photo.verdict_figure(verdict, "Test image 0", classes=data.classes,
                                        true_label=int(data.labels[0]))  # fmt: skip
    return training_set.training_photo_figure(data, 3)


CASES = {
    "cifar_tutorial.plots.image_grid": Case(
        _guessed, "9 right", (palette.RIGHT_MARK, palette.WRONG_MARK)
    ),
    "cifar_tutorial.plots.class_balance_bars": Case(
        lambda _: plots.class_balance_bars(
            {"train": {"cat": 5, "dog": 7}, "test": {"cat": 2, "dog": 2}}
        ),
        "12",
    ),
    "cifar_tutorial.plots.loss_curve": Case(
        lambda _: plots.loss_curve({"a": [2.3, 2.0, 1.5], "b": [2.3, 2.2]}, steps_per_epoch=2),
        "2.30",
    ),
    "cifar_tutorial.plots.per_class_bars": Case(
        lambda _: plots.per_class_bars([0.5, 0.25, 0.75, 0.625], classes="abcd", overall=0.5),
        "75%",
    ),
    "cifar_tutorial.plots.confusion_heatmap": Case(
        lambda _: plots.confusion_heatmap([[50, 3], [9, 38]], classes=["cat", "dog"]), "9 times"
    ),
    "cifar_tutorial.plots.filter_grid": Case(
        lambda _: plots.filter_grid(torch.linspace(-0.5, 0.25, 2 * 3 * 3 * 3).view(2, 3, 3, 3)),
        "-0.50",
    ),
    "cifar_tutorial.plots.feature_map_grid": Case(
        lambda il: plots.feature_map_grid(il[0][0], {"conv1": torch.arange(8.0).view(2, 2, 2)}),
        "7.00",
    ),
    "cifar_tutorial.plots.mistakes_grid": Case(_mistakes, "91%", (palette.WRONG_MARK,)),
    "cifar_tutorial.modern.report.accuracy_vs_time": Case(
        lambda _: report.accuracy_vs_time(CURVES), "94.0%"
    ),
    "cifar_tutorial.modern.report.ablation_chart": Case(
        lambda _: report.ablation_chart(ABLATION), "-2.80"
    ),
    "cifar_tutorial.distributed.figures.rank_progress": Case(
        lambda _: rank_figures.rank_progress(RANKS), "2.30"
    ),
    "cifar_tutorial.distributed.figures.epoch_times_chart": Case(
        lambda _: rank_figures.epoch_times_chart(
            [("1 process", 22.2, 1), ("2", 18.5, 2)], title="Time per epoch"
        ),  # fmt: skip
        "18.5 s",
    ),
    "cifar_tutorial.explorers.confusion.pair_figure": Case(
        lambda _: _explorer("pair"), "82%", (palette.WRONG_MARK,)
    ),
    "cifar_tutorial.explorers.confusion.confusion_figure": Case(
        lambda _: _explorer("confusion"), "40", (palette.RIGHT_MARK,)
    ),
    "cifar_tutorial.explorers.layers.layer_figure": Case(lambda _: _explorer("layer"), "16"),
    "cifar_tutorial.explorers.own_photo.verdict_figure": Case(lambda _: _explorer("verdict"), "%"),
    "cifar_tutorial.explorers.training_set.training_photo_figure": Case(
        lambda _: _explorer("training photo"), "255"
    ),
}


def test_every_figure_function_of_the_package_is_checked_here():
    assert figure_functions() == set(CASES)


def colours_used(fig: Figure) -> Iterator[tuple[str, str]]:
    """``(what, colour)`` of every visible line, marker, patch, text and plain collection."""
    for artist in fig.findobj(lambda a: a.get_visible()):
        if isinstance(artist, Line2D):
            yield f"line {artist}", artist.get_color()
            if artist.get_marker() not in (None, "None", "", " "):
                yield f"marker {artist}", artist.get_markerfacecolor()
                yield f"marker {artist}", artist.get_markeredgecolor()
        elif isinstance(artist, Patch):
            if artist.get_fill() and artist.get_facecolor()[3] > 0:
                yield f"face {artist}", artist.get_facecolor()
            if artist.get_linewidth() > 0 and artist.get_edgecolor()[3] > 0:
                yield f"edge {artist}", artist.get_edgecolor()
        elif isinstance(artist, Text) and artist.get_text():
            yield f"text {artist.get_text()!r}", artist.get_color()
        elif isinstance(artist, Collection) and artist.get_array() is None:
            for rgba in [*artist.get_facecolors(), *artist.get_edgecolors()]:
                if rgba[3] > 0:
                    yield f"collection {artist}", rgba


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_figure_is_readable_by_everyone(name, sample_images):
    case = CASES[name]
    fig = case.draw(sample_images)
    strays = {f"{what}: {to_hex(c)}" for what, c in colours_used(fig)
              if to_hex(c, keep_alpha=False) not in ALLOWED_COLOURS}  # fmt: skip
    assert not strays, "colours outside the palette:\n" + "\n".join(sorted(strays))
    for mappable in fig.findobj(lambda a: isinstance(a, (AxesImage, Collection))):
        values = mappable.get_array()
        if values is not None and np.ndim(values) == 2:  # values through a colour map
            assert mappable.get_cmap().name in COLOUR_MAPS, f"{name}: {mappable.get_cmap().name}"
    picture = Image.open(io.BytesIO(png_bytes(fig))).convert("RGBA")
    assert picture.getpixel((0, 0)) == (255, 255, 255, 255), "not on opaque white paper"
    alt = alt_of(fig)
    assert alt and case.number in alt, f"alt text {alt!r} does not say {case.number}"
    assert not re.search(r"\.(png|jpe?g)$|^(image|figure)$", alt, re.I)
    for mark in case.marks:
        assert any(mark in text for text in texts(fig)), f"no {mark} in the figure"


def test_a_figure_shown_by_jupyter_carries_its_alt_text():
    fig = plots.loss_curve([2.3, 2.0, 1.5])
    formatter = InteractiveShell.instance().display_formatter
    try:
        for formats in (set(), {"png"}):  # plain IPython, then with the inline backend's PNG
            select_figure_formats(InteractiveShell.instance(), formats)
            data, metadata = formatter.format(fig)
            assert data["image/png"].startswith("iVBORw0KGgo")  # base64 of a PNG
            assert data["text/plain"] == alt_of(fig)
            assert alt_of(fig) == "Training loss from 2.30 to 1.50 over 3 steps"
            assert metadata == {"image/png": {ALT: alt_of(fig)}}
    finally:
        select_figure_formats(InteractiveShell.instance(), set())
        InteractiveShell.clear_instance()


# ----------------------------------------------------------------------------- each figure


def test_unnormalize_undoes_the_reference_transform(sample_images):
    images, _ = sample_images
    normalized = torch.stack([reference_transform()(to_pil_image(image)) for image in images])
    assert normalized.min() < -0.5  # really in [-1, 1], not [0, 1]
    torch.testing.assert_close(plots.unnormalize(normalized), images.float() / 255)
    torch.testing.assert_close(plots.unnormalize(images), images.float() / 255)


def test_image_grid_marks_and_colours_each_guess(sample_images):
    images, labels = sample_images
    fig = _guessed(sample_images)
    shown = picture_axes(fig)
    assert len(shown) == 12
    assert [ax.get_title() for ax in shown] == [CLASSES[i] for i in labels.tolist()]
    guesses = [ax.texts[0] for ax in shown]
    said = [CLASSES[(labels[i] + 1) % 10] for i in range(3)] + [CLASSES[i] for i in labels[3:]]
    marks = [palette.WRONG_MARK] * 3 + [palette.RIGHT_MARK] * 9
    expected = [f"{mark} said {name}" for mark, name in zip(marks, said, strict=True)]
    assert [t.get_text() for t in guesses] == expected
    assert [t.get_color() for t in guesses] == [palette.WRONG] * 3 + [palette.RIGHT] * 9
    names = ", ".join(CLASSES[i] for i in labels.tolist())
    wrong = ", ".join(f"{CLASSES[labels[i]]} said {said[i]}" for i in range(3))
    assert alt_of(fig) == f"12 images: {names}; the network's guesses: 9 right, 3 wrong ({wrong})"


def test_image_grid_counts_the_classes_of_many_images_in_its_alt_text(sample_images):
    images, labels = sample_images
    two = torch.tensor([0, 11])  # two classes (the sample is sorted by class)
    many = labels[two].repeat(9)  # 18 images: 9 of each
    fig = plots.image_grid(images[two].repeat(9, 1, 1, 1), many, title="Augmented")
    first, second = CLASSES[labels[0]], CLASSES[labels[11]]
    assert alt_of(fig) == f"Augmented: 18 images of 2 classes: 9 {first}, 9 {second}"


def test_image_grid_shows_normalized_images_in_true_colours(sample_images):
    images, labels = sample_images
    normalized = (images.float() / 255 - 0.5) / 0.5
    fig = plots.image_grid(normalized, labels)
    drawn = picture_axes(fig)[0].get_images()[0].get_array()
    np.testing.assert_allclose(drawn, images[0].permute(1, 2, 0).numpy() / 255, atol=1e-6)


def test_class_balance_bars_have_the_counts():
    counts = {"train": {"cat": 5, "dog": 7}, "test": {"cat": 1, "dog": 1}}
    fig = plots.class_balance_bars(counts)
    heights = [patch.get_height() for patch in fig.axes[0].patches]
    assert heights == [5, 7, 1, 1]
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
        "train (12)",
        "test (2)",
    ]
    assert alt_of(fig) == (
        "Images per class: train 12 (from 5 cat to 7 dog); test 2 (1 of each class)"
    )


def test_smooth_is_a_moving_average_that_keeps_every_step():
    smoothed = plots.smooth([1, 2, 3, 4, 5, 6], window=3)
    np.testing.assert_allclose(smoothed, [1, 1.5, 2, 3, 4, 5])
    np.testing.assert_allclose(plots.smooth([4.0, 2.0], window=50), [4, 3])


def test_loss_curve_draws_raw_and_smoothed_runs_and_epoch_marks():
    first, second = [2.3, 2.0, 1.8, 1.7, 1.5, 1.4], [2.3, 2.2, 2.1]
    fig = plots.loss_curve({"batch 128": first, "batch 4": second}, steps_per_epoch=2, window=2)
    ax = fig.axes[0]
    data = [list(line.get_ydata()) for line in ax.get_lines()]
    assert first in data and second in data
    assert list(plots.smooth(first, 2)) in data
    marks = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert [line.get_xdata()[0] for line in marks] == [2, 4]
    assert {line.get_color() for line in marks} == {palette.GUIDE}
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["batch 128", "batch 4"]
    assert alt_of(fig) == (
        "Training loss, 2 runs: batch 128 from 2.30 to 1.45 over 3 epochs (6 steps); "
        "batch 4 from 2.30 to 2.15 over 1.5 epochs (3 steps)"
    )


def test_loss_curve_of_one_run_says_its_epochs_and_steps():
    losses = np.linspace(2.3, 1.1, 1170)
    fig = plots.loss_curve(losses, steps_per_epoch=390, window=1, title="Training loss, classic")
    assert alt_of(fig) == "Training loss, classic from 2.30 to 1.10 over 3 epochs (1,170 steps)"


def test_per_class_bars_show_percentages_and_label_both_lines():
    accuracies = dict(zip(CLASSES, [i / 10 for i in range(10)], strict=True))
    fig = plots.per_class_bars(accuracies, overall=0.45)
    ax = fig.axes[0]
    np.testing.assert_allclose([p.get_height() for p in ax.patches], [10 * i for i in range(10)])
    styles = {line.get_linestyle(): line.get_ydata()[0] for line in ax.get_lines()}
    assert styles == {":": pytest.approx(10), "--": pytest.approx(45)}  # told apart by style
    assert {"chance: 10%", "all classes: 45.0%"} <= set(texts(fig))  # and by their labels
    assert alt_of(fig) == (
        "Accuracy per class: best truck 90%, worst airplane 0%; all classes 45.0%; chance 10%"
    )


def test_confusion_heatmap_writes_every_count_and_marks_the_diagonal():
    matrix = torch.arange(100).view(10, 10)
    fig = plots.confusion_heatmap(matrix)
    ax = fig.axes[0]
    assert [int(t.get_text()) for t in ax.texts] == list(range(100))
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), matrix.numpy())
    assert ax.get_images()[0].get_cmap().name == palette.SEQUENTIAL
    assert [t.get_text() for t in ax.get_yticklabels()] == list(CLASSES)
    bold = [int(t.get_text()) for t in ax.texts if t.get_fontweight() == "bold"]
    assert bold == [11 * i for i in range(10)]
    boxed = {(round(p.get_x() + 0.45), round(p.get_y() + 0.45))
             for p in ax.patches if isinstance(p, Rectangle)}  # fmt: skip
    assert boxed == {(i, i) for i in range(10)}
    assert "boxed: right answers" in ax.get_title()
    assert alt_of(fig) == (
        "Confusion matrix of 4,950 images: 10% on the diagonal (right answers); most common "
        "mistake: truck taken for ship (98 times)"
    )


def test_confusion_heatmap_writes_dark_on_light_cells_and_light_on_dark():
    fig = plots.confusion_heatmap([[0, 100], [0, 0]], classes=["cat", "dog"])
    colours = {t.get_text(): t.get_color() for t in fig.axes[0].texts}
    assert colours == {"0": "white", "100": "black"}  # cividis: dark blue to light yellow
    assert alt_of(fig) == (
        "Confusion matrix of 100 images: 0% on the diagonal (right answers); most common "
        "mistake: cat taken for dog (100 times)"
    )
    assert "no mistakes" in alt_of(plots.confusion_heatmap([[3, 0], [0, 4]], classes="ab"))


def test_filter_grid_shows_each_filter_in_colour_and_each_channel_around_zero():
    weight = torch.randn(6, 3, 5, 5) * torch.arange(1, 7).view(6, 1, 1, 1)
    fig = plots.filter_grid(weight)
    colour = [ax for ax in picture_axes(fig) if ax.get_title().startswith("filter")]
    channels = [ax for ax in picture_axes(fig) if ax.get_title() in ("red", "green", "blue")]
    assert len(colour) == 6 and len(channels) == 18
    for ax in colour:
        picture = ax.get_images()[0].get_array()
        assert picture.shape == (5, 5, 3)
        assert picture.min() == pytest.approx(0) and picture.max() == pytest.approx(1)
    for number, ax in enumerate(channels):  # a row of reds, one of greens, one of blues
        image, (channel, index) = ax.get_images()[0], divmod(number, 6)
        reach = float(weight[index].abs().max())
        assert image.get_cmap().name == palette.DIVERGING
        assert image.get_clim() == pytest.approx((-reach, reach))  # white is zero
        np.testing.assert_allclose(image.get_array(), weight[index, channel].numpy())
    strongest = int(weight.abs().amax(dim=(1, 2, 3)).argmax())
    assert alt_of(fig).endswith(f"the largest (either sign) in filter {strongest}")
    with pytest.raises(ValueError, match=r"weight: must be \(filters, 3, height, width\)"):
        plots.filter_grid(torch.zeros(6, 1, 5, 5))


def test_feature_map_grid_shows_the_image_and_every_channel(sample_images):
    images, _ = sample_images
    maps = {"conv1": torch.rand(6, 28, 28), "conv2": torch.rand(16, 10, 10)}
    maps["conv2"][3] = 0  # a channel that does not respond at all
    maps["conv2"][5, 2, 2] = 4.0
    fig = plots.feature_map_grid(images[0], maps, columns=8)
    shown = picture_axes(fig)
    assert [ax.get_title() for ax in shown] == ["input"] + [f"conv1 #{i}" for i in range(6)] + [
        f"conv2 #{i}" for i in range(16)
    ]
    assert {ax.get_images()[0].get_cmap().name for ax in shown[1:]} == {palette.SEQUENTIAL}
    assert alt_of(fig).endswith(
        "conv2: 16 maps of 10x10, strongest response 4.00 in #5, 1 channel silent (zero everywhere)"
    )


def test_confident_mistakes_are_wrong_and_sorted_by_confidence():
    probabilities = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.95, 0.05], [0.3, 0.7]])
    labels = torch.tensor([0, 0, 0, 1, 1])  # rows 1, 2, 3 are wrong; row 0 is right and sure
    assert plots.confident_mistakes(probabilities, labels, count=5).tolist() == [3, 1, 2]
    assert plots.confident_mistakes(probabilities, labels, count=2).tolist() == [3, 1]


def test_mistakes_grid_titles_true_classes_and_marks_the_guess_wrong(sample_images):
    images, labels = sample_images
    probabilities = torch.full((12, 10), 0.01)
    probabilities[torch.arange(12), (labels + 1) % 10] = 0.91  # every guess is wrong
    probabilities[0, labels[0]], probabilities[0, (labels[0] + 1) % 10] = 0.91, 0.01
    fig = plots.mistakes_grid(images, labels, probabilities, count=20)
    shown = picture_axes(fig)
    assert len(shown) == 11
    assert shown[0].get_title() == CLASSES[labels[1]]
    said = CLASSES[(labels[1] + 1) % 10]
    assert shown[0].texts[0].get_text() == f"{palette.WRONG_MARK} said {said} (91%)"
    assert shown[0].texts[0].get_color() == palette.WRONG
    assert alt_of(fig).startswith(f"The 11 most confident mistakes: {CLASSES[labels[1]]} taken "
                                  f"for {said} (91%), ")  # fmt: skip
    nothing_wrong = plots.mistakes_grid(images[:1], labels[:1], torch.eye(10)[labels[:1]])
    assert alt_of(nothing_wrong) == "No mistakes: the network got every image right"


def test_accuracy_vs_time_tells_runs_apart_by_marker_as_well_as_colour():
    fig = report.accuracy_vs_time(CURVES)
    runs = [line for line in fig.axes[0].get_lines() if line.get_label() in ("modern", "classic")]
    assert len({line.get_marker() for line in runs}) == 2
    assert len({line.get_color() for line in runs}) == 2
    assert alt_of(fig) == (
        "Test accuracy against wall time (chance: 10%): modern 94.0% after 45 s; "
        "classic 50.0% after 60 s"
    )


def test_ablation_chart_says_what_each_idea_is_worth():
    fig = report.ablation_chart(ABLATION)
    assert [p.get_width() for p in fig.axes[0].patches] == [pytest.approx(2.8)]
    assert alt_of(fig) == (
        "Ablation against everything (94.00% in 45 s): without whitening: accuracy -2.80 points, "
        "time -4 s"
    )


def test_figures_are_not_left_open_in_pyplot(sample_images):
    plt.close("all")
    for case in CASES.values():
        case.draw(sample_images)
    assert plt.get_fignums() == []
