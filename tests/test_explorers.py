"""The explorers of notebooks 1, 2 and 5 (cifar_tutorial/explorers), without a kernel: reading
uploaded photos, what they compute, the one output they show, and their controls."""

from __future__ import annotations

import datetime
import io
import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from cifar_tutorial.alt_text import describe
from cifar_tutorial.checkpoint import save_checkpoint
from cifar_tutorial.data import ImageSet
from cifar_tutorial.explorers import (
    explore_confusion,
    explore_layers,
    explore_own_photo,
    explore_training_set,
    trained_or_fresh,
)
from cifar_tutorial.explorers.drawing import new_figure, where_in_image
from cifar_tutorial.explorers.photo import ALLOWED, PhotoError, network_input, read_photo
from cifar_tutorial.explorers.predictions import (
    feature_maps,
    grad_cam,
    pair_indices,
    top_classes,
)
from cifar_tutorial.explorers.show import WIDGET_VIEW, show_explorer
from cifar_tutorial.models import Net
from cifar_tutorial.palette import RIGHT_MARK
from scripts.execute_notebooks import strip_explorer_widgets

PNG, ALT = "image/png", "alt"


# ---------------------------------------------------------------- reading an uploaded photo


def encoded(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def colourful(size: tuple[int, int] = (40, 30)) -> Image.Image:
    values = np.random.default_rng(0).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(values, "RGB")


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels and holds none (only its header is read)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        check = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + check

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


@pytest.mark.parametrize("format", ["PNG", "JPEG", "WEBP", "BMP"])
def test_an_rgb_photo_is_read_as_it_is(format):
    photo = read_photo(encoded(colourful(), format), f"photo.{format.lower()}")
    assert photo.image.mode == "RGB" and photo.image.size == (40, 30)
    assert photo.notes == ()
    assert photo.summary() == f"Read photo.{format.lower()}: 40x30 pixels."


def test_a_cmyk_jpeg_is_converted_and_says_so():
    photo = read_photo(encoded(colourful().convert("CMYK"), "JPEG"), "print.jpg")
    assert photo.image.mode == "RGB"
    assert "CMYK" in photo.summary()


def test_transparency_is_laid_on_white_and_said():
    image = Image.new("RGBA", (8, 8), (255, 0, 0, 255))
    image.putpixel((0, 0), (0, 0, 0, 0))  # one fully transparent pixel
    photo = read_photo(encoded(image, "PNG"), "logo.png")
    assert photo.image.getpixel((0, 0)) == (255, 255, 255)
    assert photo.image.getpixel((5, 5)) == (255, 0, 0)
    assert "transparency laid on white" in photo.summary()
    opaque = read_photo(encoded(Image.new("RGBA", (8, 8), (0, 0, 255, 255)), "PNG"))
    assert opaque.notes == () and opaque.image.getpixel((1, 1)) == (0, 0, 255)


def test_16_bit_pixels_are_scaled_to_8_bits():
    values = np.array([[0, 32896, 65535, 65535]], dtype=np.uint16)
    photo = read_photo(encoded(Image.fromarray(values), "PNG"), "scan.png")
    assert [photo.image.getpixel((x, 0)) for x in range(3)] == [(0,) * 3, (128,) * 3, (255,) * 3]
    assert "16-bit" in photo.summary()


def test_a_palette_gif_and_an_animation():
    still = read_photo(encoded(colourful().convert("P"), "GIF"), "still.gif")
    assert still.image.mode == "RGB" and "palette" in still.summary()
    frames = [Image.new("RGB", (6, 6), colour) for colour in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    moving = read_photo(buffer.getvalue(), "moving.gif")
    assert "the first of its 2 frames" in moving.summary()


def test_a_sideways_phone_photo_is_turned_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to view"
    photo = read_photo(encoded(colourful((40, 30)), "JPEG", exif=exif), "phone.jpg")
    assert photo.image.size == (30, 40)
    assert "upright" in photo.summary()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b"just some text, not a picture", "notes.txt is not an image"),
        (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", "a HEIC photo (an iPhone's own format)"),
        (encoded(colourful(), "PNG")[:-40], "cut off or damaged"),
        (encoded(colourful(), "JPEG")[:200], "cut off or damaged"),
        (png_header_only(8000, 6000), "8000x6000 pixels is more than 40 megapixels"),
        (png_header_only(100_000, 100_000), "too many pixels"),
        (b"\x89PNG" + bytes(21 * 1024 * 1024), "the file is 21.0 MB"),
    ],
    ids=[
        "empty",
        "text",
        "heic",
        "truncated png",
        "truncated jpeg",
        "huge",
        "bomb",
        "too many bytes",
    ],
)
def test_an_unreadable_file_gets_one_line_naming_what_is_allowed(content, reason):
    with pytest.raises(PhotoError) as refused:
        read_photo(content, "notes.txt")
    message = str(refused.value)
    assert message.startswith("Not read: ") and reason in message
    assert message.endswith(ALLOWED) and "\n" not in message


def test_network_input_is_the_centre_square_at_32_pixels():
    wide = Image.new("RGB", (90, 30), (0, 0, 0))
    wide.paste((255, 255, 255), (30, 0, 60, 30))  # a white centre square between black sides
    pixels, normalized = network_input(wide, mean=(0.5,) * 3, std=(0.5,) * 3)
    assert pixels.shape == (3, 32, 32) and pixels.dtype == torch.uint8
    assert pixels.min() >= 250  # only the centre square is kept
    assert normalized.shape == (3, 32, 32) and torch.allclose(normalized, torch.ones(1), atol=0.05)


# ------------------------------------------------------------------------------ what is computed


@pytest.fixture(scope="module")
def net() -> Net:
    torch.manual_seed(0)
    return Net().eval()


@pytest.fixture(scope="module")
def tiny_set() -> ImageSet:
    """20 random photos, two of each class."""
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (20, 3, 32, 32), dtype=torch.uint8, generator=generator)
    return ImageSet(images, torch.arange(20) % 10, "test", "random pixels for the tests")


