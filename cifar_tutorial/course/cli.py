"""The command line: ``cifar-tutorial run | sweep | list | doctor | bundle | guide``,
``prefetch``, ``exercises`` and ``hub``.

This module only reads options: each subcommand's options are declared once, here, with
``dest`` names that are the keyword arguments of the function that does its work
(:data:`COMMANDS`), which plans, executes and reports. Every mistake the user can fix ends as
one line ``cifar-tutorial: error: ...`` and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from ..errors import TutorialError
from ..settings import PROFILES

EXAMPLES = """examples:
  cifar-tutorial run --profile smoke                 all notebooks on the embedded sample
  cifar-tutorial run -p epochs 2 -p lr 0.02 --notebooks 04-05
  cifar-tutorial sweep lr 0.01 0.05 0.1 --notebooks 04-05
  cifar-tutorial list
  cifar-tutorial prefetch --from-archive cifar-10-python.tar.gz
  cifar-tutorial exercises                           regenerate the student edition exercises/
  cifar-tutorial doctor                              is this laptop ready? each notebook's time
  cifar-tutorial doctor --server --learners 40       does a class of 40 fit on this server?
  cifar-tutorial bundle /media/usb --torch-cpu       an offline install kit for a workshop
  sudo cifar-tutorial hub accounts class.txt --instructor kim   logins for a class
  sudo cifar-tutorial hub start                      the course for the class with JupyterHub
"""

COMMANDS = {
    "run": ("run", "run_command"),
    "sweep": ("sweep", "sweep_command"),
    "list": ("listing", "list_command"),
    "doctor": ("doctor", "doctor_command"),
    "bundle": ("bundle", "bundle_command"),
    "guide": ("guide", "guide_command"),
    "prefetch": ("prefetch", "prefetch_command"),
    "exercises": ("exercises", "exercises_command"),
    "hub": ("hub.command", "hub_command"),
}
"""Each subcommand's module in this package and the function it calls with the options."""


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``run`` and ``sweep``."""
    parser.add_argument(
        "--profile", help=f"{' or '.join(PROFILES)} (default: $CIFAR_TUTORIAL_PROFILE or full)"
    )
    parser.add_argument(
        "-p",
        "--parameter",
        dest="parameters",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="give a notebook parameter; repeat for more",
    )
    parser.add_argument(
        "-f",
        "--parameter-file",
        dest="parameter_files",
        action="append",
        metavar="FILE",
        help="YAML file of parameters (-p wins over it)",
    )
    parser.add_argument(
        "--notebooks",
        dest="selection",
        metavar="LIST",
        help="which notebooks, e.g. 01,04-05 (default: all)",
    )
    parser.add_argument("--output-dir", metavar="DIR", help="where run folders go (default: runs)")
    parser.add_argument(
        "--notebook-dir", metavar="DIR", help="where the notebooks are (default: notebooks/)"
    )
    parser.add_argument(
        "--no-progress", dest="progress", action="store_false", help="no progress bars"
    )


class OneLineParser(argparse.ArgumentParser):
    """argparse's own errors (an unknown option, a missing value) on one line too, exit 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The parser of the whole command line."""
    parser = OneLineParser(
        prog="cifar-tutorial",
        description="Run the cifar-tutorial notebooks with papermill, and prepare a machine.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the notebooks into runs/<time>-<name>/")
    add_run_options(run)
    run.add_argument("--name", help="short name of the run folder (default: the profile)")
    run.add_argument(
        "--continue",
        dest="continue_from",
        metavar="RUN_FOLDER",
        help="continue an interrupted run in a new folder: same options, the notebooks it did "
        "not finish, training resumed from its last completed epoch",
    )

    sweep = commands.add_parser("sweep", help="run once per value of a parameter, compare")
    sweep.add_argument("name", metavar="NAME", help="the parameter to vary, e.g. lr")
    sweep.add_argument("texts", metavar="VALUE", nargs="+", help="its values")
    add_run_options(sweep)

    listing = commands.add_parser("list", help="show the notebooks and their parameters")
    listing.add_argument("--notebook-dir", metavar="DIR")
    listing.add_argument("--notebooks", dest="selection", metavar="LIST")

    doctor = commands.add_parser(
        "doctor", help="check this machine for the course and predict each notebook's time"
    )
    doctor.add_argument("--data-root", metavar="DIR")
    doctor.add_argument("--notebook-dir", metavar="DIR")
    doctor.add_argument(
        "--no-forecast",
        dest="forecast",
        action="store_false",
        help="skip the speed check and the time forecast",
    )
    doctor.add_argument(
        "--server",
        action="store_true",
        help="instead of the laptop's checks: how many learners this server holds on the hub",
    )
    doctor.add_argument(
        "--learners", type=int, metavar="N", help="with --server: the class size to check"
    )
    doctor.add_argument(
        "--cores", type=int, metavar="C", help="with --server: another server's cores"
    )
    doctor.add_argument(
        "--memory-gb",
        type=float,
        metavar="M",
        help="with --server: another server's memory in GB",
    )
    doctor.add_argument(
        "--profile",
        choices=PROFILES,
        default="full",
        help="with --server: the profile the class runs (default: full)",
    )
    doctor.add_argument(
        "--speed-from-reference",
        action="store_true",
        help="with --server: cores as fast as those of the machine the costs were measured on",
    )

    bundle = commands.add_parser("bundle", help="write an offline install kit (a USB stick)")
    bundle.add_argument("folder", metavar="DIR", help="where the kit goes")
    bundle.add_argument(
        "--platform",
        dest="platforms",
        metavar="PLATFORM",
        action="append",
        help="pip platform tag of the laptops, e.g. win_amd64, macosx_11_0_arm64, "
        "manylinux2014_x86_64; repeat for more tags (default: this machine's)",
    )
    bundle.add_argument("--python-version", metavar="X.Y", help="the laptops' Python")
    bundle.add_argument(
        "--torch-cpu", action="store_true", help="PyTorch's CPU-only wheels (much smaller)"
    )
    bundle.add_argument(
        "--without-torch", action="store_true", help="leave torch and torchvision out"
    )
    bundle.add_argument("--find-links", action="append", metavar="DIR", help="passed to pip")
    bundle.add_argument("--no-index", action="store_true", help="passed to pip")
    bundle.add_argument(
        "--unlocked",
        action="store_true",
        help="the newest versions pyproject.toml allows, not those of requirements.lock "
        "(for laptops that have no wheels of the locked versions)",
    )
    bundle.add_argument("--data-archive", metavar="FILE", help="the CIFAR-10 .tar.gz to include")
    bundle.add_argument("--data-root", metavar="DIR", help="where to look for the archive")
    bundle.add_argument("--no-data", action="store_true", help="no CIFAR-10 in the kit")
    bundle.add_argument("--no-site", action="store_true", help="do not build the website")
    bundle.add_argument("--source", metavar="DIR", help="the repository (default: here)")

    guide = commands.add_parser("guide", help="write the instructor's guide from two runs")
    guide.add_argument(
        "--from-run",
        dest="runs",
        action="append",
        required=True,
        metavar="RUN_FOLDER",
        help="a completed run folder; give one smoke and one full run",
    )
    guide.add_argument("-o", "--output", metavar="FILE", help="default: docs/instructor.md")
    guide.add_argument("--notebook-dir", metavar="DIR")

    prefetch = commands.add_parser("prefetch", help="fetch CIFAR-10 once, or install an archive")
    prefetch.add_argument(
        "--data-root",
        metavar="DIR",
        help="where to put it (default: $CIFAR10_ROOT or the tutorial home)",
    )
    prefetch.add_argument(
        "--from-archive",
        metavar="FILE",
        help="cifar-10-python.tar.gz, or a .tar.gz of train/ and test/ class folders",
    )

    exercises = commands.add_parser(
        "exercises", help="write the student edition: notebooks with blank answers, in exercises/"
    )
    exercises.add_argument(
        "--notebook-dir", metavar="DIR", help="the complete edition (default: notebooks/)"
    )
    exercises.add_argument(
        "--output-dir", metavar="DIR", help="where the student edition goes (default: exercises/)"
    )
    exercises.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the student edition there is out of date",
    )
    add_hub_parser(commands)
    return parser


