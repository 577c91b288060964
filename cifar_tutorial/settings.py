"""Profiles: the same notebooks on the full CIFAR-10, or in seconds on the embedded sample.

Every notebook has a ``profile`` parameter. ``"full"`` (the default) is the real lesson on
the whole data set; ``"smoke"`` runs each notebook in seconds on the sample shipped in the
package, for tests, CI and a first try offline. Left at ``None``, the profile comes from the
environment variable ``CIFAR_TUTORIAL_PROFILE`` (so that JupyterLab can be started in the
smoke profile), else it is ``"full"``.
"""

from __future__ import annotations

import os

from .validation import check_choice

PROFILE_ENV = "CIFAR_TUTORIAL_PROFILE"
PROFILE_DATASETS = {"full": "cifar10", "smoke": "sample"}
PROFILES = tuple(PROFILE_DATASETS)


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
    from .data import DATASETS

    if dataset is None or dataset == "":
        return PROFILE_DATASETS[profile]
    return check_choice("dataset", dataset, DATASETS)