def test_top_classes_most_probable_first():
    probabilities = torch.tensor([0.05, 0.5, 0.05, 0.2, 0.0, 0.0, 0.1, 0.0, 0.1, 0.0])
    top = top_classes(probabilities, 3)
    assert [name for name, _ in top] == ["automobile", "cat", "frog"]
    assert [round(p, 2) for _, p in top] == [0.5, 0.2, 0.1]


def test_pair_indices_are_one_cell_of_the_confusion_matrix_most_confident_first():
    probabilities = torch.tensor([[0.1, 0.9], [0.4, 0.6], [0.8, 0.2], [0.3, 0.7]])
    labels = torch.tensor([0, 0, 0, 1])
    assert pair_indices(probabilities, labels, true=0, predicted=1).tolist() == [0, 1]
    assert pair_indices(probabilities, labels, true=1, predicted=1).tolist() == [3]
    assert pair_indices(probabilities, labels, true=1, predicted=0).tolist() == []


def test_feature_maps_of_each_layer_after_relu(net, tiny_set):
    image = tiny_set.images[0].float() / 127.5 - 1
    conv1, conv2 = feature_maps(net, image, "conv1"), feature_maps(net, image, "conv2")
    assert conv1.shape == (6, 28, 28) and conv2.shape == (16, 10, 10)
    assert conv1.min() >= 0 and conv2.min() >= 0
    with torch.no_grad():
        expected = torch.relu(net.conv1(image.unsqueeze(0)))[0]
    assert torch.allclose(conv1, expected)


def test_grad_cam_comes_from_captum_and_is_a_map_of_the_image(net, tiny_set, monkeypatch):
    import captum.attr

    calls = []

    class Spy(captum.attr.LayerGradCam):
        def attribute(self, *args, **kwargs):
            calls.append(self.layer)
            return super().attribute(*args, **kwargs)

    monkeypatch.setattr(captum.attr, "LayerGradCam", Spy)
    image = tiny_set.images[3].float() / 127.5 - 1
    heat = grad_cam(net, image, target=2)
    assert calls == [net.conv2]  # the last convolution layer
    assert heat.shape == (32, 32) and torch.isfinite(heat).all()
    assert heat.min() >= 0 and heat.max() <= 1


