"""``cifar-tutorial bundle``: the offline kit, and a real offline install from it.

The end-to-end test builds a kit with pip's own ``pip download`` (from the indexes pip is
configured with), then installs it into a fresh virtual environment with the network
refused (``tests/offline``) and ``pip install --no-index --find-links wheels``, through the
kit's own ``install.sh`` (which ends with the readiness check, here without its timing
steps to save CI time), and runs notebook 01 in the smoke profile from the installed kit.

PyTorch is the one thing it does not copy: its wheels (several GB for the CUDA build this
machine has) would take minutes to install, far past the test's CI budget. So the kit is
built ``--without-torch`` (an option for laptops that have PyTorch already), and the fresh
environment gets torch, torchvision and what only they need from this test environment
through a ``.pth`` file naming links to exactly those distributions. Everything else,
numpy, pillow, matplotlib, JupyterLab, papermill and this project's own wheel, is installed
for real from the kit's wheels, with no index and no network.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sysconfig
import tarfile
import venv
from importlib.metadata import distribution
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from tiny_cifar import write_class_folders

from cifar_tutorial.course import bundle
from cifar_tutorial.course.cli import main
from cifar_tutorial.data import load
from cifar_tutorial.errors import ParameterError

REPO = Path(__file__).resolve().parents[1]
OFFLINE = REPO / "tests" / "offline"


def test_requirements_come_from_the_wheel_without_extras_and_torch_on_request(tmp_path):
    from zipfile import ZipFile

    wheel = tmp_path / "cifar_tutorial-0.1.0-py3-none-any.whl"
    metadata = ("Metadata-Version: 2.4\nName: cifar-tutorial\nRequires-Dist: torch>=2.4\n"
                "Requires-Dist: torchvision>=0.19\nRequires-Dist: numpy>=1.24\n"
                'Requires-Dist: pytest>=8.0; extra == "test"\n')  # fmt: skip
    with ZipFile(wheel, "w") as archive:
        archive.writestr("cifar_tutorial-0.1.0.dist-info/METADATA", metadata)
    assert bundle.project_requirements(wheel, False) == ["torch>=2.4", "torchvision>=0.19",
                                                        "numpy>=1.24"]  # fmt: skip
    assert bundle.project_requirements(wheel, True) == ["numpy>=1.24"]
    assert bundle.requirement_name("torchvision>=0.19") == "torchvision"


def fake_pip(calls: list[tuple[str, ...]], fail_download: str = ""):
    """A stand-in for :func:`bundle.pip` that records its arguments; ``wheel`` writes the
    project's wheel (its dependencies: torch and numpy), ``download`` fails on request."""
    from zipfile import ZipFile

    def pip(*args: str, cwd=None) -> None:
        calls.append(args)
        if args[0] == "wheel":
            folder = Path(args[args.index("--wheel-dir") + 1])
            with ZipFile(folder / "cifar_tutorial-0.1.0-py3-none-any.whl", "w") as wheel:
                wheel.writestr("cifar_tutorial-0.1.0.dist-info/METADATA",
                               "Name: cifar-tutorial\nRequires-Dist: torch>=2.4\n"
                               "Requires-Dist: numpy>=1.24\n")  # fmt: skip
        elif fail_download:
            raise bundle.TutorialError(f"pip download failed: {fail_download}")

    return pip


def test_the_kit_downloads_the_versions_of_the_lock_and_holds_a_copy(tmp_path, monkeypatch):
    source = tmp_path / "repo"
    source.mkdir()
    (source / bundle.LOCK).write_text("numpy==2.3.5\ntorch==2.14.1\n")
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(bundle, "pip", fake_pip(calls))
    options = dict(platforms=[], python_version=None, torch_cpu=True, without_torch=False,
                   find_links=[], no_index=False)  # fmt: skip
    kit = bundle.Kit(tmp_path / "kit")
    bundle.download_wheels(kit, source, **options)
    downloads = [call for call in calls if call[0] == "download"]
    assert [call[-1] for call in downloads] == ["torch>=2.4", "numpy>=1.24"]  # CPU torch first
    for call in downloads:
        assert call[call.index("--constraint") + 1] == str(source / bundle.LOCK)
    dependencies = downloads[-1]  # what needs torch takes the CPU-only one just downloaded
    assert dependencies[dependencies.index("--find-links") + 1] == str(kit.folder / "wheels")
    assert (kit.folder / bundle.LOCK).read_text() == (source / bundle.LOCK).read_text()
    assert "the ones the course's tests passed with" in kit.notes[0]

    calls.clear()
    unlocked = bundle.Kit(tmp_path / "unlocked")
    bundle.download_wheels(unlocked, source, **options, unlocked=True)
    assert calls and not any("--constraint" in call for call in calls)
    assert not (unlocked.folder / bundle.LOCK).exists()

    (source / bundle.LOCK).unlink()  # a repository without a lock: the newest versions
    bundle.download_wheels(bundle.Kit(tmp_path / "no-lock"), source, **options)
    assert not any("--constraint" in call for call in calls)


