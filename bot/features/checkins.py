"""Check-ins: 'what has happened since we last met?' — open, reply, remind, summarise.

Members reply privately, named or anonymously (the Chatham House rule); one reminder goes
to those who have not replied; at close a summary is posted in the channel. What members
type and press is read in checkin_parsing; the timers are in checkin_jobs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, and_, bindparam, or_
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from bot import anonymity
from bot import commands as c
from bot.context import Context
from bot.domain import checkins as rules
from bot.domain import when
from bot.domain.text import clean_text, plural_of, short
from bot.errors import UserError
from bot.features.base import Feature
from bot.features.checkin_jobs import collect_jobs
from bot.features.checkin_parsing import CHECKIN, REPLY, SKIP, reply_button, reply_form, skip_button
from bot.features.checkin_summary import summary_key, summary_of
from bot.features.guard import guard_text
from bot.features.win_queries import offer_success_wins
from bot.messages import Choice, Form, FormField, Response, Section, say
from bot.storage.tables import (
    Activity,
    CheckIn,
    CheckInReply,
    CheckInSkip,
    Member,
)

# ---- handlers --------------------------------------------------------------------------


# Built once: replies are the hot path, so their queries are not rebuilt per call.
_OPEN_CHECKIN = (
    select(CheckIn)
    .where(CheckIn.community_id == bindparam("community"), col(CheckIn.closed_at).is_(None))
    .order_by(col(CheckIn.id).desc())
    .limit(1)
)
_REPLIES = CheckInReply.__table__  # type: ignore[attr-defined]
_CHECKINS = CheckIn.__table__  # type: ignore[attr-defined]
# A reply reads plain rows (no ORM objects): the check-in it answers and the member's reply.
_REPLY_TARGET = select(
    _CHECKINS.c.id, _CHECKINS.c.opened_at, _CHECKINS.c.closes_at, _CHECKINS.c.closed_at
)
_OPEN_REPLY_TARGET = (
    _REPLY_TARGET.where(
        _CHECKINS.c.community_id == bindparam("community"), _CHECKINS.c.closed_at.is_(None)
    )
    .order_by(_CHECKINS.c.id.desc())
    .limit(1)
)
_NAMED_REPLY_TARGET = _REPLY_TARGET.where(
    _CHECKINS.c.id == bindparam("checkin"), _CHECKINS.c.community_id == bindparam("community")
)
#: The member's reply of one kind: by its author key, or (named) by member id. Each half of
#: the OR names a whole index, so the database seeks both rows instead of reading every
#: reply of the check-in (ix_checkin_reply_checkin_member).
_MY_REPLY = select(_REPLIES.c.id, _REPLIES.c.anonymous).where(
    or_(
        and_(
            _REPLIES.c.checkin_id == bindparam("checkin"),
            _REPLIES.c.author_key == bindparam("key"),
            _REPLIES.c.kind == bindparam("kind"),
        ),
        and_(
            _REPLIES.c.checkin_id == bindparam("checkin"),
            _REPLIES.c.member_id == bindparam("member"),
            _REPLIES.c.kind == bindparam("kind"),
        ),
    )
)
_INSERT_REPLY = _REPLIES.insert()
_UPDATE_REPLY = (
    _REPLIES.update().where(_REPLIES.c.id == bindparam("reply_id")).values(text=bindparam("text"))
)
_ACTIVITY = Activity.__table__  # type: ignore[attr-defined]


def _open_checkin(ctx: Context) -> CheckIn | None:
    return ctx.uow.session.exec(_OPEN_CHECKIN, params={"community": ctx.community_id}).first()


def _checkin_for(ctx: Context, checkin_id: int | None) -> CheckIn:
    """The check-in a command is about (the open one unless named), with `_reply_target`'s
    refusals."""
    checkin = ctx.uow.session.get(CheckIn, _reply_target(ctx, checkin_id).id)
    assert checkin is not None  # just found, in this transaction
    return checkin


def _reply_target(ctx: Context, checkin_id: int | None) -> Row[Any]:
    """The check-in a reply answers (the open one unless named), as a plain row; a friendly
    refusal when there is none open, it isn't this community's, or it has closed."""
    connection = ctx.uow.session.connection()
    if checkin_id is None:
        found = connection.execute(_OPEN_REPLY_TARGET, {"community": ctx.community_id}).first()
        if found is None:
            raise UserError(f"There's no {ctx.settings.words.checkin} open right now.")
        return found
    found = connection.execute(
        _NAMED_REPLY_TARGET, {"checkin": checkin_id, "community": ctx.community_id}
    ).first()
    if found is None:
        raise UserError(f"I can't find that {ctx.settings.words.checkin}.")
    if found.closed_at is not None:
        raise UserError(f"That {ctx.settings.words.checkin} has closed.")
    return found


def open_checkin(cmd: c.OpenCheckIn, ctx: Context) -> Response:
    words = ctx.settings.words
    if ctx.member is not None:
        ctx.require_convener(f"open a {words.checkin}")
    now = ctx.clock.now()
    previous = _open_checkin(ctx)
    if previous is not None:
        _close(previous, ctx)
    checkin = CheckIn(
        community_id=ctx.community_id,
        question=words.checkin_question,
        opened_at=now,
        closes_at=now + ctx.settings.checkin.open_duration,
        remind_at=(now + delay) if (delay := ctx.settings.checkin.remind_delay) else None,
    )
    ctx.uow.session.add(checkin)
    ctx.uow.session.flush()
    ctx.post(
        f"checkin:{checkin.id}:post",
        rules.checkin_post(checkin, words, ctx.community.timezone),
        tell=True,
    )
    closes = rules.local_time(checkin.closes_at, ctx.community.timezone)
    note = " (the previous one is closed and summarised)" if previous else ""
    return Response(message=say(f"{words.checkin.capitalize()} opened{note}; it closes {closes}."))


def close_checkin(cmd: c.CloseCheckIn, ctx: Context) -> Response:
    words = ctx.settings.words
    if ctx.member is not None:
        ctx.require_convener(f"close a {words.checkin}")
    if cmd.checkin_id is not None:
        checkin = ctx.uow.session.get(CheckIn, cmd.checkin_id)
        if checkin is None or checkin.closed_at is not None:
            return Response()
    else:
        checkin = _checkin_for(ctx, None)
    _close(checkin, ctx)
    return Response(message=say(f"{words.checkin.capitalize()} closed; the summary is posted."))


def _close(checkin: CheckIn, ctx: Context) -> None:
    session = ctx.uow.session
    checkin.closed_at = ctx.clock.now()
    session.add(checkin)
    session.flush()
    message, replies = summary_of(session, checkin, ctx.community_id, ctx.settings.words)
    ctx.post(summary_key(checkin.id), message)
    offer_success_wins(ctx, replies)
    # Anonymous replies are counted only now, all on the day of the close, and then nothing
    # that let their authors edit them survives (bot.anonymity).
    anonymous = sum(1 for r in replies if r.anonymous)
    anonymity.record_anonymous(
        session, ctx.community_id, "replied", checkin.closed_at, ctx.community.timezone, anonymous
    )
    anonymity.seal(
        session,
        _REPLIES,
        _REPLIES.c.checkin_id == checkin.id,
        key_column="author_key",
        anonymous=_REPLIES.c.anonymous.is_(True),
    )


def remind_checkin(cmd: c.RemindCheckIn, ctx: Context) -> Response:
    session = ctx.uow.session
    checkin = session.get(CheckIn, cmd.checkin_id)
    if checkin is None or checkin.closed_at is not None or checkin.reminded_at is not None:
        return Response()
    now = ctx.clock.now()
    checkin.reminded_at = now
    session.add(checkin)
    members = session.exec(select(Member).where(Member.community_id == ctx.community_id)).all()
    named = set(
        session.exec(
            select(CheckInReply.member_id).where(
                CheckInReply.checkin_id == checkin.id, col(CheckInReply.member_id).is_not(None)
            )
        ).all()
    )
    skipped = set(
        session.exec(
            select(CheckInSkip.member_id).where(CheckInSkip.checkin_id == checkin.id)
        ).all()
    )
    assert checkin.id is not None
    message = rules.reminder(checkin, ctx.settings.words, ctx.community.timezone)
    for member in rules.needs_reminder(members, named, skipped, now):
        ctx.dm(
            member,
            f"checkin:{checkin.id}:remind:{member.id}",
            message,
            expires_at=checkin.closes_at,
        )
    return Response()


def show_checkin(cmd: c.ShowCheckIn, ctx: Context) -> Response:
    member = ctx.require_member()
    words = ctx.settings.words
    checkin = _open_checkin(ctx)
    if checkin is None:
        return Response(message=say(f"There's no {words.checkin} open right now."))
    assert checkin.id is not None and member.id is not None
    mine = _my_replies(ctx, checkin.id, member.id)
    items = tuple(
        f"{rules.kind_word(words, r.kind).capitalize()}"  # type: ignore[arg-type]
        f"{' (anonymous)' if r.anonymous else ''}: {short(r.text, 200)}"
        for r in mine
    )
    post = rules.checkin_post(checkin, words, ctx.community.timezone)
    sections = (
        *post.sections[:1],
        Section(heading="Your replies", items=items)
        if items
        else Section(text="You haven't replied yet."),
    )
    return Response(message=post.model_copy(update={"sections": sections}))


def _reply_key(ctx: Context, checkin_id: int, kind: str, member_id: int) -> str:
    return anonymity.author_key(ctx.secret, f"checkin_reply:{kind}", checkin_id, member_id)


def _my_replies(ctx: Context, checkin_id: int, member_id: int) -> list[CheckInReply]:
    keys = [_reply_key(ctx, checkin_id, kind, member_id) for kind in c.REPLY_KINDS]
    return list(ctx.uow.session.exec(my_replies_statement(checkin_id, keys, member_id)).all())


def my_replies_statement(
    checkin_id: int, keys: list[str], member_id: int
) -> SelectOfScalar[CheckInReply]:
    """A member's replies to a check-in, by their author keys or (named) their member id;
    like _MY_REPLY, each half of the OR seeks an index of its own."""
    return (
        select(CheckInReply)
        .where(
            or_(
                and_(
                    col(CheckInReply.checkin_id) == checkin_id,
                    col(CheckInReply.author_key).in_(keys),
                ),
                and_(
                    col(CheckInReply.checkin_id) == checkin_id,
                    col(CheckInReply.member_id) == member_id,
                ),
            )
        )
        .order_by(col(CheckInReply.kind))
    )


def start_reply(cmd: c.StartReply, ctx: Context) -> Response:
    member = ctx.require_member()
    checkin = _checkin_for(ctx, cmd.checkin_id)
    assert checkin.id is not None and member.id is not None
    existing = next(
        (r for r in _my_replies(ctx, checkin.id, member.id) if r.kind == cmd.kind), None
    )
    word = rules.kind_word(ctx.settings.words, cmd.kind)
    return Response(
        form=Form(
            form_id="checkin.reply",
            title=f"Share a {word}"[:24],
            metadata=f"{checkin.id}:{cmd.kind}",
            fields=(
                FormField(
                    name="text",
                    label=f"Your {word}",
                    kind="long_text",
                    max_length=2000,
                    initial=existing.text if existing else None,
                ),
                FormField(
                    name="share",
                    label="Share it",
                    kind="choice",
                    choices=(
                        Choice(value="named", label="with my name"),
                        Choice(value="anonymous", label="anonymously (Chatham House rule)"),
                    ),
                    initial="anonymous" if existing and existing.anonymous else "named",
                ),
            ),
        )
    )


def reply(cmd: c.ReplyToCheckIn, ctx: Context) -> Response:
    member = ctx.require_member()
    word = rules.kind_word(ctx.settings.words, cmd.kind)
    text = clean_text(cmd.text, what=f"Your {word}")
    checkin = _reply_target(ctx, cmd.checkin_id)
    resend = replace(cmd, checkin_id=checkin.id)
    held = guard_text(ctx, text, confirmed=cmd.confirmed, resend=resend)
    if held is not None:  # it may identify a patient: the member edits or confirms first
        return held
    assert checkin.id is not None and member.id is not None
    key = _reply_key(ctx, checkin.id, cmd.kind, member.id)
    session = ctx.uow.session
    connection = session.connection()  # plain statements: no ORM flush or objects
    existing = connection.execute(
        _MY_REPLY, {"checkin": checkin.id, "key": key, "kind": cmd.kind, "member": member.id}
    ).first()
    if existing is not None and not existing.anonymous and not cmd.anonymous:
        connection.execute(_UPDATE_REPLY, {"reply_id": existing.id, "text": text})
    else:  # new, or anonymous: a fresh row, so its id says nothing about what came before
        if existing is not None:
            connection.execute(_REPLIES.delete().where(_REPLIES.c.id == existing.id))
            if not existing.anonymous:
                _forget_named_reply(ctx, checkin.opened_at, member)
        row = {"checkin_id": checkin.id, "author_key": key, "kind": cmd.kind, "text": text}
        if cmd.anonymous:
            row |= {"id": anonymity.random_id(session, _REPLIES), "anonymous": True}
            ctx.acted_anonymously = True
        else:
            row |= {"anonymous": False, "member_id": member.id}
        connection.execute(_INSERT_REPLY, row)
        if not cmd.anonymous:
            ctx.record("replied")
    how = "anonymously (Chatham House rule)" if cmd.anonymous else "with your name"
    verb = "updated" if existing else "saved"
    closes = rules.local_time(checkin.closes_at, ctx.community.timezone)
    return Response(
        message=say(
            f"Thank you! Your {word} is {verb} and will be shared {how} when the "
            f"{ctx.settings.words.checkin} closes ({closes}). Until then you can change it "
            f"with /cop reply {cmd.kind} …"
        )
    )


def withdraw_reply(cmd: c.WithdrawReply, ctx: Context) -> Response:
    member = ctx.require_member()
    checkin = _checkin_for(ctx, cmd.checkin_id)
    assert checkin.id is not None and member.id is not None
    word = rules.kind_word(ctx.settings.words, cmd.kind)
    mine = [r for r in _my_replies(ctx, checkin.id, member.id) if r.kind == cmd.kind]
    if not mine:
        raise UserError(f"You haven't shared a {word} in this {ctx.settings.words.checkin}.")
    for row in mine:
        ctx.uow.session.delete(row)
        if not row.anonymous:
            _forget_named_reply(ctx, checkin.opened_at, member)
    return Response(message=say(f"Your {word} is withdrawn; it won't be shared."))


def _forget_named_reply(ctx: Context, opened_at: datetime, member: Member) -> None:
    """A named reply became anonymous or was withdrawn: its activity row goes too, so the
    keepers' figures never attribute it (anonymous replies are counted at the close)."""
    session = ctx.uow.session
    found = session.execute(
        select(_ACTIVITY.c.id)
        .where(
            _ACTIVITY.c.member_id == member.id,
            _ACTIVITY.c.kind == "replied",
            _ACTIVITY.c.at >= opened_at,
        )
        .order_by(_ACTIVITY.c.at.desc())
        .limit(1)
    ).first()
    if found is not None:
        session.execute(_ACTIVITY.delete().where(_ACTIVITY.c.id == found[0]))


