"""Shared fixtures: an isolated tutorial home for every test session, and the full data set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
