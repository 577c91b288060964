"""The command line's shape: parse -> plan -> execute -> report, each option declared once."""

from __future__ import annotations

import importlib
import inspect
import socket
from pathlib import Path

import pytest

from cifar_tutorial.course import cli, preflight
from cifar_tutorial.course.plan import plan_run
from cifar_tutorial.errors import ParameterError

COLLECTION = str(Path(__file__).resolve().parents[1] / "notebooks")

SMALLEST = {  # the shortest command line of each subcommand
    "run": ["run"],
    "sweep": ["sweep", "lr", "0.1"],
    "list": ["list"],
    "doctor": ["doctor"],
    "bundle": ["bundle", "DIR"],
    "guide": ["guide", "--from-run", "RUN"],
    "prefetch": ["prefetch"],
    "exercises": ["exercises"],
    "hub": ["hub", "start"],
}
HUB_ACTIONS = {  # hub's two actions and the function each calls
    "accounts": (["hub", "accounts", "class.txt", "--instructor", "kim"], "accounts_command"),
    "start": (["hub", "start"], "start_command"),
}


@pytest.mark.parametrize("command", sorted(cli.COMMANDS))
def test_each_subcommands_options_are_its_functions_arguments(command):
    options = vars(cli.build_parser().parse_args(SMALLEST[command]))
    assert options.pop("command") == command
    module, function = cli.COMMANDS[command]
    run = getattr(importlib.import_module(f"cifar_tutorial.course.{module}"), function)
    inspect.signature(run).bind(**options)  # every option has its parameter, and no more


@pytest.mark.parametrize("action", sorted(HUB_ACTIONS))
def test_each_hub_actions_options_are_its_functions_arguments(action):
    from cifar_tutorial.course.hub import command

    arguments, function = HUB_ACTIONS[action]
    options = vars(cli.build_parser().parse_args(arguments))
    assert (options.pop("command"), options.pop("action")) == ("hub", action)
    hub_dir = command.Path(options.pop("hub_dir") or command.DEFAULT_HUB_DIR)
    inspect.signature(getattr(command, function)).bind(hub_dir, **options)


def test_every_subcommand_has_a_smallest_command_line():
    assert set(SMALLEST) == set(cli.COMMANDS)


def test_planning_fetches_nothing(monkeypatch, tmp_path):
    def fetch(*args, **kwargs):
        raise AssertionError("planning looked for the data set")

    monkeypatch.setattr(preflight, "ensure_data", fetch)
    monkeypatch.setattr(socket, "create_connection", fetch)
    plan = plan_run({"seed": 1}, profile="full", output_dir=str(tmp_path), notebook_dir=COLLECTION)
    assert plan.profile == "full" and not any(tmp_path.iterdir())
    with pytest.raises(ParameterError, match="recipe"):
        plan_run({"04:recipe": "bogus"}, profile="full", notebook_dir=COLLECTION)


def test_a_bad_value_is_refused_before_the_data_set_is_looked_for(monkeypatch, tmp_path, capsys):
    def no_network(*args, **kwargs):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setenv("CIFAR10_ROOT", str(tmp_path / "empty"))
    args = ["run", "--notebook-dir", COLLECTION, "--output-dir", str(tmp_path / "runs")]
    assert cli.main([*args, "-p", "04:recipe", "bogus"]) == 2
    error = capsys.readouterr().err
    assert "recipe" in error and "CIFAR-10 is not under" not in error
    assert not (tmp_path / "empty").exists() and not (tmp_path / "runs").exists()
