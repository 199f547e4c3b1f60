"""My data: see everything copbot holds about you (/cop mydata), erase it (/cop forget-me),
a community-wide retention period, and a log of administrative actions (no content).

Both export and erasure walk the schema (every table registered by bot.storage.schema), so
a table added later is covered without changes here. What counts as "about a member":

- every column with a foreign key to member.id (and the member row itself);
- text columns named `user_id` / `*_user_id` holding their platform user id, in tables
  with a `community_id` (e.g. private messages to them in the outbox);
- author keys (columns marked by bot.storage.keys.key_column) equal to the key the member
  would have for that row's item (bot.anonymity.author_key): check-in replies, wins, ballots
  while their item is open (after it closes, no key leads to anyone).

On erasure, per foreign-key column: `member_id` (the row is by or about them) is deleted,
or with "keep my contributions" set to NULL when the column allows it (with `anonymous`
set and keyed hashes replaced by random ones); other nullable columns (who nominated,
opened, edited…) are set to NULL; non-nullable ones are deleted. A column can override
this with `info={"erase": "delete" | "null"}`. Rows that point at deleted rows follow the
same rule. Their name is replaced by "a former member" in messages copbot keeps.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, ColumnElement, String, Table, Text, func, or_
from sqlmodel import SQLModel, col, select

import bot.storage.schema  # noqa: F401  (registers every table on SQLModel.metadata)
from bot import anonymity
from bot import commands as c
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain import when
from bot.domain.retention import parse_period
from bot.domain.text import plural, plural_of
from bot.errors import UserError
from bot.features.base import Feature, Verb, mention, usage_error
from bot.features.mydata_words import record_sections
from bot.messages import Attachment, Button, OutMessage, Response, Section, say
from bot.scheduling import JobSpec
from bot.storage.tables import Activity, Community, Member, OutboxMessage
from bot.storage.tables_contact import ChannelPost
from bot.storage.tables_trust import AdminLog

FORMER_MEMBER = "a former member"
RETENTION_SCHEDULE = "every day 03:30"


@dataclass(frozen=True)
class ExportMyData(c.Command):
    """Send me everything copbot holds about me."""


@dataclass(frozen=True)
class StartForget(c.Command):
    """Ask before erasing: everything, or keep my contributions anonymised? A convener may
    name someone else (who asked them, e.g. by email)."""

    target_user_id: str | None = None


@dataclass(frozen=True)
class ForgetMe(c.Command):
    """Erase the acting member's personal data (confirmed with a button)."""

    keep_contributions: bool = False
    target_user_id: str | None = None


@dataclass(frozen=True)
class CancelForget(c.Command):
    pass


@dataclass(frozen=True)
class RetentionSweep(c.Command):
    """A job: forget members who have not taken part for the retention period."""

    community_id: int
    occurrence: datetime


# ---- the admin log -----------------------------------------------------------------------


def audit(ctx: Context, action: str, target_member_id: int | None = None) -> None:
    """Log an administrative action: who (the acting member, None for a job), what, to whom,
    when. Never any content."""
    ctx.uow.session.add(
        AdminLog(
            community_id=ctx.community_id,
            actor_member_id=ctx.member.id if ctx.member is not None else None,
            action=action[:40],
            target_member_id=target_member_id,
            at=ctx.clock.now(),
        )
    )


# ---- the schema walk ---------------------------------------------------------------------


def _tables() -> list[Table]:
    return list(SQLModel.metadata.sorted_tables)


def member_columns() -> Iterator[tuple[Table, Column[Any]]]:
    """Every (table, column) with a foreign key to member.id."""
    for table in _tables():
        for column in table.columns:
            if any(
                fk.column.table.name == Member.__tablename__ and fk.column.name == "id"
                for fk in column.foreign_keys
            ):
                yield table, column


def _user_id_columns() -> Iterator[tuple[Table, Column[Any]]]:
    for table in _tables():
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
    yield from anonymity.key_columns(_tables())


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


