"""nbval's kernels, for every notebook ``make test`` passes to pytest with ``--nbval-lax``.

This file sits at the top of the repository because pytest calls a conftest's test hooks only
for the tests below it: the notebooks are in notebooks/, not tests/ (whose conftest.py holds
the rest of the suite's set-up).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent
NBVAL_HOME = REPO / "test-artifacts" / "nbval-home"
HOME_MADE = pytest.StashKey[bool]()  # once per session (per xdist worker)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    """nbval starts a notebook's kernel while setting up its first cell: the kernel gets the
    smoke profile and a tutorial home of its own (made afresh once per session), the tests
    around it keep their environment."""
    if item.path.suffix != ".ipynb":
        yield
        return
    if not item.config.stash.get(HOME_MADE, False):
        shutil.rmtree(NBVAL_HOME, ignore_errors=True)
        NBVAL_HOME.mkdir(parents=True)
        item.config.stash[HOME_MADE] = True
    with pytest.MonkeyPatch.context() as patch:  # restores the variables afterwards
        patch.setenv("CIFAR_TUTORIAL_PROFILE", "smoke")
        patch.setenv("CIFAR_TUTORIAL_HOME", str(NBVAL_HOME))
        yield
