"""The command line on small notebooks made here: failures, interruptions, data, sweeps;
and its option checks against the real notebooks' parameters (nothing runs for those).

The real collection is run end to end in ``test_cli_collection.py``; these notebooks start
a kernel in a second or two and let each behaviour be tested on its own.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from cifar_tutorial.course import main
from cifar_tutorial.course.plan import plan_run
from cifar_tutorial.course.run import create_run_folder
from cifar_tutorial.data import load

COLLECTION = str(Path(__file__).resolve().parents[1] / "notebooks")

FIRST_PARAMETERS = """profile = None  # "full" or "smoke"
seed = 0  # random seed
metrics_path = None  # where the run records results
label = "plain"  # a word the notebook records"""

SECOND_PARAMETERS = """profile = None  # "full" or "smoke"
dataset = None  # "cifar10" or "sample"
data_root = None  # where CIFAR-10 lies
device = "auto"  # where to compute
recipe = "fast"  # training recipe
epochs = None  # passes over the data
lr = None  # learning rate
batch_size = None  # images per step
momentum = None  # SGD momentum
metrics_path = None  # where the run records results
checkpoint_path = None  # the trained weights
resume = False  # continue from the checkpoint
fail = False  # raise an error in the third cell
nap = 0.0  # seconds to sleep in the second cell"""

SECOND_CELLS = [
    "import pathlib, time\n"
    "saved = pathlib.Path(checkpoint_path or 'none')\n"
    "found = saved.read_text() if saved.is_file() else None\n"
    "if checkpoint_path:\n"
    "    saved.write_text(f'weights saved with nap={nap}')\n"
    "time.sleep(float(nap))",
    "if fail:\n    raise ValueError('the notebook was asked to fail\\nlast line of the error')",
    "from cifar_tutorial.metrics import record_metrics\n"
    "record_metrics(metrics_path, final_loss=1.25, test_accuracy=0.5, "
    "loss_history=[2.3, 1.9, 1.25 + (lr or 0)], found=found, resume=resume)",
]


def make_notebook(path: Path, parameters: str, cells: list[str]) -> None:
    """A notebook with a title, a cell tagged ``parameters`` and ``cells``."""
    notebook = new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}
        }
    )
    notebook.cells = [
        new_markdown_cell(f"# {path.stem.replace('_', ' ')}"),
        new_code_cell(parameters, metadata={"tags": ["parameters"]}),
        *[new_code_cell(source) for source in cells],
    ]
    nbformat.write(notebook, path)


