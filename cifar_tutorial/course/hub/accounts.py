"""The class's accounts: a generated password for each name on the class list, printed once for
the instructor and stored only as a salted scrypt hash.

``accounts.json`` in the hub's folder (readable by root only) holds, for each name, its role
(``learner`` or ``instructor``) and the hash; nothing else. Running ``cifar-tutorial hub
accounts`` again with a longer list gives passwords to the new names only; ``--reset NAME``
replaces one forgotten password; names taken off the list can no longer log in (their files
stay on disk).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ...errors import ParameterError, TutorialError
from ...files import atomic_write

ACCOUNTS_FILE = "accounts.json"
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,19}$")
NAME_RULE = "lowercase letters, digits, '-' and '_', starting with a letter, at most 20 characters"
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no l/1 or o/0 to misread on paper
PASSWORD_GROUPS = 3  # "kq7m-xt3a-9pbe": 12 characters of 32 kinds, 60 bits
PASSWORD_GROUP_LENGTH = 4
SCRYPT_COST = {"n": 2**14, "r": 8, "p": 1}  # about 50 ms a login; 16 MB of memory each
ROLES = ("learner", "instructor")


@dataclass(frozen=True)
class Account:
    """One name on the class list and the hash of its password."""

    name: str
    role: str
    password_hash: str


def check_name(name: str, where: str = "name") -> str:
    """``name`` when it can be a login and (with a prefix) a system account, else an error."""
    if not NAME.match(name):
        raise ParameterError(where, name, NAME_RULE)
    return name


def read_class_list(path: str | Path) -> list[str]:
    """The names in a class list file: one per line; blank lines and ``# comments`` ignored."""
    path = Path(path)
    if not path.is_file():
        raise ParameterError("CLASS_LIST", str(path), "a text file with one name per line")
    names: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        name = line.split("#", 1)[0].strip()
        if not name:
            continue
        check_name(name, f"CLASS_LIST line {number}")
        if name in names:
            raise ParameterError(f"CLASS_LIST line {number}", name, "each name once")
        names.append(name)
    if not names:
        raise ParameterError("CLASS_LIST", str(path), "at least one name")
    return names


def new_password() -> str:
    """A random password that reads well aloud and on paper, e.g. ``kq7m-xt3a-9pbe``."""
    groups = (
        "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_GROUP_LENGTH))
        for _ in range(PASSWORD_GROUPS)
    )
    return "-".join(groups)


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64) of ``password`` with a fresh 16-byte salt."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **SCRYPT_COST)
    cost = "$".join(str(SCRYPT_COST[key]) for key in ("n", "r", "p"))
    return f"scrypt${cost}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches the ``stored`` hash (compared in constant time)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest)
        given = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(given, expected)


def read_accounts(hub_dir: str | Path) -> dict[str, Account]:
    """The accounts saved in ``hub_dir`` (empty when there are none yet)."""
    path = Path(hub_dir) / ACCOUNTS_FILE
    if not path.is_file():
        return {}
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        return {
            name: Account(name, entry["role"], entry["hash"])
            for name, entry in saved["accounts"].items()
        }
    except (ValueError, KeyError, TypeError) as error:
        raise TutorialError(f"{path} is not an accounts file ({error}); make it again") from None


def write_accounts(hub_dir: str | Path, accounts: Iterable[Account]) -> Path:
    """Save ``accounts`` in ``hub_dir``, readable and writable by its owner only."""
    entries = {a.name: {"role": a.role, "hash": a.password_hash} for a in accounts}
    text = json.dumps({"accounts": entries}, indent=1, sort_keys=True) + "\n"
    return atomic_write(Path(hub_dir) / ACCOUNTS_FILE, text, mode=0o600)


def update_accounts(
    hub_dir: str | Path, learners: list[str], instructor: str, reset: Iterable[str] = ()
) -> dict[str, str]:
    """Make the accounts match the class list; return the new passwords (name -> password):
    one for each name without an account, and for each name in ``reset``."""
    check_name(instructor, "--instructor")
    if instructor in learners:
        raise ParameterError("--instructor", instructor, "a name that is not on the class list")
    wanted = {name: "learner" for name in learners} | {instructor: "instructor"}
    reset = list(reset)
    for name in reset:
        if name not in wanted:
            raise ParameterError("--reset", name, "a name on the class list or the instructor")
    existing = read_accounts(hub_dir)
    passwords: dict[str, str] = {}
    accounts = []
    for name, role in wanted.items():
        if name in existing and name not in reset:
            accounts.append(Account(name, role, existing[name].password_hash))
            continue
        passwords[name] = new_password()
        accounts.append(Account(name, role, hash_password(passwords[name])))
    write_accounts(hub_dir, accounts)
    return passwords


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
