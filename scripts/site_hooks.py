"""MkDocs hooks that make the course website (``make site``) from the repository as it is.

``mkdocs.yml`` names this file under ``hooks:``. It adds to the pages of ``docs/``:

* ``index.md``: the README's course overview and a table of the notebooks (what each
  teaches, its measured time, download links), read from the notebooks by
  :mod:`cifar_tutorial.course.lessons` (through the notebook reader,
  :mod:`cifar_tutorial.course.notebooks`);
* ``setup.md``: the rest of the README (commands, data, storage), its links made site links;
* ``notebooks/NN_name.ipynb``: a copy of each committed notebook for mkdocs-jupyter to render,
  with a download line on top, links to other notebooks and to ``docs/`` turned into links
  to their pages, every figure an ``<img>`` with the alt text its output carries (nbconvert's
  template writes none; a figure without alt text stops the build), an explorer (a widget
  view with a static figure) shown as its figure, and tqdm's progress widgets drawn as static
  ``<progress>`` bars (the widget manager would be fetched from a CDN; a site for the offline
  kit fetches nothing; a widget with neither stops the build);

and sets the navigation in course order. After the build it copies the notebooks themselves
(complete edition, and the student edition of ``exercises/`` where there is one) next to their
pages, for the download links. Nothing here writes outside a temporary folder and ``site/``.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from cifar_tutorial.alt_text import ALT
from cifar_tutorial.course.html_page import image_tag
from cifar_tutorial.course.lessons import Lesson, read_lessons
from cifar_tutorial.course.notebooks import (
    MODEL_REFERENCE,
    WIDGET_STATE,
    WIDGET_VIEW,
    numbered_paths,
    read_notebook,
    source_text,
)
from cifar_tutorial.course.text import seconds_text, size_text

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
STUDENT_EDITION = REPO / "exercises"
README = REPO / "README.md"
NOTEBOOK_FOLDER = "notebooks"  # where the notebook pages and downloads go in the site
PNG = "image/png"
RAW_REPR = re.compile(  # what a page shows when a figure or widget is left as its repr
    r"^\s*(?:<Figure size|<matplotlib\.|[A-Z]\w*(?:Box|Widget)?\((?:children|value|layout|"
    r"description|options|outputs|model_id)=|\w*Widget\()"
)
IMAGE_WITHOUT_ALT = re.compile(r"!\[\s*\]\(|<img(?![^>]*\salt=[\"']\s*[^\"'\s])[^>]*>", re.I)
CDN_LOADERS = [  # what nbconvert writes into every page, each fetching from a CDN when run
    re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S),
    re.compile(
        r'<script type="module">\s*document\.addEventListener\("DOMContentLoaded", '
        r"async \(\) => \{\s*const diagrams = document\.querySelectorAll\("
        r'"\.jp-Mermaid.*?</script>',
        re.S,
    ),
]
MATH = re.compile(r"(?<![\\$])\$[^$\s][^$\n]*\$|\$\$|\\\(|\\\[")
MERMAID = re.compile(r"^```mermaid", re.M)
HEADING_ID = re.compile(r'<h[1-6][^>]*\sid="([^"]+)"')

_staging: tempfile.TemporaryDirectory | None = None


# ----------------------------------------------------------------------------- pages


def index_markdown(
    lessons: list[Lesson], readme: str, has_student_edition: bool, has_guide: bool
) -> str:
    """The home page: the README's overview, then one row per notebook."""
    overview = readme_overview(readme)
    rows = [
        "| | notebook | what it teaches | time | exercises | download |",
        "| ---: | --- | --- | ---: | ---: | --- |",
    ]
    for lesson in lessons:
        link = f"[{lesson.title}]({NOTEBOOK_FOLDER}/{lesson.name}.ipynb)"
        rows.append(
            f"| {int(lesson.number)} | {link} | {lesson.summary} | "
            f"{format_seconds(lesson.measured_seconds)} | {len(lesson.exercises)} | "
            f"{download_links(lesson, has_student_edition, depth=0)} |"
        )
    return "\n".join(
        [
            "# Training a classifier on CIFAR-10 with PyTorch",
            "",
            overview,
            "",
            "## The course",
            "",
            "Read the notebooks here, with the outputs of a real run, before installing anything;",
            "then [set up](setup.md) your machine and run them in JupyterLab, in this order.",
            "*notebook* downloads the complete notebook, with those outputs"
            + (
                "; *student edition* the same with the exercises' answers left for you to write."
                if has_student_edition
                else "."
            ),
            "This website needs no internet connection: a copy on disk opens from its",
            "`index.html`.",
            "",
            *rows,
            "",
            "Times: the whole notebook in the full profile on the full CIFAR-10 on a 2-core CPU,",
            "as printed by its last cell when the outputs shown here were made.",
            "Instructors: the [instructor's guide](instructor.md) has the times of both profiles"
            " from a real run, where the exercises are, and schedules."
            if has_guide
            else "",
        ]
    )


