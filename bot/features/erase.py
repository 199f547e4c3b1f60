"""Erasure: find every row about a member in every table, and erase it.

The schema walk covers every table registered by bot.storage.schema, so a table added later
is covered without changes here. What counts as "about a member":

- every column with a foreign key to member.id (and the member row itself);
- text columns named `user_id` / `*_user_id` holding their platform user id, in tables
  with a `community_id` (e.g. private messages to them in the outbox);
- author keys (columns marked by bot.storage.keys.key_column) equal to the key the member
  would have for that row's item (bot.anonymity.author_key): check-in replies, wins, ballots
  while their item is open (after it closes, no key leads to anyone).

On erasure, per foreign-key column: `member_id` (the row is by or about them) is deleted,
or with "keep my contributions" set to NULL when the column allows it (with `anonymous`
set and keyed hashes replaced by random ones); other nullable columns (who opened, edited…)
are set to NULL; non-nullable ones are deleted. A column can override this with
`info={"erase": "delete" | "null" | "authored"}`; "authored" marks the member who wrote the
row's words (a proposal, a suggestion, a nomination): deleted, or NULL when they keep their
words. Rows that point at deleted rows follow the same rule.

What copbot keeps of messages (the outbox and channel posts) is cleaned too: their name
becomes "a former member" and, unless they keep their words, every text they wrote becomes
"(erased)" — in a summary, a keepers' export, a help request or a win.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, ColumnElement, String, Table, Text, or_
from sqlmodel import SQLModel, select

import bot.storage.schema  # noqa: F401  (registers every table on SQLModel.metadata)
from bot import anonymity
from bot.context import Context
from bot.storage.tables import Member, OutboxMessage
from bot.storage.tables_contact import ChannelPost

FORMER_MEMBER = "a former member"
ERASED = "(erased)"
#: Tables of messages copbot keeps: cleaned of the member's name and words, not walked.
_MESSAGE_TABLES = ("outbox", "channel_post")
#: Shorter texts are left alone in kept messages (they could be anyone's common words).
_MIN_TEXT = 12


# ---- the schema walk ---------------------------------------------------------------------


def tables() -> list[Table]:
    """Every table copbot has, parents first."""
    return list(SQLModel.metadata.sorted_tables)


def member_columns() -> Iterator[tuple[Table, Column[Any]]]:
    """Every (table, column) with a foreign key to member.id."""
    for table in tables():
        for column in table.columns:
            if any(
                fk.column.table.name == Member.__tablename__ and fk.column.name == "id"
                for fk in column.foreign_keys
            ):
                yield table, column


def _user_id_columns() -> Iterator[tuple[Table, Column[Any]]]:
    for table in tables():
        if table.name == Member.__tablename__ or "community_id" not in table.columns:
            continue
        for column in table.columns:
            name = column.name
            if _is_text(column) and (name == "user_id" or name.endswith("_user_id")):
                yield table, column


def _is_text(column: Column[Any]) -> bool:
    kind = column.type
    return isinstance(kind, String | Text) or isinstance(getattr(kind, "impl", None), String)


def _hash_columns() -> Iterator[tuple[Table, Column[Any]]]:
    """Author-key columns (bot.anonymity): keyed hashes a member's id can be matched to."""
    yield from anonymity.key_columns(tables())


def _hash_matches(
    ctx: Context, table: Table, column: Column[Any], mid: int
) -> ColumnElement[bool] | None:
    """A condition selecting the rows whose keyed hash is this member's, or None."""
    wanted = anonymity.member_keys(ctx.uow.session, ctx.secret, table, column, mid)
    if not wanted:
        return None
    return column.in_(sorted(wanted))


@dataclass
class Selection:
    """The rows about one member: per table, the conditions that pick them."""

    conditions: dict[str, list[tuple[str, ColumnElement[bool]]]]

    def where(self, table: Table) -> ColumnElement[bool] | None:
        parts = [condition for _, condition in self.conditions.get(table.name, [])]
        return or_(*parts) if parts else None


