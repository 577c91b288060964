"""The notebooks as learners meet them: JupyterLab driven in a real, headless Chromium.

One JupyterLab server (smoke profile, the project's ``notebooks/`` as its root) and one
Chromium serve the whole module. For notebook 01 (the first a learner opens; 04, a training
loop with progress-bar widgets and a live view, is run so in ``tests/test_browser_live.py``,
with more epochs) the test opens it in the JupyterLab interface,
chooses Run > "Restart Kernel and Run All Cells…", confirms the dialog, waits for the kernel
to finish, checks what a learner would see and saves a full-page screenshot to
``test-artifacts/screenshots/``. Autosave is off, and the committed notebooks must be
byte-identical afterwards. Server, kernels and browser are stopped in every case.

The same expectations (figures, progress bar, texts, no error) are checked for all eight
notebooks in the session's collection run (``tests/test_notebooks.py``); the browser adds
what only JupyterLab shows: the kernel it picks, widgets and pictures drawn, nothing saved,
nothing fetched from outside.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser_support import (
    SCREENSHOTS,
    VIEWPORT,
    chromium_context,
    descendants,
    from_outside,
    kill_all,
    nothing_left_running,
    record_requests,
)
from collection_run import EXPECTED, Expected

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
KERNEL_DISPLAY_NAME = "Python 3 (ipykernel)"  # the kernel the README tells learners to pick
SERVER_START_TIMEOUT_S = 60
# A smoke-profile notebook runs in well under a minute on a quiet 2-core CPU; under a loaded
# CI machine 07 once needed more than 150 s, so the limit leaves room (it only bounds a hang).
RUN_TIMEOUT_S = 360
MAX_SCREENSHOT_HEIGHT = 16_000  # Chromium cannot capture much taller pages
IN_THE_BROWSER = ("01",)  # the first notebook; 04 (progress bars, live view): test_browser_live


@dataclass(frozen=True)
class LabServer:
    """A running JupyterLab: its address, its login token and the folder it serves."""

    url: str
    token: str
    root: Path


# ----------------------------------------------------------------------------- processes


@pytest.fixture(scope="module")
def browser_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """This module's temp folder; on teardown no process that used it may still run."""
    with nothing_left_running(tmp_path_factory.mktemp("browser")) as tmp:
        yield tmp


# ----------------------------------------------------------------------------- JupyterLab


