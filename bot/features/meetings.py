"""Meeting rhythm: the meetings conveners set (or the configuration names), and a reminder
with the agenda a couple of days before each one.

Moving a meeting cancels its row and makes a new one, so the configuration's dates never
come back on a restart (the start-up sync only adds times it has never seen).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from bot import commands as c
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain import momentum as rules
from bot.domain import when
from bot.domain.checkins import local_time
from bot.domain.text import clean_text, plural_of
from bot.errors import UserError
from bot.features import find_time
from bot.features.base import Feature, Verb, number_or_usage, read_moment, usage_error
from bot.features.meeting_queries import open_challenges
from bot.features.pulse_results import latest_sections
from bot.features.rsvp import (
    CalendarFile,
    ShowComing,
    answers,
    buttons,
    calendar_attachment,
    carry_answers,
    counts_text,
)
from bot.messages import OutMessage, Response, Section, say
from bot.scheduling import JobSpec, at
from bot.storage.tables import Community, Meeting
from bot.storage.uow import UnitOfWork

# ---- commands --------------------------------------------------------------------------


@dataclass(frozen=True)
class ListMeetings(c.Command):
    """The meetings ahead."""


@dataclass(frozen=True)
class ScheduleMeeting(c.Command):
    """`<when> [topic]`, read when handled (it needs the time)."""

    text: str


@dataclass(frozen=True)
class MoveMeeting(c.Command):
    meeting_id: int
    when: str


@dataclass(frozen=True)
class CancelMeeting(c.Command):
    meeting_id: int


@dataclass(frozen=True)
class SetMeetingTopic(c.Command):
    meeting_id: int
    topic: str


@dataclass(frozen=True)
class RemindMeeting(c.Command):
    """A job: the reminder with the agenda, before a meeting."""

    meeting_id: int


# ---- handlers --------------------------------------------------------------------------


def _meeting(ctx: Context, meeting_id: int) -> Meeting:
    meeting = ctx.uow.session.get(Meeting, meeting_id)
    if meeting is None or meeting.community_id != ctx.community_id or meeting.cancelled:
        raise UserError(
            f"I can't find {ctx.settings.words.meeting} #{meeting_id}. "
            "See them with /cop meeting list."
        )
    return meeting


def _place(ctx: Context, starts_at: datetime, topic: str | None) -> Meeting:
    """A meeting at `starts_at`: a new row, or a cancelled one at that time brought back."""
    session = ctx.uow.session
    meeting = session.exec(
        select(Meeting).where(
            Meeting.community_id == ctx.community_id, Meeting.starts_at == starts_at
        )
    ).first()
    if meeting is not None and not meeting.cancelled:
        raise UserError(
            f"There's already a {ctx.settings.words.meeting} at "
            f"{local_time(starts_at, ctx.community.timezone)} (#{meeting.id})."
        )
    meeting = meeting or Meeting(community_id=ctx.community_id, starts_at=starts_at)
    meeting.cancelled = False
    meeting.topic = topic or meeting.topic
    session.add(meeting)
    session.flush()
    return meeting


def _announce(
    ctx: Context,
    key: str,
    title: str,
    meeting: Meeting,
    *extra: str,
    cancelled: bool = False,
) -> None:
    """A channel post about `meeting`, with Going / Maybe / Can't make it and a calendar
    file (only the calendar file, to take it out, when it is cancelled)."""
    sections = [Section(text=line) for line in extra]
    if not cancelled and meeting.topic:
        sections.append(Section(heading="Topic", text=meeting.topic))
    if not cancelled and ctx.settings.meetings.link:
        sections.append(Section(heading="Joining link", text=ctx.settings.meetings.link))
    sections.append(Section(text=f"Times are {ctx.community.timezone} time."))
    offered = buttons(f"m{meeting.id}")
    assert meeting.id is not None
    ctx.post(
        key,
        OutMessage(
            title=title, sections=tuple(sections), buttons=offered[-1:] if cancelled else offered
        ),
        tell=True,  # members reached by email get it at once, with the calendar file
        attachment=calendar_attachment(ctx, "meeting", meeting.id),
    )


def list_meetings(cmd: ListMeetings, ctx: Context) -> Response:
    words = ctx.settings.words
    now = ctx.clock.now()
    length = when.parse_duration(ctx.settings.meetings.length)
    upcoming = ctx.uow.session.exec(
        select(Meeting)
        .where(
            Meeting.community_id == ctx.community_id,
            col(Meeting.cancelled).is_(False),
            col(Meeting.starts_at) > now - length,
        )
        .order_by(col(Meeting.starts_at))
        .limit(10)
    ).all()
    if not upcoming:
        return Response(message=say(f"No {plural_of(words.meeting)} in the calendar yet."))
    member = ctx.require_member()
    counts = answers(ctx.uow.session, "meeting", [m.id for m in upcoming if m.id is not None])
    items = tuple(
        f"#{m.id} {local_time(m.starts_at, ctx.community.timezone)}"
        + (f" — {m.topic}" if m.topic else "")
        + " ("
        + (counts_text(counts[m.id]) if member.is_convener else f"{counts[m.id]['going']} going")
        + ")"
        for m in upcoming
        if m.id is not None
    )
    return Response(
        message=OutMessage(
            title=f"Our {plural_of(words.meeting)} ahead ({ctx.community.timezone} time)",
            sections=(Section(items=items),),
            footer="Say if you're coming: /cop rsvp <number> going|maybe|no · "
            "who's coming: /cop meeting who <number> · /cop meeting calendar <number>",
        )
    )


def schedule_at(ctx: Context, starts_at: datetime, topic: str | None) -> Meeting:
    """A meeting at `starts_at`, announced in the channel (with its answers and calendar)."""
    meeting = _place(ctx, starts_at, topic)
    when_text = local_time(starts_at, ctx.community.timezone)
    title = f"Next {ctx.settings.words.meeting}: {when_text}"
    _announce(ctx, f"meeting:{meeting.id}:announce", title, meeting)
    return meeting


def schedule_meeting(cmd: ScheduleMeeting, ctx: Context) -> Response:
    words = ctx.settings.words
    ctx.require_convener(f"set {plural_of(words.meeting)}")
    starts_at, rest = read_moment(ctx, cmd.text, "/cop meeting next 2026-12-03 14:00")
    topic = clean_text(rest, what="The topic", max_length=300) if rest else None
    meeting = schedule_at(ctx, starts_at, topic)
    when_text = local_time(starts_at, ctx.community.timezone)
    return Response(message=say(f"{words.meeting.capitalize()} #{meeting.id} set: {when_text}."))


def move_meeting(cmd: MoveMeeting, ctx: Context) -> Response:
    words = ctx.settings.words
    ctx.require_convener(f"move {plural_of(words.meeting)}")
    old = _meeting(ctx, cmd.meeting_id)
    try:
        starts_at = when.parse_moment(cmd.when, ctx.clock.now(), ctx.settings.zone)
    except when.WhenError as error:
        raise UserError(f"{error} For example: /cop meeting move 3 2026-12-10 14:00") from None
    if starts_at == old.starts_at:
        raise UserError(f"{words.meeting.capitalize()} #{old.id} is already then.")
    old.cancelled = True
    ctx.uow.session.add(old)
    ctx.uow.session.flush()
    new = _place(ctx, starts_at, old.topic)
    # The same calendar entry, one change later; the answers go with it.
    new.uid, new.sequence = old.uid, old.sequence + 1
    ctx.uow.session.add(new)
    assert old.id is not None and new.id is not None
    carry_answers(ctx.uow.session, old.id, new.id)
    zone = ctx.community.timezone
    _announce(
        ctx,
        f"meeting:{new.id}:moved:{ctx.clock.now().isoformat()}",
        f"Our {words.meeting} has moved to {local_time(starts_at, zone)}",
        new,
        f"It was planned for {local_time(old.starts_at, zone)}. If that changes your plans, "
        "please update your answer.",
    )
    return Response(
        message=say(f"Moved to {local_time(starts_at, zone)}; it is now {words.meeting} #{new.id}.")
    )


def cancel_meeting(cmd: CancelMeeting, ctx: Context) -> Response:
    words = ctx.settings.words
    ctx.require_convener(f"cancel {plural_of(words.meeting)}")
    meeting = _meeting(ctx, cmd.meeting_id)
    meeting.cancelled = True
    meeting.sequence += 1
    ctx.uow.session.add(meeting)
    when_text = local_time(meeting.starts_at, ctx.community.timezone)
    _announce(
        ctx,
        f"meeting:{meeting.id}:cancelled:{ctx.clock.now().isoformat()}",
        f"Our {words.meeting} on {when_text} is cancelled",
        meeting,
        "If you added it to your calendar, this file takes it out.",
        cancelled=True,
    )
    return Response(message=say(f"{words.meeting.capitalize()} #{meeting.id} is cancelled."))


def set_topic(cmd: SetMeetingTopic, ctx: Context) -> Response:
    words = ctx.settings.words
    ctx.require_convener(f"set a {words.meeting}'s topic")
    meeting = _meeting(ctx, cmd.meeting_id)
    meeting.topic = clean_text(cmd.topic, what="The topic", max_length=300)
    ctx.uow.session.add(meeting)
    zone = ctx.community.timezone
    _announce(
        ctx,
        f"meeting:{meeting.id}:topic:{ctx.clock.now().isoformat()}",
        f"The topic of our {words.meeting} on {local_time(meeting.starts_at, zone)}",
        meeting,
    )
    return Response(
        message=say(f"The topic of {words.meeting} #{meeting.id} is set; the channel is told.")
    )


def remind_meeting(cmd: RemindMeeting, ctx: Context) -> Response:
    meeting = ctx.uow.session.get(Meeting, cmd.meeting_id)
    if meeting is None or meeting.cancelled or meeting.starts_at <= ctx.clock.now():
        return Response()
    message = rules.meeting_reminder(
        meeting.starts_at,
        meeting.topic,
        open_challenges(ctx.uow.session, ctx.community_id),
        ctx.settings.words,
        ctx.community.timezone,
        link=ctx.settings.meetings.link,
    )
    goals = latest_sections(ctx.uow.session, ctx.community_id, keeper=False)
    message = message.model_copy(
        update={"buttons": buttons(f"m{meeting.id}"), "sections": (*message.sections, *goals)}
    )
    ctx.post(
        f"meeting:{meeting.id}:remind:{meeting.starts_at.isoformat()}",
        message,
        expires_at=meeting.starts_at,
        tell=True,  # members reached by email get it at once, with the calendar file
        attachment=calendar_attachment(ctx, "meeting", cmd.meeting_id),
    )
    return Response()


# ---- parsing ---------------------------------------------------------------------------


def _parse(rest: str, _settings: CommunitySettings) -> c.Command:
    action, _, tail = rest.partition(" ")
    action, tail = action.lower(), tail.strip()
    if action in ("", "list"):
        return ListMeetings()
    if action in ("next", "add", "new") and tail:
        return ScheduleMeeting(tail)
    if action in ("find-time", "findtime"):
        found = find_time.parse_find_time(tail)
        if found is None:
            raise UserError(f"Usage: {find_time.USAGE}")
        return found
    if action == "times":
        found = find_time.parse_times(tail)
        if found is None:
            raise UserError(f"Usage: {find_time.USAGE}")
        return found
    first, _, after = tail.partition(" ")
    if action == "move" and after.strip():
        return MoveMeeting(number_or_usage(first, MEETING), after.strip())
    if action == "cancel" and first and not after.strip():
        return CancelMeeting(number_or_usage(first, MEETING))
    if action == "topic" and after.strip():
        return SetMeetingTopic(number_or_usage(first, MEETING), after.strip())
    if action in ("who", "coming") and first and not after.strip():
        return ShowComing("meeting", number_or_usage(first, MEETING))
    if action == "calendar" and first and not after.strip():
        return CalendarFile("meeting", number_or_usage(first, MEETING))
    raise usage_error(MEETING)


# ---- schedules -------------------------------------------------------------------------


def collect_jobs(uow: UnitOfWork, settings_of: object) -> list[JobSpec]:
    """A reminder before each meeting (not cancelled) of every open community."""
    specs: list[JobSpec] = []
    rows = uow.session.exec(
        select(Meeting, Community)
        .join(Community, col(Community.id) == col(Meeting.community_id))
        .where(col(Community.closed_at).is_(None), col(Meeting.cancelled).is_(False))
    ).all()
    for meeting, community in rows:
        settings: CommunitySettings = settings_of(community)  # type: ignore[operator]
        before = settings.meetings.remind_before
        if not before or meeting.id is None:
            continue
        ahead = when.parse_duration(before)
        meeting_id = meeting.id
        specs.append(
            JobSpec(
                key=f"meeting-remind:{meeting_id}",
                community_id=meeting.community_id,
                times=at(meeting.starts_at - ahead),
                make=lambda _t, i=meeting_id: RemindMeeting(i),
                grace=ahead,
            )
        )
    return specs


MEETING = Verb(
    "meeting",
    _parse,
    usage="/cop meeting list · /cop meeting next <date time> [topic] · "
    "/cop meeting move <id> <date time> · /cop meeting cancel <id> · "
    "/cop meeting topic <id> <text> · /cop meeting who <id> · /cop meeting calendar <id> · "
    "/cop meeting find-time <date time>; <date time>; … · /cop meeting times <poll> 1=yes 2=no",
    help="the meetings ahead, who's coming, and a calendar file",
    convener_help="set, move or cancel a meeting, or set its topic "
    "(/cop meeting next 2026-12-03 14:00 Caseloads); find a time that suits most people "
    "(/cop meeting find-time 2026-12-10 14:00; 2026-12-11 09:00)",
    aliases=("meetings",),
)

FEATURE = Feature(
    name="meetings",
    verbs=(MEETING,),
    handlers={
        ListMeetings: list_meetings,
        ScheduleMeeting: schedule_meeting,
        MoveMeeting: move_meeting,
        CancelMeeting: cancel_meeting,
        SetMeetingTopic: set_topic,
        RemindMeeting: remind_meeting,
        **find_time.HANDLERS,
    },
    buttons=find_time.BUTTONS,
    jobs=collect_jobs,
)
