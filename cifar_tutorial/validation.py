"""Checks for notebook parameters and command-line options, run before any heavy work.
Each check returns the cleaned value or raises :class:`ParameterError` whose one-line message names
the parameter, the value given and what is allowed. Numbers given as text (papermill's ``-r``
delivers strings) are accepted when they read cleanly as numbers."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .errors import ParameterError


def check_int(
    name: str, value: object, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """``value`` as an int in ``[minimum, maximum]``."""
    allowed = _range_text("a whole number", minimum, maximum)
    number = _as_number(name, value, allowed)
    if isinstance(number, float):
        if not number.is_integer():
            raise ParameterError(name, value, allowed)
        number = int(number)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ParameterError(name, value, allowed)
    return number


def check_float(
    name: str,
    value: object,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive_min: bool = False,
    exclusive_max: bool = False,
) -> float:
    """``value`` as a finite float within the given bounds."""
    low = f"> {minimum}" if exclusive_min else f">= {minimum}"
    high = f"< {maximum}" if exclusive_max else f"<= {maximum}"
    bounds = [b for b, limit in ((low, minimum), (high, maximum)) if limit is not None]
    allowed = "a finite number" + (" " + " and ".join(bounds) if bounds else "")
    number = float(_as_number(name, value, allowed))
    if not math.isfinite(number):
        raise ParameterError(name, value, allowed)
    if minimum is not None and (number < minimum or (exclusive_min and number == minimum)):
        raise ParameterError(name, value, allowed)
    if maximum is not None and (number > maximum or (exclusive_max and number == maximum)):
        raise ParameterError(name, value, allowed)
    return number


def check_bool(name: str, value: object) -> bool:
    """``value`` as a bool; also takes the strings true/false, yes/no, 1/0."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, (str, int)) else None
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise ParameterError(name, value, "True or False")


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """``value`` if it is one of ``choices`` (compared case-insensitively)."""
    choices = list(choices)
    allowed = "one of " + ", ".join(repr(c) for c in choices)
    if isinstance(value, str) and value.strip().lower() in [c.lower() for c in choices]:
        return next(c for c in choices if c.lower() == value.strip().lower())
    raise ParameterError(name, value, allowed)


def check_writable_path(name: str, value: object) -> Path:
    """``value`` as a file path whose folder exists (or can be made) and is writable."""
    allowed = "a file path in a folder you can write to"
    path = check_path(name, value, allowed)
    if path.is_dir():
        raise ParameterError(name, value, allowed + " (this is a folder)")
    folder = nearest_existing(path.parent)
    if not can_write(folder):
        raise ParameterError(name, value, allowed)
    return path


def _as_number(name: str, value: object, allowed: str) -> int | float:
    if isinstance(value, bool):
        raise ParameterError(name, value, allowed)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            try:
                return float(value.strip())
            except ValueError:
                pass
    raise ParameterError(name, value, allowed)


def check_path(name: str, value: object, allowed: str) -> Path:
    """``value`` (a non-empty text or a path) as a ``Path``, ``~`` expanded; else ``allowed``."""
    if isinstance(value, os.PathLike) or (isinstance(value, str) and value.strip()):
        return Path(value).expanduser()
    raise ParameterError(name, value, allowed)


def can_write(folder: Path) -> bool:
    """A file can really be made in ``folder`` (``os.access`` says yes to root on /proc)."""
    try:
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return False
    return True


def nearest_existing(path: Path) -> Path:
    """``path`` itself if it exists, else its closest parent that does."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _range_text(kind: str, minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f"{kind} from {minimum} to {maximum}"
    if minimum is not None:
        return f"{kind} >= {minimum}"
    if maximum is not None:
        return f"{kind} <= {maximum}"
    return kind
