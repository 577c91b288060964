"""What learners watch and poke at, in JupyterLab in a headless Chromium: the live training view
of notebook 04 and the explorers of 02 and 05.

One JupyterLab (smoke profile) serves a temporary folder holding copies of 04, 02 and 05, in
that order in one tutorial home: 04 trains the weights that 02's and 05's explorers show. 04's
copy trains for more epochs (papermill's parameter cell, as ``-p epochs``) so that the training
lasts long enough to be watched (the live view redraws while its drawing stays within 2% of the
training time: a 0.1-s figure at 5 s, 10 s, 15 s...); that run is also checked as the committed
notebooks are in ``tests/test_browser.py`` (no error; progress bars and figures drawn).

Each test runs its notebook with "Restart Kernel and Run All Cells…", then acts as a learner:
looks at the live curve twice, a few seconds apart; moves the explorers' controls; clicks a cell
of the confusion matrix; uploads a photo, then a damaged file, then another photo; switches to
the dark theme. Pictures are compared pixel by pixel, and saved under
``test-artifacts/screenshots/``. The server, its kernels and the browser come from
``tests/test_browser.py``; nothing is left running.
"""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import numpy as np
import pytest
from browser_support import SCREENSHOTS
from collection_run import EXPECTED
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from test_browser import (  # noqa: F401 - fixtures reused as they are: browser_tmp, chromium
    _COUNT_EXECUTIONS,
    _STATE,
    LabServer,
    _open_notebook,
    _restart_and_run_all,
    _screenshot,
    _shut_down_kernels,
    _wait_until_run,
    browser_tmp,
    check_what_a_learner_sees,
    chromium,
    requests_made,
    serve_lab,
)

pytestmark = pytest.mark.browser

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
TRAIN, FEATURES, TEST = "04_train.ipynb", "02_define_a_cnn.ipynb", "05_test.ipynb"
LIVE_EPOCHS = 50  # 0.3-0.6 s each on the smoke profile's 5,000 photos: two redraws or more
WAIT_S = 60

# The explorers' controls, by the CSS classes cifar_tutorial/explorers gives them
LIVE_CELL = "live.update()"  # the training loop's cell holds the live view
LAYER = ".cifar-explorer-layers .cifar-explorer-layer select"
IMAGE = ".cifar-explorer-layers .cifar-explorer-image input"
FEATURES_VIEW = ".cifar-explorer-features"
CONFUSION_CELL = ".cifar-explorer-confusion-cell"
PAIR_VIEW = ".cifar-explorer-pair"
PAIR_MESSAGE = ".cifar-explorer-pair-message"
UPLOAD = ".cifar-explorer-upload"  # ipywidgets' button; its file input is never in the page
PHOTO_VIEW = ".cifar-explorer-photo"
MESSAGE = ".cifar-explorer-own-photo .cifar-explorer-message"


@pytest.fixture(scope="module")
def live_lab(browser_tmp: Path) -> Iterator[LabServer]:  # noqa: F811 - the imported fixture
    """JupyterLab serving copies of 04 (more epochs), 02 and 05 in a folder of their own."""
    root = browser_tmp / "live"
    root.mkdir()
    train = load_notebook_node(str(NOTEBOOKS / TRAIN))
    train = parameterize_notebook(train, {"epochs": LIVE_EPOCHS})
    nbformat.write(train, root / TRAIN)
    for name in (FEATURES, TEST):
        shutil.copy(NOTEBOOKS / name, root / name)
    with serve_lab(browser_tmp, root) as server:
        yield server


@pytest.fixture()
def page(chromium, live_lab: LabServer):  # noqa: F811
    """A new tab; afterwards it is closed and every kernel ended."""
    tab = chromium.new_page()
    yield tab
    tab.close()
    _shut_down_kernels(live_lab)


def _pixels(png: bytes) -> np.ndarray:
    """An RGB screenshot as an array."""
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _changed_share(before: bytes, after: bytes) -> float:
    """The share of pixels that differ between two screenshots (1.0 when the sizes differ)."""
    a, b = _pixels(before), _pixels(after)
    if a.shape != b.shape:
        return 1.0
    return float((np.abs(a - b).max(axis=2) > 16).mean())


