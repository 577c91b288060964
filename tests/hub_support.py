"""A learner at a running JupyterHub, as a browser would be: log in with the form, get a token,
start their server, read and write files and run notebooks in kernels through the proxy (the
REST API and the kernel websocket JupyterLab uses)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
import websocket

WAIT_S = 120
CELL_TIMEOUT_S = 600


@dataclass
class Learner:
    """One person at the hub: their name, and once logged in, their session and token."""

    base: str  # http://127.0.0.1:PORT
    name: str
    session: requests.Session = field(default_factory=requests.Session)
    token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def login(self, password: str) -> requests.Response:
        """The login form, as a browser sends it; the response, not followed."""
        self.session.get(f"{self.base}/hub/login", timeout=30)
        form = {"username": self.name, "password": password, "_xsrf": self.xsrf}
        return self.session.post(
            f"{self.base}/hub/login", data=form, allow_redirects=False, timeout=30
        )

    @property
    def xsrf(self) -> str:
        return self.session.cookies.get("_xsrf", "")

    def new_token(self) -> str:
        """A token of the logged-in learner (as the hub's token page makes one)."""
        reply = self.session.post(
            f"{self.base}/hub/api/users/{self.name}/tokens",
            json={"note": "test"},
            headers={"X-XSRFToken": self.xsrf},
            timeout=30,
        )
        reply.raise_for_status()
        self.token = reply.json()["token"]
        return self.token

    def hub_api(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(
            method, f"{self.base}/hub/api{path}", headers=self.headers, timeout=60, **kwargs
        )

    def server_api(self, method: str, path: str, owner: str | None = None, **kwargs):
        """A request to a single-user server's API: the learner's own, or ``owner``'s."""
        url = f"{self.base}/user/{owner or self.name}/api{path}"
        return requests.request(method, url, headers=self.headers, timeout=60, **kwargs)

    def start_server(self) -> None:
        """Ask for the server and wait until the hub says it is ready."""
        reply = self.hub_api("POST", f"/users/{self.name}/server")
        assert reply.status_code in (201, 202), reply.text
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            server = self.hub_api("GET", f"/users/{self.name}").json()["servers"].get("", {})
            if server.get("ready"):
                return
            time.sleep(0.5)
        raise TimeoutError(f"{self.name}'s server did not start in {WAIT_S} s")

    def notebook(self, path: str) -> dict:
        reply = self.server_api("GET", f"/contents/{path}")
        reply.raise_for_status()
        return reply.json()["content"]

    def save_notebook(self, path: str, content: dict) -> None:
        model = {"type": "notebook", "format": "json", "content": content}
        self.server_api("PUT", f"/contents/{path}", json=model).raise_for_status()

    def kernel(self, path: str) -> Kernel:
        """A kernel started for the notebook at ``path`` (in its folder), as JupyterLab does."""
        model = {"path": path, "type": "notebook", "name": "", "kernel": {"name": "python3"}}
        reply = self.server_api("POST", "/sessions", json=model)
        reply.raise_for_status()
        session = reply.json()
        url = self.base.replace("http", "ws", 1)
        url += f"/user/{self.name}/api/kernels/{session['kernel']['id']}/channels"
        socket = websocket.create_connection(
            f"{url}?session_id={uuid.uuid4().hex}",
            header=[f"Authorization: token {self.token}"],
            timeout=CELL_TIMEOUT_S,
        )
        return Kernel(self, session["id"], socket)

    def run_notebook(self, path: str) -> list[str]:
        """Run every code cell of the notebook at ``path`` in a new kernel; the errors."""
        cells = [c for c in self.notebook(path)["cells"] if c["cell_type"] == "code"]
        with self.kernel(path) as kernel:
            for number, cell in enumerate(cells):
                result = kernel.execute(cell["source"])
                if result.error:
                    return [f"{path} code cell {number}: {result.error}"]
        return []


@dataclass
class Result:
    """What a cell printed, and its error (``ename: evalue``) if it failed."""

    text: str
    error: str


@dataclass
class Kernel:
    """A kernel's websocket: execute code, read what came back."""

    learner: Learner
    session_id: str
    socket: websocket.WebSocket

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, *_) -> None:
        self.socket.close()
        self.learner.server_api("DELETE", f"/sessions/{self.session_id}")

    def send(self, code: str) -> str:
        """Send an execute request without waiting; its message id."""
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": "execute_request", "session": self.session_id}
        header |= {"username": self.learner.name, "version": "5.3", "date": ""}
        content = {"code": code, "silent": False, "store_history": True}
        content |= {"user_expressions": {}, "allow_stdin": False, "stop_on_error": True}
        message = {"header": header, "parent_header": {}, "metadata": {}, "content": content}
        self.socket.send(json.dumps(message | {"channel": "shell", "buffers": []}))
        return msg_id

    def execute(self, code: str) -> Result:
        """Run ``code``; wait for its reply."""
        msg_id = self.send(code)
        text, error = [], ""
        while True:
            message = json.loads(self.socket.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                text.append(content["text"])
            elif kind == "error":
                error = f"{content['ename']}: {content['evalue']}"
            elif kind == "execute_reply":
                if content["status"] != "ok" and not error:
                    error = f"{content.get('ename')}: {content.get('evalue')}"
                return Result("".join(text), error)


def learners_python(base: Path) -> str:
    """A Python that learners' accounts can run with the course's environment.

    Ours may live where other accounts cannot go (pyenv under /root, mode 700, on the CI
    machine): then a virtual environment is made from the system's Python of the same version,
    with ours added by a ``.pth`` file (same version, same ABI, the same packages)."""
    from cifar_tutorial.course.hub.command import check_learners_python
    from cifar_tutorial.errors import ParameterError

    try:
        return check_learners_python(sys.executable)
    except ParameterError:
        pass
    system = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    if not system.is_file():
        raise FileNotFoundError(f"no {system} for the learners' Python")
    target = base / "learners-python"
    subprocess.run([str(system), "-m", "venv", "--without-pip", str(target)], check=True)
    packages = next(Path(sys.prefix).glob("lib/python*/site-packages"))
    (next(target.glob("lib/python*/site-packages")) / "course.pth").write_text(
        f"import site; site.addsitedir({str(packages)!r})\n"
    )
    return str(target / "bin" / "python")
