"""JupyterHub's configuration for a class: ``jupyterhub -f <this file>``, with
``CIFAR_TUTORIAL_HUB_DIR`` naming the hub's folder (``cifar-tutorial hub start`` does both).

Everything that varies comes from that folder's ``hub.json`` (:mod:`.settings`); what is here is
the same for every class: the login of the class list, one server per learner as their own
system account, the instructor as the only admin, idle servers culled, and the hub on the
loopback address unless told otherwise.
"""

# ruff: noqa: F821  (``get_config`` is given by JupyterHub when it reads this file)

import sys
from pathlib import Path

from cifar_tutorial.course.hub.settings import read_settings
from cifar_tutorial.course.hub.workspace import EXERCISES, FIRST_NOTEBOOK, WORKSPACE

settings = read_settings()
hub_dir = Path(settings.hub_dir)
c = get_config()

# Where it listens: the proxy (what learners open), the hub and the proxy's API on loopback only
c.JupyterHub.bind_url = f"http://{settings.ip}:{settings.port}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{settings.hub_port}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings.proxy_api_port}"
c.ConfigurableHTTPProxy.command = [settings.proxy_command]
c.JupyterHub.db_url = f"sqlite:///{hub_dir / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(hub_dir / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(hub_dir / "jupyterhub.pid")

# Who may log in: the class list's names with their own passwords; the instructor administers
c.JupyterHub.authenticator_class = "cifar_tutorial.course.hub.authenticator.ClassListAuthenticator"
c.ClassListAuthenticator.hub_dir = str(hub_dir)
c.ClassListAuthenticator.system_user_prefix = settings.system_user_prefix
c.ClassListAuthenticator.home_root = settings.home_root
c.Authenticator.admin_users = {settings.instructor}
c.Authenticator.allowed_users = set(settings.learners)

# Each learner's server: JupyterLab on their copy of the student edition, as their own account
c.JupyterHub.spawner_class = "cifar_tutorial.course.hub.spawner.CourseSpawner"
c.CourseSpawner.course_dir = str(settings.course_dir)
c.CourseSpawner.system_user_prefix = settings.system_user_prefix
c.CourseSpawner.python = settings.python
c.Spawner.cmd = [settings.python, "-m", "jupyterhub.singleuser"]
c.Spawner.notebook_dir = f"~/{WORKSPACE}"
c.Spawner.default_url = f"/lab/tree/{EXERCISES}/{FIRST_NOTEBOOK}"
c.Spawner.cpu_limit = float(settings.threads_per_learner)
c.Spawner.mem_limit = int(settings.memory_gb_per_learner * 2**30)
c.Spawner.environment = {"CIFAR10_ROOT": settings.data_root}
if settings.profile:
    c.Spawner.environment["CIFAR_TUTORIAL_PROFILE"] = settings.profile
c.Spawner.start_timeout = 120  # forty servers starting at once on a busy machine
c.Spawner.http_timeout = 120

# Servers nobody used for a while are stopped (their files stay): jupyterhub-idle-culler
if settings.cull_idle_minutes > 0:
    seconds = max(1, round(settings.cull_idle_minutes * 60))
    c.JupyterHub.services = [
        {
            "name": "idle-culler",
            "command": [
                sys.executable,
                "-m",
                "jupyterhub_idle_culler",
                f"--timeout={seconds}",
                f"--cull-every={max(1, min(300, seconds // 2))}",
            ],
        }
    ]
    c.JupyterHub.load_roles = [
        {
            "name": "idle-culler",
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
            "services": ["idle-culler"],
        }
    ]
