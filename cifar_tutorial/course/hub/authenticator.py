"""JupyterHub's login for the class: the names and hashed passwords of ``accounts.json``.

Each name gets a system account (``<prefix><name>``, e.g. ``jupyter-ada``) the first time the hub
sees it, so that every learner's server, kernels and files belong to a user of their own: no
learner can read another's work, nor change the course or the shared data.
"""

from __future__ import annotations

import asyncio
import pwd
import subprocess

from jupyterhub.auth import LocalAuthenticator
from traitlets import Bool, Unicode

from .accounts import read_accounts, verify_password


class ClassListAuthenticator(LocalAuthenticator):
    """Log in with a name from the class list and its generated password; nothing else."""

    hub_dir = Unicode(help="the folder holding accounts.json").tag(config=True)
    system_user_prefix = Unicode("jupyter-", help="system account = prefix + name").tag(config=True)
    home_root = Unicode("/home", help="where the system accounts' homes go").tag(config=True)

    create_system_users = Bool(True, help="make each learner's system account").tag(config=True)

    async def authenticate(self, handler, data: dict) -> str | None:
        """The name, when it has an account and the password matches its hash."""
        name = self.normalize_username(data.get("username", ""))
        account = read_accounts(self.hub_dir).get(name)
        if account is None:
            return None
        password = data.get("password", "")
        matched = await asyncio.to_thread(verify_password, password, account.password_hash)
        return name if matched else None

    def check_allowed(self, username: str, authentication: dict | None = None) -> bool:
        """Allowed while the name has an account (the class list can change without a restart)."""
        return username in read_accounts(self.hub_dir)

    def system_name(self, name: str) -> str:
        """The system account of the hub user ``name``."""
        return self.system_user_prefix + name

    def system_user_exists(self, user) -> bool:
        try:
            pwd.getpwnam(self.system_name(user.name))
        except KeyError:
            return False
        return True

    def add_system_user(self, user) -> None:
        """``useradd`` an account with its own group and a home only its owner can open."""
        name = self.system_name(user.name)
        home = f"{self.home_root.rstrip('/')}/{name}"
        command = ["useradd", "--create-home", "--home-dir", home, "--user-group"]
        command += ["--shell", "/bin/bash", "--comment", "cifar-tutorial learner", name]
        self.log.info("Creating system user %s for %s", name, user.name)
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"Could not create the system user {name}: {done.stderr.strip()}")