def _write_lab_settings(settings_dir: Path) -> None:
    """User settings: no autosave, no news or update checks (the network is closed)."""
    settings = {
        "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
        "@jupyterlab/apputils-extension/notification": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
    }
    for plugin, values in settings.items():
        path = settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def _lab_environment(tmp: Path) -> dict[str, str]:
    """The smoke profile, and every Jupyter folder (settings, kernels, runtime) in ``tmp``."""
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # the kernel must draw inline, as in a learner's JupyterLab
    env.update(
        CIFAR_TUTORIAL_PROFILE="smoke",
        CIFAR_TUTORIAL_HOME=str(tmp / "home"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp / "lab-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "lab-workspaces"),
        JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"),
        JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"),
        IPYTHONDIR=str(tmp / "ipython"),
    )
    return env


def _wait_for_server_info(process: subprocess.Popen, runtime_dir: Path, log: Path) -> dict:
    """The server's own description of itself (port, token), once it accepts requests."""
    info_file = runtime_dir / f"jpserver-{process.pid}.json"
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        if info_file.exists():
            try:
                info = json.loads(info_file.read_text())
                _api(info["url"].rstrip("/"), info["token"], "/api/status")
                return info
            except (ValueError, OSError):
                pass
        time.sleep(0.25)
    pytest.fail(
        f"JupyterLab did not start in {SERVER_START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}"
    )


def _api(url: str, token: str, path: str, method: str = "GET") -> object:
    """Call the Jupyter server's REST API; returns the decoded JSON answer, if any."""
    request = urllib.request.Request(
        url + path, method=method, headers={"Authorization": f"token {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


def _stop_server(process: subprocess.Popen, url: str | None, token: str) -> None:
    """Shut the server down with its kernels; force whatever is still running after that."""
    family = descendants(process.pid)
    if url is not None:
        try:
            _api(url, token, "/api/shutdown", method="POST")
            process.wait(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            pass
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            family += [p for p in descendants(process.pid) if p not in family]
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    kill_all(family)  # kernels run in sessions of their own, outside the server's group


@pytest.fixture(scope="module")
def committed_notebooks() -> Iterator[dict[str, str]]:
    """Hashes of every file under ``notebooks/``; they must not change while the test runs."""
    before = _hash_tree(NOTEBOOKS)
    yield before
    assert _hash_tree(NOTEBOOKS) == before, "the browser test changed files under notebooks/"


def _hash_tree(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by relative path."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@contextmanager
def serve_lab(tmp: Path, root: Path) -> Iterator[LabServer]:
    """JupyterLab on a free port of 127.0.0.1, in the smoke profile, serving ``root``."""
    env = _lab_environment(tmp)
    _write_lab_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]))
    token = secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        "--port=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--FileCheckpoints.checkpoint_dir={tmp / 'checkpoints'}",
        "--LabApp.expose_app_in_browser=True",  # lets the test read the notebook model
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = tmp / "jupyterlab.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(
            command,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = None
    try:
        info = _wait_for_server_info(process, Path(env["JUPYTER_RUNTIME_DIR"]), log)
        url = info["url"].rstrip("/")
        yield LabServer(url=url, token=token, root=root)
    finally:
        _stop_server(process, url, token)


@pytest.fixture(scope="module")
def lab(browser_tmp: Path, committed_notebooks: dict[str, str]) -> Iterator[LabServer]:
    """JupyterLab serving ``notebooks/`` (see :func:`serve_lab`)."""
    with serve_lab(browser_tmp, NOTEBOOKS) as server:
        yield server


# ----------------------------------------------------------------------------- Chromium


@pytest.fixture(scope="module")
def chromium(browser_tmp: Path):
    """A Playwright browser context in Debian's Chromium with a new, empty profile."""
    with chromium_context(browser_tmp / "chromium-profile") as context:
        yield context


@pytest.fixture(scope="module")
def requests_made(chromium) -> list[str]:
    """Every address the pages ask for, to show that nothing comes from outside 127.0.0.1."""
    return record_requests(chromium)


# ----------------------------------------------------------------------------- the notebook

# Finds the notebook panel of ``path`` through the application object JupyterLab exposes.
_PANEL = """
const panelFor = (path) => {
  for (const widget of window.jupyterapp.shell.widgets("main")) {
    if (widget.context && widget.context.path === path && widget.sessionContext) return widget;
  }
  return null;
};
"""

_READY = (
    "(path) => {"
    + _PANEL
    + """
  if (!window.jupyterapp) return false;
  const panel = panelFor(path);
  const kernel = panel && panel.context.isReady && panel.sessionContext.session?.kernel;
  return Boolean(kernel && kernel.status === "idle");
}"""
)

_COUNT_EXECUTIONS = (
    "(path) => {"
    + _PANEL
    + """
  window.__executed = 0;
  panelFor(path).sessionContext.iopubMessage.connect((_, message) => {
    if (message.header.msg_type === "execute_input") window.__executed += 1;
  });
}"""
)

_STATE = (
    "(path) => {"
    + _PANEL
    + """
  const panel = panelFor(path);
  const cells = panel.content.widgets.map((cell, index) => {
    const model = cell.model;
    const outputs = model.type === "code" ? model.outputs.toJSON() : [];
    const images = Array.from(cell.node.querySelectorAll(".jp-OutputArea-output img"));
    return {
      index,
      type: model.type,
      source: model.sharedModel.getSource(),
      prompt: cell.node.querySelector(".jp-InputPrompt")?.textContent.trim() || "",
      outputTypes: outputs.map((output) => output.output_type),
      streams: outputs.filter((o) => o.output_type === "stream").map((o) => o.name),
      stderrShown: cell.node.querySelectorAll(
        '[data-mime-type="application/vnd.jupyter.stderr"]').length,
      images: images.length,
      imagesDrawn: images.filter((img) => img.complete && img.naturalWidth > 0).length,
      progressWidgets: cell.node.querySelectorAll(".widget-hprogress .progress-bar").length,
      outputText: Array.from(cell.node.querySelectorAll(".jp-OutputArea-output"))
        .map((node) => node.textContent).join("\\n"),
    };
  });
  return {
    executed: window.__executed,
    kernelStatus: panel.sessionContext.session?.kernel?.status || "none",
    kernelName: panel.toolbar.node.querySelector(".jp-KernelName")?.textContent.trim() || "",
    cells,
  };
}"""
)


def _open_notebook(page, lab: LabServer, name: str) -> None:
    """Open ``name`` through JupyterLab's URL and wait until its kernel is ready."""
    page.goto(f"{lab.url}/lab/tree/{name}?reset&token={lab.token}")
    page.wait_for_function(_READY, arg=name, timeout=90_000, polling=250)


def _restart_and_run_all(page) -> None:
    """Run > Restart Kernel and Run All Cells…, then confirm the dialog, as a learner does."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Restart Kernel and Run All Cells…").click()
    dialog = page.locator(".jp-Dialog", has_text="Restart Kernel?")
    dialog.get_by_role("button", name="Confirm Kernel Restart").click()  # the "Restart" button
    dialog.wait_for(state="detached")


def _wait_until_run(page, name: str) -> dict:
    """The notebook's state once every code cell ran (or one failed) and the kernel is idle."""
    code_cells = None
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        state = page.evaluate(_STATE, name)
        cells = [c for c in state["cells"] if c["type"] == "code" and c["source"].strip()]
        code_cells = len(cells)
        busy = state["kernelStatus"] != "idle" or any("*" in c["prompt"] for c in cells)
        failed = any("error" in c["outputTypes"] for c in cells)
        if not busy and (state["executed"] >= code_cells or failed):
            return state
        time.sleep(0.5)
    pytest.fail(
        f"{name}: not finished after {RUN_TIMEOUT_S} s "
        f"({state['executed']} of {code_cells} code cells ran)"
    )


# The notebook scrolls inside its own panel, so a full-page screenshot alone would show one
# screen of it: this scrolls it to the top and returns the window height that shows it all.
_TOP_AND_FULL_HEIGHT = """() => {
  const outer = document.querySelector(".jp-NotebookPanel-notebook .jp-WindowedPanel-outer");
  outer.scrollTop = 0;
  const cells = outer.querySelectorAll(".jp-Cell");
  const box = outer.getBoundingClientRect();
  const below = window.innerHeight - box.bottom;  // the status bar
  return Math.ceil(cells[cells.length - 1].getBoundingClientRect().bottom + below + 24);
}"""


def _open_and_run_all(page, lab: LabServer, name: str) -> dict:
    """Open ``name``, choose "Restart Kernel and Run All Cells", and return its state once run."""
    _open_notebook(page, lab, name)
    page.evaluate(_COUNT_EXECUTIONS, name)
    _restart_and_run_all(page)
    return _wait_until_run(page, name)


def _screenshot(page, name: str) -> Path:
    """A full-page screenshot, the window made tall enough to show the whole notebook."""
    for _ in range(5):  # cells below the fold only get their real height once they are shown
        height = min(page.evaluate(_TOP_AND_FULL_HEIGHT), MAX_SCREENSHOT_HEIGHT)
        if abs(height - page.viewport_size["height"]) < 4:
            break
        page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
        page.wait_for_timeout(300)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{Path(name).stem}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _shut_down_kernels(lab: LabServer) -> None:
    """End every kernel the server runs, so the next notebook starts alone."""
    for session in _api(lab.url, lab.token, "/api/sessions"):
        _api(lab.url, lab.token, f"/api/sessions/{session['id']}", method="DELETE")


def _describe(cell: dict) -> str:
    """``cell 12 ('first line of its code')``, for failure messages."""
    first_line = cell["source"].strip().splitlines()[0] if cell["source"].strip() else ""
    return f"cell {cell['index']} ({first_line[:60]!r})"


@pytest.mark.parametrize(
    "expected", [e for e in EXPECTED if e.name[:2] in IN_THE_BROWSER], ids=lambda e: e.name[:2]
)
def test_restart_and_run_all_in_jupyterlab(
    expected: Expected, chromium, requests_made: list[str], lab: LabServer
) -> None:
    name = expected.name
    if not (lab.root / name).is_file():
        pytest.fail(f"notebooks/{name} does not exist")
    before = (lab.root / name).read_bytes()
    page = chromium.new_page()
    try:
        state = _open_and_run_all(page, lab, name)
        _screenshot(page, name)
    finally:
        page.close()
        _shut_down_kernels(lab)

    check_what_a_learner_sees(expected, state)
    assert (lab.root / name).read_bytes() == before, f"{name} was modified on disk"
    assert not from_outside(requests_made), f"{name}: requests beyond 127.0.0.1"


def check_what_a_learner_sees(expected: Expected, state: dict) -> None:
    """No error, the kernel the README names, the figures, progress bars and texts of
    ``expected``, all drawn in JupyterLab (``state``: from :func:`_wait_until_run`)."""
    name = expected.name
    code = [c for c in state["cells"] if c["type"] == "code"]
    errors = [
        f"{_describe(c)}: {c['outputText'][-500:]}"
        for c in code
        if "error" in c["outputTypes"] or "stderr" in c["streams"] or c["stderrShown"]
    ]
    assert not errors, f"{name}: error output in\n" + "\n".join(errors)
    assert state["executed"] >= len([c for c in code if c["source"].strip()])
    assert state["kernelName"] == KERNEL_DISPLAY_NAME

    shown = "\n".join(c["outputText"] for c in code)
    assert "IProgress not found" not in shown, f"{name}: tqdm fell back to text"
    assert "Error displaying widget" not in shown, f"{name}: a widget failed to render"
    for call in expected.figures:
        drawing = [c for c in code if call in c["source"]]
        assert drawing, f"{name}: no cell calls {call}...)"
        for cell in drawing:
            assert cell["imagesDrawn"] >= 1, f"{name}: {_describe(cell)} shows no drawn image"
    if expected.progress_bar:
        assert any(c["progressWidgets"] for c in code), f"{name}: no progress bar widget"
    for text in expected.texts:
        assert text in shown, f"{name}: {text!r} is not shown"
