"""Users, passwords and roles: who may open which page and do what. No Streamlit here; the app enforces it.

Roles (`docs/records.md#roles`):

- ``coordinator``: everything: data, policy, match, runs, decisions, the policy lab, capacities of every commune;
- ``ngo``: sees and edits the capacities of its own communes only (never a family's data);
- ``researcher``: the policy lab on synthetic or aggregated data, and the policy editor (no personal data).

Passwords are hashed with Argon2id (argon2-cffi's defaults). A login is required whenever the app listens
beyond the loopback interface, or when ``MATCHER_AUTH=on``; ``MATCHER_AUTH=off`` is ignored for such an address.
Failed logins are throttled per client address and name, so that someone guessing a user's password does not lock
the user out, and audited per client with counts, so that anonymous attempts cannot fill the permanent log.
"""

from __future__ import annotations

import atexit
import contextlib
import ipaddress
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from matcher.store.records import Store, UserRecord

__all__ = [
    "AUTH_ENV",
    "LOCAL_CLIENT",
    "LOCAL_USER",
    "MIN_PASSWORD_LENGTH",
    "PAGES",
    "PERMISSIONS",
    "FailureLog",
    "Throttle",
    "authenticate",
    "can",
    "client_address",
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


#: The client of a login attempt when the connection gives no address (the app on this machine, or a proxy on it).
LOCAL_CLIENT = "local"


class Throttle:
    """Failed logins counted per client and name, and per client over all names, within a sliding window.

    A client that failed `limit` times for a name waits out the window for that name; one that failed
    `client_limit` times for any names waits for all of them. Another client is not affected: guessing a user's
    password from one address never locks the user out from theirs.
    """

    def __init__(self, limit: int = 5, client_limit: int = 20, window: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.client_limit, self.window, self.clock = limit, client_limit, window, clock
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> list[float]:
        recent = [t for t in self._failures.get(key, []) if now - t < self.window]
        if recent:
            self._failures[key] = recent
        else:
            self._failures.pop(key, None)
        return recent

    def blocked(self, client: str, name: str) -> bool:
        now = self.clock()
        with self._lock:
            if len(self._recent((client, name), now)) >= self.limit:
                return True
            return len(self._recent((client, ""), now)) >= self.client_limit

    def fail(self, client: str, name: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) > 100_000:  # many names tried: forget the expired entries
                for key in list(self._failures):
                    self._recent(key, now)
            self._failures.setdefault((client, name), []).append(now)
            self._failures.setdefault((client, ""), []).append(now)

    def clear(self, client: str, name: str) -> None:
        with self._lock:
            self._failures.pop((client, name), None)

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()


@dataclass
class _Window:
    """Failed attempts of one client since its last audit event."""

    start: float
    count: int = 0
    throttled: int = 0
    users: set[str] = field(default_factory=set)
    unknown: int = 0


class FailureLog:
    """Audit events for failed logins: at most three per client and window, with counts.

    The first failure of a client, and the first attempt the throttle refuses, are logged at once; the next ones
    within the window are counted, and logged as one event when the window is over (at the next failure of any
    client, at `flush`, or when the process exits: a crash loses the counts of the open windows, nothing else).
    So an anonymous client cannot fill the permanent audit log, and the log still says how many attempts came
    from where. Names that are not users are never logged (they may be a password typed in the wrong field):
    only how many there were.
    """

    ACTOR = "anonymous"

    def __init__(self, window: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.window, self.clock = window, clock
        self._open: dict[str, _Window] = {}
        self._throttled: set[str] = set()  # clients whose throttling was logged in their current window
        self._lock = threading.Lock()
        self._store: Store | None = None

    def record(self, store: Store, client: str, user: str | None, *, throttled: bool = False) -> None:
        """One failed (or refused, when `throttled`) attempt of `client`, for a user's name or an unknown one."""
        self._store = store
        self.flush(store)
        now = self.clock()
        with self._lock:
            window = self._open.get(client)
            first_throttle = throttled and client not in self._throttled
            if throttled:
                self._throttled.add(client)
            if window is not None and not first_throttle:
                window.count += 1
                window.throttled += int(throttled)
                if user:
                    window.users.add(user)
                else:
                    window.unknown += 1
                return
            if window is None:
                self._open[client] = _Window(now)
        action = "login.throttled" if throttled else "login.failed"
        store.log(self.ACTOR, action, f"client:{client}", count=1, user=user)

    def flush(self, store: Store | None = None, force: bool = False) -> None:
        """Log the counts of the windows that are over (all of them when `force`)."""
        store = store or self._store
        now = self.clock()
        with self._lock:
            done = {c: w for c, w in self._open.items() if force or now - w.start >= self.window}
            for client in done:
                del self._open[client]
            self._throttled -= done.keys()
        if store is None:
            return
        for client, w in done.items():
            if w.count:
                store.log(self.ACTOR, "login.failed", f"client:{client}", count=w.count, throttled=w.throttled,
                          users=sorted(w.users), unknown_names=w.unknown,
                          seconds=round(min(now - w.start, self.window)))

    def reset(self) -> None:
        with self._lock:
            self._open.clear()
            self._throttled.clear()


throttle = Throttle()
failures = FailureLog()


@atexit.register
def _flush_at_exit() -> None:
    with contextlib.suppress(Exception):  # the records may be gone at exit: the counts are lost, nothing else
        failures.flush(force=True)


def authenticate(store: Store, name: str, password: str, client: str | None = None) -> UserRecord | None:
    """The active user with this name and password, or None.

    Failures are throttled per client and name (`Throttle`), and audited per client with a count
    (`FailureLog`); a successful login is an audit event of its own.
    """
    client = client or LOCAL_CLIENT
    name = name.strip()
    if not name or len(name) > 200:
        return None
    user = store.user(name)
    known = user.name if user is not None else None
    if throttle.blocked(client, name):
        failures.record(store, client, known, throttled=True)
        return None
    ok = verify_password(user.password_hash if user else None, password) and user is not None and user.active
    if not ok or user is None:
        throttle.fail(client, name)
        failures.record(store, client, known)
        return None
    throttle.clear(client, name)
    if user.password_hash and _hasher.check_needs_rehash(user.password_hash):
        store.update_user(name, name, password_hash=_hasher.hash(password))
    store.log(name, "login.ok", f"user:{name}", role=user.role, client=client)
    return user


def client_address(remote: str | None) -> str:
    """The client of a connection: its address, or `LOCAL_CLIENT` when there is none.

    Streamlit gives no address for a loopback connection, and takes a proxy's ``X-Forwarded-For`` only from a
    proxy on this machine (uvicorn's default), so a remote client cannot choose the address it is counted under.
    """
    if not remote:
        return LOCAL_CLIENT
    try:
        return str(ipaddress.ip_address(remote.strip().strip("[]")))
    except ValueError:
        return LOCAL_CLIENT


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
