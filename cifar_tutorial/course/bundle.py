"""``cifar-tutorial bundle DIR``: everything a laptop without network needs, on one folder.

The kit (a USB stick for a workshop) holds:

* ``wheels/``: this project's wheel and every dependency's, for a chosen platform and Python
  version, fetched by pip's own ``pip download`` at the versions of the repository's
  ``requirements.lock`` (the ones its tests passed with; a copy goes into the kit), optionally
  PyTorch's CPU-only wheels, several times smaller than the CUDA ones;
* ``data/``: the CIFAR-10 archive and its SHA-256 checksum;
* ``notebooks/`` (the solutions edition) and ``exercises/`` (the student edition) when the
  repository has it;
* ``site/``: the course website, built with mkdocs when it can be, readable in a browser;
* ``docs/``: the instructor's guide and the other documents;
* ``install.sh`` (Linux, macOS) and ``install.bat`` (Windows): a virtual environment,
  ``pip install --no-index --find-links wheels``, CIFAR-10 from the archive, then
  ``cifar-tutorial doctor``;
* ``README.md``: what is in the kit, how big it is, how long each step took.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataCorruptError, ParameterError, TutorialError
from ..paths import pretty_path, resolve_data_root
from .options import check_existing_dir, check_writable_dir
from .prefetch import check_archive, checked_archive
from .text import size_text

TORCH_PACKAGES = ("torch", "torchvision")
# dependencies of the course that themselves need torch: without torch in the kit, their wheels
# come without their own dependencies (the others are the course's too; torch is on the laptop)
NEEDS_TORCH = ("captum",)
LOCK = "requirements.lock"  # every package and version of the tested environment (Makefile)
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"  # PyTorch's CPU-only wheels
OFFICIAL_ARCHIVE = "cifar-10-python.tar.gz"
KIT_FOLDERS = ("notebooks", "exercises")
DOCS = ("docs",)
TEMPLATES = Path(__file__).with_name("kit")


@dataclass
class Kit:
    """What ``bundle`` wrote, and how long each step took."""

    folder: Path
    steps: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def timed(self, name: str, action, *args, **kwargs):
        start = time.perf_counter()
        result = action(*args, **kwargs)
        self.steps[name] = time.perf_counter() - start
        return result


def find_source(source: str | None) -> Path:
    """The repository the kit is made from: it has ``pyproject.toml`` and ``notebooks/``."""
    if source is None:
        here = Path(__file__).resolve().parents[2]
        candidates = [Path.cwd(), here]
    else:
        candidates = [Path(source).expanduser()]
    for folder in candidates:
        if (folder / "pyproject.toml").is_file() and (folder / "notebooks").is_dir():
            return folder.resolve()
    raise ParameterError(
        "--source", source or str(Path.cwd()), "the cifar-tutorial repository (a folder with "
        "pyproject.toml and notebooks/); run the command there or give --source"
    )  # fmt: skip


def pip(*args: str, cwd: Path | None = None) -> None:
    """Run pip in this interpreter; a failure ends as one line with pip's last words."""
    command = [sys.executable, "-m", "pip", *args]
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd)
    if done.returncode:
        last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-3:]
        raise TutorialError(f"pip {args[0]} failed: {' / '.join(last)}")


def project_requirements(wheel: Path, without_torch: bool) -> list[str]:
    """The dependencies the project's wheel declares (extras left out), and without torch
    and torchvision on request."""
    from email.parser import Parser
    from zipfile import ZipFile

    with ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(name).decode())
    requirements = [r for r in metadata.get_all("Requires-Dist") or [] if "extra ==" not in r]
    if without_torch:
        requirements = [r for r in requirements if requirement_name(r) not in TORCH_PACKAGES]
    return requirements


def requirement_name(requirement: str) -> str:
    """``"torch>=2.4"`` -> ``"torch"``."""
    for index, char in enumerate(requirement):
        if not (char.isalnum() or char in "-_."):
            return requirement[:index].lower()
    return requirement.lower()


