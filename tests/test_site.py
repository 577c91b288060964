"""The course website (``make site``) as a reader meets it: built, then read in headless Chromium.

The module builds the site once with ``mkdocs build --strict`` into a temporary folder, then
opens it straight from the disk (``file://``, as from an offline kit) and follows the
navigation from the home page until no page is new. Every page is checked on the way: what
it shows (a notebook's figures, each with its alt text, its explorers as their figures, its
progress bars, and no widget left as an error or a repr), its links and anchors, its console,
and the addresses it asked for. Screenshots of the home page and of notebook 05 are kept under
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from browser_support import (
    REPO,
    SCREENSHOTS,
    chromium_context,
    from_outside,
    nothing_left_running,
    record_requests,
)

from cifar_tutorial.course.lessons import read_lessons

pytestmark = pytest.mark.browser

NOTEBOOKS = REPO / "notebooks"
BUILD_TIMEOUT_S = 300
SCREENSHOT_PAGES = {"index.html": "site-index.png", "notebooks/05_test.html": "site-05_test.png"}
MAX_SCREENSHOT_HEIGHT = 16_000  # Chromium cannot capture much taller pages

# What the test reads from each page, once it has loaded (images included).
_PAGE_FACTS = """() => ({
  title: document.querySelector("article h1")?.textContent.replace("¶", "").trim() || "",
  nav: Array.from(document.querySelectorAll("nav.md-nav--primary a.md-nav__link[href]"))
    .map((a) => a.href),
  links: Array.from(document.querySelectorAll("a[href]")).map((a) => a.href),
  ids: Array.from(document.querySelectorAll("[id]")).map((node) => node.id),
  images: Array.from(document.querySelectorAll("img")).map((img) => ({
    drawn: img.complete && img.naturalWidth > 0,
    inOutput: Boolean(img.closest(".jp-OutputArea-output")),
    alt: img.getAttribute("alt"),
  })),
  progressBars: document.querySelectorAll("article progress").length,
  emptyWidgets: Array.from(document.querySelectorAll(".jupyter-widgets, .static-widget"))
    .filter((box) => !box.innerText.trim() && !box.querySelector("progress, img")).length,
  text: document.querySelector("article")?.innerText || "",
  height: document.documentElement.scrollHeight,
})"""


@dataclass
class Page:
    """One page of the built site as Chromium showed it."""

    path: str  # relative to the site's root, e.g. "notebooks/05_test.html"
    title: str
    nav: list[str]
    links: list[str]
    ids: set[str]
    images: list[dict]  # drawn, inOutput, alt
    progress_bars: int
    empty_widgets: int
    text: str
    console: list[str] = field(default_factory=list)


@dataclass
class Crawl:
    """The site as read: its folder, its pages by path, the order they were found in, and every
    address asked for."""

    root: Path
    build_seconds: float
    started: float  # time.time() when the crawl began
    pages: dict[str, Page]
    requests: list[str]


@pytest.fixture(scope="module")
def site_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """This module's temp folder; on teardown no process that used it may still run."""
    with nothing_left_running(tmp_path_factory.mktemp("site")) as tmp:
        yield tmp


@pytest.fixture(scope="module")
def built_site(site_tmp: Path) -> tuple[Path, float]:
    """``mkdocs build --strict`` (what ``make site`` runs) into a temporary folder."""
    pytest.importorskip("mkdocs_jupyter", reason="the site extra is not installed (.[site])")
    target = site_tmp / "site"
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(target)]
    started = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=REPO,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    seconds = time.perf_counter() - started
    assert done.returncode == 0, f"mkdocs build failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    return target, seconds


@pytest.fixture(scope="module")
def crawl(built_site: tuple[Path, float], site_tmp: Path) -> Crawl:
    """Every page reached from the home page through the navigation, read in Chromium."""
    root, seconds = built_site
    started = time.time()
    with chromium_context(site_tmp / "chromium-profile") as context:
        requests = record_requests(context)
        pages: dict[str, Page] = {}
        queue = ["index.html"]
        while queue:
            path = queue.pop(0)
            if path in pages:
                continue
            pages[path] = _read_page(context, root, path)
            queue += [p for p in _site_paths(root, pages[path].nav) if p not in pages]
    return Crawl(root, seconds, started, pages, requests)