def readme_overview(readme: str) -> str:
    """The README's paragraphs between its title and its first ``##`` section."""
    lines = readme.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# ")) + 1
    end = next((i for i, line in enumerate(lines) if line.startswith("## ")), len(lines))
    return site_links("\n".join(lines[start:end]).strip(), "readme")


def setup_markdown(readme: str) -> str:
    """The README from its first ``##`` section on, as the page "Set-up and commands"."""
    lines = readme.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("## ")), len(lines))
    body = "\n".join(lines[start:])
    return "# Set-up and commands\n\nFrom the repository's README.\n\n" + site_links(body, "readme")


LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")
DOCS_PAGE = re.compile(r"^(?:\.\./)?docs/(?P<name>[\w.-]+)\.md$")
NOTEBOOK_FILE = re.compile(r"^(?:\.\./)?(?:notebooks/)?(?P<name>\d\d_\w+)\.ipynb$")


def site_links(markdown: str, source: str) -> str:
    """Links between repository files made links between the pages of the site.

    ``source`` says where the markdown comes from: ``"readme"`` (the repository's root),
    ``"docs"`` (``docs/``) or ``"notebook"`` (``notebooks/``; its page is final HTML, the
    others are Markdown that mkdocs resolves). ``docs/NAME.md`` becomes the page ``NAME``,
    ``README.md`` the set-up page, a notebook its page. A link to any other repository file
    (source code, say), which the site does not hold, keeps its text and loses its link.
    """

    def page_of(match: re.Match[str]) -> str:
        text, target = match["text"], match["target"]
        path, _, anchor = target.partition("#")
        anchor = f"#{anchor}" if anchor else ""
        up, html_page = ("../", True) if source == "notebook" else ("", False)
        if re.match(r"^[a-z][a-z+.-]*:", path) or not path:  # web, mail, or an anchor only
            return match[0]
        if path.rsplit("/", 1)[-1] == "README.md":
            page = f"{up}setup.{'html' if html_page else 'md'}"
        elif docs := DOCS_PAGE.match(path):
            page = f"{up}{docs['name']}.{'html' if html_page else 'md'}"
        elif notebook := NOTEBOOK_FILE.match(path):
            page = (
                f"{notebook['name']}.html"
                if html_page
                else f"{NOTEBOOK_FOLDER}/{path.rsplit('/', 1)[-1]}"
            )
        elif source == "docs" and not path.startswith("../"):
            return match[0]  # another file of docs/, which the site holds
        else:
            return text
        return f"[{text}]({page}{anchor})"

    return LINK.sub(page_of, markdown)


def download_links(lesson: Lesson, has_student_edition: bool, depth: int) -> str:
    """Links to the notebook file, and to its student edition where there is one.

    ``depth`` is that of the page the links are on (0: the home page, 1: a notebook's page).
    """
    root = "../" * depth
    size = size_text(lesson.path.stat().st_size)
    name = lesson.path.name
    links = [f'<a href="{root}{NOTEBOOK_FOLDER}/{name}" download>notebook</a> ({size})']
    if has_student_edition and (STUDENT_EDITION / name).is_file():
        href = f"{root}{STUDENT_EDITION.name}/{name}"
        links.append(f'<a href="{href}" download>student edition</a>')
    return ", ".join(links)


def format_seconds(seconds: float | None) -> str:
    """``7 s``, ``9.7 min``; ``not measured`` when the notebook recorded no time."""
    return "not measured" if seconds is None else seconds_text(seconds)


# ----------------------------------------------------------------------------- notebooks


