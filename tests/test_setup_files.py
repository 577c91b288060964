"""The set-up files agree with each other: pyproject.toml, environment.yml and the Makefile."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"torch": "pytorch", "matplotlib": "matplotlib-base"}  # PyPI name -> conda-forge
PIP_ONLY = {"playwright"}  # left to the pip section of environment.yml
EXTRAS = ("test", "site", "grade")  # what make and environment.yml install with the package
LOCK = "requirements.lock"  # the versions make installs (tests/test_lock.py checks it)
PIP_INSTALL = f"pip install --quiet -r {LOCK}"
PIP_INSTALL_PACKAGE = "pip install --quiet --no-deps -e ."


def requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower() for r in requirements}


@pytest.fixture(scope="module")
def pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def test_environment_yml_uses_conda_forge_and_installs_the_package_editable(pyproject):
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    assert environment["channels"] == ["conda-forge", "nodefaults"]
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert pip == [f"-e .[{','.join(EXTRAS)}]"]  # torch is never taken from pip here
    project = pyproject["project"]
    extras = [r for extra in EXTRAS for r in project["optional-dependencies"][extra]]
    wanted = requirement_names(project["dependencies"] + extras)
    have = requirement_names(conda)
    missing = {CONDA_NAMES.get(name, name) for name in wanted - PIP_ONLY} - have
    assert not missing, f"environment.yml lacks {sorted(missing)}"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("target", ["run", "test", "lab", "exercises"])
@pytest.mark.parametrize("changed", ["pyproject.toml", LOCK])
def test_make_creates_the_venv_from_the_lock_once_and_again_when_it_changes(
    tmp_path, target, changed
):
    for name in ("Makefile", "pyproject.toml", LOCK, "package.json", "package-lock.json"):
        shutil.copy2(REPO / name, tmp_path / name)

    def planned() -> str:  # what make would run, without running it
        done = subprocess.run(["make", "-n", target], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    plan = planned()
    assert "-m venv .venv" in plan and PIP_INSTALL in plan and PIP_INSTALL_PACKAGE in plan
    assert plan.index(PIP_INSTALL) < plan.index(PIP_INSTALL_PACKAGE)  # the lock's versions first
    stamp = tmp_path / ".venv" / ".installed"
    stamp.parent.mkdir()
    stamp.touch()
    os.utime(stamp, (2, 2))
    for name in ("pyproject.toml", LOCK):
        os.utime(tmp_path / name, (1, 1))  # the venv is newer than both
    assert "pip install" not in planned()
    os.utime(tmp_path / changed, (3, 3))  # changed since the venv was made
    assert PIP_INSTALL in planned()


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_make_test_installs_the_hubs_proxy_from_the_npm_lock(tmp_path):
    for name in ("Makefile", "pyproject.toml", LOCK, "package.json", "package-lock.json"):
        shutil.copy2(REPO / name, tmp_path / name)
    done = subprocess.run(["make", "-n", "test"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "npm ci" in done.stdout  # installs exactly package-lock.json's versions, or fails
    lock = json.loads((REPO / "package-lock.json").read_text())
    wanted = json.loads((REPO / "package.json").read_text())["dependencies"]
    for name, version in wanted.items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version


def test_the_package_version_is_the_same_everywhere(pyproject):
    import cifar_tutorial

    assert cifar_tutorial.__version__ == pyproject["project"]["version"]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_opens_both_editions_of_the_course():
    done = subprocess.run(["make", "-n", "lab"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    command = next(line for line in done.stdout.splitlines() if "jupyter lab" in line)
    root = (REPO / command.split("--notebook-dir=")[1].split()[0]).resolve()
    assert root == REPO.resolve()  # holds notebooks/ and exercises/, where `make exercises` writes
