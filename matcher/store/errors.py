"""The store's errors: what a caller may catch and show (messages quote ids, field names and limits, never values)."""

from __future__ import annotations

__all__ = ["FieldTooLong", "HeadMoved", "StoreError"]


class StoreError(RuntimeError):
    """A record that cannot be written or found; the message quotes ids only."""


class FieldTooLong(StoreError):
    """A value longer than its column (or an integer beyond it): refused on SQLite as PostgreSQL would refuse it.

    Attributes name the table, the column, the limit and the value's length, so that the app can say it in the
    user's language; the value itself is never quoted.
    """

    def __init__(self, table: str, column: str, limit: int, length: int, *, integer: bool = False) -> None:
        self.table, self.column, self.limit, self.length, self.integer = table, column, limit, length, integer
        if integer:
            text = f"{table}.{column}: the records keep whole numbers up to {limit} in absolute value"
        else:
            text = (f"{table}.{column}: the records keep at most {limit} characters here (this value has "
                    f"{length})")
        super().__init__(text)


class HeadMoved(StoreError):
    """A scenario was published since the caller looked: its write is refused so that it can merge and retry."""

    def __init__(self, expected: int | None, found: int | None) -> None:
        self.expected, self.found = expected, found
        super().__init__(f"the newest scenario is now {found}, not {expected}")
