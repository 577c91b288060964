"""Run any Python program as on a machine without network: put this folder on ``PYTHONPATH``.

    PYTHONPATH=tests/offline cifar-tutorial run --profile full

Python imports ``sitecustomize`` at start-up, so every process that inherits the variable
(a papermill kernel, the command line) gets the same treatment: looking up a host name other
than this machine's fails at once, as it does with no network, and so does connecting to an
address elsewhere. Nothing in the package knows about it: the real code path runs and meets
a real ``OSError``. The tests also call :func:`block_network` with ``monkeypatch.setattr``.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

SIMULATED = "(simulated offline machine)"
_getaddrinfo = socket.getaddrinfo
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def is_local(host: object) -> bool:
    """True for this machine's own names and addresses (kernels talk to papermill through them)."""
    name = host.decode() if isinstance(host, bytes) else str(host)
    return host is None or name in ("localhost", "::1", "") or name.startswith("127.")


def offline_getaddrinfo(host, *args, **kwargs):
    if is_local(host):
        return _getaddrinfo(host, *args, **kwargs)
    raise socket.gaierror(socket.EAI_NONAME, f"Name or service not known {SIMULATED}")


def offline_connect(sock: socket.socket, address) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_local(address[0]):
        raise OSError(101, f"Network is unreachable {SIMULATED}")
    return _connect(sock, address)


def offline_connect_ex(sock: socket.socket, address) -> int:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_local(address[0]):
        return 101  # ENETUNREACH
    return _connect_ex(sock, address)


def block_network(set_attribute: Callable[[object, str, object], None] = setattr) -> None:
    """Replace the lookups and connections of the ``socket`` module by failing ones."""
    set_attribute(socket, "getaddrinfo", offline_getaddrinfo)
    set_attribute(socket.socket, "connect", offline_connect)
    set_attribute(socket.socket, "connect_ex", offline_connect_ex)


if __name__ == "sitecustomize":
    block_network()
