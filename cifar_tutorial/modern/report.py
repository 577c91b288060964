"""Tables and pictures of notebook 07: accuracy against time, and the ablation study.

The figures are drawn for everyone, as :mod:`cifar_tutorial.plots` draws them: palette colours
(and a marker of its own for each run) on white, and a sentence of alt text from the data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ..alt_text import describe
from ..palette import GUIDE, colour, styled
from .recipe import RunResult

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")  # one per run, so no run is told by colour alone


def accuracy_vs_time(
    curves: Mapping[str, Sequence[tuple[float, float]]], *, log_time: bool = True
) -> Figure:
    """Test accuracy (0..1) against seconds, one line of ``(seconds, accuracy)`` points per run."""
    with styled():
        fig, ax = plt.subplots(figsize=(8, 4.2))
        for number, (name, points) in enumerate(curves.items()):
            seconds, accuracies = zip(*points, strict=True)
            ax.plot(seconds, [100 * a for a in accuracies], label=name, color=colour(number),
                    marker=MARKERS[number % len(MARKERS)])  # fmt: skip
            ax.annotate(f"{100 * accuracies[-1]:.1f}%", (seconds[-1], 100 * accuracies[-1]),
                        textcoords="offset points", xytext=(6, -4), fontsize=9)  # fmt: skip
        if log_time:
            ax.set_xscale("log")
        ax.axhline(10, color=GUIDE, linestyle=":", linewidth=1)
        ax.annotate("chance: 10%", (0, 10), xycoords=("axes fraction", "data"),
                    textcoords="offset points", xytext=(4, 2), fontsize=8, color=GUIDE)  # fmt: skip
        ax.set_xlabel(
            "seconds since the first training step" + (" (log scale)" if log_time else "")
        )
        ax.set_ylabel("test accuracy (%)")
        ax.set_title("Test accuracy against wall time, on this machine")
        ax.grid(alpha=0.3, color=GUIDE)
        ax.legend(loc="lower right", edgecolor=GUIDE)
        fig.tight_layout()
    plt.close(fig)
    ends = "; ".join(
        f"{name} {100 * points[-1][1]:.1f}% after {points[-1][0]:,.0f} s"
        for name, points in curves.items()
        if points
    )
    return describe(fig, f"Test accuracy against wall time (chance: 10%): {ends}")


def ablation_rows(
    baseline: RunResult, without: Mapping[str, RunResult]
) -> list[dict[str, float | str]]:
    """One row per idea: accuracy and time with everything, and with that idea removed."""
    rows = [{"run": "everything", "accuracy": baseline.accuracy, "seconds": baseline.seconds,
             "change": 0.0}]  # fmt: skip
    for idea, result in without.items():
        rows.append({"run": f"without {idea}", "accuracy": result.accuracy,
                     "seconds": result.seconds,
                     "change": result.accuracy - baseline.accuracy})  # fmt: skip
    return rows


def markdown_table(rows: Sequence[Mapping[str, float | str]]) -> str:
    """The ablation rows as a Markdown table (accuracy in %, change in points, time in s)."""
    lines = ["| run | test accuracy | change | seconds |", "|---|---:|---:|---:|"]
    for row in rows:
        change = f"{100 * row['change']:+.2f}" if row["run"] != "everything" else ""
        lines.append(f"| {row['run']} | {100 * row['accuracy']:.2f}% | {change} | "
                     f"{row['seconds']:.0f} |")  # fmt: skip
    return "\n".join(lines)


def ablation_chart(rows: Sequence[Mapping[str, float | str]]) -> Figure:
    """What each idea is worth: accuracy lost (points) and time saved when it is removed."""
    ideas = [row for row in rows if row["run"] != "everything"]
    base = next(row for row in rows if row["run"] == "everything")
    names = [str(row["run"]).removeprefix("without ") for row in ideas]
    lost = [-100 * row["change"] for row in ideas]
    saved = [base["seconds"] - row["seconds"] for row in ideas]
    with styled():
        size = (10, 0.45 * len(ideas) + 1.2)
        fig, (left, right) = plt.subplots(1, 2, figsize=size, sharey=True)
        left.barh(names, lost, color=colour(0))
        left.axvline(0, color="black", linewidth=0.8)
        left.set_xlabel("accuracy lost without it (points)")
        right.barh(names, saved, color=colour(1))
        right.axvline(0, color="black", linewidth=0.8)
        right.set_xlabel("seconds it costs (removing it saves)")
        left.invert_yaxis()
        fig.suptitle("Ablation: each idea removed in turn")
        fig.tight_layout()
    plt.close(fig)
    each = "; ".join(
        f"without {name}: accuracy {-points:+.2f} points, time {-seconds:+.0f} s"
        for name, points, seconds in zip(names, lost, saved, strict=True)
    )
    return describe(fig, (f"Ablation against everything ({100 * base['accuracy']:.2f}% in "
                          f"{base['seconds']:.0f} s): {each}"))  # fmt: skip
