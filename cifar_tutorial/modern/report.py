"""Tables and pictures of notebook 07: accuracy against time, and the ablation study."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .recipe import RunResult


def accuracy_vs_time(
    curves: Mapping[str, Sequence[tuple[float, float]]], *, log_time: bool = True
) -> Figure:
    """Test accuracy (0..1) against seconds, one line of ``(seconds, accuracy)`` points per run."""
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for name, points in curves.items():
        seconds, accuracies = zip(*points, strict=True)
        ax.plot(seconds, [100 * a for a in accuracies], marker="o", label=name)
        ax.annotate(f"{100 * accuracies[-1]:.1f}%", (seconds[-1], 100 * accuracies[-1]),
                    textcoords="offset points", xytext=(6, -4), fontsize=9)  # fmt: skip
    if log_time:
        ax.set_xscale("log")
    ax.axhline(10, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("seconds since the first training step" + (" (log scale)" if log_time else ""))
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("Test accuracy against wall time, on this machine")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    plt.close(fig)
    return fig


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
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 0.45 * len(ideas) + 1.2), sharey=True)
    left.barh(names, [-100 * row["change"] for row in ideas], color="tab:blue")
    left.axvline(0, color="black", linewidth=0.8)
    left.set_xlabel("accuracy lost without it (points)")
    right.barh(names, [base["seconds"] - row["seconds"] for row in ideas], color="tab:orange")
    right.axvline(0, color="black", linewidth=0.8)
    right.set_xlabel("seconds it costs (removing it saves)")
    left.invert_yaxis()
    fig.suptitle("Ablation: each idea removed in turn")
    fig.tight_layout()
    plt.close(fig)
    return fig