def test_grad_cam_needs_a_convolution_layer():
    with pytest.raises(ValueError, match="net: Grad-CAM needs a convolution layer"):
        grad_cam(torch.nn.Flatten(), torch.zeros(3, 4, 4), target=0)


def test_where_in_image_names_the_peak():
    heat = torch.zeros(30, 30)
    heat[2, 28] = 1
    assert where_in_image(heat) == "top right"
    heat[15, 15] = 2
    assert where_in_image(heat) == "centre"


def test_trained_weights_when_notebook_4_saved_them_else_a_fresh_network(net, tmp_path):
    fresh = trained_or_fresh(tmp_path / "none.pth", fresh=net)
    assert not fresh.trained and "untrained" in fresh.about
    assert "notebook 4 has not saved weights" in fresh.detail
    assert torch.equal(fresh.net.conv1.weight, net.conv1.weight) and fresh.net is not net

    trained = Net()
    path = save_checkpoint(tmp_path / "cifar_net.pth", trained, epoch=3,
                           normalization={"mean": [0.4] * 3, "std": [0.2] * 3})  # fmt: skip
    found = trained_or_fresh(path, fresh=net)
    assert found.trained and found.about == "the trained weights of notebook 4 (3 epochs)"
    assert torch.equal(found.net.conv2.weight, trained.conv2.weight)
    assert list(found.mean) == [0.4] * 3 and list(found.std) == [0.2] * 3

    (tmp_path / "broken.pth").write_bytes(b"not a checkpoint")
    broken = trained_or_fresh(tmp_path / "broken.pth", fresh=net)
    assert not broken.trained and "not a readable checkpoint" in broken.detail


# ------------------------------------------------------------------- the one output of an explorer


def test_show_explorer_is_one_output_with_the_widget_the_png_and_its_alt_text():
    import ipywidgets as widgets

    figure = new_figure(2, 1)
    figure.subplots().plot([0, 1], [1, 0])
    describe(figure, "A line falling from 1 to 0")
    box = widgets.VBox([widgets.Label("hello")])
    data, metadata = show_explorer(box, figure)._repr_mimebundle_()
    assert set(data) == {PNG, "text/plain", WIDGET_VIEW}
    assert data[WIDGET_VIEW]["model_id"] == box.model_id
    assert data["text/plain"] == metadata[PNG][ALT] == "A line falling from 1 to 0"
    assert data[PNG].startswith("iVBORw0KGgo")  # base64 of a PNG's signature
    assert "cifar-explorer" in box._dom_classes


def shown(view) -> tuple[str, str]:
    """The PNG and alt text an explorer's Output widget shows (it holds exactly one)."""
    (output,) = view.outputs
    return output["data"][PNG], output["metadata"][PNG][ALT]


def by_class(widget, css_class: str) -> list:
    """The widgets inside ``widget`` (itself included) that carry ``css_class``."""
    found = [widget] if css_class in getattr(widget, "_dom_classes", ()) else []
    for child in getattr(widget, "children", ()):
        found += by_class(child, css_class)
    return found


def test_training_set_explorer_follows_its_controls(tiny_set):
    explorer = explore_training_set(tiny_set)
    (choose_class,) = by_class(explorer.widget, "cifar-explorer-class")
    (choose_photo,) = by_class(explorer.widget, "cifar-explorer-index")
    (view,) = by_class(explorer.widget, "cifar-explorer-view")
    first, first_alt = shown(view)
    assert first_alt == explorer._repr_mimebundle_()[1][PNG][ALT]
    assert first_alt.startswith("Training photo 0, an airplane (label 0)")
    assert "0 to 255 as stored" in first_alt and "after Normalize" in first_alt
    assert choose_photo.max == 1  # two airplanes
    choose_photo.value = 1
    second, second_alt = shown(view)
    assert second != first and second_alt.startswith("Training photo 10, an airplane")
    choose_class.value = 3
    assert choose_photo.value == 0 and shown(view)[1].startswith("Training photo 3, a cat")


