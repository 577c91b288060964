"""Notebook 5's "your own photo" explorer: upload a photo (or pick a test image) and see it as the
network sees it (32x32 pixels), the network's three likeliest classes, and a Grad-CAM heat map of
where it looked, from the learner's own trained network."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import torch
import torch.nn as nn
from matplotlib.figure import Figure
from PIL import Image

from ..alt_text import describe
from ..data import REFERENCE_MEAN, REFERENCE_STD, ImageSet
from ..errors import first_line
from ..palette import GREYSCALE, GUIDE, SEQUENTIAL, colour, mark, right_or_wrong, styled
from .drawing import article, new_figure, picture, show_picture, where_in_image
from .photo import ALLOWED, PhotoError, network_input, normalize, read_photo
from .predictions import class_probabilities, grad_cam, top_classes
from .show import Explorer, hook, number_picker, show_explorer, show_figure

SHOWN_SIZE = 256  # an uploaded photo is drawn at most this many pixels wide or high


@dataclass(frozen=True)
class Verdict:
    """What the network makes of one image: its pixels as the network sees them (``uint8``,
    ``(3, 32, 32)``), the probability of each class, and the Grad-CAM map of the likeliest."""

    pixels: torch.Tensor
    probabilities: torch.Tensor
    heat: torch.Tensor

    @property
    def likeliest(self) -> int:
        return int(self.probabilities.argmax())


def judge(
    net: nn.Module,
    pixels: torch.Tensor,
    mean: Sequence[float] = REFERENCE_MEAN,
    std: Sequence[float] = REFERENCE_STD,
) -> Verdict:
    """The network's probabilities for ``uint8`` pixels ``(3, 32, 32)``, and Grad-CAM for the
    likeliest class."""
    image = normalize(pixels, mean, std)
    probabilities = class_probabilities(net, image)
    heat = grad_cam(net, image, int(probabilities.argmax()))
    return Verdict(pixels, probabilities, heat)


def top_three_line(verdict: Verdict, classes: Sequence[str]) -> str:
    """One line for the message under the controls: the three likeliest classes."""
    top = ", ".join(f"{name} {p:.0%}" for name, p in top_classes(verdict.probabilities, 3, classes))
    return f"The network says: {top}; Grad-CAM below shows where it looked."


def verdict_figure(
    verdict: Verdict,
    source: str,
    *,
    classes: Sequence[str],
    photo: Image.Image | None = None,
    true_label: int | None = None,
) -> Figure:
    """The photo (when it is larger than 32x32), what the network sees, Grad-CAM over it, and
    the three likeliest classes; with ``true_label``, whether the network is right."""
    top = top_classes(verdict.probabilities, 3, classes)
    likeliest = classes[verdict.likeliest]
    panels = 4 if photo is not None else 3
    with styled():
        fig = new_figure(3.0 * panels + 1.5, 3.3)
        axes = fig.subplots(1, panels, width_ratios=[1] * (panels - 1) + [1.6])
        if photo is not None:
            shown = photo.copy()
            shown.thumbnail((SHOWN_SIZE, SHOWN_SIZE))
            axes[0].imshow(np.asarray(shown))
            axes[0].set_title(f"{source}\n{photo.size[0]}x{photo.size[1]} pixels", fontsize=9)
            axes[0].set_axis_off()
        seen, cam, bars = axes[-3:]
        show_picture(seen, verdict.pixels, "as the network sees it:\ncentre square, 32x32 pixels"
                     if photo is not None else f"{source}\n32x32 pixels")  # fmt: skip
        grey = picture(verdict.pixels).astype(float).mean(axis=2)
        cam.imshow(grey, cmap=GREYSCALE, interpolation="nearest")
        cam.imshow(verdict.heat.numpy(), cmap=SEQUENTIAL, alpha=0.6, vmin=0, vmax=1)
        cam.set_title(f"Grad-CAM for {likeliest}:\nbright where it looked", fontsize=9)
        cam.set_axis_off()
        names = [name for name, _ in top][::-1]
        values = [100 * p for _, p in top][::-1]
        colours = [colour(0)] * len(names)
        if true_label is not None:
            colours = [right_or_wrong(name == classes[true_label]) if name == likeliest
                       else colour(0) for name in names]  # fmt: skip
        if true_label is not None:  # say which bar, if any, is the true class
            names = [f"{name} (true class)" if name == classes[true_label] else name
                     for name in names]  # fmt: skip
        drawn = bars.barh(names, values, color=colours)
        bars.bar_label(drawn, labels=[f"{v:.0f}%" for v in values], fontsize=8, padding=2)
        bars.set_xlim(0, 110)
        bars.axvline(100 / len(classes), color=GUIDE, linestyle=":", linewidth=1)
        bars.set_xlabel("probability (%); dotted: guessing", fontsize=8)
        bars.tick_params(labelsize=8)
        said = f"The network says {likeliest}"
        if true_label is not None:
            right = verdict.likeliest == true_label
            truth = classes[true_label]
            said += f" {mark(True)} right" if right else (
                f" {mark(False)} wrong: it is {article(truth)} {truth}")  # fmt: skip
        bars.set_title(said, fontsize=9)
    chances = ", ".join(f"{name} {p:.0%}" for name, p in top)
    if true_label is not None:
        chances += f" ({'right' if right else 'wrong'}: it is {classes[true_label]})"
    seen_words = "its centre square shrunk to 32x32 pixels" if photo is not None else "32x32 pixels"
    return describe(
        fig,
        f"{source}, {seen_words} as the network sees it. Its three likeliest classes: "
        f"{chances}. Grad-CAM for {likeliest} is brightest at the "
        f"{where_in_image(verdict.heat)} of the photo.",
    )


def explore_own_photo(
    net: nn.Module,
    data: ImageSet,
    mean: Sequence[float] = REFERENCE_MEAN,
    std: Sequence[float] = REFERENCE_STD,
) -> Explorer:
    """Upload a photo, or pick a test image of ``data``: what ``net`` sees (32x32 pixels), its
    three likeliest classes and Grad-CAM. A photo that cannot be read gets a one-line message;
    the explorer goes on working."""
    upload = hook(widgets.FileUpload(accept="image/*", multiple=False,
                                     description="Upload a photo"), "upload")  # fmt: skip
    image_picker, choose_image = number_picker("test image", len(data), "image")
    message = hook(widgets.Label(ALLOWED), "message")
    view = hook(widgets.Output(), "view", "photo")

    def test_image_figure(index: int) -> Figure:
        verdict = judge(net, data.images[index], mean, std)
        return verdict_figure(verdict, f"Test image {index:,}", classes=data.classes,
                              true_label=int(data.labels[index]))  # fmt: skip

    def show_test_image(_change: object = None) -> None:
        index = choose_image.value
        verdict = judge(net, data.images[index], mean, std)
        message.value = f"Test image {index:,}: {top_three_line(verdict, data.classes)}"
        show_figure(view, verdict_figure(verdict, f"Test image {index:,}", classes=data.classes,
                                         true_label=int(data.labels[index])))  # fmt: skip

    def read_upload(change: dict) -> None:
        if not change["new"]:  # emptied below, after reading
            return
        upload_file = change["new"][0]
        name = upload_file.get("name", "")
        try:
            photo = read_photo(upload_file["content"], name)
            pixels, _ = network_input(photo.image, mean, std)
            verdict = judge(net, pixels, mean, std)
            figure = verdict_figure(verdict, f"Your photo {name}".strip(),
                                    classes=data.classes, photo=photo.image)  # fmt: skip
        except PhotoError as error:
            message.value = str(error)
        except Exception as error:  # a photo can fail in ways no one listed: say so, go on
            message.value = f"Not read: {first_line(error)}. {ALLOWED}"
        else:
            message.value = f"{photo.summary()} {top_three_line(verdict, data.classes)}"
            show_figure(view, figure)
        finally:
            upload.value = ()  # so that the same file can be uploaded again

    upload.observe(read_upload, names="value")
    choose_image.observe(show_test_image, names="value")
    static = test_image_figure(0)
    show_figure(view, static)
    box = widgets.VBox([widgets.HBox([upload, image_picker]), message, view])
    return show_explorer(hook(box, "own-photo"), static)