def _save(name: str, png: bytes) -> Path:
    """Keep a screenshot under ``test-artifacts/screenshots/``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    path.write_bytes(png)
    return path


def _again_if_replaced(action):
    """``action()``; again if a redraw replaced the element meanwhile (the live view swaps its
    ``<img>`` on every redraw, so a locator can find one that is gone a moment later)."""
    for _ in range(10):
        try:
            return action()
        except PlaywrightError as error:
            if "not attached" not in str(error):
                raise
    return action()


def _picture(locator) -> bytes:
    """A screenshot of one element."""
    return _again_if_replaced(locator.screenshot)


def _shot(locator, name: str) -> bytes:
    """A screenshot of one element, saved as ``name``.png."""
    _again_if_replaced(locator.scroll_into_view_if_needed)
    png = _picture(locator)
    _save(name, png)
    return png


def _run_all(page, lab: LabServer, name: str) -> dict:
    """Open ``name``, restart its kernel and run all cells; its state once every cell ran."""
    _open_notebook(page, lab, name)
    page.evaluate(_COUNT_EXECUTIONS, name)
    _restart_and_run_all(page)
    state = _wait_until_run(page, name)
    errors = [c["index"] for c in state["cells"] if "error" in c["outputTypes"]]
    assert not errors, f"{name}: cells with an error: {errors}"
    return state


def _until_changed(locator, before: bytes, name: str) -> tuple[bytes, float]:
    """Screenshots of ``locator`` until it differs from ``before`` (or ``WAIT_S`` passes)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        after = _picture(locator)
        if _changed_share(before, after) > 0.002 or time.monotonic() > deadline:
            time.sleep(1.0)  # let the redraw finish
            after = _picture(locator)
            _save(name, after)
            return after, _changed_share(before, after)
        time.sleep(0.25)


def _cell_of(page, source: str):
    """The code cell whose code contains ``source``."""
    return page.locator(".jp-Notebook .jp-CodeCell", has_text=source).first


def test_the_loss_curve_is_redrawn_while_04_trains(page, live_lab: LabServer) -> None:
    _open_notebook(page, live_lab, TRAIN)
    page.evaluate(_COUNT_EXECUTIONS, TRAIN)
    _restart_and_run_all(page)
    cell = _cell_of(page, LIVE_CELL)
    cell.scroll_into_view_if_needed()
    picture = cell.locator(".jp-OutputArea-output img").first
    picture.wait_for(state="visible", timeout=WAIT_S * 1000)
    early = _shot(picture, "live-04-early")
    page.wait_for_timeout(3000)  # a few seconds of training later
    later, share = _until_changed(picture, early, "live-04-later")
    still_training = "*" in cell.locator(".jp-InputPrompt").inner_text()
    state = _wait_until_run(page, TRAIN)
    _screenshot(page, TRAIN)

    check_what_a_learner_sees(next(e for e in EXPECTED if e.name == TRAIN), state)
    assert share > 0.002, f"the live curve did not change in 3 s of training ({share:.4f})"
    assert still_training, "the training had ended before the second look: no live view seen"
    training = next(c for c in state["cells"] if c["type"] == "code" and LIVE_CELL in c["source"])
    assert training["images"] == 1, f"{training['images']} pictures: one, redrawn in place"
    assert "error" not in training["outputTypes"]
    assert "[1," in training["outputText"], "the [epoch, step] loss lines are gone"


def test_02_explorer_redraws_for_another_layer_and_image(page, live_lab: LabServer) -> None:
    _run_all(page, live_lab, FEATURES)
    view = page.locator(FEATURES_VIEW).first
    view.wait_for(state="visible", timeout=WAIT_S * 1000)
    first = _shot(view, "explorer-02-first")

    options = page.locator(LAYER).first.locator("option").all_inner_texts()
    page.locator(LAYER).first.select_option(label=options[-1])
    by_layer, layer_share = _until_changed(view, first, "explorer-02-other-layer")

    slider = page.locator(IMAGE).first
    slider.fill(str(int(slider.input_value() or 0) + 1))
    slider.press("Tab")  # a number box takes its value when it loses the focus
    _, image_share = _until_changed(view, by_layer, "explorer-02-other-image")

    assert layer_share > 0.01, f"choosing {options[-1]} changed {layer_share:.1%} of the view"
    assert image_share > 0.01, f"another image changed {image_share:.1%} of the view"


