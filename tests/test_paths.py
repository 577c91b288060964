"""Where things are kept: set by environment variables, never by the working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from cifar_tutorial.errors import ParameterError
from cifar_tutorial.paths import (
    artifacts_dir,
    default_checkpoint_path,
    default_data_root,
    pretty_path,
    resolve_data_root,
    resolve_path,
    tutorial_home,
)


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("CIFAR_TUTORIAL_HOME", "CIFAR10_ROOT", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_defaults_live_under_the_users_cache(clean_env):
    home = Path.home() / ".cache" / "cifar-tutorial"
    assert tutorial_home() == home
    assert default_data_root() == home / "data"
    assert artifacts_dir() == home / "artifacts"
    assert default_checkpoint_path() == home / "artifacts" / "cifar_net.pth"


def test_the_defaults_do_not_depend_on_the_working_directory(clean_env, tmp_path):
    before = default_data_root(), default_checkpoint_path()
    clean_env.chdir(tmp_path)  # as a test, or papermill started elsewhere, would
    assert (default_data_root(), default_checkpoint_path()) == before
    assert default_data_root().is_absolute()


def test_environment_variables_move_the_home_and_the_data(clean_env, tmp_path):
    clean_env.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert tutorial_home() == tmp_path / "xdg" / "cifar-tutorial"
    clean_env.setenv("CIFAR_TUTORIAL_HOME", str(tmp_path / "home"))
    assert tutorial_home() == tmp_path / "home"
    assert default_data_root() == tmp_path / "home" / "data"
    assert default_checkpoint_path() == tmp_path / "home" / "artifacts" / "cifar_net.pth"
    clean_env.setenv("CIFAR10_ROOT", str(tmp_path / "copy"))
    assert default_data_root() == tmp_path / "copy"
    assert artifacts_dir() == tmp_path / "home" / "artifacts"  # the data alone moved


def test_a_tilde_is_expanded(clean_env):
    clean_env.setenv("CIFAR10_ROOT", "~/datasets/cifar10")
    assert default_data_root() == Path.home() / "datasets" / "cifar10"
    assert resolve_data_root("~/elsewhere") == Path.home() / "elsewhere"


def test_resolve_data_root_prefers_the_argument(clean_env, tmp_path):
    clean_env.setenv("CIFAR10_ROOT", str(tmp_path / "from-env"))
    assert resolve_data_root(None) == resolve_data_root("") == tmp_path / "from-env"
    assert resolve_data_root(tmp_path / "given") == tmp_path / "given"
    assert resolve_data_root(str(tmp_path / "given")) == tmp_path / "given"


def test_resolve_data_root_refuses_a_file_or_a_non_path(tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("")
    with pytest.raises(ParameterError, match="data_root=.*this is a file"):
        resolve_data_root(a_file)
    with pytest.raises(ParameterError, match="data_root=42"):
        resolve_data_root(42)


def test_resolve_path_falls_back_to_the_default(tmp_path):
    default = tmp_path / "default.pth"
    assert resolve_path(None, default) == resolve_path("", default) == default
    assert resolve_path("~/x.pth", default) == Path.home() / "x.pth"


def test_pretty_path_hides_this_machines_folders(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert pretty_path(tmp_path / "runs" / "a") == "runs/a"
    assert pretty_path(tmp_path) == "."
    assert pretty_path(Path.home() / ".cache" / "x") in ("~/.cache/x", ".cache/x")
    assert pretty_path("/somewhere/else") == "/somewhere/else"
