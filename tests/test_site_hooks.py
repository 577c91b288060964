"""scripts/site_hooks.py: the pages, links, progress bars and navigation of the course website."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("mkdocs", reason="the site extra is not installed (.[site])")

from mkdocs.exceptions import PluginError  # noqa: E402

from cifar_tutorial.course.lessons import read_lessons  # noqa: E402
from scripts import site_hooks  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
LESSONS = read_lessons(REPO / "notebooks")

TQDM_STATE = {
    "bar": {
        "model_name": "HBoxModel",
        "state": {"children": ["IPY_MODEL_a", "IPY_MODEL_b", "IPY_MODEL_c"]},
    },
    "a": {"model_name": "HTMLModel", "state": {"value": "epoch 1/3: 100%"}},
    "b": {"model_name": "FloatProgressModel", "state": {"value": 391, "max": 391}},
    "c": {"model_name": "HTMLModel", "state": {"value": " 391/391 [00:04&lt;00:00]"}},
    "odd": {"model_name": "ButtonModel", "state": {}},
}


@pytest.mark.parametrize(
    ("markdown", "source", "expected"),
    [
        ("see [benchmarks](docs/benchmarks.md).", "readme", "see [benchmarks](benchmarks.md)."),
        ("[the data](README.md#the-data)", "readme", "[the data](setup.md#the-data)"),
        ("[nb 4](notebooks/04_train.ipynb)", "readme", "[nb 4](notebooks/04_train.ipynb)"),
        ("[the doctor](cifar_tutorial/course/doctor.py)", "readme", "the doctor"),
        (
            "[up](#the-data) [web](https://pytorch.org/x.html)",
            "readme",
            "[up](#the-data) [web](https://pytorch.org/x.html)",
        ),
        ("[`b.md`](../docs/benchmarks.md)", "notebook", "[`b.md`](../benchmarks.html)"),
        ("[notebook 5](05_test.ipynb#accuracy)", "notebook", "[notebook 5](05_test.html#accuracy)"),
        ("[README](../README.md)", "notebook", "[README](../setup.html)"),
        ("[code](../cifar_tutorial/training.py)", "notebook", "code"),
        ("[nb 4](../notebooks/04_train.ipynb)", "docs", "[nb 4](notebooks/04_train.ipynb)"),
        ("[set-up](../README.md#offline)", "docs", "[set-up](setup.md#offline)"),
        ("[notes](reliability.md#checkpoints)", "docs", "[notes](reliability.md#checkpoints)"),
        ("[the script](../scripts/execute_notebooks.py)", "docs", "the script"),
        (
            "![a figure](../benchmarks/results/x.png)",
            "docs",
            "![a figure](../benchmarks/results/x.png)",
        ),
    ],
)
def test_repository_links_become_links_between_pages(markdown, source, expected):
    assert site_hooks.site_links(markdown, source) == expected


def test_a_tqdm_widget_is_drawn_as_a_static_progress_bar_and_unknown_widgets_are_left():
    drawn = site_hooks.widget_html("bar", TQDM_STATE)
    assert drawn.startswith('<div class="static-widget">')
    assert '<progress value="391" max="391"></progress>' in drawn
    assert "epoch 1/3: 100%" in drawn and "391/391 [00:04&lt;00:00]" in drawn
    assert site_hooks.widget_html("odd", TQDM_STATE) is None
    assert site_hooks.widget_html("gone", TQDM_STATE) is None


def notebook_with(cells: list[dict], widgets: dict | None = None) -> dict:
    metadata = {"widgets": {site_hooks.WIDGET_STATE: {"state": widgets}}} if widgets else {}
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def test_the_site_copy_of_a_notebook_has_a_download_line_site_links_and_no_widget_state():
    view = {"model_id": "bar", "version_major": 2, "version_minor": 0}
    output = {
        "output_type": "display_data",
        "metadata": {},
        "data": {site_hooks.WIDGET_VIEW: view, "text/plain": ["epoch 1/3:   0%"]},
    }
    original = notebook_with(
        [
            {"cell_type": "markdown", "metadata": {}, "source": "# 4. Train\n\nText."},
            {"cell_type": "markdown", "metadata": {}, "source": ["See [5](05_test.ipynb)."]},
            {"cell_type": "code", "metadata": {}, "source": "train()", "outputs": [output]},
        ],
        TQDM_STATE,
    )
    kept = copy.deepcopy(original)
    page = site_hooks.site_notebook(original, LESSONS[3], has_student_edition=False)
    assert original == kept, "the committed notebook was changed"
    assert "widgets" not in page["metadata"]
    download = page["cells"][1]
    assert download["id"] == "site-download"
    assert f'href="../notebooks/{LESSONS[3].path.name}" download' in download["source"]
    assert page["cells"][2]["source"] == "See [5](05_test.html)."
    data = page["cells"][3]["outputs"][0]["data"]
    assert site_hooks.WIDGET_VIEW not in data and "<progress" in data["text/html"]
    json.dumps(page)  # still a notebook nbconvert can read


@pytest.mark.parametrize(
    ("source", "needs"),
    [
        ("The loss is $-\\log p$ here.", True),
        ("$$\\sum_i x_i$$", True),
        ("Inline \\(x\\) math", True),
        ("```mermaid\ngraph LR; a-->b\n```", True),
        ("Set `$CIFAR10_ROOT` first.", False),
        ("```bash\necho $HOME $PATH\n```", False),
        ("No math at all.", False),
    ],
)
def test_math_and_diagrams_are_found_outside_code(source, needs):
    cell = {"cell_type": "markdown", "metadata": {}, "source": source}
    assert site_hooks.needs_cdn(notebook_with([cell])) is needs


def test_a_notebook_with_math_is_refused_with_a_clear_message():
    cell = {"cell_type": "markdown", "metadata": {}, "source": "# T\n\n$x^2$"}
    with pytest.raises(PluginError, match="loads neither MathJax nor mermaid"):
        site_hooks.site_notebook(notebook_with([cell]), LESSONS[0], has_student_edition=False)


def test_the_navigation_follows_the_course_with_the_guide_before_the_notes():
    nav = site_hooks.course_nav(LESSONS, ["reliability.md", "instructor.md", "benchmarks.md"])
    assert nav[:2] == [{"Home": "index.md"}, {"Set-up and commands": "setup.md"}]
    course = nav[2]["The course"]
    assert [next(iter(entry.values())) for entry in course] == [
        f"notebooks/{lesson.path.name}" for lesson in LESSONS
    ]
    assert next(iter(course[0])) == "1. Load and normalize CIFAR-10"
    assert nav[3:] == [
        {"For instructors": "instructor.md"},
        {"Notes": ["benchmarks.md", "reliability.md"]},
    ]
    assert "For instructors" not in str(site_hooks.course_nav(LESSONS, ["benchmarks.md"]))


def test_the_home_page_has_the_overview_and_a_row_per_notebook():
    readme = (REPO / "README.md").read_text()
    page = site_hooks.index_markdown(LESSONS, readme, has_student_edition=False, has_guide=True)
    assert "A hands-on course" in page and "## Two commands" not in page
    for lesson in LESSONS:
        row = next(
            line
            for line in page.splitlines()
            if f"({lesson.path.parent.name}/" in line and lesson.title in line
        )
        time = site_hooks.format_seconds(lesson.measured_seconds)
        assert f"| {time} | {len(lesson.exercises)} |" in row
        assert f'href="notebooks/{lesson.path.name}" download' in row
    assert "(instructor.md)" in page
    assert "instructor.md" not in site_hooks.index_markdown(LESSONS, readme, False, False)


def test_the_setup_page_is_the_rest_of_the_readme():
    page = site_hooks.setup_markdown((REPO / "README.md").read_text())
    assert page.startswith("# Set-up and commands")
    assert "## Two commands" in page and "A hands-on course" not in page


@pytest.mark.parametrize(
    ("seconds", "shown"), [(None, "not measured"), (7.4, "7 s"), (89, "89 s"), (584, "9.7 min")]
)
def test_times_are_shown_in_seconds_or_minutes(seconds, shown):
    assert site_hooks.format_seconds(seconds) == shown


def test_a_contents_entry_slugged_without_its_code_span_points_at_its_heading():
    from mkdocs.structure.toc import AnchorLink

    entry = AnchorLink("5. From Python, without a shell:", "5-from-python-without-a-shell", 2)
    entry.children = [AnchorLink("Recap", "recap", 3), AnchorLink("Lost", "lost", 3)]
    ids = {"5-from-python-without-a-shell-torchdistributedlauncher", "recap", "lost-a", "lost-b"}
    site_hooks.repair_toc([entry], ids)
    assert entry.id == "5-from-python-without-a-shell-torchdistributedlauncher"
    assert [child.id for child in entry.children] == ["recap", "lost"]  # ambiguous: left alone


def figure_output(alt: str | None, **extra) -> dict:
    """A figure's output as Jupyter saves it; ``alt`` in its metadata unless ``None``."""
    metadata = {"image/png": {"alt": alt}} if alt is not None else {}
    data = {"image/png": "iVBORw0KGgo=\n", "text/plain": [alt or "<Figure size 640x480>"]}
    return {"output_type": "execute_result", "metadata": metadata, "data": {**data, **extra}}


