"""``cifar-tutorial hub``: the class list's accounts, and a real JupyterHub serving four learners.

The first tests need nothing; the rest start the hub the way an instructor does (as root, with
configurable-http-proxy from ``npm ci``), log four learners and the instructor in through the
login form, and check what the issue asks: wrong passwords refused, no learner admin nor able
to reach another's server or files, notebooks 01 and 04 run by four learners at once through
their own servers, a killed server restarted with its work, idle servers culled, nothing left
running once the hub stops. They skip where the hub cannot run (not root, no proxy).
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
from browser_support import descendants
from hub_support import Learner, learners_python

from cifar_tutorial.course.cli import main
from cifar_tutorial.course.hub import accounts as hub_accounts
from cifar_tutorial.course.hub.settings import HubSettings, read_settings, write_settings
from cifar_tutorial.course.hub.workspace import prepare_workspace
from cifar_tutorial.errors import ParameterError
from cifar_tutorial.settings import default_checkpoint

REPO = Path(__file__).resolve().parents[1]
LEARNERS = ("ada", "bo", "cy", "di")
INSTRUCTOR = "kim"
MEMORY_GB = 3.0  # per process: enough for 04 in the smoke profile, small enough to exceed
START_S = 60
WEIGHTS = default_checkpoint("sample").name  # what 04 saves in the smoke profile


# ----------------------------------------------------------------------------- accounts


def test_a_class_list_gives_each_name_a_password_stored_only_hashed(tmp_path: Path) -> None:
    class_list = tmp_path / "class.txt"
    class_list.write_text("# morning group\nada\n\nbo  # joined late\n", encoding="utf-8")
    learners = hub_accounts.read_class_list(class_list)
    assert learners == ["ada", "bo"]
    passwords = hub_accounts.update_accounts(tmp_path, learners, "kim")
    assert sorted(passwords) == ["ada", "bo", "kim"]
    assert all(
        re.fullmatch(r"([a-km-np-z2-9]{4}-){2}[a-km-np-z2-9]{4}", p) for p in passwords.values()
    )
    assert len(set(passwords.values())) == 3
    saved = (tmp_path / hub_accounts.ACCOUNTS_FILE).read_text()
    assert not any(password in saved for password in passwords.values())
    assert (tmp_path / hub_accounts.ACCOUNTS_FILE).stat().st_mode & 0o777 == 0o600
    accounts = hub_accounts.read_accounts(tmp_path)
    assert accounts["kim"].role == "instructor" and accounts["ada"].role == "learner"
    assert hub_accounts.verify_password(passwords["ada"], accounts["ada"].password_hash)
    assert not hub_accounts.verify_password(passwords["bo"], accounts["ada"].password_hash)
    assert not hub_accounts.verify_password("", accounts["ada"].password_hash)
    assert not hub_accounts.verify_password(passwords["ada"], "scrypt$broken")


def test_adding_names_keeps_the_passwords_given_and_reset_replaces_one(tmp_path: Path) -> None:
    first = hub_accounts.update_accounts(tmp_path, ["ada", "bo"], "kim")
    before = hub_accounts.read_accounts(tmp_path)
    again = hub_accounts.update_accounts(tmp_path, ["ada", "bo", "cy"], "kim")
    assert list(again) == ["cy"]
    after = hub_accounts.read_accounts(tmp_path)
    assert after["ada"] == before["ada"] and after["kim"] == before["kim"]
    reset = hub_accounts.update_accounts(tmp_path, ["ada", "bo", "cy"], "kim", reset=["bo"])
    assert list(reset) == ["bo"] and reset["bo"] != first["bo"]
    assert hub_accounts.verify_password(
        reset["bo"], hub_accounts.read_accounts(tmp_path)["bo"].password_hash
    )
    hub_accounts.update_accounts(tmp_path, ["ada"], "kim")  # bo and cy left the class
    assert sorted(hub_accounts.read_accounts(tmp_path)) == ["ada", "kim"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ada\nAda\n", "CLASS_LIST line 2"),
        ("ada\nada\n", "each name once"),
        ("root; rm -rf /\n", "lowercase letters"),
        ("# nobody yet\n", "at least one name"),
    ],
)
def test_a_bad_class_list_is_refused_in_one_line(tmp_path: Path, text: str, message: str) -> None:
    class_list = tmp_path / "class.txt"
    class_list.write_text(text, encoding="utf-8")
    with pytest.raises(ParameterError, match=re.escape(message)):
        hub_accounts.read_class_list(class_list)


def test_the_instructor_is_not_a_learner_and_reset_names_a_known_account(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="--instructor"):
        hub_accounts.update_accounts(tmp_path, ["ada", "kim"], "kim")
    with pytest.raises(ParameterError, match="--reset"):
        hub_accounts.update_accounts(tmp_path, ["ada"], "kim", reset=["zed"])
    assert not (tmp_path / hub_accounts.ACCOUNTS_FILE).exists()


def test_the_accounts_command_prints_passwords_once(tmp_path: Path, capsys) -> None:
    class_list = tmp_path / "class.txt"
    class_list.write_text("ada\nbo\n", encoding="utf-8")
    hub_dir = ["--hub-dir", str(tmp_path / "hub")]
    assert main(["hub", "accounts", str(class_list), "--instructor", "kim", *hub_dir]) == 0
    first = capsys.readouterr().out
    assert "shown this once" in first and len(re.findall(r"\w{4}-\w{4}-\w{4}", first)) == 3
    assert main(["hub", "accounts", str(class_list), "--instructor", "kim", *hub_dir]) == 0
    assert not re.findall(r"\w{4}-\w{4}-\w{4}", capsys.readouterr().out)
    assert main(["hub", "accounts", str(tmp_path / "none.txt"), "--instructor", "kim"]) == 2
    assert "CLASS_LIST" in capsys.readouterr().err


def test_the_login_checks_the_hashed_password(tmp_path: Path) -> None:
    from cifar_tutorial.course.hub.authenticator import ClassListAuthenticator

    passwords = hub_accounts.update_accounts(tmp_path, ["ada"], "kim")
    login = ClassListAuthenticator(hub_dir=str(tmp_path))

    def attempt(name: str, password: str) -> str | None:
        return asyncio.run(login.authenticate(None, {"username": name, "password": password}))

    assert attempt("ada", passwords["ada"]) == "ada"
    assert attempt("ada", passwords["kim"]) is None
    assert attempt("zed", passwords["ada"]) is None
    assert login.check_allowed("ada") and not login.check_allowed("zed")


def test_a_workspace_is_made_once_and_a_learners_work_is_kept(tmp_path: Path) -> None:
    course, home = tmp_path / "course", tmp_path / "home"
    for edition in ("exercises", "notebooks"):
        (course / edition).mkdir(parents=True)
        (course / edition / "01_x.ipynb").write_text(edition)
    home.mkdir()
    workspace = prepare_workspace(course, home)
    mine = workspace / "exercises" / "01_x.ipynb"
    assert mine.read_text() == "exercises" and home.stat().st_mode & 0o777 == 0o700
    assert (workspace / "complete" / "01_x.ipynb").read_text() == "notebooks"
    mine.write_text("my answers")
    (course / "exercises" / "02_y.ipynb").write_text("new lesson")
    prepare_workspace(course, home)
    assert mine.read_text() == "my answers"
    assert (workspace / "exercises" / "02_y.ipynb").read_text() == "new lesson"


def test_the_settings_are_saved_and_read_back(tmp_path: Path) -> None:
    settings = HubSettings(hub_dir=str(tmp_path), port=9000, learners=("ada", "bo"))
    write_settings(settings)
    assert read_settings(tmp_path) == settings


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--port", "0"], "--port"),
        (["--profile", "fast"], "--profile"),
        (["--cull-idle-minutes", "-1"], "--cull-idle-minutes"),
    ],
)
def test_bad_hub_options_are_refused_in_one_line(tmp_path: Path, capsys, options, message) -> None:
    assert main(["hub", "start", "--hub-dir", str(tmp_path), *options]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and message in error


def test_data_learners_cannot_read_is_refused_before_the_hub_starts() -> None:
    from cifar_tutorial.course.hub.command import check_readable_by_all

    with tempfile.TemporaryDirectory(dir="/tmp") as folder:  # pytest's tmp_path is mode 700
        refuse_unreadable_data(Path(folder), check_readable_by_all)


def refuse_unreadable_data(tmp_path: Path, check_readable_by_all) -> None:
    shared = tmp_path / "open" / "cifar10"
    shared.mkdir(parents=True)
    for folder in (tmp_path, tmp_path / "open", shared):
        folder.chmod(0o755)
    check_readable_by_all("--data-root", shared, "CIFAR-10")
    (tmp_path / "open").chmod(0o700)
    with pytest.raises(ParameterError, match=r"--data-root.*mode 700"):
        check_readable_by_all("--data-root", shared, "CIFAR-10")
    with pytest.raises(ParameterError, match="the folder of CIFAR-10"):
        check_readable_by_all("--data-root", tmp_path / "missing", "CIFAR-10")


# ----------------------------------------------------------------------------- a running hub


@dataclass
class Hub:
    """A hub started as ``cifar-tutorial hub start`` in a folder of its own."""

    base: Path
    port: int
    prefix: str
    python: str
    passwords: dict[str, str]
    learners: dict[str, Learner] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, cull_idle_minutes: float = 0) -> None:
        command = [str(Path(sys.executable).with_name("cifar-tutorial")), "hub", "start"]
        command += ["--hub-dir", str(self.base / "hub"), "--port", str(self.port)]
        command += ["--profile", "smoke", "--threads-per-learner", "1"]
        command += ["--memory-gb-per-learner", str(MEMORY_GB), "--python", self.python]
        command += ["--system-user-prefix", self.prefix, "--home-root", str(self.base / "home")]
        command += ["--data-root", str(self.base / "data")]
        command += ["--cull-idle-minutes", str(cull_idle_minutes)]
        log = (self.base / "hub.log").open("a")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log()
            try:
                if Learner(self.url, "").session.get(f"{self.url}/hub/api", timeout=5).ok:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"the hub did not answer in {START_S} s:\n{self.log()}")

    def stop(self) -> list[str]:
        """SIGTERM the hub, as Ctrl-C would; the processes it left running."""
        if self.process is None or self.process.poll() is not None:
            return []
        started = descendants(self.process.pid)
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        _, alive = psutil.wait_procs(started, timeout=10)
        left = [f"{p.name()} ({p.pid})" for p in alive]
        left += [f"{p.name()} ({p.pid})" for p in self.accounts_processes()]
        return left

    def log(self) -> str:
        return (self.base / "hub.log").read_text(errors="replace")[-3000:]

    def system_name(self, name: str) -> str:
        return self.prefix + name

    def home(self, name: str) -> Path:
        return Path(pwd.getpwnam(self.system_name(name)).pw_dir)

    def accounts_processes(self) -> list[psutil.Process]:
        uids = set()
        for name in (*LEARNERS, INSTRUCTOR):
            try:
                uids.add(pwd.getpwnam(self.system_name(name)).pw_uid)
            except KeyError:
                continue
        found = []
        for process in psutil.process_iter(["uids"]):
            if process.info["uids"] and process.info["uids"].real in uids:
                found.append(process)
        return found

    def server_process(self, name: str) -> psutil.Process:
        uid = pwd.getpwnam(self.system_name(name)).pw_uid
        for process in psutil.process_iter(["uids", "cmdline"]):
            if process.info["uids"].real == uid and "jupyterhub.singleuser" in " ".join(
                process.info["cmdline"] or []
            ):
                return process
        raise LookupError(f"no server process of {name}")


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports on the loopback address."""
    for _ in range(100):
        first = secrets.randbelow(20000) + 20000
        try:
            sockets = []
            for port in range(first, first + count):
                sockets.append(socket.socket())
                sockets[-1].bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for opened in sockets:
                opened.close()
    raise RuntimeError("no free ports")