@pytest.fixture(scope="module")
def notebook_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two numbered notebooks: 01 records its parameters, 02 can sleep or fail on request."""
    folder = tmp_path_factory.mktemp("notebooks")
    make_notebook(
        folder / "01_first.ipynb",
        FIRST_PARAMETERS,
        [
            "from cifar_tutorial.metrics import record_metrics\n"
            "record_metrics(metrics_path, label=label, seed=seed, profile=profile)",
            "print('label is', label)",
        ],
    )
    make_notebook(folder / "02_second.ipynb", SECOND_PARAMETERS, SECOND_CELLS)
    (folder / "README.md").write_text("not a notebook")
    return folder


def cli(notebook_dir: Path, output: Path, *args: str) -> list[str]:
    """Arguments of a smoke run of the fixture notebooks into ``output``."""
    return [
        "run",
        "--profile",
        "smoke",
        "--notebook-dir",
        str(notebook_dir),
        "--output-dir",
        str(output),
        "--no-progress",
        *args,
    ]


def run_folders(output: Path) -> list[Path]:
    return sorted(p for p in output.iterdir() if p.is_dir()) if output.is_dir() else []


def summary_of(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text())


@pytest.mark.slow
def test_failing_notebook_is_reported_and_partial_output_kept_then_next_run_is_new(
    notebook_dir, tmp_path, capsys
):
    output = tmp_path / "runs"
    assert main(cli(notebook_dir, output, "-p", "fail", "true")) == 1
    printed = capsys.readouterr().out
    [failed] = run_folders(output)
    assert "02_second failed in cell In [4]" in printed
    assert "ValueError: last line of the error" in printed
    summary = summary_of(failed)
    assert summary["status"] == "failed"
    assert [e["status"] for e in summary["notebooks"]] == ["completed", "failed"]
    assert "ValueError" in summary["notebooks"][1]["error"]
    partial = json.loads((failed / "02_second.ipynb").read_text())
    counts = [c["execution_count"] for c in partial["cells"] if c["cell_type"] == "code"]
    assert counts[:4] == [1, 2, 3, 4] and counts[4] is None  # ran up to the failing cell
    assert any(o["output_type"] == "error" for c in partial["cells"] for o in c.get("outputs", []))
    assert "failed" in (failed / "report.html").read_text()

    assert main(cli(notebook_dir, output, "--notebooks", "1", "-p", "label", "again")) == 0
    first, second = run_folders(output)
    assert first == failed and summary_of(first)["status"] == "failed"  # left as it was
    assert summary_of(second)["status"] == "completed"
    assert [e["notebook"] for e in summary_of(second)["notebooks"]] == ["01_first"]


def test_run_folders_never_collide(tmp_path):
    folders = {create_run_folder(tmp_path, "smoke") for _ in range(3)}
    assert len(folders) == 3 and all(f.is_dir() for f in folders)


def interrupt_run(notebook_dir: Path, output: Path, how: signal.Signals) -> tuple[Path, str]:
    """Run notebook 02 with a long nap, send ``how`` during the nap; its folder and output."""
    args = cli(notebook_dir, output, "--notebooks", "02", "-p", "nap", "120")
    process = subprocess.Popen(
        [sys.executable, "-m", "cifar_tutorial.course", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not napping(output) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    process.send_signal(how)
    printed, _ = process.communicate(timeout=60)
    assert process.returncode == 130, printed
    [folder] = run_folders(output)
    return folder, printed


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_run_is_marked_in_summary_and_can_continue(notebook_dir, tmp_path, how):
    output = tmp_path / "runs"
    folder, printed = interrupt_run(notebook_dir, output, how)
    summary = summary_of(folder)
    assert summary["status"] == "interrupted"
    assert summary["notebooks"][0]["status"] == "interrupted"
    assert summary["finished"] is not None
    assert "INTERRUPTED: 02_second was interrupted" in printed
    assert f"cifar-tutorial run --continue {folder}" in printed
    assert (folder / "02_second.ipynb").is_file() and (folder / "report.html").is_file()
    if how == signal.SIGINT:
        return  # continuing is the same after either signal: tried once, after SIGTERM

    args = ["run", "--continue", str(folder), "-p", "nap", "0", "--notebook-dir", str(notebook_dir)]
    assert main([*args, "--no-progress"]) == 0
    earlier, continued = run_folders(output)  # a new folder next to the interrupted one
    assert earlier == folder and summary_of(earlier)["status"] == "interrupted"
    summary = summary_of(continued)
    assert summary["status"] == "completed" and summary["continues"] == str(folder)
    assert summary["parameters"] == {"nap": 0, "resume": True}
    metrics = summary["notebooks"][0]["metrics"]
    assert metrics["resume"] is True and metrics["found"] == "weights saved with nap=120"
    assert (folder / "cifar_net.pth").read_text() == "weights saved with nap=120"  # untouched
    assert (continued / "cifar_net.pth").read_text() == "weights saved with nap=0"


def napping(output: Path) -> bool:
    """True once the second notebook's sleeping cell has started."""
    for folder in run_folders(output):
        try:
            notebook = json.loads((folder / "02_second.ipynb").read_text())
        except (OSError, ValueError):
            return False
        cell = next(c for c in notebook["cells"] if "time.sleep" in "".join(c["source"]))
        return cell["metadata"].get("papermill", {}).get("status") == "running"
    return False


def test_unknown_parameter_is_refused_naming_the_real_ones(notebook_dir, tmp_path, capsys):
    assert main(cli(notebook_dir, tmp_path / "runs", "-p", "learning_rate", "0.1")) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert "'learning_rate'" in error
    for real in ("label", "seed", "lr", "epochs", "fail", "nap"):
        assert real in error
    assert "metrics_path" not in error  # the run sets it itself
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--profile", "huge"], "profile='huge'"),
        (["--notebooks", "09"], "--notebooks='09'"),
        (["--notebooks", "09-10"], "--notebooks='09-10'"),
        (["--notebooks", "train,banana"], "--notebooks='train,banana'"),
        (["--name", "my/run"], "--name='my/run'"),
        (["-p", "epochs", "0"], "epochs=0"),
        (["-p", "epochs", "two"], "epochs='two'"),
        (["-p", "epochs", "0.5"], "epochs=0.5 is not allowed: epochs must be a whole number"),
        (["-p", "lr", "-0.1"], "lr=-0.1"),
        (["-p", "lr", "nan"], "lr=nan"),
        (["-p", "batch_size", "0"], "batch_size=0"),
        (["-p", "momentum", "1"], "momentum=1"),
        (["-p", "recipe", "slow"], "recipe='slow'"),
        (["-p", "recipe", "reference"], "in 07_faster_and_better (-p 07:recipe VALUE"),
        (["-p", "07:recipe", "reference"], "recipe='reference'"),
        (["-p", "09:lr", "1"], "parameter name='09:lr'"),
        (["-p", "07:print_every", "5"], "parameter name='07:print_every'"),
        (["-p", "device", "tpu"], "device='tpu'"),
        (["-p", "dataset", "imagenet"], "dataset='imagenet'"),
        (["-p", "seed", "-3"], "seed=-3"),
        (["-p", "metrics_path", "x.json"], "metrics_path='x.json'"),
        (["-p", "profile", "full"], "profile='full'"),
        (["-p", "data_root", "{file}/data"], "data_root='{file}/data'"),
        (["-p", "checkpoint_path", "{file}/w.pth"], "checkpoint_path='{file}/w.pth'"),
    ],
)
def test_bad_options_fail_in_one_line_before_anything_runs(tmp_path, capsys, args, named):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    args = [arg.replace("{file}", str(blocker)) for arg in args]
    named = named.replace("{file}", str(blocker))
    assert main(cli(COLLECTION, tmp_path / "runs", *args)) == 2  # the real notebooks
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1, error
    assert error.startswith("cifar-tutorial: error: ") and named in error
    assert "must be" in error
    assert not (tmp_path / "runs").exists()


