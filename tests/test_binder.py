"""The Binder configuration in binder/ (what repo2docker builds): the course installed with the
tested versions, CIFAR-10 fetched while the image is built, JupyterLab opening on notebook 01.

The fast tests read the files and run binder/start and binder/postBuild with a stand-in for
``cifar-tutorial``; one runs the real ``jupyter-repo2docker --no-build --debug``, which prints
the Dockerfile it would build without a container engine, where it is installed (it is not a
dependency of the course: ``pip install jupyter-repo2docker``). Building the image and
mybinder.org itself need a container engine and the internet, and are not tested here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cifar_tutorial.course.bundle import TORCH_CPU_INDEX
from cifar_tutorial.data import official

REPO = Path(__file__).resolve().parents[1]
BINDER = REPO / "binder"
FIRST_NOTEBOOK = "notebooks/01_load_and_normalize.ipynb"
LAB_ON_FIRST_NOTEBOOK = f"/lab/tree/{FIRST_NOTEBOOK}"
SERVER_APPS = ("ServerApp", "LabApp", "JupyterNotebookApp")  # jupyter server, lab, notebook
LOCK = "requirements.lock"


def locked_python() -> str:
    """The Python version requirements.lock was resolved for (its header's uv command)."""
    found = re.search(r"--python-version (\S+)", (REPO / LOCK).read_text())
    assert found, f"{LOCK}'s header names no --python-version"
    return found[1]


def requirement_lines() -> list[str]:
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


def test_binder_takes_the_python_the_lock_was_made_for():
    assert (BINDER / "runtime.txt").read_text().strip() == f"python-{locked_python()}"


def test_binder_installs_the_course_with_the_locked_versions_and_cpu_torch():
    lines = requirement_lines()
    assert "." in lines  # the course itself, from the repository repo2docker copied
    assert f"-c ../{LOCK}" in lines  # every package at the version the tests passed with
    assert (BINDER / f"../{LOCK}").is_file()
    assert f"--extra-index-url {TORCH_CPU_INDEX}" in lines  # the bundle's CPU-only wheels too


def test_the_start_and_build_scripts_are_executable_bash_scripts():
    for name in ("start", "postBuild"):
        script = BINDER / name
        assert os.access(script, os.X_OK), f"binder/{name} is not executable"
        assert script.read_text().startswith("#!/bin/bash\n")


def test_start_adds_the_binder_config_and_runs_the_given_command():
    show = "import os, sys; print(os.environ['JUPYTER_CONFIG_PATH']); print(sys.argv[1]); exit(3)"
    done = subprocess.run(
        [BINDER / "start", sys.executable, "-c", show, "two words"],
        env={**os.environ, "JUPYTER_CONFIG_PATH": "/elsewhere"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 3, done.stderr  # the command's own exit status
    config_path, argument = done.stdout.splitlines()
    assert config_path == f"{BINDER / 'jupyter'}:/elsewhere"  # first, keeping what was there
    assert argument == "two words"


def test_jupyter_opens_jupyterlab_on_notebook_01_whichever_server_starts():
    config = json.loads((BINDER / "jupyter" / "jupyter_server_config.json").read_text())
    assert {app: config[app]["default_url"] for app in SERVER_APPS} == dict.fromkeys(
        SERVER_APPS, LAB_ON_FIRST_NOTEBOOK
    )
    assert (REPO / FIRST_NOTEBOOK).is_file()


def test_jupyter_finds_that_config_when_started_by_the_start_script(tmp_path):
    """Jupyter's search path and JSON loader, in the environment binder/start makes, merge the
    server config files as a server does (earlier folders win) and find the URL. (A server
    started so answers / with a redirect to the notebook: checked by hand, not here, where
    importing jupyter_server alone takes seconds.)"""
    read = (
        "from jupyter_core.paths import jupyter_config_path\n"
        "from traitlets.config.loader import Config, ConfigFileNotFound, JSONFileConfigLoader\n"
        "config = Config()\n"
        "for folder in reversed(jupyter_config_path()):\n"
        "    loader = JSONFileConfigLoader('jupyter_server_config.json', folder)\n"
        "    try:\n"
        "        config.merge(loader.load_config())\n"
        "    except ConfigFileNotFound:  # none in this folder\n"
        "        pass\n"
        f"print(*(config[name].default_url for name in {SERVER_APPS!r}))\n"
    )
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path)}  # not the developer's ~/.jupyter
    done = subprocess.run(
        [BINDER / "start", sys.executable, "-c", read],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [LAB_ON_FIRST_NOTEBOOK] * len(SERVER_APPS)


def fake_cifar_tutorial(folder: Path, exit_code: int) -> Path:
    """A ``cifar-tutorial`` that records its arguments and leaves what prefetch leaves."""
    folder.mkdir()
    fake = folder / "cifar-tutorial"
    fake.write_text(
        "#!/bin/bash\n"
        'mkdir -p "$CIFAR_TUTORIAL_HOME/data/cifar-10-batches-py"\n'
        'echo "$@" >> "$CIFAR_TUTORIAL_HOME/calls"\n'
        f'touch "$CIFAR_TUTORIAL_HOME/data/{official.ARCHIVE_NAME}"\n'
        f"exit {exit_code}\n"
    )
    fake.chmod(0o755)
    return folder


def run_post_build(tmp_path: Path, exit_code: int) -> subprocess.CompletedProcess:
    bin_dir = fake_cifar_tutorial(tmp_path / "bin", exit_code)
    path = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), os.environ["PATH"]])
    env = {**os.environ, "PATH": path, "CIFAR_TUTORIAL_HOME": str(tmp_path / "home")}
    env.pop("CIFAR10_ROOT", None)
    return subprocess.run(
        [BINDER / "postBuild"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )


def test_post_build_fetches_cifar10_into_the_default_data_root_without_the_archive(tmp_path):
    done = run_post_build(tmp_path, exit_code=0)
    assert done.returncode == 0, done.stderr
    home = tmp_path / "home"
    assert (home / "calls").read_text() == "prefetch\n"
    assert (home / "data" / official.BATCHES_DIR).is_dir()
    assert not (home / "data" / official.ARCHIVE_NAME).exists()


def test_post_build_stops_the_build_when_cifar10_cannot_be_fetched(tmp_path):
    done = run_post_build(tmp_path, exit_code=2)
    assert done.returncode == 2
    assert (tmp_path / "home" / "data" / official.ARCHIVE_NAME).exists()  # nothing ran after it


def repo2docker() -> str:
    found = shutil.which("jupyter-repo2docker", path=Path(sys.executable).parent) or shutil.which(
        "jupyter-repo2docker"
    )
    if found is None:
        pytest.skip("jupyter-repo2docker is not installed (pip install jupyter-repo2docker)")
    return found


def test_repo2docker_builds_the_course_fetches_cifar10_and_starts_on_notebook_01():
    """The real repo2docker's Dockerfile for this repository: the requirements (the course and
    its locked versions) installed after the repository is copied, postBuild (CIFAR-10) run as
    the notebook user, and binder/start as the entrypoint of every container."""
    command = [repo2docker(), "--no-build", "--debug", "--user-name", "jovyan", "--user-id", "1000"]
    done = subprocess.run(
        [*command, str(REPO)], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    dockerfile = done.stdout
    steps = [
        "COPY --chown=1000:1000 src/ ${REPO_DIR}/",
        'RUN ${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r "binder/requirements.txt"',
        "USER ${NB_USER}",
        "RUN ./binder/postBuild",
        'ENV R2D_ENTRYPOINT="${REPO_DIR}/binder/start"',
    ]
    lines, after = dockerfile.splitlines(), -1
    for step in steps:  # each one, in this order
        assert step in lines[after + 1 :], f"{step!r} is not where expected in:\n{dockerfile}"
        after = lines.index(step, after + 1)
    assert f"Building conda environment for python={locked_python()}" in done.stderr


def test_the_readme_links_open_notebooks_that_exist():
    """The Binder badge opens notebook 01; the nbgitpuller link the student edition's, in the
    folder nbgitpuller clones into (named after the repository)."""
    readme = (REPO / "README.md").read_text()
    binder = re.search(
        r"https://mybinder\.org/v2/gh/[\w-]+/[\w-]+/main\?urlpath=lab/tree/(\S+?)\)", readme
    )
    assert binder, "README: no Binder link"
    assert binder[1] == FIRST_NOTEBOOK
    pull = re.search(
        r"https://HUB/hub/user-redirect/git-pull\?repo=https://github\.com/[\w-]+/([\w-]+)"
        r"&urlpath=lab/tree/([\w-]+)/(\S+?)&branch=main\b",
        readme,
    )
    assert pull, "README: no nbgitpuller link"
    assert pull[2] == pull[1]  # nbgitpuller's folder is the repository's name
    assert pull[3] == "exercises/01_load_and_normalize.ipynb"
    assert (REPO / pull[3]).is_file()
