"""The benchmark's machinery on the embedded sample with tiny settings: what it writes.

Speed itself is never asserted here: the numbers belong to ``make bench`` and
``docs/benchmarks.md``.
"""

from __future__ import annotations

import json

import pytest

from benchmarks import seed_vs_collection as bench


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    """All three variants, two seeds, 256 images per split (2 steps of the fast recipe
    per epoch), no notebook runs."""
    out = tmp_path_factory.mktemp("bench")
    argv = ["--dataset", "sample", "--limit", "256", "--seeds", "2", "--profiles", "none",
            "--out", str(out)]  # fmt: skip
    assert bench.main(argv) == 0
    report = json.loads((out / "seed_vs_collection.json").read_text())
    return report, (out / "seed_vs_collection.md").read_text()


def test_every_variant_is_measured_for_every_seed(quick_report):
    report, _ = quick_report
    assert list(report["variants"]) == ["a", "b", "c"]
    for key, runs in report["runs"].items():
        assert [run["seed"] for run in runs] == [0, 1]
        for run in runs:
            assert run["variant"] == key
            assert run["train_seconds"] > 0 and run["test_seconds"] > 0
            assert run["test_images"] == 256
            assert 0 <= run["accuracy"] <= 1
            assert run["peak_memory_mb"] > 50  # torch alone needs more than this
    assert report["runs"]["a"][0]["train_images"] == 2 * 256  # the reference's 2 epochs


def test_each_variant_trains_with_its_own_recipe(quick_report):
    report, _ = quick_report
    from cifar_tutorial.training import RECIPES

    assert report["variants"]["b"]["recipe"] == RECIPES["fast"].as_dict()
    assert report["variants"]["c"]["recipe"] == RECIPES["reference"].as_dict()
    assert report["variants"]["a"]["recipe"]["batch_size"] == 4


def test_summary_is_the_mean_and_spread_of_the_seeds(quick_report):
    report, _ = quick_report
    for key, summary in report["variants"].items():
        runs = report["runs"][key]
        accuracies = [run["accuracy"] for run in runs]
        assert summary["accuracy_mean"] == pytest.approx(sum(accuracies) / 2)
        assert summary["accuracy_min"] == min(accuracies)
        assert summary["accuracy_max"] == max(accuracies)
        assert summary["accuracy_std"] == pytest.approx(abs(accuracies[0] - accuracies[1]) / 2**0.5)
        assert summary["total_seconds"] == pytest.approx(
            summary["train_seconds"] + summary["test_seconds"]
        )
        assert summary["peak_memory_mb"] == max(run["peak_memory_mb"] for run in runs)


def test_ratios_compare_the_reference_with_both_others(quick_report):
    report, _ = quick_report
    a = report["variants"]["a"]
    for other in ("b", "c"):
        ratio = report["ratios"][f"a/{other}"]
        assert ratio["total"] == pytest.approx(
            a["total_seconds"] / report["variants"][other]["total_seconds"]
        )
        assert ratio["train"] == pytest.approx(
            a["train_seconds"] / report["variants"][other]["train_seconds"]
        )


def test_markdown_table_has_a_row_per_variant_and_the_ratios(quick_report):
    report, table = quick_report
    rows = [line for line in table.splitlines() if line.startswith("| (")]
    assert [row[:5] for row in rows] == ["| (a)", "| (b)", "| (c)"]
    b = report["variants"]["b"]
    assert f"{100 * b['accuracy_mean']:.1f}%" in rows[1]
    assert f"{b['train_seconds']:.1f}" in rows[1]
    assert f"(a)/(b): {report['ratios']['a/b']['total']:.1f}x" in table
    assert "Data: sample (limited to 256 images per split)" in table
    assert report["targets"] == []  # the targets are about the full CIFAR-10 only
    assert report["machine"]["cpu_count"] >= 1 and report["machine"]["torch"]


def test_a_missing_command_line_is_skipped_with_a_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench, "cli_available", lambda: False)
    assert bench.main(["--variants", "none", "--profiles", "smoke", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "seed_vs_collection.json").read_text())
    assert "not installed" in report["collection"]["smoke"]["skipped"]
    assert "skipped" in capsys.readouterr().out
    assert (
        "`cifar-tutorial run --profile smoke`: skipped"
        in (tmp_path / "seed_vs_collection.md").read_text()
    )


def test_notebook_timings_are_read_from_a_run_summary():
    summary = {
        "profile": "smoke",
        "status": "completed",
        "device": "cpu (2 threads)",
        "notebooks": [
            {
                "notebook": f"0{n}_x",
                "status": "completed",
                "seconds": float(n),
                "metrics": {"test_accuracy": 0.5} if n == 5 else {},
            }
            for n in range(1, 8)
        ],  # fmt: skip
    }
    timing = bench.notebook_timings(summary)
    assert timing["total_seconds"] == sum(range(1, 8))
    assert timing["notebooks_01_06_seconds"] == sum(range(1, 7))
    assert timing["notebooks_01_06_count"] == 6
    assert [nb["test_accuracy"] for nb in timing["notebooks"]][4] == 0.5


def test_unknown_variant_is_refused_naming_the_allowed_ones(tmp_path):
    with pytest.raises(SystemExit, match="'d' is not one of a, b, c"):
        bench.main(["--variants", "a,d", "--out", str(tmp_path)])


def test_the_live_view_benchmark_times_04_and_07_with_and_without_it(tmp_path, capsys):
    from benchmarks import live_view

    out = tmp_path / "live_view.json"
    argv = ["--limit", "256", "--repeats", "2", "--epochs-04", "1", "--epochs-07", "1",
            "--json", str(out)]  # fmt: skip
    assert live_view.main(argv) == 0
    report = json.loads(out.read_text())
    for notebook in ("04", "07"):
        runs = report["runs"][notebook]
        assert [run["live"] for run in runs] == [False, True, True, False]  # in turns
        assert all(run["train_seconds"] > 0 for run in runs)
        assert all(run["last_draw_seconds"] > 0 for run in runs if run["live"])  # after training
        summary = report["summary"][notebook]
        pairs = [runs[1]["train_seconds"] / runs[0]["train_seconds"] - 1,
                 runs[2]["train_seconds"] / runs[3]["train_seconds"] - 1]  # fmt: skip
        assert summary["overheads"] == pytest.approx(pairs)
        assert summary["overhead"] == pytest.approx(sum(pairs) / 2)  # the median of two
        assert summary["drawing_share"] == pytest.approx(
            summary["redraws"] * summary["last_draw_seconds"] / summary["without_seconds"]
        )
    assert report["recipe_07"]["widths"] == [16, 32, 64] and report["epochs_04"] == 1
    printed = capsys.readouterr().out
    assert "native bfloat16: " in printed and "AMX: " in printed and report["cpu"] in printed
    table = printed[printed.index("notebook ") :].splitlines()
    assert [row.split()[0] for row in table[1:3]] == ["04", "07"]
    assert table[1].split()[3] == f"{report['summary']['04']['overhead']:+.1%}"
