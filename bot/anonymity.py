"""The Chatham House rule, for every kind of anonymous contribution.

Every feature that stores something anonymous (check-in replies, wins, ballots, help requests,
stories…) goes through this module, so a new feature gets the same guarantees:

- **Per-item author keys.** An anonymous item carries no member id, only
  `author_key(secret, kind, scope, member)`: a keyed hash over the kind of item *and* its
  scope, so a member's anonymous challenge and their named success in the same check-in never
  share a key. Only someone holding the secret key (never in the database) can recompute it.
- **Sealed at close.** When the item's scope closes, `seal` replaces every author key of the
  scope with random bytes and rewrites the anonymous rows in a random order under fresh random
  ids: after that nobody, not even someone holding the database *and* the key, can link them.
- **No order, no exact time.** Anonymous rows get random ids (`random_id`, negative so they
  never meet an id a sequence hands out) and their activity is recorded at the local day's
  start (`coarse`), never at the instant.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
import string
from collections.abc import Iterable, Sequence
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, ColumnElement, Table, select
from sqlalchemy.orm import Session

from bot.storage.keys import KEY_INFO
from bot.storage.tables import Activity

_ACTIVITY: Table = Activity.__table__  # type: ignore[attr-defined]
_SYSTEM_RANDOM = random.SystemRandom()
#: Ids handed out by sequences are positive; random ids of anonymous rows are negative.
_ID_RANGE = 2**31 - 1


def author_key(secret: bytes, kind: str, scope: object, member_id: int) -> str:
    """The keyed hash that lets a member find their own anonymous item of `kind` in `scope`
    (a check-in, a poll, a win…) again, and lets no one else name them."""
    message = f"{kind}|{scope}|{member_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def key_columns(tables: Iterable[Table]) -> list[tuple[Table, Column[Any]]]:
    """Every author-key column in `tables`."""
    return [(t, column) for t in tables for column in t.columns if KEY_INFO in column.info]


def member_keys(
    session: Session, secret: bytes, table: Table, column: Column[Any], member_id: int
) -> set[str]:
    """Every key `member_id` would have in this column, for the items stored there now."""
    spec = column.info[KEY_INFO]
    fields = sorted({spec["scope"], *_template_fields(spec["kind"])})
    rows = session.execute(
        select(*(table.c[f] for f in fields)).where(column.is_not(None)).distinct()
    ).mappings()
    return {
        author_key(secret, spec["kind"].format(**row), row[spec["scope"]], member_id)
        for row in rows
    }


def _template_fields(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def random_key() -> str:
    """A key of the same shape as `author_key` that leads to no one."""
    return secrets.token_hex(32)


def coarse(at: datetime, timezone: str) -> datetime:
    """The start of `at`'s local day (as a UTC-aware time): the most an anonymous row says
    about when it happened."""
    zone = ZoneInfo(timezone)
    local = at.astimezone(zone)
    return datetime.combine(local.date(), time(0), tzinfo=zone).astimezone(at.tzinfo)


def random_id(session: Session, table: Table) -> int:
    """A random negative id not yet used in `table`: it tells nothing about insertion order."""
    while True:
        candidate = -1 - secrets.randbelow(_ID_RANGE)
        taken = session.execute(select(table.c.id).where(table.c.id == candidate)).first()
        if taken is None:
            return candidate


def record_anonymous(
    session: Session, community_id: int, kind: str, at: datetime, timezone: str, count: int = 1
) -> None:
    """Count `count` anonymous contributions of `kind`: no member id, a random id, the day."""
    day = coarse(at, timezone)
    for _ in range(count):
        session.execute(
            _ACTIVITY.insert(),
            {
                "id": random_id(session, _ACTIVITY),
                "community_id": community_id,
                "member_id": None,
                "kind": kind,
                "at": day,
            },
        )


def seal(
    session: Session,
    table: Table,
    scope: ColumnElement[bool],
    *,
    key_column: str,
    anonymous: ColumnElement[bool],
) -> int:
    """Destroy what let authors find their items in `scope`: every key becomes random, and
    the anonymous rows are deleted and written again in a random order (fresh random ids where
    the table has an `id`), so neither key, id nor storage order leads back. Returns how many
    anonymous rows were rewritten."""
    named = scope & ~anonymous
    for (row_key,) in session.execute(select(table.c[key_column]).where(named)).all():
        session.execute(
            table.update().where(named, table.c[key_column] == row_key),
            {key_column: random_key()},
        )
    rows: Sequence[Any] = session.execute(select(table).where(scope & anonymous)).mappings().all()
    if not rows:
        return 0
    session.execute(table.delete().where(scope & anonymous))
    fresh = [dict(row) for row in rows]
    _SYSTEM_RANDOM.shuffle(fresh)
    for row in fresh:
        row[key_column] = random_key()
        if "id" in table.c:
            row["id"] = random_id(session, table)
        session.execute(table.insert(), row)
    return len(fresh)
