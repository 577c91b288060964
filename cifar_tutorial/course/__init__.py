"""The ``cifar-tutorial`` command: run the notebooks with papermill, list them, sweep a
parameter, check the machine, and fetch the data set before a workshop.

Each subcommand lives in its own module; :mod:`.main` only reads the command line.
"""

from .cli import main

__all__ = ["main"]