def _read_page(context, root: Path, path: str) -> Page:
    """Open one page from the disk, note its console, read its facts, screenshot it if asked."""
    page = context.new_page()
    console: list[str] = []
    page.on(
        "console",
        lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda error: console.append(f"page error: {error}"))
    try:
        page.goto((root / path).as_uri(), wait_until="load")
        facts = page.evaluate(_PAGE_FACTS)
        if path in SCREENSHOT_PAGES:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            if facts["height"] > MAX_SCREENSHOT_HEIGHT:
                page.set_viewport_size({"width": 1440, "height": MAX_SCREENSHOT_HEIGHT})
            page.screenshot(
                path=str(SCREENSHOTS / SCREENSHOT_PAGES[path]),
                full_page=facts["height"] <= MAX_SCREENSHOT_HEIGHT,
            )
    finally:
        page.close()
    return Page(
        path=path,
        title=facts["title"],
        nav=facts["nav"],
        links=facts["links"],
        ids=set(facts["ids"]),
        images=facts["images"],
        progress_bars=facts["progressBars"],
        empty_widgets=facts["emptyWidgets"],
        text=facts["text"],
        console=console,
    )


def _site_paths(root: Path, urls: list[str]) -> list[str]:
    """The site pages (``.html`` under ``root``) among ``urls``, relative to ``root``."""
    paths = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme == "file" and parts.path.endswith(".html"):
            target = Path(unquote(parts.path))
            if target.is_relative_to(root):
                paths.append(target.relative_to(root).as_posix())
    return paths


def _image_outputs(notebook: Path) -> int:
    """How many figures (``image/png`` outputs) the committed notebook holds."""
    cells = json.loads(notebook.read_text())["cells"]
    return sum("image/png" in o.get("data", {}) for c in cells for o in c.get("outputs", []))


def _widget_outputs(notebook: Path) -> int:
    """How many ipywidgets views without a figure (tqdm bars) the committed notebook holds."""
    cells = json.loads(notebook.read_text())["cells"]
    view = "application/vnd.jupyter.widget-view+json"
    return sum(
        view in o.get("data", {}) and "image/png" not in o["data"]
        for c in cells
        for o in c.get("outputs", [])
    )


def _explorer_figures(notebook: Path) -> list[str]:
    """The alt text of each figure that the notebook's explorers (cells tagged ``explorer``)
    saved with their widget view."""
    cells = json.loads(notebook.read_text())["cells"]
    return [
        output.get("metadata", {}).get("image/png", {}).get("alt", "")
        for cell in cells
        if "explorer" in cell.get("metadata", {}).get("tags", [])
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]


# ----------------------------------------------------------------------------- tests


def test_the_navigation_reaches_every_page_in_course_order(crawl: Crawl) -> None:
    built = {
        p.relative_to(crawl.root).as_posix()
        for p in crawl.root.rglob("*.html")
        if p.name != "404.html"
    }
    assert set(crawl.pages) == built, "pages the navigation does not reach (or reaches twice)"
    expected = ["index.html", "setup.html"]
    expected += [f"notebooks/{lesson.name}.html" for lesson in read_lessons(NOTEBOOKS)]
    expected += [f"{p.stem}.html" for p in sorted((REPO / "docs").glob("*.md"))]
    nav = list(dict.fromkeys(_site_paths(crawl.root, crawl.pages["index.html"].nav)))
    assert sorted(nav) == sorted(expected)
    notebook_order = [p for p in nav if p.startswith("notebooks/")]
    assert notebook_order == [p for p in expected if p.startswith("notebooks/")]
    assert nav[:2] == ["index.html", "setup.html"]


@pytest.mark.parametrize("lesson", read_lessons(NOTEBOOKS), ids=lambda lesson: lesson.number)
def test_every_notebook_page_shows_its_text_figures_and_progress_bars(crawl: Crawl, lesson):
    page = crawl.pages.get(f"notebooks/{lesson.name}.html")
    assert page is not None, f"no page for {lesson.path.name}"
    assert page.title == f"{int(lesson.number)}. {lesson.title}"
    assert lesson.summary.split(":")[0][:40] in " ".join(page.text.split())
    figures = [image for image in page.images if image["inOutput"]]
    assert len(figures) == _image_outputs(lesson.path), "not every figure of the notebook is shown"
    assert all(image["drawn"] for image in figures), "a figure is not drawn"
    assert page.progress_bars == _widget_outputs(lesson.path)
    downloads = [url for url in page.links if url.endswith(f"/notebooks/{lesson.path.name}")]
    assert downloads, "no download link"
    copy = Path(unquote(urlsplit(downloads[0]).path))
    assert copy.read_bytes() == lesson.path.read_bytes(), "the download is not the notebook"
    student = REPO / "exercises" / lesson.path.name
    if student.is_file():  # the student edition, where the notebook has one
        links = [url for url in page.links if url.endswith(f"/exercises/{lesson.path.name}")]
        assert links, "no link to the student edition"
        copy = Path(unquote(urlsplit(links[0]).path))
        assert copy.read_bytes() == student.read_bytes(), "the download is not the student edition"


