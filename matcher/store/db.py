"""Where the records live and how we connect: a SQLite file by default, PostgreSQL by URL.

- ``MATCHER_DATABASE_URL`` (e.g. ``postgresql://matcher:secret@127.0.0.1/matcher``) selects the database;
- otherwise a SQLite file ``matcher.db`` in ``MATCHER_DATA_DIR``, else ``$XDG_DATA_HOME/matcher``, else
  ``~/.local/share/matcher``. The folder is created readable by its owner only: it holds the workbooks;
- on PostgreSQL, ``MATCHER_DATABASE_OWNER_URL`` optionally names the role that owns the tables (same server and
  database): migrations run as that role, and the app's role only gets what it needs (`matcher.store.postgres`).

SQLite runs with WAL (readers never block the writer), ``synchronous=FULL`` (a committed record survives a power
cut), foreign keys on, and every transaction begun IMMEDIATE, so that concurrent writers queue on the lock instead
of failing halfway through (the busy timeout bounds the wait).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

__all__ = ["DATABASE_ENV", "DATA_DIR_ENV", "OWNER_ENV", "data_dir", "database_url", "describe_url", "get_engine",
           "owner_database_url"]

DATABASE_ENV = "MATCHER_DATABASE_URL"
OWNER_ENV = "MATCHER_DATABASE_OWNER_URL"
DATA_DIR_ENV = "MATCHER_DATA_DIR"
_BUSY_TIMEOUT_MS = 30_000


def data_dir() -> Path:
    """The folder of the default SQLite database."""
    explicit = os.environ.get(DATA_DIR_ENV)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "matcher"


def database_url() -> str:
    """``MATCHER_DATABASE_URL`` when set, else the SQLite file in `data_dir()`."""
    url = os.environ.get(DATABASE_ENV, "").strip()
    if url:
        return url
    return f"sqlite:///{data_dir() / 'matcher.db'}"


def owner_database_url(url: str) -> str | None:
    """``MATCHER_DATABASE_OWNER_URL`` when `url` is PostgreSQL and the owner's URL names the same database.

    Raises
    ------
    ValueError
        When the owner's URL names another server or database (a mistake that would migrate the wrong one).
    """
    owner = os.environ.get(OWNER_ENV, "").strip()
    if not owner or make_url(_normalise(url)).get_backend_name() != "postgresql":
        return None
    app, own = make_url(_normalise(url)), make_url(_normalise(owner))
    if (app.host, app.port, app.database) != (own.host, own.port, own.database):
        raise ValueError(f"{OWNER_ENV} names another database than {DATABASE_ENV}")
    return owner


def describe_url(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def _normalise(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 here (the driver this package depends on)."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook below issue BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL and process (engines pool connections and are thread-safe)."""
    url = _normalise(url or database_url())
    with _lock:
        engine = _engines.get(url)
        if engine is not None:
            return engine
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                folder = Path(database).expanduser().resolve().parent
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": _BUSY_TIMEOUT_MS / 1000})
            _sqlite_setup(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        _engines[url] = engine
        return engine


def dispose_all() -> None:
    """Close every pooled connection (tests that remove database files call this)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
