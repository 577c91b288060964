"""The notebooks of the collection, their parameters, and which notebook gets which value.

Parameters are read from each notebook's cell tagged ``parameters`` by papermill's own
inspection (:func:`.notebooks.declared_parameters`), so the command line never keeps a copy
of them that could drift.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ParameterError
from .notebooks import declared_parameters, notebook_folder, numbered_paths

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


def find_notebooks(folder: str | os.PathLike | None = None) -> list[Notebook]:
    """Every ``NN_name.ipynb`` in ``folder``, in order, with its parameters."""
    folder = notebook_folder(folder)
    if not folder.is_dir():
        raise ParameterError("--notebook-dir", str(folder), "a folder holding the notebooks")
    return [
        Notebook(path, path.name[:2], declared_parameters(path)) for path in numbered_paths(folder)
    ]


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


def split_name(key: str) -> tuple[str, str]:
    """``"04:lr"`` -> ``("04", "lr")``; ``"lr"`` -> ``("", "lr")``."""
    number, _, name = key.rpartition(":")
    return number, name


def route_parameters(
    notebooks: list[Notebook], values: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """For each notebook, the values it declares; refuse a name no selected notebook declares.

    ``NAME`` reaches every notebook that declares it; ``NN:NAME`` only notebook NN (and wins
    over ``NAME`` there), for a name that means different things in two notebooks.
    """
    routed: dict[str, dict[str, Any]] = {nb.name: {} for nb in notebooks}
    for key in sorted(values, key=lambda k: ":" in k):  # NN:NAME last, so that it wins
        number, name = split_name(key)
        if name in RUN_PARAMETERS:
            raise ParameterError(key, values[key], "left to cifar-tutorial run, which gives "
                                 "every notebook its own file in the run folder")  # fmt: skip
        reached = [nb for nb in notebooks if nb.declares(name) and number in ("", nb.number)]
        if not reached:
            raise ParameterError("parameter name", key, declared_names(notebooks, number))
        for nb in reached:
            routed[nb.name][name] = values[key]
    return routed


def declared_names(notebooks: list[Notebook], number: str = "") -> str:
    """What a parameter name may be, for an error message."""
    numbers = ", ".join(nb.number for nb in notebooks)
    if number and number not in numbers.split(", "):
        return f"NAME, or NN:NAME with NN one of the selected notebooks ({numbers})"
    scope = [nb for nb in notebooks if number in ("", nb.number)]
    names = sorted({p for nb in scope for p in nb.parameters} - set(RUN_PARAMETERS))
    which = f"notebook {number}" if number else f"the selected notebooks ({numbers})"
    return f"one that {which} declare: {', '.join(names)}"
