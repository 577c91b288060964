"""``requirements.lock`` agrees with pyproject.toml, and ``.venv`` holds what it pins.

The lock (made by ``uv pip compile`` from pyproject.toml, the command in its header and in
the README) pins every package and version of the environment CI tests; the Makefile builds
``.venv`` from it, the offline kit downloads its versions. pyproject.toml keeps its ranges
for people who install the package into an environment of their own. These tests only read
files and this interpreter's installed distributions: no network, no resolver.
"""

from __future__ import annotations

import re
import sys
import sysconfig
from importlib.metadata import distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "requirements.lock"
REGENERATE = "uv pip compile pyproject.toml"  # how the header's and the README's command start
NOT_PINNED = {"pip", "setuptools", "wheel", "cifar-tutorial"}  # installed by make itself


def lock_pins(text: str) -> list[Requirement]:
    """The lock's requirements, one a line, comments (``# via ...``) left out."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [Requirement(line) for line in lines if line]


def pinned_here(pins: list[Requirement]) -> dict[str, Version]:
    """Name -> version of the pins whose markers hold for this interpreter and platform."""
    here: dict[str, Version] = {}
    for pin in pins:
        if pin.marker is None or pin.marker.evaluate():
            name = canonicalize_name(pin.name)
            assert name not in here, f"requirements.lock pins {name} twice for this platform"
            here[name] = Version(next(iter(pin.specifier)).version)
    return here


def project_requirements(pyproject: dict) -> list[Requirement]:
    """pyproject.toml's dependencies and those of every extra."""
    project = pyproject["project"]
    extras = project.get("optional-dependencies", {})
    return [Requirement(r) for r in project["dependencies"] + sum(extras.values(), [])]


@pytest.fixture(scope="module")
def pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    return tomllib.loads((REPO / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def text() -> str:
    return LOCK.read_text()


def test_every_line_of_the_lock_pins_one_version(text):
    for pin in lock_pins(text):
        assert pin.url is None and not pin.extras, f"requirements.lock: {pin} is not name==version"
        specifiers = list(pin.specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", f"{pin}: not a pin"
        assert "*" not in specifiers[0].version, f"{pin}: a wildcard, not one version"
    assert len(lock_pins(text)) > 50  # the whole environment, not only pyproject's names


def test_every_requirement_of_pyproject_is_pinned_at_a_version_its_range_allows(pyproject, text):
    pinned = pinned_here(lock_pins(text))
    for requirement in project_requirements(pyproject):
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"pyproject.toml needs {requirement}; requirements.lock " \
            f"does not pin it: regenerate it ({REGENERATE} ...)"  # fmt: skip
        allowed = SpecifierSet(str(requirement.specifier), prereleases=True)
        assert pinned[name] in allowed, f"requirements.lock pins {name}=={pinned[name]}, " \
            f"outside pyproject.toml's {requirement}: regenerate it"  # fmt: skip


def test_the_lock_names_no_local_path_index_or_host(text):
    for number, line in enumerate(text.splitlines(), 1):
        where = f"requirements.lock line {number}: {line!r}"
        assert not line.lstrip().startswith("-"), f"{where}: pip options (an index, links)"
        assert "://" not in line and "file:" not in line and " @ " not in line, where
        assert not re.search(r"(^|[\s=(])(~|\.{0,2})/", line), f"{where}: a path"
        assert not re.search(r"\b[\w-]+\.(com|org|net|io|dev|cloud|internal|local)\b", line), \
            f"{where}: a host name"  # fmt: skip


def test_the_header_and_the_readme_say_how_to_regenerate_it(text):
    command = next(line.lstrip("# ").strip() for line in text.splitlines()
                   if line.lstrip("# ").startswith(REGENERATE))  # fmt: skip
    assert "--all-extras" in command and "-o requirements.lock" in command
    assert command in (REPO / "README.md").read_text(), "README: the lock's command differs"


@pytest.mark.skipif(Path(sys.prefix).resolve() != (REPO / ".venv").resolve(),
                    reason="not the .venv that make builds from requirements.lock")  # fmt: skip
def test_the_venv_make_built_holds_exactly_the_locked_versions(text):
    pinned = pinned_here(lock_pins(text))
    # the venv's own packages only: a module imported earlier in this worker may have put a
    # folder of vendored copies on sys.path (setuptools adds its _vendor: packaging, platformdirs)
    site_packages = [sysconfig.get_paths()["purelib"]]
    installed = {canonicalize_name(d.metadata["Name"]): d.version
                 for d in distributions(path=site_packages)}  # fmt: skip

    def matches(name: str, version: Version) -> bool:  # 2.14.1 matches a local 2.14.1+cu130
        have = installed.get(name)
        return have is not None and SpecifierSet(f"=={version}").contains(have, prereleases=True)

    differ = [
        f"{name} {installed.get(name, 'missing')} (the lock: {version})"
        for name, version in sorted(pinned.items())
        if not matches(name, version)
    ]
    unlocked = sorted(set(installed) - set(pinned) - NOT_PINNED)
    fix = "make clean-venv, then make test builds .venv again from requirements.lock"
    assert not differ, f".venv differs from requirements.lock: {', '.join(differ)}; {fix}"
    assert not unlocked, f".venv has packages requirements.lock lacks: {unlocked}; {fix}"