def add_hub_parser(commands) -> None:
    """``hub accounts`` and ``hub start``."""
    hub = commands.add_parser("hub", help="the course for a class on one server (JupyterHub)")
    actions = hub.add_subparsers(dest="action", required=True, metavar="ACTION")
    folder = {"metavar": "DIR", "help": "the hub's folder (default: /srv/cifar-tutorial-hub)"}
    accounts = actions.add_parser("accounts", help="a login and password for each name")
    accounts.add_argument("class_list", metavar="CLASS_LIST", help="a file, one name per line")
    accounts.add_argument("--instructor", required=True, metavar="NAME", help="the admin")
    accounts.add_argument("--reset", action="append", metavar="NAME", help="a new password")
    accounts.add_argument("--hub-dir", **folder)
    start = actions.add_parser("start", help="start JupyterHub for the class (as root)")
    start.add_argument("--hub-dir", **folder)
    start.add_argument(
        "--ip", default="127.0.0.1", help="where learners connect (default: this machine only)"
    )
    start.add_argument("--port", type=int, default=8000, help="(the next two are used as well)")
    start.add_argument("--data-root", metavar="DIR", help="CIFAR-10, readable by all learners")
    start.add_argument("--profile", help=f"{' or '.join(PROFILES)} for every learner")
    start.add_argument("--threads-per-learner", type=int, metavar="N")
    start.add_argument("--memory-gb-per-learner", type=float, metavar="GB")
    start.add_argument("--cull-idle-minutes", type=float, default=60.0, metavar="MIN")
    start.add_argument("--system-user-prefix", default="jupyter-", metavar="TEXT")
    start.add_argument("--home-root", default="/home", metavar="DIR")
    start.add_argument(
        "--python", metavar="PATH", help="learners' Python, runnable by all (default: this one)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (0 ok, 1 a notebook failed, 2 bad input,
    130 interrupted)."""
    options = vars(build_parser().parse_args(argv))
    try:
        return dispatch(options.pop("command"), options)
    except TutorialError as error:
        print(f"cifar-tutorial: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cifar-tutorial: interrupted", file=sys.stderr)
        return 130


def dispatch(command: str, options: dict[str, Any]) -> int:
    """Import only the module the command needs (torch is slow to import), and run it."""
    module, function = COMMANDS[command]
    return getattr(importlib.import_module(f".{module}", __package__), function)(**options)


if __name__ == "__main__":
    sys.exit(main())