def hub_can_run() -> str:
    """Why the hub cannot run here, or an empty string."""
    from cifar_tutorial.course.hub.command import find_proxy

    if os.geteuid() != 0:
        return "the hub makes system accounts: run the tests as root"
    if shutil.which("useradd") is None:
        return "no useradd"
    try:
        find_proxy()
    except Exception as error:  # noqa: BLE001 - the reason is what the skip says
        return str(error)
    return ""


def remove_accounts(prefix: str) -> None:
    for entry in pwd.getpwall():
        if entry.pw_name.startswith(prefix) and entry.pw_gecos == "cifar-tutorial learner":
            subprocess.run(["pkill", "-KILL", "-u", entry.pw_name], check=False)
            subprocess.run(["userdel", "--remove", entry.pw_name], capture_output=True)


@pytest.fixture(scope="module")
def hub() -> Iterator[Hub]:
    reason = hub_can_run()
    if reason:
        pytest.skip(reason)
    base = Path(tempfile.mkdtemp(prefix="cifar-hub-", dir="/tmp"))
    prefix = f"ct{secrets.token_hex(2)}-"
    running = None
    try:
        base.chmod(0o755)
        for folder in ("home", "data"):
            (base / folder).mkdir(mode=0o755)
        (base / "class.txt").write_text("\n".join(LEARNERS) + "\n")
        command = [str(Path(sys.executable).with_name("cifar-tutorial")), "hub", "accounts"]
        command += [str(base / "class.txt"), "--instructor", INSTRUCTOR]
        command += ["--hub-dir", str(base / "hub")]
        printed = subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)
        passwords = dict(re.findall(r"^\s+(\w+)\s+(\w{4}-\w{4}-\w{4})$", printed.stdout, re.M))
        assert sorted(passwords) == sorted((*LEARNERS, INSTRUCTOR)), printed.stdout
        running = Hub(base, free_ports(3), prefix, learners_python(base), passwords)
        running.start()
        yield running
    finally:
        left = running.stop() if running else []
        remove_accounts(prefix)
        shutil.rmtree(base, ignore_errors=True)
        assert not left, f"processes left running by the hub: {left}"


