"""My data: see everything copbot holds about you (/cop mydata), erase it (/cop forget-me),
a community-wide retention period, and a log of administrative actions (no content).

Both the export and erasure find a member's rows by walking the whole schema
(bot.features.erase), so a table added later is covered without changes here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select

import bot.storage.schema  # noqa: F401  (registers every table on SQLModel.metadata)
from bot import commands as c
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain import when
from bot.domain.retention import parse_period
from bot.domain.text import plural, plural_of
from bot.errors import UserError
from bot.features.base import Feature, Verb, mention, usage_error
from bot.features.erase import erase_member, select_member, tables
from bot.features.mydata_words import record_sections
from bot.messages import Attachment, Button, OutMessage, Response, Section, say
from bot.scheduling import JobSpec
from bot.storage.tables import Activity, Community, Member, OutboxMessage
from bot.storage.tables_contact import ChannelPost
from bot.storage.tables_trust import AdminLog

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


def _jsonable(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def collect(ctx: Context, member: Member) -> dict[str, list[dict[str, object]]]:
    """Every row about `member`, table by table (tables with none are left out)."""
    selection = select_member(ctx, member)
    data: dict[str, list[dict[str, object]]] = {}
    for table in tables():
        condition = selection.where(table)
        if condition is None:
            continue
        rows = ctx.uow.session.execute(select(table).where(condition)).mappings().all()
        if rows:
            data[table.name] = [{k: _jsonable(v) for k, v in row.items()} for row in rows]
    return data


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