def download_wheels(
    kit: Kit,
    source: Path,
    *,
    platforms: list[str],
    python_version: str | None,
    torch_cpu: bool,
    without_torch: bool,
    find_links: list[str],
    no_index: bool,
    unlocked: bool = False,
) -> None:
    """The project's wheel (built from ``source``) and its dependencies' wheels, at the
    versions of ``source/requirements.lock`` unless ``unlocked`` (or the repository has none)."""
    wheels = kit.folder / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    for old in wheels.glob("cifar_tutorial-*.whl"):
        old.unlink()
    kit.timed("building the project's wheel", pip, "wheel", "--quiet", "--no-deps",
              "--wheel-dir", str(wheels), str(source))  # fmt: skip
    project = next(wheels.glob("cifar_tutorial-*.whl"))
    options = ["--dest", str(wheels), "--only-binary=:all:", "--quiet"]
    for tag in platforms:
        options += ["--platform", tag]
    if python_version:
        options += ["--python-version", python_version]
    for link in find_links:
        options += ["--find-links", link]
    if no_index:
        options.append("--no-index")
    lock = None if unlocked else locked_versions(kit, source)
    if lock is not None:
        options += ["--constraint", str(lock)]
    requirements = project_requirements(project, without_torch or torch_cpu)
    if without_torch:  # else pip would fetch torch again, for captum
        alone = [r for r in requirements if requirement_name(r) in NEEDS_TORCH]
        requirements = [r for r in requirements if r not in alone]
        with unavailable_lock_said(lock):
            kit.timed("downloading what needs torch, without it", pip, "download", *options,
                      "--no-deps", *alone)  # fmt: skip
    if torch_cpu:
        torch = [r for r in project_requirements(project, False) if r not in requirements]
        with unavailable_lock_said(lock):
            kit.timed("downloading PyTorch (CPU-only wheels)", pip, "download", *options,
                      "--index-url", TORCH_CPU_INDEX, *torch)  # fmt: skip
        kit.notes.append(f"PyTorch: CPU-only wheels from {TORCH_CPU_INDEX}.")
        options += ["--find-links", str(wheels)]  # what needs torch gets the CPU-only one
    with unavailable_lock_said(lock):
        kit.timed("downloading the dependencies", pip, "download", *options, *requirements)
    if without_torch:
        kit.notes.append(
            "PyTorch is not in this kit (--without-torch): the laptops must have torch and "
            "torchvision installed already; the install script checks."
        )


def locked_versions(kit: Kit, source: Path) -> Path | None:
    """The repository's ``requirements.lock``, copied into the kit, or ``None`` (with a note)
    when it has none."""
    lock = source / LOCK
    if not lock.is_file():
        kit.notes.append(f"No {LOCK} in the repository: the wheels are the newest versions "
                         "that pyproject.toml allows.")  # fmt: skip
        return None
    shutil.copyfile(lock, kit.folder / LOCK)
    kit.notes.append(f"The wheels are the versions of {LOCK} (in this kit), the ones the "
                     "course's tests passed with.")  # fmt: skip
    return lock


@contextmanager
def unavailable_lock_said(lock: Path | None) -> Iterator[None]:
    """A failed ``pip download`` at the lock's versions says how to do without them."""
    try:
        yield
    except TutorialError as error:
        if lock is None:
            raise
        raise TutorialError(f"{error}; if the laptops' platform or Python has no wheels of "
                            f"the versions in {LOCK}, --unlocked takes the newest that "
                            "pyproject.toml allows") from error  # fmt: skip


def copy_data(kit: Kit, archive: Path | None) -> None:
    """The CIFAR-10 archive and a ``SHA256SUMS`` file the install scripts check it against."""
    if archive is None:
        kit.notes.append(
            "No CIFAR-10 archive in this kit: the laptops can run the smoke profile (the "
            "embedded sample); give --data-archive to add it."
        )
        return
    folder = kit.folder / "data"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / archive.name
    kit.timed("copying CIFAR-10", shutil.copyfile, archive, target)
    digest = kit.timed("checksumming CIFAR-10", sha256, target)
    (folder / "SHA256SUMS").write_text(f"{digest}  {target.name}\n")


