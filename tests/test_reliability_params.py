"""Bad parameters fail at once with one line naming the parameter, the value and what is allowed.

Each row of :data:`BAD_INPUTS` is a mistake a learner can make in a notebook's parameters
cell (or with papermill's ``-p``/``-r``, which deliver text), passed to the package function
the notebooks call to check it. The error must be a :class:`ParameterError` raised by the
package's own checks, before torch is ever asked to do anything with the value.
"""

from __future__ import annotations

import math
import os
import socket
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import nbformat
import papermill
import pytest
import torch

from cifar_tutorial.checkpoint import save_checkpoint
from cifar_tutorial.course import main as cli_main
from cifar_tutorial.course.options import check_existing_file
from cifar_tutorial.data import FastLoader, ImageSet, classic_dataset, load_split
from cifar_tutorial.device import pick_device
from cifar_tutorial.errors import ParameterError
from cifar_tutorial.models import Net
from cifar_tutorial.seeding import seed_everything
from cifar_tutorial.settings import notebook_settings, resolve_dataset, resolve_profile
from cifar_tutorial.training import RunningLoss, make_recipe
from cifar_tutorial.validation import check_bool

TEN_IMAGES = ImageSet(
    torch.zeros(10, 3, 32, 32, dtype=torch.uint8), torch.arange(10), "train", "ten blank images"
)
A_FILE = Path(__file__)  # exists, and is not a folder
UNDER_A_FILE = str(A_FILE / "cifar_net.pth")  # its folder is a file: can never be written


class BadInput(NamedTuple):
    call: Callable[[pytest.MonkeyPatch], object]
    name: str  # the parameter the message must name
    value: object  # the value it must quote
    allowed: str  # words from what it must say is allowed