def test_layer_explorer_draws_the_chosen_image_and_layer(net, tiny_set, tmp_path):
    weights = trained_or_fresh(tmp_path / "none.pth", fresh=net)
    explorer = explore_layers(tiny_set, weights)
    (choose_layer,) = by_class(explorer.widget, "cifar-explorer-layer")
    (choose_image,) = by_class(explorer.widget, "cifar-explorer-image")
    (message,) = by_class(explorer.widget, "cifar-explorer-weights")
    (view,) = by_class(explorer.widget, "cifar-explorer-features")
    assert choose_layer.options == ("conv1", "conv2") and "untrained" in message.value
    first, alt = shown(view)
    assert "through conv1 of a freshly initialised network (untrained): 6 feature maps" in alt
    choose_layer.value = "conv2"
    assert shown(view)[0] != first and "16 feature maps of 10x10" in shown(view)[1]
    (image_slider,) = by_class(explorer.widget, "cifar-explorer-image-slider")
    image_slider.value = 5  # the slider and the number box move together
    assert choose_image.value == 5
    assert shown(view)[1].startswith("Test image 5, a dog, through conv2")


def test_confusion_explorer_shows_the_images_of_a_clicked_cell(tiny_set):
    probabilities = torch.full((20, 10), 0.02)
    probabilities[torch.arange(20), tiny_set.labels] = 0.82  # all right but one:
    probabilities[3] = 0.02
    probabilities[3, 5] = 0.82  # image 3, a cat, taken for a dog
    explorer = explore_confusion(tiny_set, probabilities)
    cells = by_class(explorer.widget, "cifar-explorer-confusion-cell")
    assert len(cells) == 100
    (view,) = by_class(explorer.widget, "cifar-explorer-pair")
    (message,) = by_class(explorer.widget, "cifar-explorer-pair-message")
    assert "most frequent mix-up: true cat, predicted dog: 1" in message.value
    (cat_as_dog,) = by_class(explorer.widget, "cifar-explorer-confusion-cell-3-5")
    assert cat_as_dog.tooltip.startswith("true cat, predicted dog: 1")
    (right_cats,) = by_class(explorer.widget, "cifar-explorer-confusion-cell-3-3")
    assert right_cats.description == f"{RIGHT_MARK} 1"  # the other cat was taken for a dog
    static, static_alt = shown(view)
    assert "Confusion matrix of 20 test images (19 right" in static_alt
    cat_as_dog.click()
    assert shown(view)[0] != static and shown(view)[1].startswith("True cat, predicted dog: 1")
    assert "confidence from 82%" in shown(view)[1]
    (empty,) = by_class(explorer.widget, "cifar-explorer-confusion-cell-0-9")
    empty.click()
    assert shown(view)[1] == "No test image of class airplane was predicted truck."


def uploaded(content: bytes, name: str) -> tuple[dict, ...]:
    """What ipywidgets 8's FileUpload holds after a browser sent one file."""
    when = datetime.datetime.now(datetime.timezone.utc)
    return ({"name": name, "type": "", "size": len(content), "content": memoryview(content),
             "last_modified": when},)  # fmt: skip


