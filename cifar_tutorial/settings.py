"""Profiles: the same notebooks on the full CIFAR-10, or in seconds on the embedded sample.
Every notebook has a ``profile`` parameter. ``"full"`` (the default) is the real lesson on the whole
data set; ``"smoke"`` runs each notebook in seconds on the sample shipped in the package, for tests,
CI and a first try offline. Left at ``None``, the profile comes from the environment variable
``CIFAR_TUTORIAL_PROFILE`` (so that JupyterLab can be started in the smoke profile), else it is
``"full"``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from .errors import ParameterError
from .paths import default_checkpoint_path, pretty_path, resolve_data_root
from .validation import check_choice, check_writable_path

PROFILE_ENV = "CIFAR_TUTORIAL_PROFILE"
PROFILE_DATASETS = {"full": "cifar10", "smoke": "sample"}
PROFILES = tuple(PROFILE_DATASETS)
DATASETS = ("cifar10", "cifar10-subset", "sample")  # the real one, any part of it, the sample


def resolve_profile(profile: str | None = None) -> str:
    """``profile`` checked, or when ``None``/empty, ``$CIFAR_TUTORIAL_PROFILE`` or ``"full"``."""
    if profile is None or profile == "":
        from_env = os.environ.get(PROFILE_ENV, "")
        if from_env:
            return check_choice(PROFILE_ENV, from_env, PROFILES)
        return "full"
    return check_choice("profile", profile, PROFILES)


def resolve_dataset(dataset: str | None, profile: str) -> str:
    """``dataset`` checked, or the profile's data set when ``None``/empty."""
    if dataset is None or dataset == "":
        return PROFILE_DATASETS[profile]
    return check_choice("dataset", dataset, DATASETS)


class NotebookSettings(NamedTuple):
    """The common notebook parameters, checked and with their defaults filled in."""

    profile: str
    dataset: str
    data_root: Path
    metrics_path: Path | None


def notebook_settings(
    profile: str | None = None,
    dataset: str | None = None,
    data_root: str | os.PathLike | None = None,
    metrics_path: str | os.PathLike | None = None,
    *,
    verbose: bool = True,
) -> NotebookSettings:
    """Check a notebook's common parameters, fill in defaults, and say in one line what runs.

    Unpack the result over the parameters, so that a bad value fails in the first cells::

        profile, dataset, data_root, metrics_path = notebook_settings(
            profile, dataset, data_root, metrics_path)
    """
    if profile is None or profile == "":
        source = f"from ${PROFILE_ENV}" if os.environ.get(PROFILE_ENV) else "the default"
    else:
        source = "the parameter"
    profile = resolve_profile(profile)
    dataset = resolve_dataset(dataset, profile)
    if data_root is not None and not isinstance(data_root, (str, os.PathLike)):
        raise ParameterError("data_root", data_root, "None or the path of a folder")
    data_root = resolve_data_root(data_root)
    if metrics_path is not None and str(metrics_path) != "":
        metrics_path = check_writable_path("metrics_path", metrics_path)
    else:
        metrics_path = None
    if verbose:
        where = f"from {pretty_path(data_root)}"
        if dataset == "sample":
            where = "the embedded sample (no download needed)"
        line = f"Profile {profile} ({source}): dataset {dataset}, {where}."
        if metrics_path is not None:
            line += f" Results are recorded in {pretty_path(metrics_path)}."
        print(line)
    return NotebookSettings(profile, dataset, data_root, metrics_path)


def default_checkpoint(dataset: str) -> Path:
    """Where notebook 04 saves and notebook 05 looks for weights trained on ``dataset``.
    Weights trained on the small sample get their own file, so that a smoke run never replaces the
    weights of a full run."""
    path = default_checkpoint_path()
    return path if dataset == "cifar10" else path.with_name(f"{path.stem}-{dataset}{path.suffix}")
