"""The error shape the library hands to whatever shows it to a user.

A journal edit, a backup restore or a BNetzA import can fail for reasons the
user can act on.  Each such error carries a stable ``key`` for the reason
(the Home Assistant layer turns it into a translated message) and the
``placeholders`` that message shows; the English text is for logs and the
command line.
"""

from __future__ import annotations


class ReasonError(Exception):
    """An error with a stable reason key and the details its message shows."""

    def __init__(self, key: str, message: str, **placeholders: str) -> None:
        """Keep the reason key and its placeholders next to the English message."""
        super().__init__(message)
        self.key = key
        self.placeholders = placeholders