def test_a_locked_version_without_wheels_says_how_to_do_without_the_lock(tmp_path, monkeypatch):
    source = tmp_path / "repo"
    source.mkdir()
    (source / bundle.LOCK).write_text("torch==2.14.1\n")
    missing = "No matching distribution found for torch==2.14.1"
    monkeypatch.setattr(bundle, "pip", fake_pip([], fail_download=missing))
    with pytest.raises(bundle.TutorialError, match=f"{missing}.*--unlocked takes the newest"):
        bundle.download_wheels(bundle.Kit(tmp_path / "kit"), source, platforms=["win_amd64"],
                               python_version="3.12", torch_cpu=False, without_torch=False,
                               find_links=[], no_index=False)  # fmt: skip


def test_a_kit_without_wheels_has_data_checksums_course_scripts_and_readme(
    tmp_path, monkeypatch, capsys
):
    def no_download(kit, source, **options):
        (kit.folder / "wheels").mkdir(parents=True)
        (kit.folder / "wheels" / "x-1.0-py3-none-any.whl").write_bytes(b"wheel")
        kit.steps["downloading the dependencies"] = 1.25

    monkeypatch.setattr(bundle, "download_wheels", no_download)
    monkeypatch.setattr(load, "PER_CLASS", {"train": 2, "test": 1})  # a complete copy, in small
    write_class_folders(tmp_path / "src", {"train": 2, "test": 1})
    archive = tmp_path / "cifar-10-python.tar.gz"  # class folders, under the official name
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "src", arcname="cifar10")
    kit = tmp_path / "kit"
    args = ["bundle", str(kit), "--data-archive", str(archive), "--no-site",
            "--source", str(REPO)]  # fmt: skip
    assert main(args) == 0
    assert "The kit is ready" in capsys.readouterr().out
    sums = (kit / "data" / "SHA256SUMS").read_text()
    assert sums == f"{bundle.sha256(archive)}  cifar-10-python.tar.gz\n"
    assert bundle.main(["verify", str(kit / "data")]) == 0
    (kit / "data" / "cifar-10-python.tar.gz").write_bytes(b"damaged")
    assert bundle.main(["verify", str(kit / "data")]) == 1
    assert "damaged or missing" in capsys.readouterr().err
    assert sorted(p.name for p in (kit / "notebooks").glob("0*.ipynb")) == sorted(
        p.name for p in (REPO / "notebooks").glob("0*.ipynb")
    )
    assert (kit / "docs" / "benchmarks.md").is_file()
    assert (REPO / "exercises").is_dir() == (kit / "exercises").is_dir()
    assert b"\r\n" in (kit / "install.bat").read_bytes()
    assert b"\r\n" not in (kit / "install.sh").read_bytes()
    assert os.access(kit / "install.sh", os.X_OK)
    readme = (kit / "README.md").read_text()
    assert re.search(r"\*\*Size: \d[\d,]* (kB|MB)\.\*\*", readme)
    assert "| downloading the dependencies | 1.2 s |" in readme
    assert "| `data/` | 2 |" in readme and "--no-index --find-links wheels" in readme
    assert "No website in this kit (--no-site)." in readme


def test_bad_options_are_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ParameterError, match="--data-archive"):
        bundle.bundle_command(str(tmp_path / "kit"), data_archive=str(tmp_path / "missing"))
    with pytest.raises(ParameterError, match="--torch-cpu"):
        bundle.bundle_command(str(tmp_path / "kit"), torch_cpu=True, without_torch=True)
    with pytest.raises(ParameterError, match="--source"):
        bundle.bundle_command(str(tmp_path / "kit"), source=str(tmp_path))
    assert not (tmp_path / "kit").exists()


def test_the_website_is_built_or_copied_or_its_absence_said(tmp_path, monkeypatch):
    source = tmp_path / "repo"
    (source / "site").mkdir(parents=True)
    (source / "site" / "index.html").write_text("<html></html>")
    monkeypatch.setattr(bundle.shutil, "which", lambda name, path=None: None)  # no mkdocs
    kit = bundle.Kit(tmp_path / "kit")
    bundle.build_site(kit, source)
    assert (kit.folder / "site" / "index.html").is_file()
    assert "built earlier" in kit.notes[-1]
    (source / "site" / "index.html").unlink()
    bundle.build_site(kit, source)
    assert "No website in this kit: mkdocs is not installed" in kit.notes[-1]


