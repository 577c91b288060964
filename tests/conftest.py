"""Shared fixtures: an isolated tutorial home for every test session, the full data set, and
the one run of the whole collection that every test of executed notebooks reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from collection_run import CollectionRun, shared_collection_run

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"


def share_the_cores_between_workers() -> None:
    """Under pytest-xdist, each worker (and every kernel or process it starts) gets its share
    of the cores: two workers each spinning up torch's default one thread per core made the
    CPU-bound tests up to 25 times slower than alone (OpenMP threads waiting on each other).
    The cores are counted here rather than by ``cifar_tutorial.distributed.launch.usable_cores``:
    importing it loads torch, whose OpenMP reads the variable only when it is loaded."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1 and "OMP_NUM_THREADS" not in os.environ:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        os.environ["OMP_NUM_THREADS"] = str(max(1, (cores or 1) // workers))


share_the_cores_between_workers()  # before any test module imports torch


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


# The test modules that read the collection run. Under pytest-xdist (``make test``: ``-n 3
# --dist loadgroup``) they form one group that one worker runs first, the longest; every other
# module is a group of its own, so that its module fixtures (JupyterLab, a built site, torchrun
# runs) start once. A module missing here still sees one run (the lock in collection_run.py),
# but its worker may wait for another's.
READ_THE_COLLECTION_RUN = ("test_notebooks.py", "test_cli_collection.py", "test_guide.py")
# nbval's notebooks (``make test`` passes them with ``--nbval-lax``) form one group too, run in
# course order by one worker, in one tutorial home: 05 reads the weights 04 saved there.
# The longest groups go first, the rest in collection order, so that no long group starts
# last while the other worker has nothing left (measured with --durations).
GROUP_ORDER = ("collection-run", "tests/test_nbgrader.py", "nbval",
               "tests/test_nbgrader_validate.py", "tests/test_bundle.py", "tests/test_hub.py",
               "tests/test_notebook_parameters.py", "tests/test_browser.py",
               "tests/test_browser_live.py",
               "tests/test_benchmarks.py", "tests/test_site.py", "tests/test_cli.py",
               "tests/test_budget.py", "tests/test_browser_exercises.py",
               "tests/test_distributed_runs.py", "tests/test_modern.py")  # fmt: skip


def xdist_group(nodeid: str) -> str:
    """The group of a test, by its module (see READ_THE_COLLECTION_RUN)."""
    module = nodeid.split("::", 1)[0]
    if module.endswith(".ipynb"):
        return "nbval"
    return "collection-run" if Path(module).name in READ_THE_COLLECTION_RUN else module


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadgroup`` by module, with the groups above, in collection order.

    pytest-xdist's own loadgroup marks tests by rewriting a node id that pytest 9 no longer
    reads, so the groups are made here, from the ids, by a scope scheduler.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_group(nodeid)

    config.option.loadscopereorder = False  # the collection order: the longest group first
    return ByGroup(config, log)


@pytest.hookimpl(tryfirst=True)  # before -m selects by marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that reads the collection run is ``slow`` (``-m "not slow"`` never starts
    it); the modules that read it go first, then nbval's notebooks (see GROUP_ORDER)."""
    for item in items:
        if "collection_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)

    def order(item: pytest.Item) -> int:
        group = xdist_group(item.nodeid)
        return GROUP_ORDER.index(group) if group in GROUP_ORDER else len(GROUP_ORDER)

    items.sort(key=order)
