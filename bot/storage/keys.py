"""How tables mark their author-key columns (see bot.anonymity)."""

from __future__ import annotations

from typing import Any

#: Column `info` naming how an author-key column's keys are made: `kind` is a template over
#: the row's values (e.g. "checkin_reply:{kind}"), `scope` the column holding the item's scope.
KEY_INFO = "author_key"


def key_column(kind: str, scope: str) -> dict[str, Any]:
    """`info=` for a column of author keys: lets export and erasure find a member's rows."""
    return {KEY_INFO: {"kind": kind, "scope": scope}}
