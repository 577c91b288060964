"""The pictures of notebook 8: the ranks while they train, and the time per epoch of each run."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ..alt_text import describe
from ..palette import GUIDE, colour, styled

MARKERS = "os^Dv<>p"  # one per rank, so that the ranks differ by more than colour


def rank_progress(records: Sequence[Mapping[str, Any]]) -> Figure:
    """Rank 0's training loss (above) and every rank's images per second (below), against the
    seconds since the first record (:mod:`~cifar_tutorial.distributed.progress`); each restart
    of torchrun is marked, and the lines break there."""
    start = min((record["time"] for record in records), default=0.0)
    ranks = sorted({record["rank"] for record in records})
    with styled():
        figure, (top, bottom) = plt.subplots(2, 1, figsize=(8, 4.6), sharex=True)
        for rank in ranks:
            label = f"rank {rank}"
            for attempt in attempts(records, rank):
                seconds = [record["time"] - start for record in attempt]
                if rank == 0:
                    top.plot(seconds, [record["loss"] for record in attempt], color=colour(0),
                             marker=MARKERS[0], markersize=3)  # fmt: skip
                speeds = [record["images_per_second"] for record in attempt]
                bottom.plot(seconds, speeds, color=colour(rank), marker=MARKERS[rank % 8],
                            markersize=3, label=label)  # fmt: skip
                label = None  # one legend entry per rank
        for restart, seconds in restarts(records, start).items():
            for axis in (top, bottom):
                axis.axvline(seconds, color=GUIDE, linestyle="--", linewidth=1)
            top.annotate(f" restart {restart}", (seconds, 1), xycoords=("data", "axes fraction"),
                         va="top", fontsize=8, color=GUIDE)  # fmt: skip
        top.set_ylabel("rank 0's loss")
        top.set_title("The ranks while they train (a point every half second)")
        bottom.set_ylabel("images per second")
        bottom.set_ylim(bottom=0)
        bottom.set_xlabel("seconds since the first rank's first record")
        if ranks:
            bottom.legend(loc="lower right", fontsize=8)
        figure.tight_layout()
    plt.close(figure)
    return describe(figure, rank_progress_text(records, start))


def attempts(records: Sequence[Mapping[str, Any]], rank: int) -> list[list[Mapping[str, Any]]]:
    """The records of ``rank``, one list per attempt (torchrun's restart count)."""
    found: dict[int, list[Mapping[str, Any]]] = {}
    for record in records:
        if record["rank"] == rank:
            found.setdefault(record["restart"], []).append(record)
    return [found[restart] for restart in sorted(found)]


def restarts(records: Sequence[Mapping[str, Any]], start: float) -> dict[int, float]:
    """``{restart: seconds}``: when the first record of each restart (after the first attempt)
    was written, counted from ``start``."""
    first: dict[int, float] = {}
    for record in records:
        if record["restart"] > 0:
            first[record["restart"]] = min(first.get(record["restart"], record["time"]),
                                           record["time"])  # fmt: skip
    return {restart: seconds - start for restart, seconds in sorted(first.items())}


def rank_progress_text(records: Sequence[Mapping[str, Any]], start: float) -> str:
    """The alt text of :func:`rank_progress`: what its records say."""
    if not records:
        return "The ranks' progress: nothing recorded yet."
    parts = []
    zero = [record for record in records if record["rank"] == 0]
    if zero:
        parts.append(f"Rank 0's training loss from {zero[0]['loss']:.2f} to "
                     f"{zero[-1]['loss']:.2f} over {zero[-1]['time'] - start:.0f} s")  # fmt: skip
    medians = {
        rank: statistics.median(r["images_per_second"] for r in records if r["rank"] == rank)
        for rank in sorted({record["rank"] for record in records})
    }
    speeds = ", ".join(f"rank {rank} {median:,.0f}" for rank, median in medians.items())
    parts.append(f"median images per second: {speeds}")
    for restart, seconds in restarts(records, start).items():
        parts.append(f"restart {restart} at {seconds:.0f} s")
    return "; ".join(parts) + "."


def epoch_times_chart(rows: Sequence[tuple[str, float, int]], *, title: str) -> Figure:
    """Seconds per epoch as horizontal bars, one per run ``(label, seconds, processes)``, each
    with its time written beside it: runs of one process in grey, the others in blue."""
    labels = [label for label, _, _ in rows]
    seconds = [value for _, value, _ in rows]
    colours = [GUIDE if processes == 1 else colour(0) for _, _, processes in rows]
    with styled():
        figure, axis = plt.subplots(figsize=(7, 0.5 + 0.6 * len(rows)))
        axis.barh(labels, seconds, color=colours)
        for y, value in enumerate(seconds):
            axis.text(value, y, f" {value:.1f} s", va="center")
        axis.invert_yaxis()
        axis.set_xlabel("seconds per epoch (lower is faster)")
        axis.set_title(title)
        axis.set_xlim(0, max(seconds, default=1) * 1.25)
        figure.tight_layout()
    plt.close(figure)
    times = "; ".join(f"{label} {value:.1f} s" for label, value, _ in rows)
    fastest = labels[seconds.index(min(seconds))] if rows else "none"
    return describe(figure, f"{title}: {times}; fastest: {fastest}.")
