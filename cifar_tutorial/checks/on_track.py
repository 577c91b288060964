"""Are you on track? A run's own loss, accuracy and time against the ranges measured for it.
``on_track_ranges.json`` holds the ranges (runs of the notebooks' defaults on one CPU, widened by
a margin; docs/benchmarks.md) and what to look at outside them. Up to twice the measured time is
on track (a slower CPU); no time is judged on a GPU or MPS, and with other settings than the
defaults the cell says there is no measured range instead of guessing."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Any

import torch

from ..training import RECIPES

NAMES = {"loss": "loss", "accuracy": "test accuracy", "seconds": "time"}
SLOWER_STILL_ON_TRACK = 2.0  # a time up to this many times the measured maximum is fine
# ``python -m benchmarks.on_track_ranges --write`` updates the losses and accuracies there.
_STORED = json.loads(Path(__file__).with_name("on_track_ranges.json").read_text())
MACHINE = _STORED["machine"]
ADVICE = _STORED["advice"]  # what to look at, by "measure direction" and notebook


@dataclass(frozen=True)
class Range:
    """What a measured quantity should come to: from ``low`` to ``high``."""

    low: float
    high: float
    measured: str  # what was measured, e.g. "61.0-62.6% over seeds 0, 1, 2"

    @classmethod
    def around(cls, low: float, high: float, margin: float, measured: str) -> Range:
        """The measured ``low``-``high`` widened by ``margin`` on both sides."""
        return cls(low - margin, high + margin, measured)


@dataclass(frozen=True)
class Expected:
    """The measured ranges of one notebook's defaults on one data set."""

    settings: Mapping[str, object]  # the recipe settings the measurements were made with
    loss: Range | None = None
    accuracy: Range | None = None
    seconds: Range | None = None  # on a CPU like the one measured
    source: str = ""
    machine: str = MACHINE  # where the ranges were measured


@dataclass(frozen=True)
class Verdict:
    """One line of the report: on track (True), not (False), or nothing to compare (None)."""

    on_track: bool | None
    text: str


@dataclass
class Report:
    """The verdicts of one "Are you on track?" cell; shown as lines of text or coloured HTML."""

    verdicts: list[Verdict]
    source: str
    machine: str = MACHINE

    @property
    def on_track(self) -> bool:
        """Whether nothing measured fell outside its range."""
        return all(v.on_track is not False for v in self.verdicts)

    def __str__(self) -> str:
        marks = {True: "On track:", False: "Off track:", None: "Note:"}
        lines = [f"{marks[v.on_track]} {v.text}" for v in self.verdicts]
        if self.source:
            lines.append(f"(ranges measured on {self.machine}; {self.source})")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        styles = {
            True: ("#1a7f37", "\u2714 On track:"),
            False: ("#cf222e", "\u2717 Off track:"),
            None: ("#57606a", "\u2022 Note:"),
        }
        rows = []
        for verdict in self.verdicts:
            colour, label = styles[verdict.on_track]
            rows.append(
                f'<div style="border-left: 4px solid {colour}; padding: 2px 8px">'
                f'<b style="color: {colour}">{label}</b> '
                f"{html.escape(verdict.text)}</div>"
            )
        if self.source:
            rows.append(
                f'<div style="color: #57606a; padding: 2px 12px"><small>ranges '
                f"measured on {html.escape(self.machine)}; {html.escape(self.source)}"
                "</small></div>"
            )
        return '<div class="cifar-on-track">' + "".join(rows) + "</div>"


def _plain(recipe: object) -> dict[str, object]:
    if is_dataclass(recipe):
        recipe = asdict(recipe)
    if not isinstance(recipe, Mapping):
        raise TypeError(f"recipe should be a recipe or a dict of its settings, not {recipe!r}")
    return {key: tuple(v) if isinstance(v, list) else v for key, v in recipe.items()}