def test_a_figure_becomes_an_img_with_the_alt_text_of_its_output():
    output = figure_output('Training loss from 2.30 to 1.12 over 3 epochs ("classic")')
    site_hooks.static_output(output, {}, "04_train.ipynb, cell 26")
    assert output["data"] == {
        "text/html": '<img src="data:image/png;base64,iVBORw0KGgo=" '
        'alt="Training loss from 2.30 to 1.12 over 3 epochs (&quot;classic&quot;)">'
    }


@pytest.mark.parametrize("alt", [None, "", "  "])
def test_a_figure_without_alt_text_stops_the_build_naming_notebook_and_cell(alt):
    with pytest.raises(PluginError, match=r"^05_test\.ipynb, cell 30: a figure without alt text"):
        site_hooks.static_output(figure_output(alt), {}, "05_test.ipynb, cell 30")


def test_an_explorer_is_shown_as_its_figure_never_as_its_widget():
    view = {"model_id": "bar", "version_major": 2, "version_minor": 0}
    output = figure_output("Confusion matrix of 10,000 images", **{site_hooks.WIDGET_VIEW: view})
    site_hooks.static_output(output, TQDM_STATE, "05_test.ipynb, cell 31")
    assert list(output["data"]) == ["text/html"]
    html = output["data"]["text/html"]
    assert html.startswith("<img ") and 'alt="Confusion matrix of 10,000 images"' in html
    assert "<progress" not in html


