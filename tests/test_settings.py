"""Profiles and the one-line set-up every notebook starts with."""

from __future__ import annotations

from cifar_tutorial.paths import default_checkpoint_path
from cifar_tutorial.settings import default_checkpoint, notebook_settings


def test_profile_comes_from_the_environment_and_picks_the_sample(monkeypatch, capsys):
    monkeypatch.setenv("CIFAR_TUTORIAL_PROFILE", "smoke")
    settings = notebook_settings()
    assert (settings.profile, settings.dataset, settings.metrics_path) == ("smoke", "sample", None)
    assert capsys.readouterr().out == (
        "Profile smoke (from $CIFAR_TUTORIAL_PROFILE): dataset sample, "
        "the embedded sample (no download needed).\n"
    )


def test_parameters_win_over_the_environment_and_paths_print_short(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("CIFAR_TUTORIAL_PROFILE", "smoke")
    monkeypatch.chdir(tmp_path)
    profile, dataset, data_root, metrics_path = notebook_settings(
        "full", None, str(tmp_path / "data"), "out/metrics.json"
    )
    assert (profile, dataset, data_root) == ("full", "cifar10", tmp_path / "data")
    assert metrics_path.name == "metrics.json"
    assert capsys.readouterr().out == (
        "Profile full (the parameter): dataset cifar10, from data. "
        "Results are recorded in out/metrics.json.\n"
    )


def test_without_an_environment_the_profile_is_full(monkeypatch):
    monkeypatch.delenv("CIFAR_TUTORIAL_PROFILE", raising=False)
    assert notebook_settings(dataset="sample", verbose=False)[:2] == ("full", "sample")


def test_weights_trained_on_the_sample_never_replace_the_full_ones():
    assert default_checkpoint("cifar10") == default_checkpoint_path()
    sample = default_checkpoint("sample")
    assert sample.parent == default_checkpoint_path().parent
    assert sample.name == "cifar_net-sample.pth"
