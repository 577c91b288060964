"""What the browser tests share: Debian's Chromium through Playwright, and process hygiene.

``tests/test_browser.py`` (JupyterLab) and ``tests/test_site.py`` (the course website) each
wrap these in module fixtures: a temporary folder that no process may outlive, a Chromium with
a new, empty profile, and the addresses its pages asked for.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
VIEWPORT = {"width": 1440, "height": 900}


# ----------------------------------------------------------------------------- processes


def descendants(pid: int) -> list[psutil.Process]:
    """Children, grandchildren... of ``pid`` (none when it is gone)."""
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def processes_mentioning(marker: str) -> list[psutil.Process]:
    """Live processes whose command line names ``marker`` (a temp folder of a test module)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if any(marker in part for part in cmdline) and process.pid != os.getpid():
            found.append(process)
    return found


def names_alive(processes: list[psutil.Process]) -> list[str]:
    """``name (pid)`` of each process in ``processes`` still running."""
    names = set()
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                names.add(f"{process.name()} ({process.pid})")
        except psutil.NoSuchProcess:
            pass
    return sorted(names)


def kill_all(processes: list[psutil.Process], timeout: float = 10) -> None:
    """SIGKILL each process still running and wait for it to go."""
    for process in processes:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(processes, timeout=timeout)


@contextmanager
def nothing_left_running(tmp: Path) -> Iterator[Path]:
    """Yield ``tmp``; afterwards fail if a process started meanwhile, or using ``tmp``, runs on.

    Whatever is left is killed in any case, so a failing test leaves nothing behind either.
    """
    before = {p.pid for p in descendants(os.getpid())}
    yield tmp
    leftovers = [p for p in descendants(os.getpid()) if p.pid not in before]
    leftovers += [p for p in processes_mentioning(str(tmp)) if p not in leftovers]
    _, alive = psutil.wait_procs(leftovers, timeout=5)  # a moment to exit on their own
    names = names_alive(alive)
    kill_all(alive)
    assert not names, f"processes left behind by the browser test: {names}"


# ----------------------------------------------------------------------------- Chromium


@contextmanager
def chromium_context(profile_dir: Path, viewport: dict[str, int] = VIEWPORT):
    """A Playwright browser context in Debian's Chromium with a new, empty profile.

    Skips the test when Chromium or Playwright is missing (``.ci/run`` installs Chromium).
    """
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"no Chromium at {CHROMIUM} (.ci/run installs Debian's chromium package)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

    playwright = sync_api.sync_playwright().start()
    context = None
    try:
        context = playwright.chromium.launch_persistent_context(
            str(profile_dir),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport=viewport,
        )
        yield context
    finally:
        if context is not None:
            context.close()
        playwright.stop()


def record_requests(context) -> list[str]:
    """A list that fills with every address the context's pages ask for."""
    urls: list[str] = []
    context.on("request", lambda request: urls.append(request.url))
    return urls


def from_outside(urls: list[str]) -> list[str]:
    """The web addresses in ``urls`` that are not on 127.0.0.1 (``file:`` and ``data:`` are
    local)."""
    web = {url for url in urls if urlsplit(url).scheme in ("http", "https")}
    return sorted(url for url in web if urlsplit(url).hostname != "127.0.0.1")
