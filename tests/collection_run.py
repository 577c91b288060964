"""The collection run once per test session, read by every test that needs executed notebooks.

``cifar-tutorial run --profile smoke`` executes all eight notebooks once into a temporary run
folder (the ``collection_run`` fixture of ``tests/conftest.py``). The notebook tests, the
command-line tests and the checks of what a learner sees read that folder instead of running
the notebooks again. Its values are chosen so that one run shows every behaviour:

* ``-p seed 3`` reaches every notebook (each declares ``seed``) but 08, where ``08:seed 0``
  from the file wins: at seed 0 its one- and two-process weights agree within the 1e-3 its
  test allows (rounding drifts further apart at some seeds, 0.014 at seed 3);
* ``-f`` gives ``print_every`` (declared by 04 alone), ``ablation`` (07 alone) and a value
  routed to one notebook: 06 times the CPU alone (``06:device``), whereas 04, 05 and 07, which
  declare ``device`` too, keep theirs.

07 trains for the smoke profile's 2 epochs, so that what it learns does not depend on the
machine's speed; its time-budget path runs in the student edition's test.

Under pytest-xdist the run still happens once: the first worker to take the lock runs it into
a folder all workers share, the others wait for it (``conftest.py`` also sends every test that
reads it to one worker, so nobody waits).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
COLLECTION = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
PARAMETERS_FILE = """\
print_every: 10  # declared by 04 alone
ablation: true  # declared by 07 alone
06:device: cpu  # 04, 05 and 07 declare device too, and keep "auto"
08:seed: 0  # wins over -p seed 3 there
"""
SEED = 3


def seed_of(stem: str) -> int:
    """The seed the run gave notebook ``stem`` (``08:seed 0`` in the file wins there)."""
    return 0 if stem.startswith("08") else SEED


ACCURACY_LINE = "Accuracy of the network on the"
# The whole collection takes about 2.5 min on a quiet 2-core CPU; on one shared with other
# heavy work, 07 alone once took 12 min. The limit only bounds a hang.
RUN_TIMEOUT_S = 2400
WAIT_TIMEOUT_S = RUN_TIMEOUT_S + 60


@dataclass(frozen=True)
class Expected:
    """What a learner must see in one notebook once it ran: in the session's run, and in
    JupyterLab for the notebooks the browser test opens."""

    name: str
    figures: tuple[str, ...] = ()  # plotting calls whose cells must show a picture
    progress_bar: bool = False  # a tqdm bar drawn as an ipywidgets progress widget
    texts: tuple[str, ...] = ()  # text that must appear in some output


EXPECTED = [
    Expected("01_load_and_normalize.ipynb", figures=("image_grid(",)),
    Expected("02_define_a_cnn.ipynb"),
    Expected("03_loss_and_optimizer.ipynb"),
    Expected("04_train.ipynb", figures=("loss_curve(", "LivePlot("), progress_bar=True),
    Expected(
        "05_test.ipynb",
        figures=("image_grid(", "confusion_heatmap("),
        texts=(ACCURACY_LINE,),
    ),
    Expected("06_gpu.ipynb"),
    Expected(
        "07_faster_and_better.ipynb",
        figures=(
            "image_grid(",
            "LiveTraining(",
            "loss_curve(",
            "ablation_chart(",
            "accuracy_vs_time(",
        ),
    ),
    Expected(
        "08_scale_out.ipynb",
        figures=("LivePlot(", "epoch_times_chart("),
        texts=("the same weights, bit for bit",),
    ),
]


@dataclass
class Run:
    """An executed notebook: its cells, everything it printed, and the metrics it recorded."""

    notebook: nbformat.NotebookNode
    metrics: dict
    folder: Path

    @property
    def text(self) -> str:
        parts = []
        for cell in self.notebook.cells:
            for output in cell.get("outputs", []):
                parts.append(output.get("text", ""))
                parts.append(output.get("data", {}).get("text/plain", ""))
        return "".join(parts)

    def tagged_images(self, tag: str) -> list[str]:
        return [
            output["data"]["image/png"]
            for cell in self.notebook.cells
            if tag in cell.get("metadata", {}).get("tags", [])
            for output in cell.get("outputs", [])
            if "image/png" in output.get("data", {})
        ]


@dataclass
class CollectionRun:
    """The session's ``cifar-tutorial run``: its folder, what it printed, what it left."""

    folder: Path  # the run folder, runs/<time>-smoke
    home: Path  # its CIFAR_TUTORIAL_HOME
    returncode: int
    stdout: str
    stderr: str
    left_running: list[str]  # processes of the run still alive after it ended (killed since)

    def run(self, stem: str) -> Run:
        """The executed notebook ``stem`` (e.g. ``"04_train"``) and its metrics."""
        notebook = nbformat.read(self.folder / f"{stem}.ipynb", as_version=4)
        metrics = json.loads((self.folder / "metrics" / f"{stem}.json").read_text())
        return Run(notebook, metrics, self.folder)


def run_collection(work: Path) -> CollectionRun:
    """``cifar-tutorial run --profile smoke`` of the whole collection into ``work/runs``."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "params.yaml").write_text(PARAMETERS_FILE)
    home = work / "home"
    command = [sys.executable, "-m", "cifar_tutorial.course", "run", "--profile", "smoke",
               "-p", "seed", str(SEED), "-f", str(work / "params.yaml"),
               "--output-dir", str(work / "runs")]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env={**os.environ, "CIFAR_TUTORIAL_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its kernels and workers can be found again by session
    )
    try:
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        left = stop_session(process)
    folders = sorted((work / "runs").iterdir()) if (work / "runs").is_dir() else []
    assert len(folders) == 1, f"{stdout}\n{stderr}"
    return CollectionRun(folders[0], home, process.returncode, stdout, stderr, left)


def stop_session(process: subprocess.Popen) -> list[str]:
    """Kill whatever still runs in ``process``'s session; the names of what was left."""
    if process.poll() is None:
        process.kill()
        process.wait(timeout=30)
    left = []
    for other in psutil.process_iter(["name", "status"]):
        try:
            if os.getsid(other.pid) == process.pid and other.info["status"] != "zombie":
                left.append(f"{other.info['name']} ({other.pid})")
                other.kill()
        except (ProcessLookupError, psutil.NoSuchProcess, PermissionError):
            pass
    return left


def shared_collection_run(folder: Path) -> CollectionRun:
    """The run in ``folder``, made by whichever process takes the lock first (see above)."""
    done = folder / "collection-run.json"
    try:
        (folder / "collection-run.lock").mkdir(parents=True)  # atomic: one process wins
    except FileExistsError:
        return wait_for(done)
    try:
        found = run_collection(folder / "collection")
        facts = {**found.__dict__, "folder": str(found.folder), "home": str(found.home)}
    except BaseException as error:
        write_atomically(done, {"error": f"{type(error).__name__}: {error}"})
        raise
    write_atomically(done, facts)
    return found


def write_atomically(path: Path, facts: dict) -> None:
    """``facts`` as JSON in ``path``, which a waiting process never sees half written."""
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(facts))
    partial.replace(path)


def wait_for(done: Path) -> CollectionRun:
    """The run another process is making, once it has written ``done``."""
    deadline = time.monotonic() + WAIT_TIMEOUT_S
    while not done.is_file():
        assert time.monotonic() < deadline, f"no collection run after {WAIT_TIMEOUT_S} s"
        time.sleep(1)
    facts = json.loads(done.read_text())
    assert "error" not in facts, f"the collection run failed in another worker: {facts['error']}"
    return CollectionRun(**{**facts, "folder": Path(facts["folder"]), "home": Path(facts["home"])})