def _jsonable(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def collect(ctx: Context, member: Member) -> dict[str, list[dict[str, object]]]:
    """Every row about `member`, table by table (tables with none are left out)."""
    selection = select_member(ctx, member)
    data: dict[str, list[dict[str, object]]] = {}
    for table in _tables():
        condition = selection.where(table)
        if condition is None:
            continue
        rows = ctx.uow.session.execute(select(table).where(condition)).mappings().all()
        if rows:
            data[table.name] = [{k: _jsonable(v) for k, v in row.items()} for row in rows]
    return data


# ---- erasure -----------------------------------------------------------------------------


def _children(table: Table) -> list[tuple[Table, Column[Any], Column[Any]]]:
    """(child table, child column, parent column) for every foreign key into `table`."""
    found = []
    for child in _tables():
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


def erase_member(ctx: Context, member: Member, *, keep_contributions: bool) -> None:
    """Erase everything about `member` in this community; with `keep_contributions`, what
    they wrote stays, unattributable."""
    session = ctx.uow.session
    session.flush()
    assert member.id is not None
    mid, names = member.id, {member.display_name, member.platform_user_id}
    member_table = Member.__table__  # type: ignore[attr-defined]
    # Keyed hashes first, while the member's id still picks them out.
    for table, column in _hash_columns():
        condition = _hash_matches(ctx, table, column, mid)
        if condition is None:
            continue
        if keep_contributions:
            _anonymise(ctx, table, condition, "")
        else:
            _delete(ctx, table, condition)
    for table, column in list(member_columns()):
        condition = column == mid
        rule = column.info.get("erase")
        if rule is None:
            if not column.nullable:
                rule = "delete"
            elif column.name == "member_id":
                rule = "anonymise" if keep_contributions else "delete"
            else:
                rule = "null"
        if rule == "delete":
            _delete(ctx, table, condition)
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
    _scrub_names(ctx, names)
    session.expire_all()


def _scrub_names(ctx: Context, names: set[str]) -> None:
    """Replace the member's name in the messages copbot keeps (e.g. a named summary)."""
    # Exact case and at least 3 letters: a member called "Will" must not change "will".
    words = [re.escape(n) for n in sorted(names, key=len, reverse=True) if len(n.strip()) >= 3]
    if not words:
        return
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)")
    session = ctx.uow.session
    for table in (OutboxMessage.__table__, ChannelPost.__table__):  # type: ignore[attr-defined]
        rows = session.execute(
            select(table.c.id, table.c.payload).where(table.c.community_id == ctx.community_id)
        ).all()
        for row_id, payload in rows:
            if not pattern.search(payload):
                continue
            cleaned = json.dumps(
                _replace(json.loads(payload), pattern), ensure_ascii=False, separators=(",", ":")
            )
            session.execute(table.update().where(table.c.id == row_id).values(payload=cleaned))