def test_the_home_page_gives_each_notebook_its_time_and_what_it_teaches(crawl: Crawl) -> None:
    home = crawl.pages["index.html"]
    text = " ".join(home.text.split())
    for lesson in read_lessons(NOTEBOOKS):
        assert lesson.title in text
        summary = lesson.summary.replace("`", "").replace("*", "")  # as rendered
        assert " ".join(summary.split())[:60] in text
        if lesson.measured_seconds is not None:
            shown = lesson.measured_seconds
            assert (f"{shown:.0f} s" if shown < 90 else f"{shown / 60:.1f} min") in text
        assert any(url.endswith(f"notebooks/{lesson.path.name}") for url in home.links)


def test_no_link_or_anchor_is_broken(crawl: Crawl) -> None:
    broken = []
    for page in crawl.pages.values():
        for url in page.links:
            parts = urlsplit(url)
            if parts.scheme != "file":
                continue  # web links are for a reader online; none of them is fetched
            target = Path(unquote(parts.path))
            if not target.is_file():
                broken.append(f"{page.path} -> {url}")
                continue
            if parts.fragment and target.suffix == ".html":
                linked = crawl.pages.get(target.relative_to(crawl.root).as_posix())
                if linked is not None and unquote(parts.fragment) not in linked.ids:
                    broken.append(f"{page.path} -> {url} (no such anchor)")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_no_console_errors_and_nothing_fetched_from_outside(crawl: Crawl) -> None:
    errors = [f"{p.path}: {line}" for p in crawl.pages.values() for line in p.console]
    assert not errors, "\n".join(errors)
    assert not from_outside(crawl.requests), "the site fetched from the internet"
    assert any(url.startswith("file:") for url in crawl.requests)


def test_screenshots_of_the_home_page_and_notebook_05_are_kept(crawl: Crawl) -> None:
    for name in SCREENSHOT_PAGES.values():
        shot = SCREENSHOTS / name
        assert shot.is_file() and shot.stat().st_size > 10_000, f"{shot} missing or blank"
        assert shot.stat().st_mtime >= crawl.started, f"{shot} is from an earlier run"


FILE_NAME = re.compile(r"\.(png|jpe?g|gif|svg|webp)$|^(image|figure|picture|img)$", re.I)
WIDGET_LEFTOVERS = ("Error displaying widget", "VBox(children=", "HBox(children=", "Widget(",
                    "<Figure size")  # fmt: skip


def test_every_image_says_what_it_shows_and_no_widget_is_left_broken(crawl: Crawl) -> None:
    problems = []
    for page in crawl.pages.values():
        for image in page.images:
            alt = (image["alt"] or "").strip()
            if not alt or FILE_NAME.search(alt):
                problems.append(f"{page.path}: an image with alt text {image['alt']!r}")
        problems += [
            f"{page.path}: shows {text!r}" for text in WIDGET_LEFTOVERS if text in page.text
        ]
        if page.empty_widgets:
            problems.append(f"{page.path}: {page.empty_widgets} empty widget box(es)")
    assert not problems, "\n".join(problems)


def test_every_explorer_is_shown_as_its_static_figure(crawl: Crawl) -> None:
    expected = found = 0
    for lesson in read_lessons(NOTEBOOKS):
        saved = Counter(_explorer_figures(lesson.path))
        shown = Counter(
            image["alt"]
            for image in crawl.pages[f"notebooks/{lesson.name}.html"].images
            if image["inOutput"] and image["drawn"]
        )
        expected += saved.total()
        found += sum(min(count, shown[alt]) for alt, count in saved.items())
    assert found == expected, f"{found} of the explorers' {expected} figures are on their pages"
