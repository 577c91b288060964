"""Shared fixtures: an isolated tutorial home for every test session, the full data set, and
the one run of the whole collection that every test of executed notebooks reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from collection_run import CollectionRun, shared_collection_run

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"


@pytest.fixture(scope="session", autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Point ``CIFAR_TUTORIAL_HOME`` at a temporary folder so tests never touch ``~/.cache``."""
    home = tmp_path_factory.mktemp("cifar-tutorial-home")
    previous = os.environ.get("CIFAR_TUTORIAL_HOME")
    os.environ["CIFAR_TUTORIAL_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("CIFAR_TUTORIAL_HOME", None)
    else:
        os.environ["CIFAR_TUTORIAL_HOME"] = previous


@pytest.fixture(scope="session")
def full_data_root() -> Path:
    """The full CIFAR-10 named by ``CIFAR10_ROOT``; skips the test when there is none."""
    configured = os.environ.get("CIFAR10_ROOT")
    if not configured:
        pytest.skip("no full CIFAR-10 copy: set CIFAR10_ROOT (.ci/run extracts the shared one)")
    root = Path(configured)
    has_folders = (root / "train").is_dir() and (root / "test").is_dir()
    if not (has_folders or (root / "cifar-10-batches-py").is_dir()):
        pytest.skip(f"CIFAR10_ROOT={configured} holds no CIFAR-10 copy")
    return root


@pytest.fixture(scope="session")
def collection_run(tmp_path_factory: pytest.TempPathFactory) -> CollectionRun:
    """``cifar-tutorial run --profile smoke`` of all eight notebooks, once per test session
    (once for all pytest-xdist workers too: they share the folder; see collection_run.py)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        folder = tmp_path_factory.getbasetemp().parent / "collection-run"  # the workers' common
    else:
        folder = tmp_path_factory.mktemp("collection-run")
    return shared_collection_run(folder)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Groups for pytest-xdist's ``--dist loadgroup`` (``make test``): the tests that read the
    collection run share one worker and go first (the longest group); every other module keeps
    to one worker, so that its module fixtures (JupyterLab, a built site, torchrun runs) start
    once. Without xdist the marks do nothing, and only the order changes."""
    for item in items:
        reads_the_run = "collection_run" in getattr(item, "fixturenames", ())
        item.add_marker(
            pytest.mark.xdist_group("collection-run" if reads_the_run else item.path.stem)
        )
    items.sort(key=lambda item: "collection_run" not in getattr(item, "fixturenames", ()))
