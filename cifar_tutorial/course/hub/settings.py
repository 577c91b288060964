"""What ``cifar-tutorial hub start`` was asked for, saved as ``hub.json`` in the hub's folder,
where ``jupyterhub_config.py`` reads it (so that ``jupyterhub -f`` alone starts the same hub)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ...errors import TutorialError
from ...files import atomic_write

SETTINGS_FILE = "hub.json"
HUB_DIR_ENV = "CIFAR_TUTORIAL_HUB_DIR"
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")  # set to each learner's threads
COURSE_FOLDER = "course"  # the hub's copy of the course: exercises/ and notebooks/, read-only


@dataclass(frozen=True)
class HubSettings:
    """Everything the hub's configuration needs, in plain values."""

    hub_dir: str
    ip: str = "127.0.0.1"
    port: int = 8000
    hub_port: int = 8081
    proxy_api_port: int = 8001
    instructor: str = ""
    learners: tuple[str, ...] = ()
    data_root: str = ""
    profile: str = ""  # "" = each notebook's own default (full)
    threads_per_learner: int = 1
    memory_gb_per_learner: float = 4.0
    cull_idle_minutes: float = 60.0  # 0: never
    system_user_prefix: str = "jupyter-"
    home_root: str = "/home"
    proxy_command: str = "configurable-http-proxy"
    python: str = "python3"  # runs learners' servers and kernels: readable by all

    @property
    def course_dir(self) -> Path:
        return Path(self.hub_dir) / COURSE_FOLDER


def write_settings(settings: HubSettings) -> Path:
    """Save ``settings`` as ``hub.json`` in its hub folder."""
    values = asdict(settings) | {"learners": list(settings.learners)}
    return atomic_write(Path(settings.hub_dir) / SETTINGS_FILE, json.dumps(values, indent=1) + "\n")


def read_settings(hub_dir: str | os.PathLike | None = None) -> HubSettings:
    """The settings saved in ``hub_dir`` (default: ``$CIFAR_TUTORIAL_HUB_DIR``)."""
    hub_dir = hub_dir or os.environ.get(HUB_DIR_ENV)
    if not hub_dir:
        raise TutorialError(f"set {HUB_DIR_ENV} to the hub's folder (cifar-tutorial hub start)")
    path = Path(hub_dir) / SETTINGS_FILE
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        message = f"no hub settings in {path} ({error}): cifar-tutorial hub start"
        raise TutorialError(message) from None
    known = {field.name for field in fields(HubSettings)}
    values = {key: value for key, value in values.items() if key in known}
    return HubSettings(**values | {"learners": tuple(values.get("learners", ()))})
