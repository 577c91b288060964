"""Running a notebook again with papermill, and training as notebook 04 does, for the tests
that compare a notebook's weights with :func:`cifar_tutorial.training.train`'s."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import papermill
import torch
from collection_run import Run
from exercise_cells import check_feedback

from cifar_tutorial.checkpoint import load_checkpoint
from cifar_tutorial.data import FastLoader, load_split
from cifar_tutorial.models import Net
from cifar_tutorial.seeding import seed_everything
from cifar_tutorial.training import Recipe, train

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SAMPLE_TRAIN, SAMPLE_TEST = 5000, 1000
CELL_TIMEOUT_S = 600  # bounds a hung cell; a smoke-profile notebook runs in well under a minute


def run_notebook(name: str, folder: Path, expect_right: bool = True, **parameters) -> Run:
    """Execute ``notebooks/<name>`` from ``folder`` in the smoke profile with ``parameters``;
    with ``expect_right``, every exercise's check must say "Right!"."""
    metrics = folder / "metrics.json"
    output = folder / name
    papermill.execute_notebook(
        str(NOTEBOOKS / name),
        str(output),
        parameters={"profile": "smoke", "metrics_path": str(metrics), **parameters},
        cwd=str(folder),
        kernel_name="python3",
        progress_bar=False,
        execution_timeout=CELL_TIMEOUT_S,
    )
    notebook = nbformat.read(output, as_version=4)
    for line in check_feedback(notebook) if expect_right else ():
        assert line.startswith("Right! "), f"{name}: an exercise's check said {line!r}"
    return Run(notebook, json.loads(metrics.read_text()), folder)


def train_like_notebook_04(recipe: Recipe, seed: int = 0, **train_options) -> Net:
    """What ``training.train`` makes of the sample with notebook 04's data and seeding."""
    loader = FastLoader(
        load_split("sample", "train"), recipe.batch_size, shuffle=True, flip=recipe.flip, seed=seed
    )
    seed_everything(seed)
    net = Net()
    train(net, loader, recipe, progress=False, **train_options)
    return net


def assert_same_weights(checkpoint_path: Path, expected: Net | dict) -> None:
    """The checkpoint's weights are exactly ``expected`` (a network or a state_dict)."""
    saved = load_checkpoint(checkpoint_path, architecture="Net")["state_dict"]
    expected = expected.state_dict() if isinstance(expected, Net) else expected
    assert saved.keys() == expected.keys()
    for name, tensor in expected.items():
        assert torch.equal(saved[name], tensor), f"{name} differs"
