"""Checks of the paths given on the command line: files and folders that must exist, folders
to write to. Like :mod:`cifar_tutorial.validation`, whose path helpers they share, each returns
the path or raises :class:`ParameterError` naming the option and what is allowed."""

from __future__ import annotations

from pathlib import Path

from ..errors import ParameterError
from ..validation import can_write, check_path, nearest_existing


def check_existing_dir(name: str, value: object) -> Path:
    """``value`` as the path of a folder that exists."""
    path = check_path(name, value, "the path of an existing folder")
    if not path.is_dir():
        raise ParameterError(name, value, "the path of an existing folder")
    return path


def check_existing_file(name: str, value: object) -> Path:
    """``value`` as the path of a file that exists."""
    path = check_path(name, value, "the path of an existing file")
    if not path.is_file():
        raise ParameterError(name, value, "the path of an existing file")
    return path


def check_writable_dir(name: str, value: object) -> Path:
    """``value`` as a folder that exists or can be created, and is writable."""
    allowed = "a folder you can write to"
    path = check_path(name, value, allowed)
    if path.exists() and not path.is_dir():
        raise ParameterError(name, value, allowed + " (this is a file)")
    folder = nearest_existing(path)
    if not can_write(folder):
        raise ParameterError(name, value, allowed)
    return path