BAD_INPUTS = {
    # epochs: wrong type, out of range
    "epochs-text": BadInput(lambda mp: make_recipe("fast", epochs="three"), "epochs", "three",
                            "a whole number from 1 to 1000"),
    "epochs-zero": BadInput(lambda mp: make_recipe("fast", epochs=0), "epochs", 0, "from 1"),
    "epochs-negative": BadInput(lambda mp: make_recipe("reference", epochs=-2), "epochs", -2,
                                "from 1"),
    "epochs-fraction": BadInput(lambda mp: make_recipe("fast", epochs=2.5), "epochs", 2.5,
                                "a whole number"),
    "epochs-bool": BadInput(lambda mp: make_recipe("fast", epochs=True), "epochs", True,
                            "a whole number"),
    "epochs-huge-text": BadInput(lambda mp: make_recipe("fast", epochs="1e9"), "epochs", "1e9",
                                 "to 1000"),
    # batch_size: out of range, wrong type, larger than the data
    "batch-zero": BadInput(lambda mp: make_recipe("fast", batch_size=0), "batch_size", 0,
                           "from 1"),
    "batch-negative": BadInput(lambda mp: make_recipe("fast", batch_size=-4), "batch_size", -4,
                               "from 1"),
    "batch-text": BadInput(lambda mp: make_recipe("fast", batch_size="big"), "batch_size",
                           "big", "a whole number"),
    "batch-larger-than-data": BadInput(lambda mp: FastLoader(TEN_IMAGES, 11, drop_last=True),
                                       "batch_size", 11, "a whole number from 1 to 10"),
    # lr: negative, zero, not finite, not a number
    "lr-negative": BadInput(lambda mp: make_recipe("fast", lr=-0.1), "lr", -0.1, "> 0"),
    "lr-zero": BadInput(lambda mp: make_recipe("fast", lr=0), "lr", 0, "> 0"),
    "lr-nan": BadInput(lambda mp: make_recipe("fast", lr=math.nan), "lr", math.nan,
                       "a finite number"),
    "lr-inf": BadInput(lambda mp: make_recipe("fast", lr=math.inf), "lr", math.inf,
                       "a finite number"),
    "lr-nan-text": BadInput(lambda mp: make_recipe("fast", lr="nan"), "lr", "nan",
                            "a finite number"),
    "lr-word": BadInput(lambda mp: make_recipe("fast", lr="fast"), "lr", "fast",
                        "a finite number > 0"),
    # momentum: outside [0, 1), not a number
    "momentum-one": BadInput(lambda mp: make_recipe("fast", momentum=1.0), "momentum", 1.0,
                             ">= 0 and < 1"),
    "momentum-negative": BadInput(lambda mp: make_recipe("fast", momentum=-0.5), "momentum",
                                  -0.5, ">= 0 and < 1"),
    "momentum-word": BadInput(lambda mp: make_recipe("fast", momentum="high"), "momentum",
                              "high", "a finite number"),
    "weight-decay-negative": BadInput(lambda mp: make_recipe("fast", weight_decay=-1),
                                      "weight_decay", -1, ">= 0"),
    # unknown names
    "recipe-unknown": BadInput(lambda mp: make_recipe("turbo"), "recipe", "turbo",
                               "one of 'fast', 'reference'"),
    "schedule-unknown": BadInput(lambda mp: make_recipe("fast", schedule="cosine"), "schedule",
                                 "cosine", "one of 'constant', 'onecycle'"),
    "nesterov-word": BadInput(lambda mp: make_recipe("fast", nesterov="maybe"), "nesterov",
                              "maybe", "True or False"),
    "device-unknown": BadInput(lambda mp: pick_device("tpu", verbose=False), "device", "tpu",
                               "one of 'auto', 'cpu', 'cuda', 'mps'"),
    "device-gpu": BadInput(lambda mp: pick_device("gpu", verbose=False), "device", "gpu",
                           "one of 'auto'"),
    "profile-unknown": BadInput(lambda mp: resolve_profile("quick"), "profile", "quick",
                                "one of 'full', 'smoke'"),
    "profile-number": BadInput(lambda mp: resolve_profile(3), "profile", 3, "one of 'full'"),
    "profile-from-environment": BadInput(
        lambda mp: (mp.setenv("CIFAR_TUTORIAL_PROFILE", "fast"), resolve_profile(None)),
        "CIFAR_TUTORIAL_PROFILE", "fast", "one of 'full', 'smoke'"),
    "dataset-unknown": BadInput(lambda mp: load_split("imagenet", "train"), "dataset",
                                "imagenet", "one of 'cifar10', 'cifar10-subset', 'sample'"),
    "dataset-for-profile": BadInput(lambda mp: resolve_dataset("cifar100", "full"), "dataset",
                                    "cifar100", "one of 'cifar10', 'cifar10-subset', 'sample'"),
    "dataset-classic": BadInput(lambda mp: classic_dataset("mnist"), "dataset", "mnist",
                                "one of 'cifar10', 'cifar10-subset', 'sample'"),
    "split-unknown": BadInput(lambda mp: load_split("sample", "validation"), "split",
                              "validation", "one of 'train', 'test'"),
    "download-word": BadInput(lambda mp: load_split("sample", "train", download="perhaps"),
                              "download", "perhaps", "True or False"),
    # paths: of the wrong type, a file where a folder belongs, impossible to write
    "data-root-number": BadInput(lambda mp: load_split("cifar10", "train", data_root=3),
                                 "data_root", 3, "None or the path of a folder"),
    "data-root-is-a-file": BadInput(lambda mp: load_split("cifar10", "test", str(A_FILE)),
                                    "data_root", str(A_FILE), "the path of a folder"),
    "data-root-in-settings": BadInput(lambda mp: notebook_settings("smoke", None, str(A_FILE)),
                                      "data_root", str(A_FILE), "the path of a folder"),
    "metrics-path-unwritable": BadInput(
        lambda mp: notebook_settings("smoke", metrics_path=UNDER_A_FILE, verbose=False),
        "metrics_path", UNDER_A_FILE, "a file path in a folder you can write to"),
    "metrics-path-is-a-folder": BadInput(
        lambda mp: notebook_settings("smoke", metrics_path=str(A_FILE.parent), verbose=False),
        "metrics_path", str(A_FILE.parent), "(this is a folder)"),
    "checkpoint-path-unwritable": BadInput(
        lambda mp: save_checkpoint(UNDER_A_FILE, Net(), epoch=0), "checkpoint_path",
        UNDER_A_FILE, "a file path in a folder you can write to"),
    "checkpoint-path-missing": BadInput(
        lambda mp: check_existing_file("checkpoint_path", str(A_FILE.parent / "none.pth")),
        "checkpoint_path", str(A_FILE.parent / "none.pth"), "the path of an existing file"),
    # the rest of the training parameters
    "seed-negative": BadInput(lambda mp: seed_everything(-1), "seed", -1, "from 0"),
    "seed-word": BadInput(lambda mp: seed_everything("zero"), "seed", "zero", "a whole number"),
    "print-every-zero": BadInput(lambda mp: RunningLoss(0), "print_every", 0, ">= 1"),
    "resume-word": BadInput(lambda mp: check_bool("resume", "later"), "resume", "later",
                            "True or False"),
    "translate-negative": BadInput(lambda mp: FastLoader(TEN_IMAGES, 2, translate=-1),
                                   "translate", -1, "from 0 to 16"),
}  # fmt: skip


