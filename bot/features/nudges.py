"""Conveners' nudges: a message once or on a rhythm, to the channel or privately to members.

`/cop nudge add <when> [to <who>] <text>` answers with a preview and Save/Cancel buttons;
only Save makes it real. Times are the community's local time (DST-safe); private messages
never arrive inside a member's quiet hours. Each occurrence is claimed once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from bot import commands as c
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain import momentum as rules
from bot.domain import when
from bot.domain.members import deliver_at, is_away
from bot.domain.text import clean_text, read_number, short
from bot.errors import UserError
from bot.features import momentum_links as links
from bot.features.base import Feature, Verb, split_id, usage_error
from bot.features.nudge_commands import (
    AddNudge,
    DiscardDraft,
    EditNudge,
    ListNudges,
    SaveNudge,
    SendNudge,
    SetNudgeStatus,
)
from bot.features.nudge_jobs import collect_jobs
from bot.features.nudge_times import apply_when, describe_when, next_time, read_when
from bot.messages import OutMessage, Response, Section, say
from bot.storage.tables import Activity, Community, Meeting, Member
from bot.storage.tables_momentum import Nudge

log = logging.getLogger(__name__)

#: A private nudge still undelivered this long after it may first arrive is dropped.
DM_LIFETIME = timedelta(days=1)
DRAFT_LIFETIME = timedelta(days=1)

# ---- who receives it -------------------------------------------------------------------


def recipients(
    session: Session, community: Community, audience: str, now: datetime
) -> list[Member]:
    """The members a private nudge goes to (never those who said they are away)."""
    assert community.id is not None
    members = list(session.exec(select(Member).where(Member.community_id == community.id)).all())
    if audience == "quiet":
        since = session.exec(
            select(Meeting.starts_at)
            .where(
                Meeting.community_id == community.id,
                col(Meeting.cancelled).is_(False),
                col(Meeting.starts_at) <= now,
            )
            .order_by(col(Meeting.starts_at).desc())
        ).first()
        query = select(Activity.member_id).where(
            Activity.community_id == community.id, col(Activity.member_id).is_not(None)
        )
        if since is not None:
            query = query.where(col(Activity.at) >= since)
        engaged = set(session.exec(query).all())
        members = [m for m in members if m.id not in engaged]
    elif audience == "pledgers":
        holders = links.open_pledge_holders(session, community.id)
        members = [m for m in members if m.id in holders]
    return [m for m in members if not is_away(m, now)]


def _audience_note(ctx: Context, audience: str) -> str:
    phrase = rules.audience_phrase(audience, ctx.settings.words)
    if audience == "channel":
        return phrase
    count = len(recipients(ctx.uow.session, ctx.community, audience, ctx.clock.now()))
    return f"{phrase} ({count} {'person' if count == 1 else 'people'} right now)"


# ---- handlers --------------------------------------------------------------------------


def _nudge(ctx: Context, nudge_id: int, *, draft: bool = False) -> Nudge:
    nudge = ctx.uow.session.get(Nudge, nudge_id)
    if (
        nudge is None
        or nudge.community_id != ctx.community_id
        or (nudge.status == "draft") != draft
        or nudge.status == "done"
    ):
        if draft:
            raise UserError("That preview is out of date: nothing was saved. Add it again?")
        raise UserError(f"I can't find nudge #{nudge_id}. See them with /cop nudge list.")
    return nudge


def add_nudge(cmd: AddNudge, ctx: Context) -> Response:
    member = ctx.require_convener("send nudges")
    now, session = ctx.clock.now(), ctx.uow.session
    session.execute(
        delete(Nudge).where(
            col(Nudge.community_id) == ctx.community_id,
            col(Nudge.status) == "draft",
            col(Nudge.created_at) < now - DRAFT_LIFETIME,
        )
    )
    try:
        read, phrase, rest = rules.split_when(
            cmd.text, lambda p: read_when(p, now, ctx.settings.zone)
        )
    except when.WhenError as error:
        raise UserError(f"{error} Usage: {NUDGE.usage}") from None
    audience, text = rules.split_audience(rest)
    nudge = Nudge(
        community_id=ctx.community_id,
        author_id=member.id,
        text=clean_text(text, what="Your nudge"),
        when_text=phrase[:200],
        recurrence=None if isinstance(read, datetime) else read.text,
        fire_at=read if isinstance(read, datetime) else None,
        audience=audience,
        created_at=now,
    )
    session.add(nudge)
    session.flush()
    assert nudge.id is not None
    return Response(
        message=OutMessage(
            title="Preview of your nudge (not saved yet)",
            sections=(
                Section(heading="When", text=describe_when(nudge, ctx)),
                Section(heading="To", text=_audience_note(ctx, audience)),
                *rules.nudge_message(nudge.text, ctx.community.name).sections,
            ),
            buttons=rules.confirm_buttons("nudge", str(nudge.id)),
            footer="Save it to send it at that time; Cancel and nothing is kept.",
        )
    )


def save_nudge(cmd: SaveNudge, ctx: Context) -> Response:
    ctx.require_convener("send nudges")
    nudge = _nudge(ctx, cmd.nudge_id, draft=True)
    now = ctx.clock.now()
    if next_time(nudge, ctx.settings.zone, now) is None:
        raise UserError("That time has passed since the preview: nothing was saved. Add it again?")
    nudge.status, nudge.active_since = "active", now
    ctx.uow.session.add(nudge)
    return Response(
        message=say(f"Saved as nudge #{nudge.id}: {describe_when(nudge, ctx)}. /cop nudge list")
    )


def discard_draft(cmd: DiscardDraft, ctx: Context) -> Response:
    ctx.require_convener("send nudges")
    nudge = ctx.uow.session.get(Nudge, cmd.nudge_id)
    if nudge is not None and nudge.status == "draft" and nudge.community_id == ctx.community_id:
        ctx.uow.session.delete(nudge)
    return Response(message=say("Cancelled: nothing was saved."))


def list_nudges(cmd: ListNudges, ctx: Context) -> Response:
    ctx.require_convener("manage nudges")
    nudges = ctx.uow.session.exec(
        select(Nudge)
        .where(Nudge.community_id == ctx.community_id, col(Nudge.status).in_(("active", "paused")))
        .order_by(col(Nudge.id))
    ).all()
    if not nudges:
        return Response(message=say("No nudges yet. Add one with /cop nudge add …"))
    items = tuple(
        f"#{n.id}{' (paused)' if n.status == 'paused' else ''} {describe_when(n, ctx)} → "
        f"{rules.audience_phrase(n.audience, ctx.settings.words)}: “{short(n.text, 80)}”"
        for n in nudges
    )
    return Response(
        message=OutMessage(
            title="Nudges",
            sections=(Section(items=items),),
            footer="/cop nudge pause|resume|delete <id> · /cop nudge edit <id> text|when|to …",
        )
    )


def set_status(cmd: SetNudgeStatus, ctx: Context) -> Response:
    ctx.require_convener("manage nudges")
    nudge = _nudge(ctx, cmd.nudge_id)
    if cmd.action == "delete":
        ctx.uow.session.delete(nudge)
        return Response(message=say(f"Nudge #{nudge.id} is deleted."))
    if cmd.action == "pause":
        nudge.status = "paused"
    else:
        if next_time(nudge, ctx.settings.zone, ctx.clock.now()) is None:
            raise UserError(f"Nudge #{nudge.id}'s time has passed. Change it with /cop nudge edit.")
        nudge.status, nudge.active_since = "active", ctx.clock.now()
    ctx.uow.session.add(nudge)
    return Response(
        message=say(f"Nudge #{nudge.id} is {nudge.status}: {describe_when(nudge, ctx)}.")
    )


def edit_nudge(cmd: EditNudge, ctx: Context) -> Response:
    ctx.require_convener("manage nudges")
    nudge = _nudge(ctx, cmd.nudge_id)
    now = ctx.clock.now()
    if cmd.part == "when":
        apply_when(nudge, cmd.value, now, ctx.settings.zone)
        if nudge.status == "active":
            nudge.active_since = now
    elif cmd.part == "to":
        audience, rest = rules.split_audience("to " + cmd.value)
        if rest:
            raise UserError("Send it to: channel, everyone, quiet or pledgers.")
        nudge.audience = audience
    else:
        nudge.text = clean_text(cmd.value, what="Your nudge")
    ctx.uow.session.add(nudge)
    return Response(
        message=OutMessage(
            title=f"Nudge #{nudge.id} is changed",
            sections=(
                Section(heading="When", text=describe_when(nudge, ctx)),
                Section(heading="To", text=_audience_note(ctx, nudge.audience)),
                *rules.nudge_message(nudge.text, ctx.community.name).sections,
            ),
        )
    )


def send_nudge(cmd: SendNudge, ctx: Context) -> Response:
    session = ctx.uow.session
    nudge = session.get(Nudge, cmd.nudge_id)
    if nudge is None or nudge.status != "active" or nudge.community_id != ctx.community_id:
        return Response()
    now = ctx.clock.now()
    key = f"nudge:{nudge.id}:{cmd.occurrence.isoformat(timespec='seconds')}"
    message = rules.nudge_message(nudge.text, ctx.community.name)
    common = {
        "platform": ctx.community.platform,
        "created_at": now,
        "community_id": ctx.community_id,
    }
    if nudge.audience == "channel":
        ctx.uow.enqueue(f"{key}:post", message, channel_id=ctx.community.channel_id, **common)
    else:
        for member in recipients(session, ctx.community, nudge.audience, now):
            arrives = deliver_at(member, now)
            ctx.uow.enqueue(
                f"{key}:dm:{member.id}",
                message,
                user_id=member.platform_user_id,
                not_before=arrives,
                expires_at=arrives + DM_LIFETIME,
                **common,
            )
    nudge.last_sent_at = now
    if nudge.recurrence is None:
        nudge.status = "done"
    session.add(nudge)
    return Response()


# ---- parsing ---------------------------------------------------------------------------


def _parse(rest: str, _settings: CommunitySettings) -> c.Command:
    action, _, tail = rest.partition(" ")
    action, tail = action.lower(), tail.strip()
    if action in ("", "list"):
        return ListNudges()
    if action == "add" and tail:
        return AddNudge(tail)
    word, _, after = tail.partition(" ")
    number = read_number(word)
    if number is None:
        raise usage_error(NUDGE)
    if action in ("pause", "resume", "delete", "remove") and not after.strip():
        return SetNudgeStatus(number, "delete" if action == "remove" else action)
    if action == "edit":
        part, _, value = after.strip().partition(" ")
        if part.lower() in ("text", "when", "to") and value.strip():
            return EditNudge(number, part.lower(), value.strip())
        if after.strip():
            return EditNudge(number, "text", after.strip())
    raise usage_error(NUDGE)


NUDGE = Verb(
    "nudge",
    _parse,
    usage='/cop nudge add "every tuesday 09:30" [to everyone|quiet|pledgers] <text> · '
    "/cop nudge list · /cop nudge pause|resume|delete <id> · "
    "/cop nudge edit <id> [text|when|to] <new value>",
    help="",
    convener_help="a message once or on a rhythm, to the channel or privately to members "
    "(/cop nudge add tomorrow 10:00 to quiet We miss you!)",
    aliases=("nudges",),
)

FEATURE = Feature(
    name="nudges",
    verbs=(NUDGE,),
    buttons={
        "nudge.save": lambda value: SaveNudge(split_id(value)[0]),
        "nudge.cancel": lambda value: DiscardDraft(split_id(value)[0]),
    },
    handlers={
        AddNudge: add_nudge,
        SaveNudge: save_nudge,
        DiscardDraft: discard_draft,
        ListNudges: list_nudges,
        SetNudgeStatus: set_status,
        EditNudge: edit_nudge,
        SendNudge: send_nudge,
    },
    jobs=collect_jobs,
)
