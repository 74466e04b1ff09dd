"""Records: scenarios, runs, decisions, users and an append-only, hash-chained audit log.

SQLite by default (a file in ``MATCHER_DATA_DIR``, see `db`), PostgreSQL with ``MATCHER_DATABASE_URL``. Open the
store with `open_store()`: it migrates the database to the latest schema on first use. Names are imported on
first use, so that the command line (`matcher.cli`) does not load SQLAlchemy before a command needs it.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "data_dir": "db", "database_url": "db", "describe_url": "db", "get_engine": "db", "owner_database_url": "db",
    "FieldTooLong": "errors", "HeadMoved": "errors", "StoreError": "errors",
    "AuditEvent": "records", "DecisionRecord": "records", "RunRow": "records", "ScenarioInfo": "records",
    "ScenarioRecord": "records", "Store": "records", "StoredInput": "records", "UserRecord": "records",
    "Verification": "records", "input_hash": "records", "open_store": "records", "ordered_pairs": "records",
    "stored_input": "records",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'matcher.store' has no attribute {name!r}")
    return getattr(importlib.import_module(f"matcher.store.{module}"), name)