def _png_photo(square: tuple[int, int, int] = (200, 40, 30)) -> bytes:
    """A 200 x 150 photo-like PNG: a blue sky over green ground, a square of ``square``."""
    picture = np.zeros((150, 200, 3), np.uint8)
    picture[:90] = (90, 150, 230)
    picture[90:] = (60, 140, 60)
    picture[60:110, 80:130] = square
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    return buffer.getvalue()


def _upload(page, name: str, content: bytes, mime: str) -> None:
    """Press the explorer's upload button and choose a file, as a learner does."""
    with page.expect_file_chooser() as chooser:
        page.locator(UPLOAD).first.click()
    chooser.value.set_files(files=[{"name": name, "mimeType": mime, "buffer": content}])


def test_05_explorers_answer_clicks_and_uploads(page, live_lab: LabServer) -> None:
    _run_all(page, live_lab, TEST)

    # the confusion matrix: a mistake's cell shows that pair's images
    cells = page.locator(CONFUSION_CELL)
    assert cells.count() == 100, f"{cells.count()} cells in the confusion matrix"
    counts = [(cells.nth(i).text_content() or "").strip() for i in range(100)]
    mistakes = [i for i, count in enumerate(counts) if i % 11 and count not in ("", "0")]
    assert mistakes, f"no mistake in the confusion matrix: {counts}"
    mistake = mistakes[0]
    pair = page.locator(PAIR_VIEW).first
    before_click = _picture(pair)  # the most frequent mix-up
    cells.nth(mistake).click()
    _, pair_share = _until_changed(pair, before_click, "explorer-05-confusion-cell")
    pair_text = page.locator(PAIR_MESSAGE).first.inner_text()

    # your own photo: a PNG gets a prediction and a Grad-CAM map
    photo = page.locator(PHOTO_VIEW).first
    before = _picture(photo)
    _upload(page, "my_photo.png", _png_photo(), "image/png")
    _, photo_share = _until_changed(photo, before, "explorer-05-upload")
    shown = page.locator(MESSAGE).first.inner_text()

    # a damaged file: one line, and the explorer keeps working
    _upload(page, "broken.png", b"\x89PNG\r\n\x1a\n not really", "image/png")
    page.wait_for_function(
        "(s) => /Not read/.test(document.querySelector(s)?.textContent || '')",
        arg=MESSAGE,
        timeout=30_000,
    )
    message = page.locator(MESSAGE).first.inner_text().strip()
    _shot(page.locator(MESSAGE).first, "explorer-05-bad-upload")
    after_bad = _picture(photo)
    _upload(page, "another_photo.png", _png_photo(square=(240, 240, 240)), "image/png")
    page.wait_for_function(
        "(s) => !/Not read/.test(document.querySelector(s)?.textContent || '')",
        arg=MESSAGE,
        timeout=30_000,
    )
    _, again_share = _until_changed(photo, after_bad, "explorer-05-upload-again")

    true, predicted = divmod(mistake, 10)
    assert pair_text.startswith("true ") and f": {counts[mistake]} (" in pair_text, pair_text
    assert pair_share > 0.01, f"clicking cell ({true}, {predicted}) changed no picture"
    assert photo_share > 0.01, "uploading a photo changed nothing"
    assert shown.startswith("Read my_photo.png: 200x150 pixels."), shown
    assert shown.count("%") == 3 and "Grad-CAM" in shown, shown
    assert len(message.splitlines()) == 1 and "broken.png" in message, message
    assert again_share > 0.01, "after the damaged file, another photo changed nothing"
    assert "Traceback" not in page.content()


_DARK = (
    "() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})"
)


def test_figures_stay_readable_in_the_dark_theme(page, live_lab: LabServer) -> None:
    """A figure keeps its own white paper on JupyterLab's dark page: dark text stays readable."""
    _open_notebook(page, live_lab, TEST)  # the outputs of the run above are not saved: use 04's
    page.evaluate(_DARK)
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
    page.wait_for_timeout(500)
    figure = page.locator(".jp-OutputArea-output img").first
    figure.scroll_into_view_if_needed()
    shot = _pixels(_shot(figure, "dark-theme-figure"))
    around = _pixels(page.screenshot())
    corner = shot[2:8, 2:8].mean()
    page_background = np.median(around.reshape(-1, 3).mean(axis=1))
    assert corner > 230, f"the figure's corner is {corner:.0f} of 255: not on white paper"
    assert page_background < 80, f"the page is not dark ({page_background:.0f} of 255)"