def site_notebook(notebook: dict[str, Any], lesson: Lesson, has_student_edition: bool) -> dict:
    """The notebook as its page shows it: download line, site links, static progress bars."""
    if needs_cdn(notebook):
        raise PluginError(
            f"{lesson.path.name} has LaTeX math or a mermaid diagram, and the offline site "
            "loads neither MathJax nor mermaid (both come from a CDN): add local copies to the "
            "site before using them in a notebook."
        )
    notebook = json.loads(json.dumps(notebook))  # a copy: the committed file stays as it is
    states = notebook.get("metadata", {}).pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for index, cell in enumerate(notebook["cells"]):
        where = f"{lesson.path.name}, cell {index}"
        if cell["cell_type"] == "markdown":
            if IMAGE_WITHOUT_ALT.search(source_text(cell["source"])):
                raise PluginError(f"{where}: an image without alt text (write what it shows)")
            cell["source"] = site_links(source_text(cell["source"]), "notebook")
        for output in cell.get("outputs", []):
            static_output(output, states, where)
    download = (
        f"Download this notebook: {download_links(lesson, has_student_edition, depth=1)}. "
        "Open it in JupyterLab "
        "(see [Set-up and commands](../setup.html)) to run it yourself."
    )
    notebook["cells"].insert(
        1,
        {
            "cell_type": "markdown",
            "id": "site-download",
            "metadata": {},
            "source": f"<small>{download}</small>",
        },
    )
    return notebook


def static_output(output: dict[str, Any], states: dict[str, Any], where: str) -> None:
    """Make one output (in place) what a page with no kernel and no widget manager shows.

    A figure (``image/png``) becomes an ``<img>`` with the alt text of its output's metadata,
    and nothing else of the output is kept: an explorer's widget view, which comes with its
    figure, is shown as that figure. A widget without a figure is drawn by
    :func:`widget_html` (tqdm's bars). A figure without alt text, a widget that cannot be
    drawn, and a figure or widget left as its repr (``<Figure size ...>``, ``VBox(children=``)
    stop the build with a :class:`PluginError` that says ``where`` (``04_train.ipynb, cell 26``).
    """
    data = output.get("data", {})
    if PNG in data:
        alt = output.get("metadata", {}).get(PNG, {}).get(ALT)
        if not isinstance(alt, str) or not alt.strip():
            raise PluginError(
                f"{where}: a figure without alt text; draw it with cifar_tutorial.plots or give "
                "it a sentence with cifar_tutorial.alt_text.describe(fig, ...)"
            )
        output["data"] = {"text/html": image_tag(source_text(data[PNG]).replace("\n", ""), alt)}
        output["metadata"] = {}
        return
    if WIDGET_VIEW in data:
        view = data.pop(WIDGET_VIEW)
        drawn = widget_html(view["model_id"], states)
        if drawn is not None:
            data["text/html"] = drawn
        elif not data or RAW_REPR.match(source_text(data.get("text/plain", ""))):
            raise PluginError(
                f"{where}: a widget the offline site cannot draw; show it with a described "
                "figure (as cifar_tutorial.explorers does) or save the notebook's widget state"
            )
    if set(data) == {"text/plain"} and RAW_REPR.match(source_text(data["text/plain"])):
        raise PluginError(
            f"{where}: shows {source_text(data['text/plain'])[:40]!r}, a repr, not a picture"
        )


def widget_html(model_id: str, states: dict[str, Any]) -> str | None:
    """A saved ipywidgets view (tqdm's bar: text, progress, text) as static HTML."""
    model = states.get(model_id)
    if model is None:
        return None
    name, state = model["model_name"], model["state"]
    if name in ("HBoxModel", "VBoxModel"):
        parts = [
            widget_html(child.removeprefix(MODEL_REFERENCE), states) for child in state["children"]
        ]
        inner = " ".join(part for part in parts if part)
        return f'<div class="static-widget">{inner}</div>' if inner else None
    if name in ("FloatProgressModel", "IntProgressModel"):
        return (
            f'<progress value="{state.get("value", 0)}" max="{state.get("max", 100)}"></progress>'
        )
    if name == "HTMLModel":
        return f"<span>{state.get('value', '')}</span>"
    if name == "LabelModel":
        return f"<span>{html.escape(state.get('value', ''))}</span>"
    return None


def needs_cdn(notebook: dict[str, Any]) -> bool:
    """True when a markdown cell holds LaTeX (``$x$``, ``$$``, ``\\(``, ``\\[``) outside code,
    or a mermaid diagram: what nbconvert's pages would fetch MathJax or mermaid for."""
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            source = source_text(cell["source"])
            prose = re.sub(r"```.*?```|`[^`]*`", "", source, flags=re.S)
            if MATH.search(prose) or MERMAID.search(source):
                return True
    return False