@pytest.mark.parametrize(
    "text",
    [
        "VBox(children=(Dropdown(options=('conv1',), value='conv1'), Output()))",
        "IntSlider(value=0)",
        "",
    ],
)
def test_a_widget_with_no_figure_and_no_saved_state_stops_the_build(text):
    view = {"model_id": "gone", "version_major": 2, "version_minor": 0}
    data = {site_hooks.WIDGET_VIEW: view, **({"text/plain": text} if text else {})}
    output = {"output_type": "display_data", "metadata": {}, "data": data}
    with pytest.raises(PluginError, match=r"^02_define_a_cnn\.ipynb, cell 9: a widget the offline"):
        site_hooks.static_output(output, TQDM_STATE, "02_define_a_cnn.ipynb, cell 9")


def test_a_widget_that_draws_nothing_is_not_an_empty_box():
    states = {"box": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_odd"]}}}
    assert site_hooks.widget_html("box", {**TQDM_STATE, **states}) is None


def test_tqdm_without_its_state_keeps_its_text_and_a_figure_repr_alone_stops_the_build():
    view = {"model_id": "gone", "version_major": 2, "version_minor": 0}
    data = {site_hooks.WIDGET_VIEW: view, "text/plain": ["epoch 1/3: 100%|##| 391/391"]}
    output = {"output_type": "display_data", "metadata": {}, "data": data}
    site_hooks.static_output(output, {}, "04_train.ipynb, cell 20")
    assert output["data"] == {"text/plain": ["epoch 1/3: 100%|##| 391/391"]}
    shown = {"output_type": "execute_result", "metadata": {},
             "data": {"text/plain": "<Figure size 640x480 with 1 Axes>"}}  # fmt: skip
    with pytest.raises(PluginError, match=r"cell 3: shows '<Figure size 640x480"):
        site_hooks.static_output(shown, {}, "04_train.ipynb, cell 3")


def test_the_site_copy_shows_figures_as_images_and_refuses_markdown_images_without_alt():
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# 5. Test"},
        {"cell_type": "code", "metadata": {}, "source": "f()", "outputs": [figure_output("A")]},
    ]
    page = site_hooks.site_notebook(notebook_with(cells), LESSONS[4], has_student_edition=False)
    assert page["cells"][2]["outputs"][0]["data"]["text/html"].endswith('alt="A">')
    cells.append(
        {"cell_type": "code", "metadata": {}, "source": "g()", "outputs": [figure_output(None)]}
    )
    with pytest.raises(PluginError, match=rf"^{LESSONS[4].path.name}, cell 2: a figure without"):
        site_hooks.site_notebook(notebook_with(cells), LESSONS[4], has_student_edition=False)
    for source in ("![](photo.png)", 'See <img src="photo.png"> here.', '<img alt=" " src="x">'):
        markdown = [{"cell_type": "markdown", "metadata": {}, "source": source}]
        with pytest.raises(PluginError, match=r"cell 0: an image without alt text"):
            site_hooks.site_notebook(notebook_with(markdown), LESSONS[4], has_student_edition=False)
    for source in ("![a cat on a mat](cat.png)", '<img src="cat.png" alt="a cat on a mat">'):
        described = [{"cell_type": "markdown", "metadata": {}, "source": source}]
        site_hooks.site_notebook(notebook_with(described), LESSONS[4], has_student_edition=False)


def test_a_docs_page_with_an_image_without_alt_text_stops_the_build():
    page = SimpleNamespace(file=SimpleNamespace(src_uri="benchmarks.md", generated_by=None))
    with pytest.raises(PluginError, match=r"^benchmarks\.md: an image without alt text"):
        site_hooks.on_page_markdown("Speed: ![](results/speed.png)", page, None, None)
    described = "Speed: ![epochs per minute on each device](results/speed.png)"
    assert site_hooks.on_page_markdown(described, page, None, None) == described
