"""``cifar-tutorial`` end to end on the real notebooks, in the smoke profile (embedded sample).

The whole collection runs once per test session (``collection_run``, see
``tests/collection_run.py``; about 2.5 minutes on two cores); every test here reads that one
run folder. A sweep runs notebook 04 alone for two learning rates.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import papermill
import pytest
from collection_run import COLLECTION, SEED, CollectionRun, seed_of

from cifar_tutorial.course import main
from cifar_tutorial.data import CLASSES

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


def cifar_tutorial(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """The command line in a process of its own, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "cifar_tutorial.course", *args],
        cwd=cwd, capture_output=True, text=True, timeout=900,
    )  # fmt: skip


@pytest.fixture(scope="module")
def smoke_run(collection_run: CollectionRun) -> tuple[CollectionRun, Path]:
    """The whole collection in the smoke profile, with one ``-p`` and one ``-f`` file."""
    assert [p.name[:2] for p in COLLECTION] == ["01", "02", "03", "04", "05", "06", "07", "08"]
    return collection_run, collection_run.folder


def executed(folder: Path, notebook: str) -> dict:
    return json.loads((folder / f"{notebook}.ipynb").read_text())


def injected(notebook: dict) -> str:
    """The source of the cell papermill added with the run's values."""
    [cell] = [
        c for c in notebook["cells"] if "injected-parameters" in c["metadata"].get("tags", [])
    ]
    return "".join(cell["source"])


def test_run_completes_with_progress_and_times(smoke_run):
    result, folder = smoke_run
    assert result.returncode == 0, result.stdout + result.stderr
    total = len(COLLECTION)
    for index, path in enumerate(COLLECTION, start=1):
        assert re.search(rf"\[{index}/{total}\] {path.stem} done in \d+\.\d s", result.stdout)
    assert "Run folder: " in result.stdout and folder.name in result.stdout
    assert re.search(r"^Test accuracy \(05_test\): \d+\.\d%$", result.stdout, re.MULTILINE)


def test_run_folder_has_everything(smoke_run):
    _, folder = smoke_run
    assert re.fullmatch(r"\d{8}-\d{6}-smoke", folder.name)
    for path in COLLECTION:
        assert (folder / path.name).is_file()
        assert (folder / "metrics" / f"{path.stem}.json").is_file()
    for name in ("summary.json", "report.html", "cifar_net.pth"):
        assert (folder / name).is_file()


def test_summary_holds_parameters_versions_device_times_and_metrics(smoke_run):
    _, folder = smoke_run
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["profile"] == "smoke"
    assert summary["parameters"] == {
        "print_every": 10, "ablation": True, "06:device": "cpu", "08:seed": 0, "seed": SEED
    }  # fmt: skip
    assert set(summary["versions"]) >= {"python", "torch", "torchvision", "cifar_tutorial"}
    assert summary["device"].startswith("cpu")
    assert [e["notebook"] for e in summary["notebooks"]] == [p.stem for p in COLLECTION]
    for entry in summary["notebooks"]:
        assert entry["status"] == "completed" and entry["seconds"] > 0
        assert entry["parameters"]["seed"] == seed_of(entry["notebook"])  # 08:seed wins there
        assert entry["parameters"]["profile"] == "smoke"
    results = summary["results"]
    assert 0 < results["final_loss"] < 5
    assert 0.1 < results["test_accuracy"] < 1  # better than chance
    assert list(results["per_class_accuracy"]) == list(CLASSES)
    printed = "".join("".join(o.get("text", "")) for c in executed(folder, "04_train")["cells"]
                      for o in c.get("outputs", []))  # fmt: skip
    steps = re.findall(r"^\[1, +(\d+)\] loss", printed, re.MULTILINE)
    assert steps and all(int(step) % 10 == 0 for step in steps)  # the -f value reached training


def test_values_reach_the_notebooks_that_declare_them(smoke_run):
    _, folder = smoke_run
    checkpoint = str((folder / "cifar_net.pth").resolve())
    for path in COLLECTION:
        declared = papermill.inspect_notebook(str(path))
        source = injected(executed(folder, path.stem))
        assert f"seed = {seed_of(path.stem)}" in source
        assert ("print_every = 10" in source) == ("print_every" in declared)
        assert ("ablation = True" in source) == ("ablation" in declared)
        assert ('device = "cpu"' in source) == path.name.startswith("06")  # 06:device
        assert (f'checkpoint_path = "{checkpoint}"' in source) == ("checkpoint_path" in declared)
    tested = json.loads((folder / "metrics" / "05_test.json").read_text())
    assert tested["checkpoint_trained_here"] is False  # 05 tested the weights 04 saved


def test_report_is_self_contained_with_numbers_and_pictures(smoke_run):
    _, folder = smoke_run
    report = (folder / "report.html").read_text()
    summary = json.loads((folder / "summary.json").read_text())
    assert f"{100 * summary['results']['test_accuracy']:.1f}%" in report
    for caption in ("loss curve (04_train)", "predictions (05_test)",
                    "confusion matrix (05_test)"):  # fmt: skip
        assert caption in report
    assert report.count('src="data:image/png;base64,') >= 3
    assert not re.search(r'(src|href)="(?!data:)', report)  # nothing loaded from elsewhere
    alts = re.findall(r'<img [^>]*alt="([^"]*)"', report)  # each figure's own alt text
    assert any(alt.startswith("Training loss") and " from 2." in alt for alt in alts), alts
    assert any(alt.startswith("Confusion matrix of ") for alt in alts), alts


def test_list_matches_the_notebooks(capsys):
    assert main(["list", "--notebook-dir", str(REPO / "notebooks")]) == 0
    printed = capsys.readouterr().out
    for path in COLLECTION:
        assert path.stem in printed
        for name, parameter in papermill.inspect_notebook(str(path)).items():
            assert re.search(rf"^    {name} +=", printed, re.MULTILINE)
            assert parameter["help"] in printed


def test_sweep_over_two_learning_rates(tmp_path):
    result = cifar_tutorial(
        "sweep", "lr", "0.02", "0.1", "--notebooks", "04", "--profile", "smoke",
        "-p", "epochs", "1", "--output-dir", str(tmp_path), "--no-progress",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    [folder] = sorted(tmp_path.iterdir())
    sweep = json.loads((folder / "sweep.json").read_text())
    assert [run["value"] for run in sweep["runs"]] == [0.02, 0.1]
    for run in sweep["runs"]:
        assert run["status"] == "completed" and run["final_loss"] > 0
        metrics = json.loads((folder / run["folder"] / "metrics" / "04_train.json").read_text())
        assert metrics["recipe"]["lr"] == run["value"]
    report = (folder / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 1  # the loss curves, overlaid
    assert re.search(r"^lr = 0\.02 +completed", result.stdout, re.MULTILINE)