def sha256(path: Path) -> str:
    """The SHA-256 checksum of a file, read in blocks."""
    hasher = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()


def find_archive(data_archive: str | None, data_root: str | None, no_data: bool) -> Path | None:
    """The archive to put in the kit, checked to be a complete CIFAR-10 (official, or class
    folders): the one given, else the official archive in the data root; ``None`` when there
    is none (or with ``--no-data``)."""
    if no_data:
        if data_archive is not None:
            raise ParameterError("--no-data", "with --data-archive", "one of the two")
        return None
    if data_archive is not None:
        return checked_archive("--data-archive", data_archive)[0]
    if data_root is not None:
        check_existing_dir("--data-root", data_root)
    official = resolve_data_root(data_root) / OFFICIAL_ARCHIVE
    if official.is_file():
        return checked_archive("--data-archive", str(official))[0]  # its default
    return None


def check_options(platforms: list[str], python_version: str | None) -> None:
    """The tags pip is given, in the forms it accepts, before anything is written."""
    for tag in platforms:
        if not re.fullmatch(r"[a-z0-9_.]+", tag):
            raise ParameterError("--platform", tag, "a pip platform tag such as win_amd64, "
                                 "macosx_11_0_arm64, manylinux2014_x86_64")  # fmt: skip
    if python_version is not None and not re.fullmatch(r"3(\.\d{1,2})?", python_version):
        raise ParameterError("--python-version", python_version, "a Python 3 version X.Y, "
                             "such as 3.11")  # fmt: skip


def copy_course(kit: Kit, source: Path) -> None:
    """Both editions of the notebooks, the documents, the instructor's guide."""
    for name in (*KIT_FOLDERS, *DOCS):
        folder = source / name
        if folder.is_dir():
            skip = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
            shutil.copytree(folder, kit.folder / name, dirs_exist_ok=True, ignore=skip)
        elif name == "exercises":
            kit.notes.append("No student edition (exercises/) in the repository yet.")
    if not (source / "docs" / "instructor.md").is_file():
        kit.notes.append("No instructor's guide (docs/instructor.md) in the repository yet.")


def build_site(kit: Kit, source: Path) -> None:
    """The course website: built with mkdocs into the kit, else a ``site/`` already built."""
    target = kit.folder / "site"
    if (source / "mkdocs.yml").is_file() and shutil.which("mkdocs", path=bin_path()):
        command = [shutil.which("mkdocs", path=bin_path()), "build", "--quiet",
                   "--site-dir", str(target)]  # fmt: skip
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
        start = time.perf_counter()
        done = subprocess.run(command, cwd=source, capture_output=True, text=True, env=env)
        kit.steps["building the website"] = time.perf_counter() - start
        if done.returncode == 0:
            return
        last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:]
        kit.notes.append(f"The website could not be built here ({' '.join(last)}).")
    if (source / "site" / "index.html").is_file():
        shutil.copytree(source / "site", target, dirs_exist_ok=True)
        kit.notes.append("The website is the copy built earlier in the repository (site/).")
        return
    kit.notes.append(
        "No website in this kit: mkdocs is not installed here (pip install -e '.[site]', "
        "then bundle again), and the repository has no built site/."
    )


