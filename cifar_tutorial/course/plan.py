"""A run's plan: the notebooks, the values each one gets, all checked before anything runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..device import describe_device, pick_device
from ..errors import ParameterError
from ..settings import resolve_profile
from .collection import Notebook, find_notebooks, route_parameters, select_notebooks, split_name
from .options import check_existing_dir, check_writable_dir
from .parameters import as_path, check_notebook_values
from .summary import read_summary

CHECKPOINT_FILE = "cifar_net.pth"


@dataclass
class RunPlan:
    """Everything a run needs, checked before any notebook starts (and before the data set is
    looked for: that is the first step of executing the plan)."""

    notebooks: list[Notebook]
    routed: dict[str, dict[str, Any]]
    values: dict[str, Any]
    profile: str
    output_dir: Path
    name: str
    device: str
    shared_checkpoint: bool
    continued: Path | None = None
    """The interrupted run this one continues (its checkpoint is copied into the new folder)."""


def plan_run(
    values: dict[str, Any],
    *,
    profile: str | None = None,
    selection: str | None = None,
    output_dir: str | None = None,
    name: str | None = None,
    notebook_dir: str | None = None,
    continue_from: str | None = None,
) -> RunPlan:
    """Check every option and parameter; raise before any heavy work.

    Pure: it reads the notebooks and the options and writes, fetches or starts nothing.
    """
    earlier = None
    if continue_from is not None:
        earlier = check_existing_dir("--continue", continue_from)
        values, profile, selection = continued_options(earlier, values, profile, selection)
        output_dir = output_dir or str(earlier.parent)
    if profile and values.get("profile") not in (None, profile):
        raise ParameterError("profile", values["profile"], f"the same as --profile {profile}")
    profile = resolve_profile(profile or values.get("profile"))
    output = check_writable_dir("--output-dir", output_dir or "runs")
    name = check_run_name(name or profile)
    device = describe_device(pick_device(values.get("device", "auto"), verbose=False))
    collection = find_notebooks(notebook_dir)
    notebooks = select_notebooks(collection, selection)
    saved = earlier is not None and (earlier / CHECKPOINT_FILE).is_file()
    if saved and any(nb.declares("resume") for nb in notebooks):
        values = {**values, "resume": True}  # training goes on from the last completed epoch
    routed = route_parameters(notebooks, values)
    for nb in notebooks:
        check_notebook_values(nb.name, nb.number, routed[nb.name])
    # The first notebook of the collection that takes a checkpoint path trains and saves the
    # weights (04); when it runs, it and the notebooks after it share one file in the run folder.
    trainer = next((nb for nb in collection if nb.declares("checkpoint_path")), None)
    given = {split_name(key)[1] for key in values}
    shared = (trainer in notebooks or saved) and "checkpoint_path" not in given
    return RunPlan(notebooks, routed, values, profile, output, name, device, shared, earlier)


def continued_options(
    earlier: Path, values: dict[str, Any], profile: str | None, selection: str | None
) -> tuple[dict[str, Any], str | None, str | None]:
    """Options that continue an earlier run: its parameters (values given now win), its
    profile, and its notebooks from the first one that did not complete."""
    try:
        summary = read_summary(earlier)
    except (OSError, ValueError):
        raise ParameterError(
            "--continue", str(earlier), "a run folder with a summary.json"
        ) from None
    given = {split_name(key)[1] for key in [*values, *summary["parameters"]]}
    if "checkpoint_path" in given:
        raise ParameterError(
            "--continue",
            str(earlier),
            "a run that kept its weights in its "
            "folder (give -p checkpoint_path and -p resume True instead)",
        )
    unfinished = [e["notebook"][:2] for e in summary["notebooks"] if e["status"] != "completed"]
    if not unfinished:
        raise ParameterError("--continue", str(earlier), "a run that did not complete")
    values = {**summary["parameters"], **values}
    values.pop("resume", None)
    return values, profile or summary["profile"], selection or ",".join(unfinished)


def check_run_name(name: str) -> str:
    """A run's short name: letters, digits, ``.``, ``_``, ``-`` and ``=``."""
    if not re.fullmatch(r"[\w.=+-]{1,60}", name):
        raise ParameterError("--name", name, "up to 60 letters, digits, '.', '_', '-' or '='")
    return name


def notebook_parameters(plan: RunPlan, folder: Path) -> dict[str, dict[str, Any]]:
    """The values each notebook gets: the user's, the profile, and paths in the run folder."""
    given = {}
    for nb in plan.notebooks:
        values = dict(plan.routed[nb.name])
        for key in ("data_root", "checkpoint_path"):  # relative to the user, not to notebooks/
            if as_path(values.get(key)) is not None:
                values[key] = str(as_path(values[key]))
        if nb.declares("profile"):
            values.setdefault("profile", plan.profile)
        if nb.declares("metrics_path"):
            values["metrics_path"] = str(folder.resolve() / "metrics" / f"{nb.name}.json")
        if nb.declares("checkpoint_path") and plan.shared_checkpoint:
            values["checkpoint_path"] = str(folder.resolve() / CHECKPOINT_FILE)
        given[nb.name] = values
    return given