def test_a_value_can_go_to_one_notebook_only(tmp_path):
    values = {"04:recipe": "reference", "07:recipe": "cpu-long", "07:epochs": 0.5, "seed": 2}
    plan = plan_run(values, profile="smoke", output_dir=str(tmp_path), notebook_dir=COLLECTION)
    assert plan.routed["01_load_and_normalize"] == {"seed": 2}
    assert plan.routed["04_train"] == {"recipe": "reference", "seed": 2}
    assert plan.routed["07_faster_and_better"] == {"recipe": "cpu-long", "epochs": 0.5, "seed": 2}


@pytest.mark.parametrize(
    ("content", "expected"),
    [(None, "-f="), ("- just\n- a list\n", "YAML mapping"), ("a: [unclosed\n", "does not parse")],
)
def test_bad_parameter_files_are_refused(notebook_dir, tmp_path, capsys, content, expected):
    file = tmp_path / "params.yaml"
    if content is not None:
        file.write_text(content)
    assert main(cli(notebook_dir, tmp_path / "runs", "-f", str(file))) == 2
    assert expected in capsys.readouterr().err


def test_output_dir_must_be_writable(notebook_dir, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(cli(notebook_dir, blocker)) == 2
    assert "--output-dir=" in capsys.readouterr().err


def test_full_profile_offline_without_data_stops_in_seconds(
    notebook_dir, tmp_path, capsys, monkeypatch
):
    def no_network(*args, **kwargs):
        raise OSError("Network is unreachable")

    def no_waiting(seconds):
        raise AssertionError(f"waited {seconds} s for a network that is not there")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(time, "sleep", no_waiting)  # stops at once: no retries, no back-off
    monkeypatch.setenv("CIFAR10_ROOT", str(tmp_path / "empty"))
    args = ["run", "--notebook-dir", str(notebook_dir), "--output-dir", str(tmp_path / "runs")]
    assert main(args) == 2  # no --profile: the default, full
    error = capsys.readouterr().err
    assert "CIFAR-10 is not under" in error and "Network is unreachable" in error
    assert "dataset='sample'" in error  # the way forward without data
    assert not (tmp_path / "runs").exists()


def test_list_shows_parameters_defaults_and_help(notebook_dir, capsys):
    assert main(["list", "--notebook-dir", str(notebook_dir)]) == 0
    printed = capsys.readouterr().out
    assert "01_first  01 first" in printed
    assert '= "plain"  # a word the notebook records' in printed
    assert "nap" in printed and "README" not in printed


@pytest.mark.slow
def test_sweep_writes_one_comparison(notebook_dir, tmp_path, capsys):
    output = tmp_path / "runs"
    args = [
        "sweep",
        "lr",
        "0.25",
        "0.5",
        "--profile",
        "smoke",
        "--notebook-dir",
        str(notebook_dir),
        "--notebooks",
        "02",
        "--output-dir",
        str(output),
        "--no-progress",
    ]
    assert main(args) == 0
    [folder] = run_folders(output)
    sweep = json.loads((folder / "sweep.json").read_text())
    assert [run["value"] for run in sweep["runs"]] == [0.25, 0.5]
    assert all(run["status"] == "completed" for run in sweep["runs"])
    for run in sweep["runs"]:
        summary = summary_of(folder / run["folder"])
        assert summary["parameters"] == {"lr": run["value"]}
        assert summary["notebooks"][0]["metrics"]["loss_history"][-1] == 1.25 + run["value"]
        # no notebook drew a loss curve: the run's report draws it from the metrics
        assert "loss curve (02_second)" in (folder / run["folder"] / "report.html").read_text()
    report = (folder / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 1 and "0.25" in report


def test_sweep_checks_every_value_before_running(tmp_path, capsys):
    args = ["sweep", "lr", "0.1", "-1", "--profile", "smoke", "--notebooks", "04",
            "--notebook-dir", COLLECTION, "--output-dir", str(tmp_path / "runs")]  # fmt: skip
    assert main(args) == 2
    assert "lr=-1" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def small_batches(folder: Path) -> None:
    """A miniature ``cifar-10-batches-py``: 5 x 4 training images, 6 test images."""
    import pickle

    import numpy as np

    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name, count in [*[(f"data_batch_{i}", 4) for i in range(1, 6)], ("test_batch", 6)]:
        batch = {
            "data": rng.integers(0, 256, (count, 3072), dtype=np.uint8),
            "labels": [int(i) % 10 for i in range(count)],
        }
        (folder / name).write_bytes(pickle.dumps(batch))
    meta = {
        "label_names": [
            "airplane",
            "automobile",
            "bird",
            "cat",
            "deer",
            "dog",
            "frog",
            "horse",
            "ship",
            "truck",
        ]
    }
    (folder / "batches.meta").write_bytes(pickle.dumps(meta))


def test_prefetch_installs_an_official_style_archive(tmp_path, capsys, monkeypatch):
    from torchvision.datasets import CIFAR10
    from torchvision.datasets.utils import calculate_md5

    small_batches(tmp_path / "src" / "cifar-10-batches-py")
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "src" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    md5 = {p.name: calculate_md5(str(p)) for p in (tmp_path / "src/cifar-10-batches-py").iterdir()}
    monkeypatch.setattr(CIFAR10, "tgz_md5", calculate_md5(str(archive)))
    monkeypatch.setattr(
        CIFAR10, "train_list", [[f"data_batch_{i}", md5[f"data_batch_{i}"]] for i in range(1, 6)]
    )
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": md5["batches.meta"]})
    monkeypatch.setattr(load, "check_complete", lambda *args: None)  # stands in for the full set
    root = tmp_path / "data"
    assert main(["prefetch", "--data-root", str(root), "--from-archive", str(archive)]) == 0
    printed = capsys.readouterr().out
    assert "train: 20 images" in printed and "test: 6 images" in printed
    assert "official python batches" in printed and "CIFAR-10 is ready." in printed
    assert (root / "cifar-10-batches-py" / "data_batch_5").is_file()

    archive.write_bytes(archive.read_bytes()[:-100])  # cut off: refused, nothing changed
    assert main(["prefetch", "--data-root", str(root), "--from-archive", str(archive)]) == 2
    error = capsys.readouterr().err
    assert str(archive) in error and ("md5 sum differs" in error or "not a readable" in error)
    assert (root / "cifar-10-batches-py" / "data_batch_5").is_file()


def test_prefetch_installs_a_class_folder_archive(tmp_path, capsys, monkeypatch):
    from PIL import Image

    monkeypatch.setattr(load, "PER_CLASS", {"train": 2, "test": 1})  # a complete copy, in small

    from cifar_tutorial.data import CLASSES

    source = tmp_path / "src" / "cifar10"
    for split, count in (("train", 2), ("test", 1)):
        for label, name in enumerate(CLASSES):
            (source / split / name).mkdir(parents=True)
            for i in range(count):
                Image.new("RGB", (32, 32), (label * 20, i * 50, 0)).save(
                    source / split / name / f"{i:04d}.png"
                )
    archive = tmp_path / "folders.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source, arcname="cifar10")  # one folder above train/ and test/
    root = tmp_path / "data"
    assert main(["prefetch", "--data-root", str(root), "--from-archive", str(archive)]) == 0
    printed = capsys.readouterr().out
    assert "train: 20 images" in printed and "test: 10 images" in printed
    assert sorted(os.listdir(root / "train")) == sorted(CLASSES)
    assert "CIFAR10_ROOT=" in printed  # not the default root: says how to point at it


def test_prefetch_refuses_an_archive_of_something_else(tmp_path, capsys):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.txt").write_text("meow")
    archive = tmp_path / "photos.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "photos", arcname="photos")
    assert (
        main(["prefetch", "--data-root", str(tmp_path / "d"), "--from-archive", str(archive)]) == 2
    )
    assert "neither cifar-10-batches-py/" in capsys.readouterr().err
