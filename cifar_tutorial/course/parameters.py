"""Notebook parameters from the command line (``-p NAME VALUE``, ``-f params.yaml``), checked.

Values are checked here, before any notebook runs, with the same helpers the notebooks use,
so ``-p lr -1`` fails in a second instead of after the first notebooks have run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from ..data import DATASETS
from ..device import DEVICES
from ..errors import ParameterError
from ..settings import PROFILES
from ..validation import check_bool, check_choice, check_int, check_writable_path
from .options import check_existing_file, check_writable_dir

RECIPE_SETTINGS = ("epochs", "batch_size", "lr", "momentum")


def parse_value(text: str) -> Any:
    """A ``-p`` value as papermill reads it: True/False/None, an int, a float, else the text."""
    special = {"true": True, "false": False, "none": None}
    if text.strip().lower() in special:
        return special[text.strip().lower()]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def read_parameter_file(path: str | os.PathLike) -> dict[str, Any]:
    """The mapping of parameter names to values in a YAML file (``-f``)."""
    path = check_existing_file("-f", str(path))
    try:
        values = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        first = str(error).strip().splitlines()[0]
        raise ParameterError("-f", str(path), f"a YAML file (it does not parse: {first})") from None
    if values is None:
        return {}
    if not isinstance(values, dict) or not all(isinstance(k, str) for k in values):
        raise ParameterError("-f", str(path), "a YAML mapping of parameter names to values")
    return values


def gather_parameters(
    pairs: Iterable[tuple[str, str]] | None, files: Iterable[str] | None
) -> dict[str, Any]:
    """The values of ``-f`` files in order, then ``-p`` pairs (which win), checked."""
    values: dict[str, Any] = {}
    for file in files or []:
        values.update(read_parameter_file(file))
    for name, text in pairs or []:
        values[name] = parse_value(text)
    check_values(values)
    return values


def _choice(choices: Iterable[str]) -> Callable[[str, Any], Any]:
    return lambda name, value: check_choice(name, value, choices)


def _optional(check: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
    return lambda name, value: None if value is None or value == "" else check(name, value)


CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "profile": _optional(_choice(PROFILES)),
    "dataset": _optional(_choice(DATASETS)),
    "device": _choice(DEVICES),
    "seed": lambda name, value: check_int(name, value, minimum=0, maximum=2**32 - 1),
    "print_every": _optional(lambda name, value: check_int(name, value, minimum=1)),
    "resume": check_bool,
    "data_root": _optional(check_writable_dir),
    "checkpoint_path": _optional(check_writable_path),
}
"""Checks for the parameters that mean the same in every notebook of the collection."""


def check_values(values: dict[str, Any]) -> None:
    """Refuse a bad value of a shared parameter with the notebooks' own one-line message."""
    for key, value in values.items():
        name = key.rpartition(":")[2]
        if name in CHECKS:
            CHECKS[name](key, value)


def check_training_recipe(values: dict[str, Any]) -> None:
    """Notebook 04's recipe and its settings, as the notebook builds them."""
    from ..training import make_recipe

    make_recipe(values.get("recipe") or "fast", **{k: values.get(k) for k in RECIPE_SETTINGS})


def check_modern_recipe(values: dict[str, Any]) -> None:
    """Notebook 07's recipe and its settings, as the notebook builds them."""
    from ..modern import make_recipe
    from ..modern.net import check_widths
    from ..modern.recipe import check_budget

    make_recipe(values.get("recipe") or "cpu", epochs=values.get("epochs"),
                budget=values.get("budget"), optimizer=values.get("optimizer"),
                batch_size=values.get("batch_size"), tta=values.get("tta"))  # fmt: skip
    if values.get("ablation_budget") is not None:
        check_budget(values["ablation_budget"], "ablation_budget")
    if values.get("widths") is not None:
        check_widths(values["widths"])


NOTEBOOK_CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "04_train": check_training_recipe,
    "07_faster_and_better": check_modern_recipe,
}
"""Checks of the values one notebook gets, for names whose meaning differs between notebooks
(``recipe`` is "fast" or "reference" in 04, "cpu", "cpu-long" or "gpu" in 07)."""


def check_notebook_values(notebook: str, number: str, values: dict[str, Any]) -> None:
    """Run ``notebook``'s own check on its values; say which notebook refused a value."""
    if notebook not in NOTEBOOK_CHECKS:
        return
    try:
        NOTEBOOK_CHECKS[notebook](values)
    except ParameterError as error:
        raise ParameterError(
            error.name,
            error.value,
            f"{error.allowed} in {notebook} (-p {number}:{error.name} "
            "VALUE gives a value to that notebook only)",
        ) from None


def as_path(value: Any) -> Path | None:
    """A path parameter's value as a resolved path, or None when it is unset."""
    if value is None or str(value) == "":
        return None
    return Path(str(value)).expanduser().resolve()
