"""Each learner's JupyterLab: a local process run as their own system account.

JupyterHub's ``LocalProcessSpawner`` with three changes: the process runs as ``<prefix><name>``
(the account :class:`~.authenticator.ClassListAuthenticator` made), the learner's workspace is
prepared first (:mod:`.workspace`, run as the learner), and the limits are applied. A local
process has no container, so:

* threads: ``cpu_limit`` becomes ``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS``, so that torch in
  each kernel uses that many threads and learners share the cores;
* memory: ``mem_limit`` becomes each process's ``RLIMIT_DATA`` (its heap and private memory):
  an allocation beyond it fails with ``MemoryError`` in that learner's kernel, instead of the
  machine's out-of-memory killer picking a process, maybe another learner's. It limits each
  process (the server, each kernel), not the learner's total.
"""

from __future__ import annotations

import asyncio
import pwd
import resource
import subprocess
import sys

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from traitlets import Unicode

from .settings import THREAD_VARIABLES


class CourseSpawner(LocalProcessSpawner):
    """A learner's single-user server, in their workspace, as their own user, with limits."""

    course_dir = Unicode(help="the hub's read-only copy of the course").tag(config=True)
    python = Unicode(sys.executable, help="the Python of learners' servers").tag(config=True)
    system_user_prefix = Unicode("jupyter-", help="system account = prefix + name").tag(config=True)

    def system_name(self) -> str:
        """The learner's system account."""
        return self.system_user_prefix + self.user.name

    def make_preexec_fn(self, name: str):
        """Become the learner's account (never ``name``'s) and apply the memory limit."""
        become_learner = set_user_setuid(self.system_name())
        limit = int(self.mem_limit) if self.mem_limit else None

        def preexec() -> None:
            if limit:
                resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
            become_learner()

        return preexec

    def user_env(self, env: dict) -> dict:
        """``USER``, ``HOME`` and ``SHELL`` of the learner's account."""
        account = pwd.getpwnam(self.system_name())
        env.update(USER=account.pw_name, HOME=account.pw_dir, SHELL=account.pw_shell or "/bin/sh")
        return env

    def get_env(self) -> dict:
        """The environment, with the thread count each kernel's torch will use."""
        env = super().get_env()
        threads = str(max(1, int(self.cpu_limit or 1)))
        env.update(dict.fromkeys(THREAD_VARIABLES, threads))
        return env

    def prepare_workspace(self) -> None:
        """Make or complete the learner's folder, as the learner (:mod:`.workspace`)."""
        done = subprocess.run(
            [self.python, "-m", "cifar_tutorial.course.hub.workspace", self.course_dir],
            preexec_fn=set_user_setuid(self.system_name()),
            env=self.user_env({"PATH": "/usr/bin:/bin"}),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"Could not prepare {self.system_name()}'s folder: {done.stderr}")

    async def start(self):
        await asyncio.to_thread(self.prepare_workspace)
        return await super().start()
