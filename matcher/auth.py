"""Users, passwords and roles: who may open which page and do what. No Streamlit here; the app enforces it.

Roles (DESIGN.md section 11):

- ``coordinator``: everything: data, policy, match, runs, decisions, the policy lab, capacities of every commune;
- ``ngo``: sees and edits the capacities of its own communes only (never a family's data);
- ``researcher``: the policy lab on synthetic or aggregated data, and the policy editor (no personal data).

Passwords are hashed with Argon2id (argon2-cffi's defaults). A login is required whenever the app listens
beyond the loopback interface, or when ``MATCHER_AUTH=on``; ``MATCHER_AUTH=off`` is ignored for such an address.
"""

from __future__ import annotations

import ipaddress
import os
import threading
import time
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from matcher.store.records import Store, UserRecord

__all__ = [
    "AUTH_ENV",
    "LOCAL_USER",
    "MIN_PASSWORD_LENGTH",
    "PAGES",
    "PERMISSIONS",
    "authenticate",
    "can",
    "hash_password",
    "is_loopback",
    "localities_of",
    "login_required",
    "may_open",
    "password_problem",
    "verify_password",
]

AUTH_ENV = "MATCHER_AUTH"
#: Who acts when the app serves this machine only and no login is asked.
LOCAL_USER = UserRecord(0, "local", "coordinator", None, (), True)
MIN_PASSWORD_LENGTH = 10

#: Pages (their url paths) each role may open.
PAGES: dict[str, frozenset[str]] = {
    "coordinator": frozenset({"data", "policy", "match", "runs", "policy-lab", "capacities", "records"}),
    "ngo": frozenset({"capacities"}),
    "researcher": frozenset({"policy", "policy-lab"}),
}
#: Actions each role may take; the app checks them on the server before acting.
PERMISSIONS: dict[str, frozenset[str]] = {
    "coordinator": frozenset({"load_data", "edit_data", "edit_policy", "run_match", "decide", "export",
                              "edit_capacities_any", "edit_capacities", "simulate", "read_records"}),
    "ngo": frozenset({"edit_capacities"}),
    "researcher": frozenset({"edit_policy", "simulate"}),
}

_hasher = PasswordHasher()
# Verifying against this when the name is unknown takes as long as a real check: timing does not tell names.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def may_open(role: str, page: str) -> bool:
    return page in PAGES.get(role, frozenset())


def can(role: str, action: str) -> bool:
    return action in PERMISSIONS.get(role, frozenset())


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
    if password.strip() != password:
        return "the password must not start or end with a space"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        _safe_verify(_DUMMY_HASH, password)
        return False
    return _safe_verify(password_hash, password)


def _safe_verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


class _Throttle:
    """At most `limit` failed logins per name within `window` seconds; then the name waits out the window."""

    def __init__(self, limit: int = 5, window: float = 300.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, name: str) -> bool:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get(name, []) if now - t < self.window]
            self._failures[name] = recent
            return len(recent) >= self.limit

    def fail(self, name: str) -> None:
        with self._lock:
            self._failures.setdefault(name, []).append(time.monotonic())

    def clear(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name, None)


throttle = _Throttle()


def authenticate(store: Store, name: str, password: str) -> UserRecord | None:
    """The active user with this name and password, or None; every attempt goes to the audit log.

    After five failures for a name within five minutes, further attempts fail without checking, so that
    guessing is slow; the log says so.
    """
    name = name.strip()
    if not name or len(name) > 200:
        return None
    if throttle.blocked(name):
        store.log(name, "login.throttled", f"user:{name}")
        return None
    user = store.user(name)
    ok = verify_password(user.password_hash if user else None, password) and user is not None and user.active
    if not ok or user is None:
        throttle.fail(name)
        store.log(name, "login.failed", f"user:{name}")
        return None
    throttle.clear(name)
    if user.password_hash and _hasher.check_needs_rehash(user.password_hash):
        store.update_user(name, name, password_hash=_hasher.hash(password))
    store.log(name, "login.ok", f"user:{name}", role=user.role)
    return user


def is_loopback(address: str | None) -> bool:
    """True for an address that only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if not address:
        return False  # Streamlit binds every interface when no address is given
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def login_required(address: str | None, env: dict[str, str] | None = None) -> bool:
    """Whether users must log in: always beyond localhost, and on this machine when ``MATCHER_AUTH=on``."""
    setting = (env if env is not None else os.environ).get(AUTH_ENV, "").strip().lower()
    if not is_loopback(address):
        return True
    return setting in ("on", "1", "true", "yes")


def localities_of(user: UserRecord, all_ids: Iterable[str]) -> set[str]:
    """The communes whose capacities a user may see and edit: all for a coordinator, its own for an NGO."""
    ids = set(all_ids)
    if can(user.role, "edit_capacities_any"):
        return ids
    if can(user.role, "edit_capacities"):
        return ids & set(user.localities)
    return set()