# ----------------------------------------------------------------------------- hooks


def course_nav(lessons: list[Lesson], docs: list[str]) -> list[Any]:
    """Home, set-up, the notebooks in course order, the instructor's guide, the notes."""
    course = [
        {f"{int(lesson.number)}. {lesson.title}": f"{NOTEBOOK_FOLDER}/{lesson.path.name}"}
        for lesson in lessons
    ]
    nav: list[Any] = [{"Home": "index.md"}, {"Set-up and commands": "setup.md"}]
    nav.append({"The course": course})
    if "instructor.md" in docs:
        nav.append({"For instructors": "instructor.md"})
    notes = [doc for doc in sorted(docs) if doc != "instructor.md"]
    if notes:
        nav.append({"Notes": notes})
    return nav


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """The navigation, built from the notebooks and the Markdown files in ``docs/``."""
    docs = sorted(p.name for p in Path(config.docs_dir).glob("*.md"))
    config.nav = course_nav(read_lessons(NOTEBOOKS), docs)
    return config


@event_priority(50)  # before mkdocs-jupyter's own on_files, which turns notebooks into pages
def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated pages and the notebooks (copied into a temporary folder) to the site."""
    global _staging
    lessons = read_lessons(NOTEBOOKS)
    has_student_edition = STUDENT_EDITION.is_dir()
    readme = README.read_text(encoding="utf-8")
    has_guide = (Path(config.docs_dir) / "instructor.md").is_file()
    index = index_markdown(lessons, readme, has_student_edition, has_guide)
    files.append(File.generated(config, "index.md", content=index))
    files.append(File.generated(config, "setup.md", content=setup_markdown(readme)))
    _staging = tempfile.TemporaryDirectory(prefix="cifar-tutorial-site-")
    staged = Path(_staging.name)
    (staged / NOTEBOOK_FOLDER).mkdir()
    for lesson in lessons:
        notebook = read_notebook(lesson.path)
        page = site_notebook(notebook, lesson, has_student_edition)
        uri = f"{NOTEBOOK_FOLDER}/{lesson.path.name}"
        (staged / uri).write_text(json.dumps(page), encoding="utf-8")
        files.append(File(uri, str(staged), config.site_dir, config.use_directory_urls))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Pages of ``docs/``: links to the README, the notebooks and other repository files.
    An image without alt text on any Markdown page stops the build."""
    if page.file.src_uri.endswith(".md") and IMAGE_WITHOUT_ALT.search(markdown):
        raise PluginError(f"{page.file.src_uri}: an image without alt text (write what it shows)")
    if page.file.generated_by is None and page.file.src_uri.endswith(".md"):
        return site_links(markdown, "docs")
    return markdown


def on_page_content(html_content: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Notebook pages: drop the MathJax and mermaid loaders nbconvert always writes (they
    fetch from a CDN; :func:`needs_cdn` made sure no notebook needs them)."""
    if page.file.src_uri.endswith(".ipynb"):
        for loader in CDN_LOADERS:
            html_content = loader.sub("", html_content)
        repair_toc(page.toc, set(HEADING_ID.findall(html_content)))
    return html_content


def repair_toc(toc: Any, ids: set[str]) -> None:
    """Point each entry of a notebook page's table of contents at its heading.

    mkdocs-jupyter slugs a heading for the contents without its code spans
    (``5-from-python-without-a-shell``) but gives the heading itself an id with them
    (``5-from-python-without-a-shell-torchdistributedlauncher``): such an entry is pointed
    at the one heading whose id starts with its own.
    """
    for item in toc:
        if item.id not in ids:
            candidates = [i for i in ids if i.startswith(item.id)]
            if len(candidates) == 1:
                item.id = candidates[0]
        repair_toc(item.children, ids)


def on_post_build(config: MkDocsConfig) -> None:
    """Copy the notebook files next to their pages, for the download links."""
    global _staging
    site = Path(config.site_dir)
    for folder in (NOTEBOOKS, STUDENT_EDITION):
        if folder.is_dir():
            target = site / folder.name
            target.mkdir(parents=True, exist_ok=True)
            for path in numbered_paths(NOTEBOOKS):
                if (folder / path.name).is_file():
                    shutil.copy2(folder / path.name, target / path.name)
    if _staging is not None:
        _staging.cleanup()
        _staging = None