def select_member(ctx: Context, member: Member) -> Selection:
    """Find every row about `member`, in every table (see the module's docstring)."""
    assert member.id is not None
    found: dict[str, list[tuple[str, ColumnElement[bool]]]] = {}

    def add(table: Table, reason: str, condition: ColumnElement[bool]) -> None:
        found.setdefault(table.name, []).append((reason, condition))

    member_table = Member.__table__  # type: ignore[attr-defined]
    add(member_table, "id", member_table.c.id == member.id)
    for table, column in member_columns():
        add(table, column.name, column == member.id)
    for table, column in _user_id_columns():
        add(
            table,
            column.name,
            (column == member.platform_user_id) & (table.c.community_id == ctx.community_id),
        )
    for table, column in _hash_columns():
        condition = _hash_matches(ctx, table, column, member.id)
        if condition is not None:
            add(table, column.name, condition)
    return Selection(found)


# ---- erasure -----------------------------------------------------------------------------


def _children(table: Table) -> list[tuple[Table, Column[Any], Column[Any]]]:
    """(child table, child column, parent column) for every foreign key into `table`."""
    found = []
    for child in tables():
        for column in child.columns:
            for fk in column.foreign_keys:
                if fk.column.table is table:
                    found.append((child, column, fk.column))
    return found


def _delete(ctx: Context, table: Table, condition: ColumnElement[bool], depth: int = 0) -> None:
    """Delete rows, first letting go of the rows that point at them (NULL where allowed,
    otherwise deleted in turn)."""
    if depth > 8:
        raise RuntimeError(f"foreign keys nest too deeply below {table.name}")
    session = ctx.uow.session
    for child, column, parent in _children(table):
        values = [v for (v,) in session.execute(select(parent).where(condition)).all()]
        if not values:
            continue
        if column.nullable and column.info.get("erase") != "delete":
            session.execute(child.update().where(column.in_(values)).values({column.name: None}))
        else:
            _delete(ctx, child, column.in_(values), depth + 1)
    session.execute(table.delete().where(condition))


def _anonymise(ctx: Context, table: Table, condition: ColumnElement[bool], column: str) -> None:
    """Keep the rows but cut them loose: the member column NULL, marked anonymous, and any
    keyed hash replaced by a random one (so not even the secret links them back)."""
    session = ctx.uow.session
    pk = list(table.primary_key.columns)
    hashes = [
        h.name
        for h in table.columns
        if h.name.endswith("_key") and getattr(h.type, "length", None) == 64
    ]
    values: dict[str, object] = {column: None} if column else {}
    if "anonymous" in table.columns:
        values["anonymous"] = True
    for row in session.execute(select(*pk).where(condition)).all():
        fresh = values | {name: secrets.token_hex(32) for name in hashes}
        if fresh:
            match = [p == v for p, v in zip(pk, row, strict=True)]
            session.execute(table.update().where(*match).values(fresh))


def _is_words(table: Table, column: Column[Any]) -> bool:
    """A column holding what someone wrote: long text, outside the kept messages."""
    if table.name in _MESSAGE_TABLES or table.name == "app_setting":
        return False
    kind = getattr(column.type, "impl", column.type)
    length = getattr(kind, "length", None)
    return isinstance(kind, Text) or (isinstance(kind, String) and (length or 0) >= 300)


def _words_of(ctx: Context, table: Table, condition: ColumnElement[bool]) -> set[str]:
    """The texts stored in the rows `condition` picks (before they are deleted)."""
    columns = [column for column in table.columns if _is_words(table, column)]
    if not columns:
        return set()
    rows = ctx.uow.session.execute(select(*columns).where(condition)).all()
    return {value for row in rows for value in row if isinstance(value, str)}