def test_own_photo_explorer_reads_uploads_and_keeps_working_after_a_bad_one(net, tiny_set):
    explorer = explore_own_photo(net, tiny_set)
    (upload,) = by_class(explorer.widget, "cifar-explorer-upload")
    (choose_image,) = by_class(explorer.widget, "cifar-explorer-image")
    (message,) = by_class(explorer.widget, "cifar-explorer-message")
    (view,) = by_class(explorer.widget, "cifar-explorer-photo")
    assert upload.accept == "image/*" and not upload.multiple
    test_image, alt = shown(view)
    assert alt.startswith("Test image 0, 32x32 pixels as the network sees it.")
    assert "(right: it is airplane)" in alt or "(wrong: it is airplane)" in alt

    upload.value = uploaded(encoded(colourful((64, 48)), "PNG"), "garden.png")
    photo, photo_alt = shown(view)
    assert message.value.startswith("Read garden.png: 64x48 pixels. The network says: ")
    assert message.value.count("%") == 3 and "Grad-CAM" in message.value
    assert photo != test_image and photo_alt.startswith("Your photo garden.png, its centre")
    assert upload.value == ()  # emptied, so that the same file can be sent again

    upload.value = uploaded(b"%PDF-1.7 not a photo", "paper.pdf")
    assert message.value.startswith("Not read: paper.pdf is not an image")
    assert shown(view)[0] == photo  # the last good picture stays
    choose_image.value = 4
    assert shown(view)[1].startswith("Test image 4,") and message.value.startswith("Test image 4")


# --------------------------------------------------------- scripts/execute_notebooks.py's stripping


def test_committed_explorers_keep_their_png_and_lose_the_widget_and_its_state():
    import nbformat

    def view(model_id: str) -> dict:
        return {"version_major": 2, "version_minor": 0, "model_id": model_id}

    def model(name: str, **state) -> dict:
        return {"model_name": name, "model_module": "@jupyter-widgets/controls",
                "state": {"_model_name": name, **state}}  # fmt: skip

    notebook = nbformat.v4.new_notebook()
    explorer = nbformat.v4.new_code_cell("explore_training_set(train_set)")
    explorer.metadata["tags"] = ["explorer"]
    explorer.outputs = [nbformat.v4.new_output("execute_result", execution_count=1, data={
        WIDGET_VIEW: view("box"), PNG: "iVBORw0KGgo=", "text/plain": "A photo"})]  # fmt: skip
    progress = nbformat.v4.new_code_cell("train()")  # a tqdm bar: a widget view without a PNG
    progress.outputs = [nbformat.v4.new_output("display_data", data={
        WIDGET_VIEW: view("bar"), "text/plain": "100%"})]  # fmt: skip
    bare = nbformat.v4.new_code_cell("explore()")  # tagged, but nothing static to fall back on
    bare.metadata["tags"] = ["explorer"]
    bare.outputs = [nbformat.v4.new_output("display_data", data={WIDGET_VIEW: view("lone")})]
    notebook.cells = [explorer, progress, bare]
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {
        "version_major": 2, "version_minor": 0, "state": {
            "box": model("VBoxModel", children=["IPY_MODEL_slider", "IPY_MODEL_out"],
                         layout="IPY_MODEL_box-layout"),
            "slider": model("IntSliderModel", style="IPY_MODEL_shared-style"),
            "out": model("OutputModel", outputs=[{"data": {PNG: "iVBORw0KGgo="}}]),
            "box-layout": model("LayoutModel"),
            "shared-style": model("SliderStyleModel"),
            "bar": model("HBoxModel", children=["IPY_MODEL_bar-progress"]),
            "bar-progress": model("FloatProgressModel", style="IPY_MODEL_shared-style"),
            "lone": model("ButtonModel"),
        }}}  # fmt: skip

    assert strip_explorer_widgets(notebook) == {"box"}
    assert set(explorer.outputs[0]["data"]) == {PNG, "text/plain"}
    assert WIDGET_VIEW in progress.outputs[0]["data"] and WIDGET_VIEW in bare.outputs[0]["data"]
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert set(state) == {"bar", "bar-progress", "shared-style", "lone"}  # tqdm's bar still draws

    progress.outputs, bare.outputs = [], []
    explorer.outputs[0]["data"][WIDGET_VIEW] = view("box")
    notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"] = {
        "box": model("VBoxModel", children=["IPY_MODEL_slider"]),
        "slider": model("IntSlider"),
    }
    strip_explorer_widgets(notebook)
    assert "widgets" not in notebook.metadata  # nothing left to save
