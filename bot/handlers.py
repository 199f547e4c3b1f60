"""One function per command: (command, context) -> Response. State changes and the outbox
rows they cause are added to the same transaction; the bus commits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import col, delete, func, select

from bot import commands as c
from bot.context import Context
from bot.domain import checkins as rules
from bot.domain import when
from bot.domain.members import deliver_at
from bot.domain.text import clean_text, short
from bot.errors import UserError
from bot.messages import Button, Choice, Form, FormField, OutMessage, Response, Section, say
from bot.parsing import USAGE
from bot.storage.tables import CheckIn, CheckInReply, CheckInSkip, Member, OutboxMessage

Handler = Callable[[Any, Context], Response]


# ---- help ------------------------------------------------------------------------------

_HELP = {
    "help": "what I can do (add a verb for more)",
    "checkin": "see the open check-in and your replies",
    "reply": "share a success, challenge or learning (add 'anonymously' to leave your name off)",
    "skip": "skip this check-in, or say you are away until a date",
    "me": "your timezone, quiet hours, and muting check-in reminders",
    "role": "see who convenes and keeps this community",
}
_CONVENER_HELP = {
    "checkin": "open or close a check-in now (/cop checkin open · close)",
    "role": "make someone a convener or keeper, or a member again",
    "undelivered": "messages I could not deliver, and retrying them",
}


def show_help(cmd: c.ShowHelp, ctx: Context) -> Response:
    convener = ctx.member is not None and ctx.member.is_convener
    if cmd.topic:
        detail = _CONVENER_HELP.get(cmd.topic) if convener else None
        text = f"{_HELP.get(cmd.topic) or _CONVENER_HELP.get(cmd.topic, '')}\n{USAGE[cmd.topic]}"
        if detail:
            text += f"\nFor conveners: {detail}"
        return Response(message=say(text, title=f"/cop {cmd.topic}"))
    items = tuple(f"/cop {verb} — {text}" for verb, text in _HELP.items())
    sections = [Section(items=items)]
    if convener:
        sections.append(
            Section(
                heading="For conveners",
                items=tuple(f"/cop {verb} — {text}" for verb, text in _CONVENER_HELP.items()),
            )
        )
    return Response(
        message=OutMessage(
            title=f"copbot helps {ctx.community.name} keep in touch between meetings",
            sections=tuple(sections),
        )
    )


# ---- check-ins -------------------------------------------------------------------------


def _open_checkin(ctx: Context) -> CheckIn | None:
    return ctx.uow.session.exec(
        select(CheckIn)
        .where(CheckIn.community_id == ctx.community_id, col(CheckIn.closed_at).is_(None))
        .order_by(col(CheckIn.id).desc())
    ).first()


def _checkin_for(ctx: Context, checkin_id: int | None) -> CheckIn:
    if checkin_id is None:
        checkin = _open_checkin(ctx)
        if checkin is None:
            raise UserError(f"There's no {ctx.settings.words.checkin} open right now.")
        return checkin
    checkin = ctx.uow.session.get(CheckIn, checkin_id)
    if checkin is None or checkin.community_id != ctx.community_id:
        raise UserError(f"I can't find that {ctx.settings.words.checkin}.")
    if checkin.closed_at is not None:
        raise UserError(f"That {ctx.settings.words.checkin} has closed.")
    return checkin


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
    _post(
        ctx,
        f"checkin:{checkin.id}:post",
        rules.checkin_post(checkin, words, ctx.community.timezone),
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
    replies = session.exec(
        select(CheckInReply)
        .where(CheckInReply.checkin_id == checkin.id)
        .order_by(col(CheckInReply.id))
    ).all()
    named_ids = {r.member_id for r in replies if r.member_id is not None}
    names = {
        m.id: m.display_name
        for m in session.exec(select(Member).where(col(Member.id).in_(named_ids))).all()
        if m.id is not None
    }
    member_count = session.exec(
        select(func.count()).select_from(Member).where(Member.community_id == ctx.community_id)
    ).one()
    responders = len({r.author_key for r in replies})
    message = rules.summary(checkin, replies, names, member_count, responders, ctx.settings.words)
    _post(ctx, f"checkin:{checkin.id}:summary", message)


def remind_checkin(cmd: c.RemindCheckIn, ctx: Context) -> Response:
    session = ctx.uow.session
    checkin = session.get(CheckIn, cmd.checkin_id)
    if checkin is None or checkin.closed_at is not None or checkin.reminded_at is not None:
        return Response()
    now = ctx.clock.now()
    checkin.reminded_at = now
    session.add(checkin)
    members = session.exec(select(Member).where(Member.community_id == ctx.community_id)).all()
    replied = set(
        session.exec(
            select(CheckInReply.author_key).where(CheckInReply.checkin_id == checkin.id)
        ).all()
    )
    skipped = set(
        session.exec(
            select(CheckInSkip.member_id).where(CheckInSkip.checkin_id == checkin.id)
        ).all()
    )
    assert checkin.id is not None
    message = rules.reminder(checkin, ctx.settings.words, ctx.community.timezone)
    for member in rules.needs_reminder(members, replied, skipped, ctx.secret, checkin.id, now):
        ctx.uow.enqueue(
            f"checkin:{checkin.id}:remind:{member.id}",
            message,
            platform=ctx.community.platform,
            created_at=now,
            community_id=ctx.community_id,
            user_id=member.platform_user_id,
            not_before=deliver_at(member, now),
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


def _my_replies(ctx: Context, checkin_id: int, member_id: int) -> list[CheckInReply]:
    key = rules.author_key(ctx.secret, checkin_id, member_id)
    return list(
        ctx.uow.session.exec(
            select(CheckInReply).where(
                CheckInReply.checkin_id == checkin_id, CheckInReply.author_key == key
            )
        ).all()
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
    checkin = _checkin_for(ctx, cmd.checkin_id)
    assert checkin.id is not None and member.id is not None
    key = rules.author_key(ctx.secret, checkin.id, member.id)
    session = ctx.uow.session
    existing = session.exec(
        select(CheckInReply).where(
            CheckInReply.checkin_id == checkin.id,
            CheckInReply.author_key == key,
            CheckInReply.kind == cmd.kind,
        )
    ).first()
    row = existing or CheckInReply(checkin_id=checkin.id, author_key=key, kind=cmd.kind, text=text)
    row.text = text
    row.anonymous = cmd.anonymous
    row.member_id = None if cmd.anonymous else member.id
    session.add(row)
    session.execute(
        delete(CheckInSkip).where(
            col(CheckInSkip.checkin_id) == checkin.id, col(CheckInSkip.member_id) == member.id
        )
    )
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
    return Response(message=say(f"Your {word} is withdrawn; it won't be shared."))


def skip(cmd: c.SkipCheckIn, ctx: Context) -> Response:
    member = ctx.require_member()
    words = ctx.settings.words
    now = ctx.clock.now()
    if cmd.off:
        member.away_until = None
        ctx.uow.session.add(member)
        return Response(message=say(f"Welcome back! You'll hear about {words.checkin}s again."))
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


# ---- members ---------------------------------------------------------------------------


def show_profile(cmd: c.ShowProfile, ctx: Context) -> Response:
    member = ctx.require_member()
    roles = [r for r, on in (("convener", member.is_convener), ("keeper", member.is_keeper)) if on]
    away = (
        f"away until {rules.local_time(member.away_until, member.timezone)}"
        if member.away_until and member.away_until > ctx.clock.now()
        else "not away"
    )
    items = (
        f"Name: {member.display_name}",
        f"Role: {', '.join(roles) or 'member'}",
        f"Timezone: {member.timezone}",
        f"Quiet hours: {member.quiet_start}–{member.quiet_end} (no private messages then)",
        f"Check-in reminders: {'muted' if member.muted_checkins else 'on'}",
        f"Right now: {away}",
    )
    return Response(
        message=OutMessage(
            title="Your settings",
            sections=(Section(items=items),),
            footer="Change them with /cop me timezone … · /cop me quiet … · /cop me mute",
        )
    )


def update_profile(cmd: c.UpdateProfile, ctx: Context) -> Response:
    member = ctx.require_member()
    done = []
    if cmd.timezone is not None:
        try:
            ZoneInfo(cmd.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise UserError(
                f"'{short(cmd.timezone, 60)}' is not a timezone I know. Use a name like "
                "Europe/London or America/New_York."
            ) from None
        member.timezone = cmd.timezone
        done.append(f"timezone is {cmd.timezone}")
    if cmd.quiet_hours is not None:
        if cmd.quiet_hours.strip().lower() == "off":
            member.quiet_start = member.quiet_end = "00:00"
            done.append("quiet hours are off")
        else:
            try:
                start, end = when.parse_quiet_hours(cmd.quiet_hours)
            except when.WhenError as error:
                raise UserError(str(error)) from None
            member.quiet_start, member.quiet_end = start.strftime("%H:%M"), end.strftime("%H:%M")
            done.append(f"quiet hours are {member.quiet_start}–{member.quiet_end}")
    if cmd.muted is not None:
        member.muted_checkins = cmd.muted
        done.append("check-in reminders are " + ("muted" if cmd.muted else "on"))
    ctx.uow.session.add(member)
    return Response(message=say("Done: your " + "; ".join(done) + "."))


def show_roles(cmd: c.ShowRoles, ctx: Context) -> Response:
    members = ctx.uow.session.exec(
        select(Member)
        .where(Member.community_id == ctx.community_id)
        .where(col(Member.is_convener) | col(Member.is_keeper))
        .order_by(col(Member.display_name))
    ).all()
    conveners = tuple(m.display_name for m in members if m.is_convener)
    keepers = tuple(m.display_name for m in members if m.is_keeper)
    return Response(
        message=OutMessage(
            title=f"Who looks after {ctx.community.name}",
            sections=(
                Section(heading="Conveners", items=conveners or ("none yet",)),
                Section(heading="Keepers", items=keepers or ("none yet",)),
            ),
        )
    )


def set_role(cmd: c.SetRole, ctx: Context) -> Response:
    ctx.require_convener("change roles")
    target = ctx.uow.session.exec(
        select(Member).where(
            Member.community_id == ctx.community_id,
            Member.platform_user_id == cmd.target_user_id,
        )
    ).first()
    if target is None:
        raise UserError(
            "I don't know that person yet: they appear here once they have used copbot."
        )
    settings = ctx.settings
    if cmd.role == "member":
        if target.platform_user_id in settings.conveners + settings.keepers:
            raise UserError(
                f"{target.display_name}'s role is set in copbot's configuration file; "
                "ask whoever runs copbot to change it there."
            )
        target.is_convener = target.is_keeper = False
    elif cmd.role == "convener":
        target.is_convener = True
    else:
        target.is_keeper = True
    ctx.uow.session.add(target)
    return Response(message=say(f"{target.display_name} is now a {cmd.role}."))


def show_undelivered(cmd: c.ShowUndelivered, ctx: Context) -> Response:
    ctx.require_convener("see undelivered messages")
    dead = ctx.uow.session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.community_id == ctx.community_id, OutboxMessage.status == "dead")
        .order_by(col(OutboxMessage.id))
    ).all()
    if not dead:
        return Response(message=say("Every message has been delivered."))
    items = tuple(
        f"{'to the channel' if row.channel_id else 'a private message'}: "
        f"{short(OutMessage.model_validate_json(row.payload).title or '', 60)} "
        f"({row.attempts} tries; {row.last_error or 'unknown error'})"
        for row in dead[:20]
    )
    more = f" and {len(dead) - 20} more" if len(dead) > 20 else ""
    return Response(
        message=OutMessage(
            title=f"{len(dead)} message(s) I could not deliver{more}",
            sections=(Section(items=items),),
            buttons=(Button(label="Try them again", action="outbox.retry"),),
            footer="/cop undelivered retry sends them again.",
        )
    )


def retry_undelivered(cmd: c.RetryUndelivered, ctx: Context) -> Response:
    ctx.require_convener("retry undelivered messages")
    now = ctx.clock.now()
    dead = ctx.uow.session.exec(
        select(OutboxMessage).where(
            OutboxMessage.community_id == ctx.community_id, OutboxMessage.status == "dead"
        )
    ).all()
    for row in dead:
        row.status, row.attempts, row.next_attempt_at, row.last_error = "pending", 0, now, None
        ctx.uow.session.add(row)
    return Response(message=say(f"Trying {len(dead)} message(s) again."))


# ---- helpers ---------------------------------------------------------------------------


def _post(ctx: Context, key: str, message: OutMessage) -> None:
    ctx.uow.enqueue(
        key,
        message,
        platform=ctx.community.platform,
        created_at=ctx.clock.now(),
        community_id=ctx.community_id,
        channel_id=ctx.community.channel_id,
    )


HANDLERS: dict[type[c.Command], Handler] = {
    c.ShowHelp: show_help,
    c.OpenCheckIn: open_checkin,
    c.CloseCheckIn: close_checkin,
    c.RemindCheckIn: remind_checkin,
    c.ShowCheckIn: show_checkin,
    c.StartReply: start_reply,
    c.ReplyToCheckIn: reply,
    c.WithdrawReply: withdraw_reply,
    c.SkipCheckIn: skip,
    c.ShowProfile: show_profile,
    c.UpdateProfile: update_profile,
    c.ShowRoles: show_roles,
    c.SetRole: set_role,
    c.ShowUndelivered: show_undelivered,
    c.RetryUndelivered: retry_undelivered,
}