def bin_path() -> str:
    """This interpreter's scripts folder first, then ``PATH``."""
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def write_scripts(kit: Kit) -> None:
    """``install.sh`` and ``install.bat`` from the templates next to this module."""
    for name in ("install.sh", "install.bat"):
        text = (TEMPLATES / name).read_text()
        target = kit.folder / name
        target.write_bytes(text.replace("\n", "\r\n").encode() if name.endswith(".bat")
                           else text.encode())  # fmt: skip
        target.chmod(0o755)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def write_readme(kit: Kit, platforms: list[str], python_version: str | None) -> str:
    """The kit's README: contents and sizes, the steps' measured times, how to install."""
    parts = []
    for name in ("wheels", "data", *KIT_FOLDERS, "site", "docs"):
        folder = kit.folder / name
        if folder.is_dir():
            count = sum(1 for p in folder.rglob("*") if p.is_file())
            parts.append(f"| `{name}/` | {count} | {size_text(folder_size(folder), decimals=0)} |")
    here = f"{platform.system()} {platform.machine()} (the machine that built it)"
    target = ", ".join(platforms) if platforms else here
    python = python_version or ".".join(map(str, sys.version_info[:2]))
    total = folder_size(kit.folder)
    steps = [f"| {name} | {seconds:.1f} s |" for name, seconds in kit.steps.items()]
    text = KIT_README.format(
        size=size_text(total, decimals=0),
        target=target,
        python=python,
        contents="\n".join(parts),
        steps="\n".join(steps),
        notes="\n".join(f"- {note}" for note in kit.notes) or "- Everything is included.",
    )
    (kit.folder / "README.md").write_text(text)
    return size_text(folder_size(kit.folder), decimals=0)


KIT_README = """# cifar-tutorial: the offline kit

Everything a laptop needs for the course, with no network: copy this folder (a USB stick
works) and run the install script. **Size: {size}.** Wheels for {target}, Python {python}.

| folder | files | size |
| --- | --- | ---: |
{contents}

## Install

- Linux and macOS: `sh install.sh` (or `sh install.sh OTHER_FOLDER`)
- Windows: double-click `install.bat` (or run `install.bat OTHER_FOLDER` in a terminal)

The script makes a virtual environment (`~/cifar-tutorial-venv`, on Windows
`%USERPROFILE%\\cifar-tutorial-venv`, unless told otherwise; an existing one is reused),
installs with `pip install --no-index --find-links wheels cifar-tutorial` (nothing is fetched
from the network), checks the CIFAR-10 archive against `data/SHA256SUMS` and that it is a
complete CIFAR-10 (a kit damaged on the way stops here, naming the file), puts it in place
with `cifar-tutorial prefetch --from-archive`, and ends with `cifar-tutorial doctor`: one
line per item and each notebook's predicted time on that laptop. It prints how long each of
its steps took. Then: `~/cifar-tutorial-venv/bin/jupyter lab --notebook-dir notebooks`
(solutions edition) or `--notebook-dir exercises` (student edition); `site/index.html` is
the course website, to read in a browser.

## How long building this kit took

| step | time |
| --- | ---: |
{steps}

## Notes

{notes}
"""


def bundle_command(
    folder: str,
    *,
    source: str | None = None,
    platforms: list[str] | None = None,
    python_version: str | None = None,
    torch_cpu: bool = False,
    without_torch: bool = False,
    find_links: list[str] | None = None,
    no_index: bool = False,
    unlocked: bool = False,
    data_archive: str | None = None,
    data_root: str | None = None,
    no_data: bool = False,
    no_site: bool = False,
) -> int:
    """Write the kit into ``folder``; print what it holds."""
    if torch_cpu and without_torch:
        raise ParameterError("--torch-cpu", "with --without-torch", "one of the two")
    target = check_writable_dir("DIR", folder)
    check_options(platforms or [], python_version)
    repository = find_source(source)
    archive = find_archive(data_archive, data_root, no_data)
    print(f"Writing the offline kit into {pretty_path(target)} ...", flush=True)
    with kit_in_progress(target) as kit:
        build_kit(kit, repository, archive, platforms=platforms or [],
                  python_version=python_version, torch_cpu=torch_cpu,
                  without_torch=without_torch, find_links=find_links or [],
                  no_index=no_index, unlocked=unlocked, no_site=no_site)  # fmt: skip
    print(f"The kit is ready: {pretty_path(target)}, {size_text(folder_size(target), decimals=0)}"
          "; see its README.md.")  # fmt: skip
    return 0