def _replace(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(FORMER_MEMBER, value)
    if isinstance(value, list):
        return [_replace(v, pattern) for v in value]
    if isinstance(value, dict):  # an attachment's `data` is base64 bytes (a chart), not words
        return {k: v if k == "data" else _replace(v, pattern) for k, v in value.items()}
    return value


# ---- handlers ----------------------------------------------------------------------------


def export_my_data(cmd: ExportMyData, ctx: Context) -> Response:
    member = ctx.require_member()
    assert member.id is not None
    now = ctx.clock.now()
    data = collect(ctx, member)
    document = json.dumps(
        {
            "community": ctx.community.name,
            "member": member.display_name,
            "exported_at": now.isoformat(),
            "tables": data,
        },
        indent=1,
        ensure_ascii=False,
        default=str,
    )
    message = OutMessage(
        title=f"Everything copbot holds about you in {ctx.community.name}",
        sections=(
            *record_sections(data, ctx.community.name, member.timezone),
            Section(
                text="Every detail is in the attached file (JSON), which you can keep or "
                "give to another service. /cop forget-me erases it all."
            ),
        ),
        attachment=Attachment(
            filename=f"copbot-{ctx.community.name}-my-data.json", content=document
        ),
    )
    stamp = now.isoformat(timespec="seconds")
    ctx.uow.enqueue(
        f"mydata:{member.id}:{stamp}:0",
        message,
        platform=ctx.community.platform,
        created_at=now,
        community_id=ctx.community_id,
        user_id=member.platform_user_id,
    )
    audit(ctx, "export", member.id)
    rows = sum(len(r) for r in data.values())
    return Response(
        message=say(
            "I've sent you everything I hold about you privately: "
            f"{plural(rows, 'record')} in {plural(len(data), 'place')}."
        )
    )


def _target(ctx: Context, user_id: str | None) -> Member:
    """The acting member, or (for a convener) the member they name."""
    member = ctx.require_member()
    if user_id is None or user_id == member.platform_user_id:
        return member
    ctx.require_convener("erase someone else's data")
    target = ctx.uow.session.exec(
        select(Member).where(
            Member.community_id == ctx.community_id, Member.platform_user_id == user_id
        )
    ).first()
    if target is None:
        raise UserError("I hold nothing about that person here: there's nothing to erase.")
    return target


def start_forget(cmd: StartForget, ctx: Context) -> Response:
    target = _target(ctx, cmd.target_user_id)
    mine = target is ctx.member
    whose = "you" if mine else target.display_name
    suffix = "" if mine else f":{target.platform_user_id}"
    return Response(
        message=OutMessage(
            title=f"Erase what copbot holds about {whose}?",
            sections=(
                Section(
                    text=f"This erases {'your' if mine else 'their'} profile and settings, "
                    f"replies, {plural_of(ctx.settings.words.pledge)}, votes and everything "
                    "else I hold "
                    f"about {whose} in {ctx.community.name}. It can't be undone. What "
                    f"{'you' if mine else 'they'} shared can also stay, with nothing left "
                    f"to link it to {'you' if mine else 'them'}."
                ),
                Section(
                    text="Want a copy first? /cop mydata"
                    if mine
                    else "Only do this when they have asked for it. It will be logged "
                    "(who and when, nothing else)."
                ),
            ),
            buttons=(
                Button(
                    label="Erase everything",
                    action="mydata.forget",
                    value=f"all{suffix}",
                    style="danger",
                ),
                Button(
                    label=f"Erase {'me' if mine else 'them'}, keep "
                    f"{'my' if mine else 'their'} words anonymously",
                    action="mydata.forget",
                    value=f"keep{suffix}",
                ),
                Button(label="Cancel", action="mydata.cancel"),
            ),
        )
    )


def forget_me(cmd: ForgetMe, ctx: Context) -> Response:
    target = _target(ctx, cmd.target_user_id)
    mine, name = target is ctx.member, target.display_name
    erase_member(ctx, target, keep_contributions=cmd.keep_contributions)
    if mine:
        ctx.member = None
    how = "erased (kept anonymised)" if cmd.keep_contributions else "erased"
    audit(ctx, how if mine else f"{how} by a convener")
    who = ("you", "you") if mine else ("they", "them")
    kept = f" What {who[0]} shared stays, with nothing to link it to {who[1]}."
    kept = kept if cmd.keep_contributions else ""
    if not mine:
        return Response(message=say(f"Done: everything I held about {name} is erased.{kept}"))
    return Response(
        message=say(
            f"Done: everything I held about you in {ctx.community.name} is erased.{kept} "
            "If you use copbot here again, you'll start afresh. Take care!"
        )
    )


def cancel_forget(cmd: CancelForget, ctx: Context) -> Response:
    return Response(message=say("Nothing was erased."))


def last_seen(ctx: Context, member: Member) -> datetime:
    """When the member last took part: joined, was active, or did something recorded."""
    latest = ctx.uow.session.exec(
        select(func.max(Activity.at)).where(Activity.member_id == member.id)
    ).one()
    seen = [t for t in (member.joined_at, latest) if t is not None]
    return max(seen)


def retention_sweep(cmd: RetentionSweep, ctx: Context) -> Response:
    """Forget members who haven't taken part for the retention period (their contributions
    stay, anonymised), and drop delivered messages older than that."""
    now = ctx.clock.now()
    session = ctx.uow.session
    period = ctx.settings.personal_data_retention
    if not period:
        return Response()
    cutoff = now - parse_period(period)
    members = session.exec(select(Member).where(Member.community_id == ctx.community_id)).all()
    for member in members:
        if member.platform_user_id in ctx.settings.conveners + ctx.settings.keepers:
            continue  # named in the settings file: they are the community's officers
        if member.is_convener and ctx.community.platform == "email":
            continue  # an email-only community's conveners are named by address
        if last_seen(ctx, member) < cutoff:
            erase_member(ctx, member, keep_contributions=True)
            audit(ctx, "erased (retention)")
    session.execute(
        OutboxMessage.__table__.delete().where(  # type: ignore[attr-defined]
            col(OutboxMessage.community_id) == ctx.community_id,
            col(OutboxMessage.created_at) < cutoff,
            col(OutboxMessage.status).in_(
                ("sent", "expired", "dead", "shown", "held", "cancelled")
            ),
        )
    )
    session.execute(
        ChannelPost.__table__.delete().where(  # type: ignore[attr-defined]
            col(ChannelPost.community_id) == ctx.community_id, col(ChannelPost.posted_at) < cutoff
        )
    )
    return Response()


def collect_jobs(uow: Any, settings_of: object) -> list[JobSpec]:
    """A daily sweep (03:30 local) in every community with a retention period."""
    specs = []
    schedule = when.parse_schedule(RETENTION_SCHEDULE)
    assert isinstance(schedule, when.Recurrence)
    for community in uow.session.exec(
        select(Community).where(col(Community.closed_at).is_(None))
    ).all():
        settings: CommunitySettings = settings_of(community)  # type: ignore[operator]
        if not settings.personal_data_retention:
            continue
        community_id, zone = community.id, ZoneInfo(community.timezone)

        def times(start: datetime, end: datetime, zone: Any = zone) -> list[datetime]:
            return schedule.between(start, end, zone)

        specs.append(
            JobSpec(
                key=f"retention:{community_id}",
                community_id=community_id,
                times=times,
                make=lambda t, i=community_id: RetentionSweep(community_id=i, occurrence=t),
                grace=timedelta(days=1),
                once_per_local_day=community.timezone,
                since=community.created_at,
            )
        )
    return specs


# ---- parsing -----------------------------------------------------------------------------


def _parse_mydata(rest: str, _settings: CommunitySettings) -> c.Command:
    if rest:
        raise usage_error(MYDATA)
    return ExportMyData()


def _parse_forget(rest: str, _settings: CommunitySettings) -> c.Command:
    if not rest:
        return StartForget()
    user_id = mention(rest)
    if user_id is None:
        raise usage_error(FORGET)
    return StartForget(target_user_id=user_id)


def _forget_button(value: str) -> c.Command:
    choice, _, user_id = value.partition(":")
    if choice not in ("all", "keep"):
        raise UserError("That button is out of date. Try /cop forget-me.")
    return ForgetMe(keep_contributions=choice == "keep", target_user_id=user_id or None)


MYDATA = Verb(
    "mydata",
    _parse_mydata,
    usage="/cop mydata",
    help="everything copbot holds about you, sent to you privately",
    aliases=("my-data",),
)
FORGET = Verb(
    "forget-me",
    _parse_forget,
    usage="/cop forget-me · /cop forget-me @someone (conveners, when asked)",
    help="erase what copbot holds about you (you'll be asked to confirm)",
    convener_help="erase someone's data when they ask you to (/cop forget-me @someone)",
    aliases=("forgetme",),
)

FEATURE = Feature(
    name="mydata",
    verbs=(MYDATA, FORGET),
    buttons={"mydata.forget": _forget_button, "mydata.cancel": lambda _value: CancelForget()},
    handlers={
        ExportMyData: export_my_data,
        StartForget: start_forget,
        ForgetMe: forget_me,
        CancelForget: cancel_forget,
        RetentionSweep: retention_sweep,
    },
    jobs=collect_jobs,
)
