"""The roles of the app's users: the one list that the records (the users table's CHECK constraint),
`matcher.auth` (the pages and actions of each role) and `matcher users add --role` read.

- ``coordinator``: everything;
- ``ngo``: the capacities of its own communes;
- ``researcher``: the policy lab on synthetic or aggregated data, and the policy editor.

Imports nothing: the command line reads it without loading SQLAlchemy.
"""

__all__ = ["ROLES"]

ROLES = ("coordinator", "ngo", "researcher")
