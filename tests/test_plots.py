"""The drawing helpers: each returns a figure that shows what it claims, and none stays open."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torchvision.transforms.functional import to_pil_image

from cifar_tutorial import plots
from cifar_tutorial.data import CLASSES, load_split, reference_transform


@pytest.fixture(scope="module")
def sample_images() -> tuple[torch.Tensor, torch.Tensor]:
    test = load_split("sample", "test")
    return test.images[:12], test.labels[:12]


def picture_axes(fig) -> list:
    return [ax for ax in fig.axes if ax.get_images()]


def saves_as_png(fig) -> bool:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue().startswith(b"\x89PNG")


def test_unnormalize_undoes_the_reference_transform(sample_images):
    images, _ = sample_images
    normalized = torch.stack([reference_transform()(to_pil_image(image)) for image in images])
    assert normalized.min() < -0.5  # really in [-1, 1], not [0, 1]
    torch.testing.assert_close(plots.unnormalize(normalized), images.float() / 255)
    torch.testing.assert_close(plots.unnormalize(images), images.float() / 255)


def test_image_grid_labels_each_image_and_colours_guesses(sample_images):
    images, labels = sample_images
    guesses = labels.clone()
    guesses[:3] = (labels[:3] + 1) % 10
    fig = plots.image_grid(images, labels, predicted=guesses, columns=5)
    shown = picture_axes(fig)
    assert len(shown) == 12
    assert [ax.get_title() for ax in shown] == [CLASSES[i] for i in labels.tolist()]
    colours = [ax.texts[0].get_color() for ax in shown]
    assert colours[:3] == [plots.WRONG_COLOUR] * 3
    assert colours[3:] == [plots.RIGHT_COLOUR] * 9
    assert shown[0].texts[0].get_text() == f"said {CLASSES[guesses[0]]}"
    assert saves_as_png(fig)


def test_image_grid_shows_normalized_images_in_true_colours(sample_images):
    images, labels = sample_images
    normalized = (images.float() / 255 - 0.5) / 0.5
    fig = plots.image_grid(normalized, labels)
    drawn = picture_axes(fig)[0].get_images()[0].get_array()
    np.testing.assert_allclose(drawn, images[0].permute(1, 2, 0).numpy() / 255, atol=1e-6)


def test_class_balance_bars_have_the_counts():
    counts = {"train": {"cat": 5, "dog": 7}, "test": {"cat": 1, "dog": 2}}
    fig = plots.class_balance_bars(counts)
    heights = [patch.get_height() for patch in fig.axes[0].patches]
    assert heights == [5, 7, 1, 2]
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
        "train (12)",
        "test (3)",
    ]


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
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["batch 128", "batch 4"]


def test_per_class_bars_show_percentages():
    accuracies = dict(zip(CLASSES, [i / 10 for i in range(10)], strict=True))
    fig = plots.per_class_bars(accuracies, overall=0.45)
    heights = [patch.get_height() for patch in fig.axes[0].patches]
    np.testing.assert_allclose(heights, [10 * i for i in range(10)])
    assert "45.0%" in fig.axes[0].get_legend().get_texts()[1].get_text()


def test_confusion_heatmap_writes_every_count():
    matrix = torch.arange(100).view(10, 10)
    fig = plots.confusion_heatmap(matrix)
    ax = fig.axes[0]
    assert [int(t.get_text()) for t in ax.texts] == list(range(100))
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), matrix.numpy())
    assert [t.get_text() for t in ax.get_yticklabels()] == list(CLASSES)


def test_filter_grid_stretches_each_filter_to_full_range():
    weight = torch.randn(6, 3, 5, 5) * torch.arange(1, 7).view(6, 1, 1, 1)
    fig = plots.filter_grid(weight)
    shown = picture_axes(fig)
    assert len(shown) == 6
    for ax in shown:
        picture = ax.get_images()[0].get_array()
        assert picture.shape == (5, 5, 3)
        assert picture.min() == pytest.approx(0) and picture.max() == pytest.approx(1)


def test_feature_map_grid_shows_the_image_and_every_channel(sample_images):
    images, _ = sample_images
    maps = {"conv1": torch.rand(6, 28, 28), "conv2": torch.rand(16, 10, 10)}
    fig = plots.feature_map_grid(images[0], maps, columns=8)
    titles = [ax.get_title() for ax in picture_axes(fig)]
    assert titles[0] == "input"
    assert titles[1:] == [f"conv1 #{i}" for i in range(6)] + [f"conv2 #{i}" for i in range(16)]


def test_confident_mistakes_are_wrong_and_sorted_by_confidence():
    probabilities = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.95, 0.05], [0.3, 0.7]])
    labels = torch.tensor([0, 0, 0, 1, 1])  # rows 1, 2, 3 are wrong; row 0 is right and sure
    assert plots.confident_mistakes(probabilities, labels, count=5).tolist() == [3, 1, 2]
    assert plots.confident_mistakes(probabilities, labels, count=2).tolist() == [3, 1]


def test_mistakes_grid_titles_true_classes_and_says_the_guess(sample_images):
    images, labels = sample_images
    probabilities = torch.full((12, 10), 0.01)
    probabilities[torch.arange(12), (labels + 1) % 10] = 0.91  # every guess is wrong
    probabilities[0, labels[0]], probabilities[0, (labels[0] + 1) % 10] = 0.91, 0.01
    fig = plots.mistakes_grid(images, labels, probabilities, count=20)
    shown = picture_axes(fig)
    assert len(shown) == 11
    assert shown[0].get_title() == CLASSES[labels[1]]
    assert shown[0].texts[0].get_text() == f"said {CLASSES[(labels[1] + 1) % 10]} (91%)"


def test_figures_are_not_left_open_in_pyplot(sample_images):
    images, labels = sample_images
    plt.close("all")
    plots.image_grid(images, labels)
    plots.loss_curve([2.3, 2.0])
    assert plt.get_fignums() == []
