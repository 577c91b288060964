"""The notebooks of the collection, their parameters, and which notebook gets which value.

Parameters are read from each notebook's cell tagged ``parameters`` by papermill's own
inspection, so the command line never keeps a copy of them that could drift.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ParameterError, TutorialError
from ..paths import pretty_path

NOTEBOOK_NAME = re.compile(r"^(?P<number>\d\d)_(?P<title>\w+)\.ipynb$")
RUN_PARAMETERS = ("metrics_path",)
"""Parameters the run sets itself, one value per notebook; users may not give them."""


@dataclass(frozen=True)
class Notebook:
    """One numbered notebook, e.g. ``04_train.ipynb``, and the parameters it declares."""

    path: Path
    number: str
    parameters: dict[str, dict[str, Any]] = field(compare=False)

    @property
    def name(self) -> str:
        """The file name without ``.ipynb``, e.g. ``04_train``."""
        return self.path.stem

    def declares(self, parameter: str) -> bool:
        """True when the notebook's parameters cell assigns ``parameter``."""
        return parameter in self.parameters


def default_notebook_dir() -> Path:
    """``notebooks/`` in the working directory, else the one next to the package (a checkout)."""
    here = Path("notebooks")
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "notebooks"


def find_notebooks(folder: str | os.PathLike | None = None) -> list[Notebook]:
    """Every ``NN_name.ipynb`` in ``folder``, in order, with its parameters."""
    import papermill  # slow to import (seconds): only once the notebooks are needed

    folder = Path(folder) if folder is not None else default_notebook_dir()
    if not folder.is_dir():
        raise ParameterError("--notebook-dir", str(folder), "a folder holding the notebooks")
    notebooks = []
    for path in sorted(folder.glob("*.ipynb")):
        match = NOTEBOOK_NAME.match(path.name)
        if match:
            parameters = papermill.inspect_notebook(str(path))
            notebooks.append(Notebook(path, match["number"], parameters))
    if not notebooks:
        raise TutorialError(f"No numbered notebooks (NN_name.ipynb) in {pretty_path(folder)}.")
    return notebooks


def select_notebooks(notebooks: list[Notebook], selection: str | None) -> list[Notebook]:
    """The notebooks named by ``selection``, e.g. ``"01,04-05"`` or ``"train,5"``; all for None.

    Items are numbers (``4`` or ``04``), ranges of numbers (``04-05``) or names
    (``04_train`` or ``train``). The result keeps the collection's order.
    """
    if selection is None or selection.strip() == "":
        return list(notebooks)
    numbers = [int(nb.number) for nb in notebooks]
    allowed = (
        "a comma-separated list of notebook numbers, ranges or names from "
        + ", ".join(nb.name for nb in notebooks)
        + " (e.g. 01,04-05)"
    )
    chosen: set[int] = set()
    for item in (part.strip() for part in selection.split(",")):
        span = re.fullmatch(r"(\d+)\s*-\s*(\d+)", item)
        if span:
            low, high = int(span[1]), int(span[2])
            picked = {n for n in numbers if low <= n <= high}
            if low > high or not picked:
                raise ParameterError("--notebooks", selection, allowed)
            chosen |= picked
        elif item.isdigit() and int(item) in numbers:
            chosen.add(int(item))
        else:
            named = [int(nb.number) for nb in notebooks if item in (nb.name, nb.name[3:])]
            if not named:
                raise ParameterError("--notebooks", selection, allowed)
            chosen.update(named)
    return [nb for nb in notebooks if int(nb.number) in chosen]


def route_parameters(
    notebooks: list[Notebook], values: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """For each notebook, the given values it declares; refuse a name no notebook declares."""
    declared = sorted({name for nb in notebooks for name in nb.parameters})
    for name in values:
        if name in RUN_PARAMETERS:
            raise ParameterError(
                name,
                values[name],
                "left to cifar-tutorial run, which gives every notebook "
                "its own file in the run folder",
            )
        if not any(nb.declares(name) for nb in notebooks):
            numbers = ", ".join(nb.number for nb in notebooks)
            known = ", ".join(p for p in declared if p not in RUN_PARAMETERS)
            raise ParameterError(
                "parameter name",
                name,
                f"one that the selected notebooks ({numbers}) declare: {known}",
            )
    return {
        nb.name: {key: value for key, value in values.items() if nb.declares(key)}
        for nb in notebooks
    }