def logged_in(hub: Hub, name: str) -> Learner:
    if name not in hub.learners:
        learner = Learner(hub.url, name)
        assert learner.login(hub.passwords[name]).status_code == 302
        learner.new_token()
        hub.learners[name] = learner
    return hub.learners[name]


def test_a_wrong_password_is_refused_and_the_right_one_logs_in(hub: Hub) -> None:
    for name in (*LEARNERS, INSTRUCTOR):
        learner = Learner(hub.url, name)
        wrong = learner.login(hub.passwords[name] + "x")
        assert wrong.status_code == 403 and "jupyterhub-session-id" not in learner.session.cookies
        other = Learner(hub.url, name).login(hub.passwords["ada" if name != "ada" else "bo"])
        assert other.status_code == 403
        right = learner.login(hub.passwords[name])
        assert right.status_code == 302, right.text
        learner.new_token()
        hub.learners[name] = learner
    assert Learner(hub.url, "zed").login(hub.passwords["ada"]).status_code == 403


def test_only_the_instructor_is_an_admin(hub: Hub) -> None:
    instructor = logged_in(hub, INSTRUCTOR)
    users = instructor.hub_api("GET", "/users")
    assert users.status_code == 200
    assert {u["name"] for u in users.json()} == {*LEARNERS, INSTRUCTOR}
    assert {u["name"] for u in users.json() if u["admin"]} == {INSTRUCTOR}
    for name in LEARNERS:
        learner = logged_in(hub, name)
        assert learner.hub_api("GET", "/users").status_code == 403
        assert learner.hub_api("GET", f"/users/{INSTRUCTOR}").status_code in (403, 404)
        assert learner.session.get(f"{hub.url}/hub/admin", timeout=30).status_code == 403
        promote = learner.hub_api("PATCH", f"/users/{name}", json={"admin": True})
        assert promote.status_code == 403


