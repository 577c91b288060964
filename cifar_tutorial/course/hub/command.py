"""``cifar-tutorial hub accounts|start``: the course for a class on one server, with JupyterHub.

``accounts`` turns a class list into logins (:mod:`.accounts`); ``start`` checks the machine,
copies the course into the hub's folder, saves the settings (:mod:`.settings`) and becomes
``jupyterhub -f jupyterhub_config.py``, so that Ctrl-C or ``kill`` stops the hub, the proxy,
the culler and every learner's server.
"""

from __future__ import annotations

import math
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from ...errors import ParameterError, TutorialError
from ...paths import resolve_data_root
from ...settings import PROFILES
from ...validation import check_choice, check_float, check_int
from ..machine import memory_bytes
from ..notebooks import notebook_folder, numbered_paths
from .accounts import read_accounts, read_class_list, update_accounts
from .settings import COURSE_FOLDER, HUB_DIR_ENV, HubSettings, write_settings
from .workspace import COMPLETE, EXERCISES

DEFAULT_HUB_DIR = "/srv/cifar-tutorial-hub"
CONFIG_FILE = Path(__file__).with_name("jupyterhub_config.py")
PROXY = "configurable-http-proxy"
MEMORY_RESERVE = 0.15  # of the machine's memory, for the system, the hub and the proxy
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def hub_command(action: str, hub_dir: str | None = None, **options) -> int:
    """Run ``hub accounts`` or ``hub start``."""
    hub_dir = Path(hub_dir or DEFAULT_HUB_DIR).expanduser().absolute()
    if action == "accounts":
        return accounts_command(hub_dir, **options)
    return start_command(hub_dir, **options)


def accounts_command(
    hub_dir: Path, class_list: str, instructor: str, reset: list[str] | None = None
) -> int:
    """Give each new name (and each name in ``reset``) a password; print them, once."""
    learners = read_class_list(class_list)
    make_hub_dir(hub_dir)
    passwords = update_accounts(hub_dir, learners, instructor, reset or ())
    kept = len(learners) + 1 - len(passwords)
    print(f"{len(learners)} learners and the instructor {instructor} have accounts in {hub_dir}.")
    if not passwords:
        print("No new passwords: every name already had one (--reset NAME makes a new one).")
        return 0
    print("New passwords, shown this once (only their hashes are kept): hand each out privately.")
    width = max(map(len, passwords))
    for name, password in passwords.items():
        print(f"  {name:<{width}}  {password}")
    if kept:
        print(f"{kept} account(s) kept their password.")
    return 0