def skip(cmd: c.SkipCheckIn, ctx: Context) -> Response:
    member = ctx.require_member()
    words = ctx.settings.words
    now = ctx.clock.now()
    if cmd.off:
        member.away_until = None
        ctx.uow.session.add(member)
        again = f"Welcome back! You'll hear about {plural_of(words.checkin)} again."
        return Response(message=say(again))
    if cmd.until is not None:
        try:
            until = when.parse_moment(cmd.until, now, ZoneInfo(member.timezone))
        except when.WhenError as error:
            raise UserError(str(error)) from None
        member.away_until = until
        ctx.uow.session.add(member)
        local = rules.local_time(until, member.timezone)
        return Response(
            message=say(f"Noted: no {words.checkin} reminders until {local}. Take care!")
        )
    checkin = _checkin_for(ctx, cmd.checkin_id)
    assert checkin.id is not None and member.id is not None
    if ctx.uow.session.get(CheckInSkip, (checkin.id, member.id)) is None:
        ctx.uow.session.add(CheckInSkip(checkin_id=checkin.id, member_id=member.id))
    return Response(
        message=say(f"No problem: no reminder for this {words.checkin}. See you next time.")
    )


FEATURE = Feature(
    name="checkins",
    verbs=(CHECKIN, REPLY, SKIP),
    buttons={
        "checkin.reply": reply_button,
        "checkin.skip": skip_button,
        "checkin.show": lambda _value: c.ShowCheckIn(),
    },
    forms={"checkin.reply": reply_form},
    handlers={
        c.OpenCheckIn: open_checkin,
        c.CloseCheckIn: close_checkin,
        c.RemindCheckIn: remind_checkin,
        c.ShowCheckIn: show_checkin,
        c.StartReply: start_reply,
        c.ReplyToCheckIn: reply,
        c.WithdrawReply: withdraw_reply,
        c.SkipCheckIn: skip,
    },
    jobs=collect_jobs,
)