def test_four_learners_run_notebooks_01_and_04_at_once(hub: Hub) -> None:
    learners = [logged_in(hub, name) for name in LEARNERS]
    errors: dict[str, list[str]] = {}
    seconds: dict[str, float] = {}

    def attend(learner: Learner) -> None:
        started = time.monotonic()
        try:
            learner.start_server()
            errors[learner.name] = []
            for notebook in ("01_load_and_normalize", "04_train"):
                errors[learner.name] += learner.run_notebook(f"complete/{notebook}.ipynb")
        except Exception as error:  # noqa: BLE001 - reported below with the learner's name
            errors[learner.name] = [f"{type(error).__name__}: {error}"]
        seconds[learner.name] = time.monotonic() - started

    threads = [threading.Thread(target=attend, args=(learner,)) for learner in learners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=900)
    print("seconds per learner (server start, 01 and 04 in the smoke profile):", seconds)
    assert errors == {name: [] for name in LEARNERS}, hub.log()
    for name in LEARNERS:
        weights = hub.home(name) / ".cache" / "cifar-tutorial" / "artifacts" / WEIGHTS
        assert weights.stat().st_uid == pwd.getpwnam(hub.system_name(name)).pw_uid
        listing = logged_in(hub, name).server_api("GET", "/contents/exercises").json()
        assert len([c for c in listing["content"] if c["name"].endswith(".ipynb")]) == 8