def start_command(
    hub_dir: Path,
    ip: str = "127.0.0.1",
    port: int = 8000,
    data_root: str | None = None,
    profile: str | None = None,
    threads_per_learner: int | None = None,
    memory_gb_per_learner: float | None = None,
    cull_idle_minutes: float = 60.0,
    system_user_prefix: str = "jupyter-",
    home_root: str = "/home",
    python: str | None = None,
) -> int:
    """Check everything the hub needs, then replace this process with JupyterHub."""
    port = check_int("--port", port, minimum=1, maximum=65533)
    profile = check_choice("--profile", profile, PROFILES) if profile else ""
    cull_idle_minutes = check_float("--cull-idle-minutes", cull_idle_minutes, minimum=0)
    if os.geteuid() != 0:
        raise TutorialError(
            "the hub makes a system account per learner and starts their servers as them: "
            "run `cifar-tutorial hub start` as root (sudo)"
        )
    for tool in ("useradd",):
        if shutil.which(tool) is None:
            raise TutorialError(f"{tool} not found: the hub needs it to make learners' accounts")
    accounts = read_accounts(hub_dir)
    instructors = [a.name for a in accounts.values() if a.role == "instructor"]
    learners = tuple(a.name for a in accounts.values() if a.role == "learner")
    if not instructors:
        raise TutorialError(f"no accounts in {hub_dir}: cifar-tutorial hub accounts CLASS_LIST")
    cores = os.cpu_count() or 1
    if threads_per_learner is None:
        threads_per_learner = max(1, cores // max(1, len(learners)))
    threads_per_learner = check_int("--threads-per-learner", threads_per_learner, minimum=1)
    if memory_gb_per_learner is None:
        memory_gb_per_learner = default_memory_gb(len(learners))
    memory_gb_per_learner = check_float(
        "--memory-gb-per-learner", memory_gb_per_learner, minimum=0.5
    )
    data = resolve_data_root(data_root).absolute()
    if profile != "smoke":
        check_readable_by_all("--data-root", data, "CIFAR-10 (cifar-tutorial prefetch --data-root)")
    make_hub_dir(hub_dir)
    settings = HubSettings(
        hub_dir=str(hub_dir),
        ip=ip,
        port=port,
        proxy_api_port=port + 1,
        hub_port=port + 2,
        instructor=instructors[0],
        learners=learners,
        data_root=str(data),
        profile=profile,
        threads_per_learner=threads_per_learner,
        memory_gb_per_learner=memory_gb_per_learner,
        cull_idle_minutes=cull_idle_minutes,
        system_user_prefix=system_user_prefix,
        home_root=home_root,
        proxy_command=find_proxy(),
        python=check_learners_python(python or sys.executable),
    )
    copy_course(Path(settings.hub_dir) / COURSE_FOLDER)
    write_settings(settings)
    describe(settings)
    sys.stdout.flush()
    os.umask(0o077)  # what JupyterHub writes (its database, the proxy's pid file) is root's only
    os.chdir(hub_dir)
    command = [sys.executable, "-m", "jupyterhub", "-f", str(CONFIG_FILE)]
    os.execve(sys.executable, command, os.environ | {HUB_DIR_ENV: str(hub_dir)})
    return 0  # not reached: this process is JupyterHub now


def default_memory_gb(learners: int) -> float:
    """An equal share of the machine's memory after the reserve, in half gigabytes."""
    total = memory_bytes() / 2**30
    share = total * (1 - MEMORY_RESERVE) / max(1, learners)
    return max(0.5, math.floor(share * 2) / 2)


def make_hub_dir(hub_dir: Path) -> None:
    """The hub's folder: learners must pass through it to the course, so mode 755 (its
    secrets, the accounts and JupyterHub's database and cookie secret, are 600)."""
    if hub_dir.exists() and not hub_dir.is_dir():
        raise ParameterError("--hub-dir", str(hub_dir), "a folder (this is a file)")
    hub_dir.mkdir(parents=True, exist_ok=True)
    hub_dir.chmod(0o755)


def check_readable_by_all(option: str, folder: Path, what: str) -> None:
    """Learners' accounts must be able to read ``folder``: it and every folder above it."""
    if not folder.is_dir():
        raise ParameterError(option, str(folder), f"the folder of {what}")
    for part in (folder, *folder.parents):
        mode = part.stat().st_mode
        if not mode & stat.S_IXOTH or (part == folder and not mode & stat.S_IROTH):
            raise ParameterError(
                option, str(folder), f"a folder learners can read ({part} is mode {mode & 0o777:o})"
            )


def check_learners_python(python: str) -> str:
    """``python`` when an account without privileges can run the course with it (the
    interpreter, its standard library and the packages must be readable by all)."""
    check = "import cifar_tutorial, ipykernel, jupyterhub.singleuser, torch"
    try:
        done = subprocess.run(
            [python, "-c", check], user="nobody", capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.SubprocessError) as error:
        done = subprocess.CompletedProcess([], 1, "", str(error))
    if done.returncode:
        why = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise ParameterError(
            "--python",
            python,
            f"a Python with the course installed that every account can run ({why}); "
            "e.g. a virtual environment made from /usr/bin/python3, outside /root",
        )
    return python


def find_proxy() -> str:
    """JupyterHub's proxy: installed with ``npm ci`` in the repository, or on the PATH."""
    checkout = Path(__file__).resolve().parents[3] / "node_modules" / ".bin" / PROXY
    found = str(checkout) if checkout.is_file() else shutil.which(PROXY)
    if found is None:
        raise TutorialError(
            f"{PROXY} not found: `npm ci` in the repository (package-lock.json), "
            f"or `npm install -g {PROXY}`"
        )
    return found


def copy_course(target: Path) -> None:
    """The course's two editions, copied into the hub's folder, readable by all, writable by
    root only (replaced whole: a learner never sees half of a new copy)."""
    complete = notebook_folder()
    editions = {COMPLETE: complete, EXERCISES: complete.parent / EXERCISES}
    fresh = target.with_name(target.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    for name, source in editions.items():
        (fresh / name).mkdir(parents=True)
        for notebook in numbered_paths(source):
            shutil.copyfile(notebook, fresh / name / notebook.name)
            (fresh / name / notebook.name).chmod(0o644)
        (fresh / name).chmod(0o755)
    fresh.chmod(0o755)
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def describe(settings: HubSettings) -> None:
    """What the instructor needs to know before the class logs in."""
    url = f"http://{settings.ip}:{settings.port}/"
    print(f"JupyterHub for {len(settings.learners)} learners and {settings.instructor} (admin)")
    print(f"  learners open {url} and log in with their name and password")
    print(
        f"  each learner: {settings.threads_per_learner} thread(s), "
        f"{settings.memory_gb_per_learner:g} GB per process, "
        f"the student edition in ~/cifar-tutorial/exercises, the complete one read-only"
    )
    if settings.cull_idle_minutes:
        print(f"  servers idle for {settings.cull_idle_minutes:g} minutes are stopped (work kept)")
    if settings.ip not in LOOPBACK:
        print(
            f"  WARNING: listening on {settings.ip}, not only this machine: passwords travel "
            "in clear text unless TLS is in front (README: 'A class on one server')"
        )
