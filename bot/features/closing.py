"""An orderly close: a final recap and harvest of wins and stories, an export for the
keepers, a farewell; every schedule stops; after the retention period (`retention`,
90 days by default) the community's member-level data is erased.

Erasing is thorough by construction: every row that depends on the community through
foreign keys (directly or through a member, a check-in, a win…) is deleted, whichever
feature's table it is in. Only the community's own row and its closure record stay, so
that the configuration file cannot bring a closed community back.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, Table, delete, or_, update
from sqlmodel import Session, SQLModel, col, select

from bot import commands as c
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain import momentum as rules
from bot.domain import when
from bot.domain.checkins import local_time
from bot.domain.members import deliver_at
from bot.domain.text import plural
from bot.errors import UserError
from bot.features import momentum_links as links
from bot.features.base import Feature, Verb, split_id, usage_error
from bot.features.newsletter import build_recap, replies_between
from bot.features.pulse_results import latest_sections, open_pulses, pulses_between, seal_pulse
from bot.messages import Button, OutMessage, Response, Section, say
from bot.scheduling import JobSpec, at
from bot.storage.tables import Activity, CheckIn, CheckInReply, Meeting, Member, OutboxMessage
from bot.storage.tables_momentum import CommunityClosure
from bot.storage.tables_value import PULSE_KINDS
from bot.storage.uow import UnitOfWork

#: Tables kept after erasure: the community (a tombstone with closed_at) and its closure.
KEPT = frozenset({"community", "community_closure"})
MAX_EXPORT_SECTIONS = 45

# ---- commands --------------------------------------------------------------------------


@dataclass(frozen=True)
class AskClose(c.Command):
    pass


@dataclass(frozen=True)
class ConfirmClose(c.Command):
    community_id: int


@dataclass(frozen=True)
class KeepOpen(c.Command):
    pass


@dataclass(frozen=True)
class EraseCommunity(c.Command):
    """A job, after the retention period: runs although the community is closed."""

    after_close: ClassVar[bool] = True


# ---- erasing ---------------------------------------------------------------------------


def _dependents(community_id: int) -> list[tuple[Table, ColumnElement[bool]]]:
    """Every table holding rows that depend on the community, children first, each with
    the condition that picks those rows."""
    tables = {t.name: t for t in SQLModel.metadata.sorted_tables}
    memo: dict[str, ColumnElement[bool] | None] = {}

    def condition(table: Table, seen: frozenset[str]) -> ColumnElement[bool] | None:
        if table.name in memo:
            return memo[table.name]
        parts: list[ColumnElement[bool]] = []
        linked = {fk.parent.name for fk in table.foreign_keys}
        if "community_id" in table.c and "community_id" not in linked:
            parts.append(table.c.community_id == community_id)  # a community id without a key
        for fk in table.foreign_keys:
            parent = fk.column.table
            if parent.name == "community":
                parts.append(fk.parent == community_id)
            elif parent.name not in KEPT and parent.name not in seen and parent is not table:
                above = condition(tables[parent.name], seen | {table.name})
                if above is not None:
                    parts.append(fk.parent.in_(select(fk.column).where(above)))
        memo[table.name] = or_(*parts) if parts else None
        return memo[table.name]

    found = []
    for table in reversed(SQLModel.metadata.sorted_tables):
        if table.name in KEPT:
            continue
        picked = condition(table, frozenset())
        if picked is not None:
            found.append((table, picked))
    return found


def erase(session: Session, community_id: int) -> dict[str, int]:
    """Delete the community's member-level data (everything but its tombstone); returns
    how many rows went from each table."""
    counts: dict[str, int] = {}
    for table, picked in _dependents(community_id):
        result = session.execute(delete(table).where(picked))
        counts[table.name] = result.rowcount or 0  # type: ignore[attr-defined]
    return counts


def erase_community(cmd: EraseCommunity, ctx: Context) -> Response:
    closure = ctx.uow.session.get(CommunityClosure, ctx.community_id)
    now = ctx.clock.now()
    if closure is None or closure.erased_at is not None or now < closure.erase_after:
        return Response()
    erase(ctx.uow.session, ctx.community_id)
    closure.erased_at = now
    ctx.uow.session.add(closure)
    return Response()


# ---- the export ------------------------------------------------------------------------


def export(ctx: Context, closure: CommunityClosure) -> dict[str, Any]:
    """A summary for the keepers: figures and shared texts, never who said what."""
    session, community_id, tz = ctx.uow.session, ctx.community_id, ctx.community.timezone
    now = closure.closed_at
    members = session.exec(select(Member).where(Member.community_id == community_id)).all()
    meetings = session.exec(
        select(Meeting)
        .where(
            Meeting.community_id == community_id,
            col(Meeting.cancelled).is_(False),
            col(Meeting.starts_at) <= now,
        )
        .order_by(col(Meeting.starts_at))
    ).all()
    kinds = Counter(
        session.exec(
            select(CheckInReply.kind)
            .join(CheckIn, col(CheckIn.id) == col(CheckInReply.checkin_id))
            .where(CheckIn.community_id == community_id)
        ).all()
    )
    checkins = session.exec(select(CheckIn.id).where(CheckIn.community_id == community_id)).all()
    activity = Counter(
        at.astimezone(ctx.settings.zone).strftime("%Y-%m")
        for at in session.exec(select(Activity.at).where(Activity.community_id == community_id))
    )
    recap = build_recap(session, community_id, ctx.community.created_at, now)
    begun = ctx.community.created_at

    def texts(kind: str) -> list[str]:
        return replies_between(session, community_id, (kind,), begun, now)

    return {
        "community": ctx.community.name,
        "about": ctx.settings.about,
        "timezone": tz,
        "began": local_time(begun, tz),
        "closed": local_time(closure.closed_at, tz),
        "data_erased_on": local_time(closure.erase_after, tz),
        "members": len(members),
        "conveners": sum(1 for m in members if m.is_convener),
        "keepers": sum(1 for m in members if m.is_keeper),
        "meetings": [
            {"when": local_time(m.starts_at, tz), "topic": m.topic or ""} for m in meetings
        ],
        "checkins": len(checkins),
        "replies": {kind: kinds.get(kind, 0) for kind in c.REPLY_KINDS},
        "activity_by_month": dict(sorted(activity.items())),
        "wins": recap.wins,
        "successes": texts("success"),
        "learning": texts("learning"),
        "challenges": texts("challenge"),
        "stories": links.stories_between(session, community_id, begun, _just_after(now)),
        "open_pledges": recap.open_pledges,
        "votes": recap.polls,
        "pulses": [
            row
            for result in pulses_between(session, community_id, begun, _just_after(now))
            for row in result.figures()
        ],
        "note": "Shared under the Chatham House rule: what was learned, never who said it.",
    }


def _export_message(name: str, data: dict[str, Any]) -> OutMessage:
    pieces = rules.chunks(json.dumps(data, indent=1, ensure_ascii=False))
    sections = tuple(Section(text=p) for p in pieces[:MAX_EXPORT_SECTIONS])
    cut = len(pieces) - len(sections)
    return OutMessage(
        title=f"{name}: the keepers' export",
        sections=sections,
        footer=(f"Cut short: {plural(cut, 'more part')} did not fit. " if cut else "")
        + "Keep it somewhere safe: copbot erases the community's data on the date above.",
    )


# ---- handlers --------------------------------------------------------------------------


def ask(cmd: AskClose, ctx: Context) -> Response:
    ctx.require_convener("close the community")
    retention = ctx.settings.retention
    return Response(
        message=OutMessage(
            title=f"Close {ctx.community.name}?",
            sections=(
                Section(
                    text="I will post a final recap and a farewell, send the keepers an "
                    "export, and stop every reminder, nudge and schedule. No one can use "
                    f"copbot here afterwards. Members' details and replies are erased "
                    f"{retention} later. This can't be undone. (To ask members what taking "
                    "part changed for them first, use /cop pulse impact; the recap shows the "
                    "latest results.)"
                ),
            ),
            buttons=(
                Button(
                    label=f"Yes, close {ctx.community.name}"[:75],
                    action="close.confirm",
                    value=str(ctx.community_id),
                    style="danger",
                ),
                Button(label="No, keep it open", action="close.cancel"),
            ),
        )
    )


def confirm(cmd: ConfirmClose, ctx: Context) -> Response:
    closer = ctx.require_convener("close the community")
    if cmd.community_id != ctx.community_id:
        raise UserError("That button is out of date. Try /cop close-community again.")
    session, now, words = ctx.uow.session, ctx.clock.now(), ctx.settings.words
    community = ctx.community
    community.closed_at = now
    closure = CommunityClosure(
        community_id=ctx.community_id,
        closed_at=now,
        erase_after=now + when.parse_duration(ctx.settings.retention),
    )
    session.add_all([community, closure])
    session.execute(  # whatever was still waiting to go out stops with everything else
        update(OutboxMessage)
        .where(
            col(OutboxMessage.community_id) == ctx.community_id,
            col(OutboxMessage.status) == "pending",
        )
        .values(status="expired")
    )
    for pulse in open_pulses(session, ctx.community_id):  # its answers so far count
        seal_pulse(session, pulse, now)
    recap = build_recap(session, ctx.community_id, community.created_at, now)
    recap.successes = replies_between(
        session, ctx.community_id, ("success",), community.created_at, now
    )
    begun = community.created_at
    recap.stories = links.stories_between(session, ctx.community_id, begun, _just_after(now))
    recap.next_meeting = None
    body = rules.recap_sections(recap, words, community.timezone)
    body = [*body, *latest_sections(session, ctx.community_id, keeper=False, kinds=PULSE_KINDS)]
    common = {"platform": community.platform, "created_at": now, "community_id": ctx.community_id}
    ctx.uow.enqueue(
        f"close:{ctx.community_id}:recap",
        OutMessage(
            title=f"What we made together: {community.name}",
            sections=tuple(body),
            footer="Shared under the Chatham House rule: use what you learned, never who said it.",
        ),
        channel_id=community.channel_id,
        **common,
    )
    ctx.uow.enqueue(
        f"close:{ctx.community_id}:farewell",
        rules.farewell(community.name, closure.erase_after, community.timezone, words),
        channel_id=community.channel_id,
        **common,
    )
    keepers = list(
        session.exec(
            select(Member).where(Member.community_id == ctx.community_id, col(Member.is_keeper))
        ).all()
    )
    sent_to = "the keepers" if keepers else "you (there are no keepers)"
    keepers = keepers or [closer]
    message = _export_message(community.name, export(ctx, closure))
    for keeper in keepers:
        ctx.uow.enqueue(
            f"close:{ctx.community_id}:export:{keeper.id}",
            message,
            user_id=keeper.platform_user_id,
            not_before=deliver_at(keeper, now),
            **common,
        )
    return Response(
        message=say(
            f"{community.name} is closed. The recap and farewell are posted; the export goes "
            f"to {sent_to}. Data is erased on "
            f"{local_time(closure.erase_after, community.timezone)}."
        )
    )


def keep_open(cmd: KeepOpen, ctx: Context) -> Response:
    return Response(message=say("Nothing changed: the community stays open."))


def _parse(rest: str, _settings: CommunitySettings) -> c.Command:
    if rest:
        raise usage_error(CLOSE)
    return AskClose()


# ---- schedules -------------------------------------------------------------------------


def collect_jobs(uow: UnitOfWork, settings_of: object) -> list[JobSpec]:
    """Erasing each closed community's data once its retention period is over. Overdue
    erasures (copbot was down longer than its look-back) still happen, at once (catch-up)."""
    closures = uow.session.exec(
        select(CommunityClosure).where(col(CommunityClosure.erased_at).is_(None))
    ).all()
    return [
        JobSpec(
            key=f"erase:{closure.community_id}",
            community_id=closure.community_id,
            times=at(closure.erase_after),
            make=lambda _t: EraseCommunity(),
            catch_up=True,
        )
        for closure in closures
    ]


CLOSE = Verb(
    "close-community",
    _parse,
    usage="/cop close-community",
    help="",
    convener_help="close the community in an orderly way: recap, export, farewell "
    "(asks you to confirm)",
)

FEATURE = Feature(
    name="closing",
    verbs=(CLOSE,),
    buttons={
        "close.confirm": lambda value: ConfirmClose(split_id(value)[0]),
        "close.cancel": lambda _value: KeepOpen(),
    },
    handlers={
        AskClose: ask,
        ConfirmClose: confirm,
        KeepOpen: keep_open,
        EraseCommunity: erase_community,
    },
    jobs=collect_jobs,
)


def _just_after(moment: datetime) -> datetime:
    """An exclusive end that still includes what happened at `moment` itself."""
    return moment + timedelta(microseconds=1)