def test_a_learner_cannot_reach_another_learners_server_or_files(hub: Hub) -> None:
    ada, bo = logged_in(hub, "ada"), logged_in(hub, "bo")
    for path in ("/contents/exercises", "/kernels", "/sessions"):
        assert bo.server_api("GET", path, owner="ada").status_code == 403
    assert bo.server_api("GET", "/contents/exercises").status_code == 200
    assert ada.server_api("GET", "/contents/exercises").status_code == 200
    course = hub.base / "hub" / "course" / "notebooks"
    probe = f"""
import os, torch
def attempt(action):
    try:
        action()
        return "done"
    except OSError as error:
        return type(error).__name__
print("other home:", attempt(lambda: os.listdir({str(hub.home("ada"))!r})))
print("course:", attempt(lambda: open({str(course / "x")!r}, "w")))
print("data:", attempt(lambda: open({str(hub.base / "data" / "x")!r}, "w")))
print("threads:", torch.get_num_threads())
"""
    with bo.kernel("exercises/01_load_and_normalize.ipynb") as kernel:
        result = kernel.execute(probe)
        assert not result.error, result.error
        assert "other home: PermissionError" in result.text
        assert "course: PermissionError" in result.text
        assert "data: PermissionError" in result.text
        assert "threads: 1" in result.text
        too_much = kernel.execute(f"block = bytearray({int(MEMORY_GB * 2**30) + 2**28})")
        assert too_much.error.startswith("MemoryError"), too_much
        assert kernel.execute("print('still here')").text == "still here\n"


def test_everything_listens_on_the_loopback_address_only(hub: Hub) -> None:
    processes = [psutil.Process(hub.process.pid), *descendants(hub.process.pid)]
    pids = {p.pid for p in processes}
    listening = [
        c for c in psutil.net_connections(kind="inet") if c.status == "LISTEN" and c.pid in pids
    ]
    assert {c.laddr.port for c in listening} >= {hub.port, hub.port + 1, hub.port + 2}
    assert {c.laddr.ip for c in listening} <= {"127.0.0.1", "::1"}, listening


def test_the_hubs_files_are_root_only_but_the_course_is_readable(hub: Hub) -> None:
    hub_dir = hub.base / "hub"
    private = [p for p in hub_dir.iterdir() if p.is_file() and p.name != "hub.json"]
    assert {p.name for p in private} >= {"accounts.json", "jupyterhub.sqlite"}
    assert {p.name: p.stat().st_mode & 0o077 for p in private} == dict.fromkeys(
        (p.name for p in private), 0
    )
    for path in (hub_dir, hub_dir / "course", *(hub_dir / "course").rglob("*")):
        assert path.stat().st_mode & 0o005 == (0o005 if path.is_dir() else 0o004), path
        assert path.stat().st_uid == 0 and not path.stat().st_mode & 0o022, path


def test_a_killed_server_restarts_with_the_learners_work(hub: Hub) -> None:
    ada = logged_in(hub, "ada")
    path = "exercises/01_load_and_normalize.ipynb"
    notebook = ada.notebook(path)
    notebook["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "my notes"})
    ada.save_notebook(path, notebook)
    kernel = ada.kernel(path)
    kernel.send("import time; time.sleep(600)")  # the server dies in the middle of a cell
    time.sleep(1)
    server = hub.server_process("ada")
    orphans = server.children(recursive=True)
    server.kill()
    server.wait(timeout=30)
    kernel.socket.close()
    ada.start_server()
    assert hub.server_process("ada").pid != server.pid
    assert ada.notebook(path)["cells"][-1]["source"] == "my notes"
    _, alive = psutil.wait_procs(orphans, timeout=30)  # the kernel notices its server is gone
    assert not alive, [p.cmdline() for p in alive]


def test_stopping_the_hub_leaves_nothing_running_and_a_restart_culls_idle_servers(
    hub: Hub,
) -> None:
    assert hub.stop() == []
    hub.start(cull_idle_minutes=0.25)
    cy = Learner(hub.url, "cy")
    assert cy.login(hub.passwords["cy"]).status_code == 302  # the accounts survived the restart
    cy.new_token()
    cy.start_server()
    assert cy.server_api("GET", "/contents/exercises").status_code == 200
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if not cy.hub_api("GET", "/users/cy").json()["servers"]:
            break
        time.sleep(1)
    else:
        pytest.fail(f"cy's idle server was not culled:\n{hub.log()}")
    assert "Culling server" in hub.log() or "culling" in hub.log().lower()
    assert (hub.home("cy") / "cifar-tutorial" / "exercises").is_dir()
    print(json.dumps({"culled": "cy"}))