def _expected(entry: Mapping[str, Any]) -> Expected:
    """One notebook's entry of on_track_ranges.json as an :class:`Expected`."""
    recipe = RECIPES[entry["recipe"]].as_dict() if "recipe" in entry else {}
    settings = _plain({**entry.get("settings", {}), **recipe})
    ranges = {
        m: Range.around(r["min"], r["max"], r["margin"], r["measured"])
        for m, r in entry.items()
        if m in NAMES
    }
    return Expected(
        settings, **ranges, source=entry["source"], machine=entry.get("machine", MACHINE)
    )


EXPECTED = {tuple(key.split()): _expected(entry) for key, entry in _STORED["ranges"].items()}


def _changed(settings: Mapping[str, object], recipe: Mapping[str, object]) -> list[str]:
    """``"epochs 8 instead of 3"`` for each measured setting the run does not share."""
    changed = []
    for key, measured in settings.items():
        value = recipe.get(key)
        numbers = isinstance(value, float) and isinstance(measured, float)
        if not (value == measured or (numbers and math.isclose(value, measured))):
            changed.append(f"{key} {value} instead of {measured}")
    return changed


def _show(measure: str, value: float) -> str:
    if measure == "accuracy":
        return f"{value:.1%}"
    if measure == "seconds":
        return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"
    return f"{value:.3f}"


def _judge(notebook: str, measure: str, value: float, expected: Range, device) -> Verdict:
    name = NAMES[measure]
    shown = _show(measure, value)
    if measure == "seconds":
        if device.type != "cpu":
            return Verdict(
                None,
                f"{name} {shown} on {device.type}: no run on {device.type} was "
                f"measured to compare with (on the CPU: {expected.measured}).",
            )
        limit = SLOWER_STILL_ON_TRACK * expected.high
        if value <= limit:
            return Verdict(
                True,
                f"{name} {shown} (measured: {expected.measured}; up to "
                f"{_show(measure, limit)} is normal on a slower CPU).",
            )
        advice = ADVICE["seconds high"]["any"].format(threads=torch.get_num_threads())
        return Verdict(
            False, f"{name} {shown}, more than twice the measured {expected.measured}: {advice}"
        )
    span = f"{_show(measure, expected.low)} to {_show(measure, expected.high)}"
    if expected.low <= value <= expected.high:
        return Verdict(
            True, f"{name} {shown}, in the expected {span} (measured: {expected.measured})."
        )
    direction = "low" if value < expected.low else "high"
    advice = ADVICE[f"{measure} {direction}"].get(notebook, "")
    word = "below" if direction == "low" else "above"
    return Verdict(
        False,
        f"{name} {shown}, {word} the expected {span} (measured: {expected.measured}): {advice}",
    )


def on_track(
    notebook: str,
    dataset: str,
    recipe: object,
    device: torch.device | str,
    *,
    loss: float | None = None,
    accuracy: float | None = None,
    seconds: float | None = None,
) -> Report:
    """Compare a run's ``loss``, ``accuracy`` and ``seconds`` with the ranges measured for
    ``notebook`` ("04", "05", "07") with this ``recipe`` (a recipe or its ``as_dict()``) on
    ``dataset``; the values left at ``None`` are not judged."""
    device = torch.device(device)
    expected = EXPECTED.get((notebook, dataset))
    if expected is None:
        note = f"no measured range for notebook {notebook} on {dataset}."
        return Report([Verdict(None, note)], "")
    changed = _changed(expected.settings, _plain(recipe))
    if changed:
        note = (
            f"no measured range for these settings ({', '.join(changed)}): the ranges hold "
            "for the notebook's defaults; compare with the committed outputs instead."
        )
        return Report([Verdict(None, note)], "")
    verdicts = []
    for measure, value in {"loss": loss, "accuracy": accuracy, "seconds": seconds}.items():
        expected_range = getattr(expected, measure)
        if value is None:
            continue
        if expected_range is None:
            note = f"{NAMES[measure]} {_show(measure, value)}: not measured for these settings"
            verdicts.append(Verdict(None, note + ", nothing to compare."))
        else:
            verdicts.append(_judge(notebook, measure, float(value), expected_range, device))
    return Report(verdicts, expected.source, expected.machine)