@contextmanager
def kit_in_progress(target: Path) -> Iterator[Kit]:
    """A :class:`Kit` written in a scratch folder inside ``target``, moved into ``target``
    only when complete: a failure or Ctrl-C leaves no partial kit (and no ``target`` that
    was not there before)."""
    created = [p for p in (target, *target.parents) if not p.exists()]
    target.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".kit-in-progress-", dir=target))
    try:
        yield Kit(scratch)
        for entry in sorted(scratch.iterdir()):
            old = target / entry.name
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old)
            os.replace(entry, old)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if not (target / "README.md").is_file():
            for path in created:  # nearest first, then the parents made for it
                shutil.rmtree(path, ignore_errors=True)


def build_kit(kit: Kit, repository: Path, archive: Path | None, *, platforms: list[str],
              python_version: str | None, torch_cpu: bool, without_torch: bool,
              find_links: list[str], no_index: bool, no_site: bool,
              unlocked: bool = False) -> None:  # fmt: skip
    """Every part of the kit, in ``kit.folder``."""
    start = time.perf_counter()
    download_wheels(kit, repository, platforms=platforms, python_version=python_version,
                    torch_cpu=torch_cpu, without_torch=without_torch,
                    find_links=find_links, no_index=no_index, unlocked=unlocked)  # fmt: skip
    copy_data(kit, archive)
    kit.timed("copying notebooks and documents", copy_course, kit, repository)
    if no_site:
        kit.notes.append("No website in this kit (--no-site).")
    else:
        build_site(kit, repository)
    write_scripts(kit)
    kit.steps["all of it"] = time.perf_counter() - start
    write_readme(kit, platforms, python_version)
    for name, seconds in kit.steps.items():
        print(f"  {name}: {seconds:.1f} s")
    for note in kit.notes:
        print(f"  note: {note}")


def verify_checksums(folder: Path) -> list[str]:
    """The files of ``folder/SHA256SUMS`` whose checksum differs (or that are missing)."""
    bad = []
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, _, name = line.partition("  ")
        path = folder / name.strip()
        if not path.is_file() or sha256(path) != digest.strip():
            bad.append(name.strip())
    return bad


def verify_parser() -> argparse.ArgumentParser:
    """The command line of the kit's own check, which its install scripts run."""
    parser = argparse.ArgumentParser(
        prog="python -m cifar_tutorial.course.bundle",
        description="Check the files of a kit's folder against its SHA256SUMS.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="verify")
    verify = actions.add_parser("verify", help="check DIR/SHA256SUMS; exit code 1 if one differs")
    verify.add_argument("folder", metavar="DIR", type=Path, help="e.g. the kit's data/")
    return parser


def main(argv: list[str] | None = None) -> int:
    """``python -m cifar_tutorial.course.bundle verify DIR``: the install scripts' check of
    the kit's ``data/``: every file's checksum, then each archive opened as a complete
    CIFAR-10 (as ``bundle`` checked it), each problem on one line naming the file."""
    folder = verify_parser().parse_args(argv).folder
    if not (folder / "SHA256SUMS").is_file():
        print(f"{folder}: no SHA256SUMS there; give the kit's data/ folder", file=sys.stderr)
        return 1
    bad = verify_checksums(folder)
    for name in bad:
        print(f"{folder / name}: damaged or missing (its SHA-256 is not the one in SHA256SUMS); "
              "copy the kit again", file=sys.stderr)  # fmt: skip
    if bad:
        return 1
    for archive in sorted(folder.glob("*.tar.gz")):
        try:
            check_archive(archive)
        except DataCorruptError as error:
            print(f"{error} Copy the kit again, or bundle it with a complete archive.",
                  file=sys.stderr)  # fmt: skip
            return 1
    print("CIFAR-10 archive: checksum verified, a complete CIFAR-10.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