def erase_member(ctx: Context, member: Member, *, keep_contributions: bool) -> None:
    """Erase everything about `member` in this community; with `keep_contributions`, what
    they wrote stays, unattributable. Without it, what they wrote also goes from the
    messages copbot keeps."""
    session = ctx.uow.session
    session.flush()
    assert member.id is not None
    mid, names = member.id, {member.display_name, member.platform_user_id}
    member_table = Member.__table__  # type: ignore[attr-defined]
    words: set[str] = set()

    def delete(table: Table, condition: ColumnElement[bool]) -> None:
        words.update(_words_of(ctx, table, condition))
        _delete(ctx, table, condition)

    # Keyed hashes first, while the member's id still picks them out.
    for table, column in _hash_columns():
        condition = _hash_matches(ctx, table, column, mid)
        if condition is None:
            continue
        if keep_contributions:
            _anonymise(ctx, table, condition, "")
        else:
            delete(table, condition)
    for table, column in list(member_columns()):
        condition = column == mid
        rule = _rule(column, keep_contributions)
        if rule == "delete":
            delete(table, condition)
        elif rule == "anonymise":
            _anonymise(ctx, table, condition, column.name)
        else:
            session.execute(table.update().where(condition).values({column.name: None}))
    for table, column in _user_id_columns():
        _delete(
            ctx,
            table,
            (column == member.platform_user_id) & (table.c.community_id == ctx.community_id),
        )
    outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
    _delete(ctx, outbox, (outbox.c.platform == "email") & (outbox.c.user_id == f"member:{mid}"))
    _delete(ctx, member_table, member_table.c.id == mid)
    scrub_messages(ctx, names, set() if keep_contributions else words)
    session.expire_all()


def _rule(column: Column[Any], keep_contributions: bool) -> str:
    """delete, anonymise or null: what erasure does to rows whose `column` is the member."""
    rule = column.info.get("erase")
    if rule == "authored":
        return "null" if keep_contributions else "delete"
    if rule is not None:
        return str(rule)
    if not column.nullable:
        return "delete"
    if column.name == "member_id":
        return "anonymise" if keep_contributions else "delete"
    return "null"


def _alternation(needles: list[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True))


def scrub_messages(ctx: Context, names: set[str], texts: set[str]) -> None:
    """Clean the messages copbot keeps (the outbox, channel posts) of a member: each of
    `texts` becomes "(erased)", also inside an attached file, and their name "a former
    member" (exact case, at least 3 letters: a member called "Will" must not change "will")."""
    texts = {t for t in texts if len(t.strip()) >= _MIN_TEXT}
    # A file's JSON text escapes quotes and line breaks: look for that spelling too.
    variants = texts | {json.dumps(t, ensure_ascii=False)[1:-1] for t in texts}
    wanted = [n for n in names if len(n.strip()) >= 3]
    if not variants and not wanted:
        return
    text_pattern = re.compile(_alternation(sorted(variants))) if variants else None
    name_pattern = re.compile(r"(?<!\w)(?:" + _alternation(wanted) + r")(?!\w)") if wanted else None

    def clean(value: str) -> str:
        if text_pattern is not None:
            value = text_pattern.sub(ERASED, value)
        if name_pattern is not None:
            value = name_pattern.sub(FORMER_MEMBER, value)
        return value

    session = ctx.uow.session
    for table in (OutboxMessage.__table__, ChannelPost.__table__):  # type: ignore[attr-defined]
        rows = session.execute(
            select(table.c.id, table.c.payload).where(table.c.community_id == ctx.community_id)
        ).all()
        for row_id, payload in rows:
            original = json.loads(payload)
            cleaned = _replace(original, clean)
            if cleaned != original:
                text = json.dumps(cleaned, ensure_ascii=False, separators=(",", ":"))
                session.execute(table.update().where(table.c.id == row_id).values(payload=text))


def _replace(value: Any, clean: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [_replace(v, clean) for v in value]
    if isinstance(value, dict):  # an attachment's `data` is base64 bytes (a chart), not words
        return {k: v if k == "data" else _replace(v, clean) for k, v in value.items()}
    return value
