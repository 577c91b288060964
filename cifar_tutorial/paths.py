"""Where the collection keeps data and outputs, independent of the working directory.

JupyterLab, papermill and the tests run notebooks in different folders and must all find
the same download, so nothing here is relative to the current directory.

* ``CIFAR_TUTORIAL_HOME`` (default ``~/.cache/cifar-tutorial``) holds everything;
* ``CIFAR10_ROOT`` points at a CIFAR-10 copy already on disk (default ``<home>/data``);
* ``<home>/artifacts`` holds trained weights and metrics the notebooks share.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ParameterError

HOME_ENV = "CIFAR_TUTORIAL_HOME"
DATA_ROOT_ENV = "CIFAR10_ROOT"


def tutorial_home() -> Path:
    """The folder for the collection's data and outputs (``$CIFAR_TUTORIAL_HOME``)."""
    configured = os.environ.get(HOME_ENV)
    if configured:
        return Path(configured).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "cifar-tutorial"


def default_data_root() -> Path:
    """Where CIFAR-10 lives: ``$CIFAR10_ROOT`` if set, else ``<home>/data``."""
    configured = os.environ.get(DATA_ROOT_ENV)
    if configured:
        return Path(configured).expanduser()
    return tutorial_home() / "data"


def resolve_data_root(data_root: str | os.PathLike | None) -> Path:
    """The data root a caller asked for, or the default one when ``None`` or empty."""
    if data_root is None or str(data_root) == "":
        return default_data_root()
    allowed = "None or the path of a folder"
    if not isinstance(data_root, (str, os.PathLike)):
        raise ParameterError("data_root", data_root, allowed)
    root = Path(data_root).expanduser()
    if root.exists() and not root.is_dir():
        raise ParameterError("data_root", data_root, allowed + " (this is a file)")
    return root


def artifacts_dir() -> Path:
    """Where notebooks save the weights and metrics they hand to each other."""
    return tutorial_home() / "artifacts"


def default_checkpoint_path() -> Path:
    """The weights notebook 04 saves and notebook 05 loads."""
    return artifacts_dir() / "cifar_net.pth"


def resolve_path(path: str | os.PathLike | None, default: Path) -> Path:
    """``path`` expanded, or ``default`` when ``path`` is ``None`` or empty."""
    if path is None or str(path) == "":
        return default
    return Path(path).expanduser()


def pretty_path(path: str | os.PathLike) -> str:
    """A path shortened for printing: relative to the working directory, or to ``~``.
    Notebook outputs are committed, so they should not show a machine's absolute paths."""
    path = Path(path).expanduser().absolute()
    for base, prefix in ((Path.cwd(), ""), (Path.home(), "~/")):
        try:
            relative = path.relative_to(base)
        except ValueError:
            continue
        return prefix + (relative.as_posix() if relative.parts else ".")
    return str(path)
