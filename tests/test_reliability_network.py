"""No network and no CIFAR-10: loading fails within 10 s saying how to go on, everywhere.

The network is never touched. ``tests/offline/sitecustomize.py`` makes name lookups and
connections fail as on an offline laptop; in this process through ``monkeypatch``, in a
papermill kernel and in the ``cifar-tutorial`` command through ``PYTHONPATH``. The package has
no switch for it: its real download path runs and meets a real ``OSError``.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pytest

from cifar_tutorial.data import classic_dataset, load_split
from cifar_tutorial.errors import DataUnavailableError

REPO = Path(__file__).resolve().parents[1]
OFFLINE_DIR = REPO / "tests" / "offline"
SIMULATED = "(simulated offline machine)"


def offline_module():
    spec = importlib.util.spec_from_file_location("offline", OFFLINE_DIR / "sitecustomize.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_says_how_to_go_on(message: str, root: Path) -> None:
    """The data layer's message: what happened, and the two ways forward."""
    assert f"CIFAR-10 is not under {root} and could not be downloaded" in message
    assert SIMULATED in message  # the download was really attempted, and really refused
    assert "put cifar-10-python.tar.gz (or the extracted cifar-10-batches-py folder" in message
    assert "use the embedded sample with dataset='sample'" in message


@pytest.fixture
def offline(monkeypatch) -> None:
    offline_module().block_network(monkeypatch.setattr)
    for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def offline_children(monkeypatch) -> None:
    """Every process started from here on (kernels, commands) has no network."""
    paths = [str(OFFLINE_DIR), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))


@pytest.mark.parametrize("load", [load_split, classic_dataset], ids=["fast path", "classic path"])
def test_loading_offline_fails_saying_how_to_go_on(offline, tmp_path, load):
    root = tmp_path / "empty"
    with pytest.raises(DataUnavailableError) as caught:
        load("cifar10", "train", root)
    assert "\n" not in str(caught.value)
    assert_says_how_to_go_on(str(caught.value), root)
    assert not root.exists() or not any(root.iterdir())  # nothing half-downloaded left


@pytest.mark.slow
def test_a_notebook_offline_fails_in_its_first_data_cell(offline_children, tmp_path):
    root = tmp_path / "empty"
    root.mkdir()
    output = tmp_path / "01.ipynb"
    with pytest.raises(papermill.PapermillExecutionError) as caught:
        papermill.execute_notebook(
            str(REPO / "notebooks" / "01_load_and_normalize.ipynb"),
            str(output),
            parameters={"profile": "full", "data_root": str(root)},
            kernel_name="python3",
            cwd=str(tmp_path),
            progress_bar=False,
        )
    assert caught.value.ename == "DataUnavailableError"
    assert_says_how_to_go_on(caught.value.evalue, root)
    cells = nbformat.read(output, as_version=4).cells
    failed = next(c for c in cells if c.get("outputs") and c.outputs[-1].output_type == "error")
    first_data_cell = next(c for c in cells if "classic_dataset(" in c.source)
    assert failed is first_data_cell


@pytest.mark.slow
def test_the_command_line_offline_stops_before_any_notebook(
    offline_children, tmp_path, monkeypatch
):
    root = tmp_path / "empty"
    monkeypatch.setenv("CIFAR10_ROOT", str(root))  # the default data root: nothing there
    command = Path(sys.executable).with_name("cifar-tutorial")
    finished = subprocess.run(
        [str(command), "run", "--profile", "full", "--output-dir", str(tmp_path / "runs")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2, finished.stderr
    error = finished.stderr.strip()
    assert len(error.splitlines()) == 1 and error.startswith("cifar-tutorial: error: ")
    assert_says_how_to_go_on(error, root)
    assert "cifar-tutorial run --profile smoke" in error
    assert not (tmp_path / "runs").exists()