def torch_only_links(folder: Path, provided: set[str]) -> list[str]:
    """Links in ``folder`` to torch, torchvision and the distributions only they need (those
    the kit does not provide), from this environment; returns their names."""
    site = Path(sysconfig.get_paths()["purelib"])
    wanted, names, seen = [("torch", ()), ("torchvision", ())], [], set()
    while wanted:
        name, extras = wanted.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if (key, extras) in seen or (key in provided and key not in ("torch", "torchvision")):
            continue
        seen.add((key, extras))
        dist = distribution(name)
        for requirement in map(Requirement, dist.requires or []):
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in ("", *extras)):
                wanted.append((requirement.name, tuple(sorted(requirement.extras))))
        if key in names:
            continue
        names.append(key)
        tops = {Path(str(f)).parts[0] for f in dist.files or []}
        for top in tops:
            if (site / top).exists() and not top.startswith("..") and top != "bin":
                link = folder / top
                if not link.exists():
                    link.symlink_to(site / top)
    return names


def kit_environment(tmp_path: Path) -> dict[str, str]:
    """No network (tests/offline), no pip configuration, Jupyter and tutorial folders of its
    own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    for name in ("VIRTUAL_ENV", "CIFAR10_ROOT"):  # the kit's laptop has no CIFAR-10 of ours
        env.pop(name, None)
    return {
        **env,
        "PYTHONPATH": str(OFFLINE),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_COMPILE": "1",  # saves CI time; Python compiles what it imports anyway
        "JUPYTER_DATA_DIR": str(tmp_path / "jupyter"),
        "CIFAR_TUTORIAL_HOME": str(tmp_path / "tutorial-home"),
    }


@pytest.mark.slow
def test_a_kit_installs_offline_and_runs_notebook_01_in_the_smoke_profile(tmp_path):
    kit = tmp_path / "kit"
    assert bundle.bundle_command(str(kit), source=str(REPO), without_torch=True, no_data=True,
                                 no_site=True) == 0  # fmt: skip
    wheels = sorted(p.name for p in (kit / "wheels").glob("*.whl"))
    assert any(name.startswith("cifar_tutorial-0.1.0-") for name in wheels)
    assert not any(name.startswith(("torch-", "torchvision-")) for name in wheels)
    provided = {re.sub(r"[-_.]+", "-", name.split("-")[0]).lower() for name in wheels}
    assert {"numpy", "matplotlib", "jupyterlab", "papermill", "pillow"} <= provided

    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    # ensurepip's old setuptools would hide the one torch needs, which comes with torch below
    subprocess.run([str(target / "bin" / "python"), "-m", "pip", "uninstall", "--yes",
                    "--quiet", "setuptools"], check=True, capture_output=True)  # fmt: skip
    torch_site = tmp_path / "torch-site"
    torch_site.mkdir()
    linked = torch_only_links(torch_site, provided)
    assert "torch" in linked and "numpy" not in linked
    purelib = subprocess.run([str(target / "bin" / "python"), "-c",
                              "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    Path(purelib, "torch-from-the-test.pth").write_text(f"{torch_site}\n")

    env = kit_environment(tmp_path)
    done = subprocess.run(["sh", str(kit / "install.sh"), str(target), "--no-forecast"],
                          cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    printed = done.stdout + done.stderr
    assert done.returncode == 0, printed[-3000:]
    assert "== pip install --no-index --find-links wheels cifar-tutorial:" in printed
    assert "Successfully installed" in printed and "cifar-tutorial-0.1.0" in printed
    assert "[OK]   kernel python3" in printed and "Ready." in printed
    assert "[OK]   the package's sample" in printed  # the readiness check ran
    installed = subprocess.run([str(target / "bin" / "python"), "-c",
                                "import cifar_tutorial, numpy; print(cifar_tutorial.__file__); "
                                "print(numpy.__file__)"],
                               capture_output=True, text=True, env=env, cwd=tmp_path)  # fmt: skip
    for path in installed.stdout.split():
        assert path.startswith(purelib), path  # from the kit's wheels, not from the repository

    runs = tmp_path / "runs"
    command = [str(target / "bin" / "cifar-tutorial"), "run", "--profile", "smoke",
               "--notebooks", "01", "--notebook-dir", str(kit / "notebooks"),
               "--output-dir", str(runs), "--no-progress"]  # fmt: skip
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    summary = json.loads(next(runs.glob("*/summary.json")).read_text())
    assert summary["status"] == "completed" and summary["profile"] == "smoke"
    assert summary["notebooks"][0]["metrics"]["class_counts"]["train"]["cat"] == 500
