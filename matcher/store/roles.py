"""The roles of the app's users: the one list that the records (the users table's CHECK constraint),
`matcher.auth` (the pages and actions of each role, described there) and `matcher users add --role` read.

It imports nothing, so that the command line reads it without loading SQLAlchemy, and the store without
importing `matcher.auth`.
"""

__all__ = ["ROLES"]

ROLES = ("coordinator", "ngo", "researcher")
