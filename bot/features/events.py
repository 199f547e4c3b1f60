"""One-off events beside the meeting rhythm: drop-ins, webinars, socials.

`/cop event add <when> <title> [link]` (conveners). Events get the meetings' reminder,
the Going / Maybe / Can't make it answers and a calendar file, but never move the
check-in rhythm, which follows meetings only. Moving an event keeps its answers and its
calendar identity (a higher SEQUENCE); cancelling tells the channel and the calendars.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from bot import commands as c
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain import when
from bot.domain.checkins import local_time
from bot.domain.text import clean_text, web_link
from bot.errors import UserError
from bot.features.base import Feature, Verb, number_or_usage, read_moment, usage_error
from bot.features.rsvp import (
    CalendarFile,
    ShowComing,
    answers,
    buttons,
    calendar_attachment,
    counts_text,
)
from bot.messages import OutMessage, Response, Section, say
from bot.scheduling import JobSpec, at
from bot.storage.tables import Community
from bot.storage.tables_meetings import Event
from bot.storage.uow import UnitOfWork

MAX_TITLE = 200
EXAMPLE = "/cop event add 2026-12-10 12:30 Drop-in: wound care https://meet.example.org/dropin"

# ---- commands --------------------------------------------------------------------------


@dataclass(frozen=True)
class AddEvent(c.Command):
    """`<when> <title> [link]`, read when handled (it needs the time)."""

    text: str


@dataclass(frozen=True)
class ListEvents(c.Command):
    """The events ahead."""


@dataclass(frozen=True)
class MoveEvent(c.Command):
    event_id: int
    when: str


@dataclass(frozen=True)
class CancelEvent(c.Command):
    event_id: int


@dataclass(frozen=True)
class RemindEvent(c.Command):
    """A job: the reminder before an event."""

    event_id: int


# ---- handlers --------------------------------------------------------------------------


def _event(ctx: Context, event_id: int) -> Event:
    event = ctx.uow.session.get(Event, event_id)
    if event is None or event.community_id != ctx.community_id or event.cancelled:
        raise UserError(f"I can't find event #{event_id}. See them with /cop event list.")
    return event


def _title_and_link(rest: str) -> tuple[str, str | None]:
    words = rest.split()
    link = words[-1] if words and words[-1].lower().startswith(("http://", "https://")) else None
    if link is not None:
        if not web_link(link):
            raise UserError("That link doesn't look right: it should start with https://.")
        words = words[:-1]
    if any(w.lower().startswith(("http://", "https://")) for w in words):
        raise UserError("Put the joining link last, after the title.")
    title = clean_text(" ".join(words), what="The event's title", max_length=MAX_TITLE)
    return title, link


def _post(ctx: Context, key: str, title: str, event: Event, *extra: str) -> None:
    assert event.id is not None
    sections = [Section(text=line) for line in extra]
    if event.link:
        sections.append(Section(heading="Joining link", text=event.link))
    sections.append(Section(text=f"Times are {ctx.community.timezone} time."))
    ctx.post(
        key,
        OutMessage(title=title, sections=tuple(sections), buttons=buttons(f"e{event.id}")),
        expires_at=event.starts_at,
        tell=True,  # members reached by email get it at once, with the calendar file
        attachment=calendar_attachment(ctx, "event", event.id),
    )


def add_event(cmd: AddEvent, ctx: Context) -> Response:
    member = ctx.require_convener("add events")
    starts_at, rest = read_moment(ctx, cmd.text, EXAMPLE)
    if not rest:
        raise UserError("Please give the event a title, e.g. /cop event add friday 12:30 Drop-in")
    title, link = _title_and_link(rest)
    event = Event(
        community_id=ctx.community_id,
        starts_at=starts_at,  # type: ignore[arg-type]
        title=title,
        link=link,
        created_by=member.id,
    )
    ctx.uow.session.add(event)
    ctx.uow.session.flush()
    zone = ctx.community.timezone
    when_text = local_time(event.starts_at, zone)
    _post(ctx, f"event:{event.id}:announce", f"{title}: {when_text}", event, "Will you come?")
    return Response(message=say(f"Event #{event.id} added: {title}, {when_text}."))


def list_events(cmd: ListEvents, ctx: Context) -> Response:
    member = ctx.require_member()
    now = ctx.clock.now()
    upcoming = ctx.uow.session.exec(
        select(Event)
        .where(
            Event.community_id == ctx.community_id,
            col(Event.cancelled).is_(False),
            col(Event.starts_at) > now,
        )
        .order_by(col(Event.starts_at))
        .limit(10)
    ).all()
    if not upcoming:
        return Response(message=say("No events planned. Conveners add one with /cop event add."))
    counts = answers(ctx.uow.session, "event", [e.id for e in upcoming if e.id is not None])
    items = []
    for event in upcoming:
        assert event.id is not None
        figures = (
            counts_text(counts[event.id])
            if member.is_convener
            else (f"{counts[event.id]['going']} going")
        )
        items.append(
            f"#{event.id} {local_time(event.starts_at, member.timezone)} — {event.title} "
            f"({figures})"
        )
    return Response(
        message=OutMessage(
            title=f"Events ahead ({member.timezone} time)",
            sections=(Section(items=tuple(items)),),
            footer="Answer with /cop rsvp event <number> going|maybe|no.",
        )
    )


def move_event(cmd: MoveEvent, ctx: Context) -> Response:
    ctx.require_convener("move events")
    event = _event(ctx, cmd.event_id)
    try:
        starts_at = when.parse_moment(cmd.when, ctx.clock.now(), ctx.settings.zone)
    except when.WhenError as error:
        raise UserError(f"{error} For example: /cop event move 3 2026-12-10 14:00") from None
    if starts_at == event.starts_at:
        raise UserError(f"Event #{event.id} is already then.")
    zone = ctx.community.timezone
    was = local_time(event.starts_at, zone)
    event.starts_at = starts_at
    event.sequence += 1
    ctx.uow.session.add(event)
    _post(
        ctx,
        f"event:{event.id}:moved:{ctx.clock.now().isoformat()}",
        f"{event.title} has moved to {local_time(starts_at, zone)}",
        event,
        f"It was planned for {was}. If that changes your plans, please update your answer.",
    )
    return Response(message=say(f"Event #{event.id} moved to {local_time(starts_at, zone)}."))


def cancel_event(cmd: CancelEvent, ctx: Context) -> Response:
    ctx.require_convener("cancel events")
    event = _event(ctx, cmd.event_id)
    event.cancelled = True
    event.sequence += 1
    ctx.uow.session.add(event)
    when_text = local_time(event.starts_at, ctx.community.timezone)
    ctx.post(
        f"event:{event.id}:cancelled:{ctx.clock.now().isoformat()}",
        OutMessage(
            title=f"{event.title} on {when_text} is cancelled",
            sections=(Section(text="If you added it to your calendar, this file removes it."),),
            buttons=(buttons(f"e{event.id}")[-1],),
        ),
    )
    return Response(message=say(f"Event #{event.id} is cancelled; the channel is told."))


def remind_event(cmd: RemindEvent, ctx: Context) -> Response:
    event = ctx.uow.session.get(Event, cmd.event_id)
    if event is None or event.cancelled or event.starts_at <= ctx.clock.now():
        return Response()
    counts = answers(ctx.uow.session, "event", [cmd.event_id])[cmd.event_id]
    _post(
        ctx,
        f"event:{event.id}:remind:{event.starts_at.isoformat()}",
        f"Coming up: {event.title}",
        event,
        f"On {local_time(event.starts_at, ctx.community.timezone)}.",
        f"{counts['going']} going so far. Will you come?",
    )
    return Response()


# ---- parsing ---------------------------------------------------------------------------


def _parse(rest: str, _settings: CommunitySettings) -> c.Command:
    action, _, tail = rest.partition(" ")
    action, tail = action.lower(), tail.strip()
    if action in ("", "list"):
        return ListEvents()
    if action in ("add", "new") and tail:
        return AddEvent(tail)
    first, _, after = tail.partition(" ")
    after = after.strip()
    if action == "move" and after:
        return MoveEvent(number_or_usage(first, EVENT), after)
    if action == "cancel" and first and not after:
        return CancelEvent(number_or_usage(first, EVENT))
    if action in ("who", "coming") and first and not after:
        return ShowComing("event", number_or_usage(first, EVENT))
    if action == "calendar" and first and not after:
        return CalendarFile("event", number_or_usage(first, EVENT))
    raise usage_error(EVENT)


def _parse_events(rest: str, _settings: CommunitySettings) -> c.Command:
    if rest.strip():
        raise usage_error(EVENT)
    return ListEvents()


# ---- schedules -------------------------------------------------------------------------


def collect_jobs(uow: UnitOfWork, settings_of: object) -> list[JobSpec]:
    """A reminder before each event ahead (not cancelled) of every open community."""
    specs: list[JobSpec] = []
    rows = uow.session.exec(
        select(Event, Community)
        .join(Community, col(Community.id) == col(Event.community_id))
        .where(col(Community.closed_at).is_(None), col(Event.cancelled).is_(False))
    ).all()
    for event, community in rows:
        settings: CommunitySettings = settings_of(community)  # type: ignore[operator]
        before = settings.meetings.remind_before
        if not before or event.id is None:
            continue
        ahead = when.parse_duration(before)
        event_id = event.id
        specs.append(
            JobSpec(
                key=f"event-remind:{event_id}:{event.sequence}",
                community_id=event.community_id,
                times=at(event.starts_at - ahead),
                make=lambda _t, i=event_id: RemindEvent(i),
                grace=ahead,
            )
        )
    return specs


EVENT = Verb(
    "event",
    _parse,
    usage="/cop event list · /cop event add <date time> <title> [link] · "
    "/cop event move <number> <date time> · /cop event cancel <number> · "
    "/cop event who <number> · /cop event calendar <number>",
    help="one-off events (drop-ins, webinars, socials): who's coming, a calendar file",
    convener_help="add, move or cancel an event "
    "(/cop event add 2026-12-10 12:30 Drop-in https://meet.example.org/x)",
)
EVENTS = Verb("events", _parse_events, usage="/cop events", help="the events ahead")

FEATURE = Feature(
    name="events",
    verbs=(EVENT, EVENTS),
    handlers={
        AddEvent: add_event,
        ListEvents: list_events,
        MoveEvent: move_event,
        CancelEvent: cancel_event,
        RemindEvent: remind_event,
    },
    jobs=collect_jobs,
)