def raised_in_torch(error: BaseException) -> bool:
    """True when any frame of the traceback lies inside the torch package."""
    marker = f"{os.sep}torch{os.sep}"
    return any(marker in frame.filename for frame in traceback.extract_tb(error.__traceback__))


@pytest.mark.parametrize("case", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_is_refused_in_one_clear_line(case: BadInput, monkeypatch, tmp_path):
    monkeypatch.setenv("CIFAR10_ROOT", str(tmp_path / "no-data"))  # nothing loads by accident
    with pytest.raises(ParameterError) as caught:
        case.call(monkeypatch)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{case.name}={case.value!r} is not allowed: {case.name} must be ")
    assert case.allowed in message
    assert caught.value.name == case.name
    assert not raised_in_torch(caught.value), "the value reached torch before it was checked"
    innermost = traceback.extract_tb(caught.value.__traceback__)[-1].filename
    assert f"cifar_tutorial{os.sep}" in innermost


# The same mistakes where learners make them: a notebook run by papermill, and the command line.
REPO = Path(__file__).resolve().parents[1]
HEAVY_WORK = ("load_split(", "classic_dataset(", "FastLoader(", "train(", "for epoch in")

BAD_NOTEBOOK_PARAMETERS = {
    "04-epochs-zero-and-lr-a-word": (
        "04_train",
        {"epochs": 0, "lr": "fast"},
        "epochs=0 is not allowed: epochs must be a whole",
    ),
    "05-device-unknown": (
        "05_test",
        {"device": "tpu"},
        "device='tpu' is not allowed: device must be one of 'auto'",
    ),
    "01-profile-unknown": (
        "01_load_and_normalize",
        {"profile": "quick"},
        "profile='quick' is not allowed: profile",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("notebook", "parameters", "message"),
    BAD_NOTEBOOK_PARAMETERS.values(),
    ids=BAD_NOTEBOOK_PARAMETERS.keys(),
)
def test_a_notebook_refuses_a_bad_parameter_in_its_first_cells(
    notebook, parameters, message, tmp_path
):
    output = tmp_path / f"{notebook}.ipynb"
    with pytest.raises(papermill.PapermillExecutionError) as caught:
        papermill.execute_notebook(
            str(REPO / "notebooks" / f"{notebook}.ipynb"),
            str(output),
            parameters={"profile": "smoke", **parameters},
            kernel_name="python3",
            cwd=str(tmp_path),
            progress_bar=False,
        )
    assert caught.value.ename == "ParameterError"
    assert caught.value.evalue.startswith(message) and "\n" not in caught.value.evalue
    code = [c for c in nbformat.read(output, as_version=4).cells if c.cell_type == "code"]
    failed = next(i for i, c in enumerate(code) if any(o.output_type == "error" for o in c.outputs))
    heavy = next(i for i, c in enumerate(code) if any(w in c.source for w in HEAVY_WORK))
    assert failed < heavy, "the parameter was checked only after heavy work began"


BAD_OPTIONS = {
    "profile-unknown": (["--profile", "quick"], "profile='quick'", "one of 'full', 'smoke'"),
    "notebook-unknown": (["--notebooks", "09"], "--notebooks='09'", "must be"),
    "epochs-zero": (["-p", "epochs", "0"], "epochs=0", "a whole number"),
    "lr-a-word": (["-p", "lr", "fast"], "lr='fast'", "a finite number > 0"),
    "checkpoint-unwritable": (
        ["-p", "checkpoint_path", UNDER_A_FILE],
        f"checkpoint_path={UNDER_A_FILE!r}",
        "a file path in a folder you can write to",
    ),
}


def refuse_network(*args, **kwargs):
    raise OSError(101, "no network in this test")


@pytest.mark.parametrize(("options", "named", "allowed"), BAD_OPTIONS.values(), ids=BAD_OPTIONS)
def test_the_command_line_refuses_a_bad_option_in_one_line(
    options, named, allowed, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(socket, "getaddrinfo", refuse_network)  # a bad option never downloads
    runs = tmp_path / "runs"
    argv = ["run", "--notebook-dir", str(REPO / "notebooks"), "--output-dir", str(runs)]
    assert cli_main([*argv, "--profile", "smoke", *options]) == 2  # the last --profile wins
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"cifar-tutorial: error: {named} is not allowed: ")
    assert allowed in error and "\n" not in error
    assert not runs.exists()  # nothing ran, no run folder
