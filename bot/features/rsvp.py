"""Are you coming? Members answer Going / Maybe / Can't make it for each meeting and event,
change their answer until it starts, see who is going, and take a calendar file.

Answers are attendance intentions: they never count as taking part (no activity is
recorded), and the keeper's digest shows them apart, as a trend of "going" per meeting.
A gathering is ("meeting", id) or ("event", id); buttons carry it as 'm12' or 'e3'.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot import commands as c
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain import when
from bot.domain.calendar import CalendarEntry, ics
from bot.domain.checkins import local_time
from bot.domain.text import read_number
from bot.errors import UserError
from bot.features.base import Feature, Verb, usage_error
from bot.messages import Attachment, Button, OutMessage, Response, Section
from bot.storage.tables import Meeting, Member
from bot.storage.tables_meetings import Event, Rsvp

ANSWERS = ("going", "maybe", "no")
_SPOKEN = {"going": "going", "maybe": "maybe", "no": "can't make it"}
_TYPED = {
    "going": "going",
    "yes": "going",
    "coming": "going",
    "maybe": "maybe",
    "no": "no",
    "not": "no",
    "cant": "no",
    "can't": "no",
}
#: At most this many names in "who is going" (the rest are counted).
MAX_NAMES = 30

# ---- commands --------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerRsvp(c.Command):
    """The acting member's answer for one gathering."""

    kind: str  # "meeting" or "event"
    gathering_id: int
    answer: str


@dataclass(frozen=True)
class ShowComing(c.Command):
    """Who is coming to one gathering."""

    kind: str
    gathering_id: int


@dataclass(frozen=True)
class CalendarFile(c.Command):
    """The `.ics` file of one gathering, privately."""

    kind: str
    gathering_id: int


# ---- gatherings ------------------------------------------------------------------------


@dataclass(frozen=True)
class Gathering:
    """A meeting or an event, as answers and calendars see it."""

    kind: str
    id: int
    starts_at: datetime
    title: str
    link: str | None
    cancelled: bool
    uid: str
    sequence: int

    @property
    def ref(self) -> str:
        return f"{self.kind[0]}{self.id}"


def gathering(ctx: Context, kind: str, gathering_id: int) -> Gathering:
    """The community's meeting or event `gathering_id`, or a friendly refusal."""
    words = ctx.settings.words
    row: Meeting | Event | None
    row = ctx.uow.session.get(Meeting if kind == "meeting" else Event, gathering_id)
    noun = words.meeting if kind == "meeting" else "event"
    if row is None or row.community_id != ctx.community_id or row.id is None:
        raise UserError(f"I can't find {noun} #{gathering_id}. See them with /cop {kind} list.")
    if isinstance(row, Meeting):
        title = f"{ctx.community.name}: {words.meeting}" + (f" ({row.topic})" if row.topic else "")
        link = ctx.settings.meetings.link
    else:
        title, link = row.title, row.link
    return Gathering(kind, row.id, row.starts_at, title, link, row.cancelled, row.uid, row.sequence)


def parse_ref(value: str) -> tuple[str, int]:
    """'m12' -> ('meeting', 12), 'e3' -> ('event', 3); anything else is an old button."""
    kinds = {"m": "meeting", "e": "event"}
    number = read_number(value[1:]) if value[:1] in kinds else None
    if number is None:
        raise UserError("That button is out of date. Try /cop meeting list.")
    return kinds[value[0]], number


def buttons(ref: str) -> tuple[Button, ...]:
    """Going / Maybe / Can't make it / Add to my calendar, for one gathering."""
    return (
        Button(label="Going", action="rsvp.answer", value=f"{ref}:going", style="primary"),
        Button(label="Maybe", action="rsvp.answer", value=f"{ref}:maybe"),
        Button(label="Can't make it", action="rsvp.answer", value=f"{ref}:no"),
        Button(label="Add to my calendar", action="rsvp.calendar", value=ref),
    )


def _column(kind: str) -> object:
    return col(Rsvp.meeting_id) if kind == "meeting" else col(Rsvp.event_id)


# ---- queries other features use --------------------------------------------------------


def answers(session: Session, kind: str, ids: Iterable[int]) -> dict[int, Counter[str]]:
    """{gathering id: Counter(going=…, maybe=…, no=…)} for the given meetings or events."""
    wanted = list(ids)
    counts: dict[int, Counter[str]] = {i: Counter() for i in wanted}
    if not wanted:
        return counts
    column = _column(kind)
    rows = session.exec(
        select(column, Rsvp.answer).where(column.in_(wanted))  # type: ignore[attr-defined]
    ).all()
    for gathering_id, answer in rows:
        counts[gathering_id][answer] += 1
    return counts


def attendance_between(
    session: Session, cid: int, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Meetings that started in the window, with how many said they were coming (counts)."""
    meetings = session.exec(
        select(Meeting)
        .where(
            Meeting.community_id == cid,
            col(Meeting.cancelled).is_(False),
            col(Meeting.starts_at) >= start,
            col(Meeting.starts_at) < end,
        )
        .order_by(col(Meeting.starts_at))
    ).all()
    counts = answers(session, "meeting", [m.id for m in meetings if m.id is not None])
    return [
        {
            "starts_at": m.starts_at.isoformat(),
            "topic": m.topic,
            "going": counts[m.id]["going"],
            "maybe": counts[m.id]["maybe"],
            "not_coming": counts[m.id]["no"],
        }
        for m in meetings
        if m.id is not None
    ]


def going_names(session: Session, kind: str, gathering_id: int) -> list[str]:
    """The names of those going, alphabetically."""
    column = _column(kind)
    return sorted(
        session.exec(
            select(Member.display_name)
            .join(Rsvp, col(Rsvp.member_id) == col(Member.id))
            .where(column == gathering_id, Rsvp.answer == "going")  # type: ignore[operator]
        ).all(),
        key=str.casefold,
    )


def going_trend(
    session: Session, community_id: int, start: datetime, end: datetime
) -> list[tuple[datetime, int]]:
    """(start time, number going) for each meeting (not cancelled) starting in [start, end),
    oldest first: how many said they would come, meeting by meeting."""
    meetings = session.exec(
        select(Meeting.id, Meeting.starts_at)
        .where(
            Meeting.community_id == community_id,
            col(Meeting.cancelled).is_(False),
            col(Meeting.starts_at) >= start,
            col(Meeting.starts_at) < end,
        )
        .order_by(col(Meeting.starts_at))
    ).all()
    counts = answers(session, "meeting", [m for m, _ in meetings if m is not None])
    return [(starts_at, counts[m]["going"]) for m, starts_at in meetings if m is not None]


def carry_answers(session: Session, old_meeting_id: int, new_meeting_id: int) -> None:
    """A moved meeting keeps its answers (the move tells people to change theirs if needed)."""
    for row in session.exec(select(Rsvp).where(Rsvp.meeting_id == old_meeting_id)).all():
        row.meeting_id = new_meeting_id
        session.add(row)


def counts_text(counts: Mapping[str, int]) -> str:
    """'5 going, 2 maybe, 1 can't make it'."""
    return ", ".join(f"{counts.get(a, 0)} {_SPOKEN[a]}" for a in ANSWERS)


def calendar_entry(g: Gathering, settings: CommunitySettings) -> CalendarEntry:
    """The calendar's view of a gathering (meetings last the configured length; events 1 h)."""
    length = (
        when.parse_duration(settings.meetings.length) if g.kind == "meeting" else timedelta(hours=1)
    )
    return CalendarEntry(
        uid=f"{g.kind}-{g.uid}",
        sequence=g.sequence,
        starts_at=g.starts_at,
        length=length,
        title=g.title,
        link=g.link,
        cancelled=g.cancelled,
    )


# ---- handlers --------------------------------------------------------------------------


def _noun(ctx: Context, kind: str) -> str:
    return ctx.settings.words.meeting if kind == "meeting" else "event"


def answer_rsvp(cmd: AnswerRsvp, ctx: Context) -> Response:
    member = ctx.require_member()
    g = gathering(ctx, cmd.kind, cmd.gathering_id)
    noun = _noun(ctx, cmd.kind)
    if g.cancelled:
        raise UserError(f"That {noun} is cancelled, so there's nothing to answer.")
    if g.starts_at <= ctx.clock.now():
        raise UserError(f"That {noun} has already started, so answers are closed.")
    if cmd.answer not in ANSWERS:
        raise UserError("Please answer going, maybe or no.")
    session = ctx.uow.session
    column = _column(cmd.kind)
    row = session.exec(
        select(Rsvp).where(column == g.id, Rsvp.member_id == member.id)  # type: ignore[operator]
    ).first()
    if row is None:
        row = Rsvp(
            community_id=ctx.community_id,
            member_id=member.id,  # type: ignore[arg-type]
            answer=cmd.answer,
            answered_at=ctx.clock.now(),
            **{f"{cmd.kind}_id": g.id},
        )
    row.answer = cmd.answer
    row.answered_at = ctx.clock.now()
    session.add(row)
    session.flush()
    when_text = local_time(g.starts_at, member.timezone)
    said = {
        "going": f"Thanks: you're going to the {noun} on {when_text}.",
        "maybe": f"Thanks: you might come to the {noun} on {when_text}.",
        "no": f"Thanks for letting us know you can't make the {noun} on {when_text}.",
    }[cmd.answer]
    message = _coming(ctx, g, member)
    return Response(
        message=OutMessage(
            title=said,
            sections=message.sections,
            buttons=buttons(g.ref),
            footer="You can change your answer until it starts.",
        )
    )


def _coming(ctx: Context, g: Gathering, member: Member) -> OutMessage:
    counts = answers(ctx.uow.session, g.kind, [g.id])[g.id]
    sections = [Section(text=counts_text(counts) + ".")]
    if ctx.settings.meetings.show_going or member.is_convener:
        names = going_names(ctx.uow.session, g.kind, g.id)
        if names:
            shown = names[:MAX_NAMES]
            more = len(names) - len(shown)
            sections.append(
                Section(heading="Going", items=(*shown, *([f"and {more} more"] if more else ())))
            )
    if g.link:
        sections.append(Section(heading="Joining link", text=g.link))
    return OutMessage(
        title=f"Who's coming to the {_noun(ctx, g.kind)} on "
        f"{local_time(g.starts_at, member.timezone)}",
        sections=tuple(sections),
    )


def show_coming(cmd: ShowComing, ctx: Context) -> Response:
    member = ctx.require_member()
    g = gathering(ctx, cmd.kind, cmd.gathering_id)
    if g.cancelled:
        raise UserError(f"That {_noun(ctx, cmd.kind)} is cancelled.")
    message = _coming(ctx, g, member)
    return Response(message=message.model_copy(update={"buttons": buttons(g.ref)}))


def calendar_attachment(ctx: Context, kind: str, gathering_id: int) -> Attachment:
    """The `.ics` file of one gathering as it is now (cancelled: the file that removes it)."""
    g = gathering(ctx, kind, gathering_id)
    day = g.starts_at.astimezone(ctx.settings.zone).date().isoformat()
    noun = _noun(ctx, kind)
    return Attachment(
        filename=f"{noun.replace(' ', '-')}-{day}.ics",
        content=ics(calendar_entry(g, ctx.settings), stamp=ctx.clock.now()),
        mime="text/calendar",
    )


def calendar_file(cmd: CalendarFile, ctx: Context) -> Response:
    ctx.require_member()
    g = gathering(ctx, cmd.kind, cmd.gathering_id)
    noun = _noun(ctx, cmd.kind)
    what = (
        f"This removes the cancelled {noun} from your calendar."
        if g.cancelled
        else f"Open it to add the {noun} to your calendar; if it moves, the new file updates it."
    )
    return Response(
        message=OutMessage(
            title=f"The {noun} on {local_time(g.starts_at, ctx.require_member().timezone)}",
            sections=(Section(text=what),),
            attachment=calendar_attachment(ctx, cmd.kind, cmd.gathering_id),
        )
    )


# ---- parsing ---------------------------------------------------------------------------


def _button_answer(value: str) -> c.Command:
    ref, _, answer = value.partition(":")
    kind, number = parse_ref(ref)
    if answer not in ANSWERS:
        raise UserError("That button is out of date. Try /cop meeting list.")
    return AnswerRsvp(kind, number, answer)


def _button_calendar(value: str) -> c.Command:
    return CalendarFile(*parse_ref(value))


def _parse(rest: str, _settings: CommunitySettings) -> c.Command:
    """`/cop rsvp <meeting id> going|maybe|no` or `/cop rsvp event <id> going|maybe|no`."""
    words = rest.split()
    kind = "meeting"
    if words and words[0].lower() in ("event", "meeting"):
        kind = words.pop(0).lower()
    if len(words) != 2:
        raise usage_error(RSVP)
    number = read_number(words[0])
    answer = _TYPED.get(words[1].lower())
    if number is None or answer is None:
        raise usage_error(RSVP)
    return AnswerRsvp(kind, number, answer)


RSVP = Verb(
    "rsvp",
    _parse,
    usage="/cop rsvp <meeting number> going|maybe|no · /cop rsvp event <number> going|maybe|no",
    help="say whether you're coming to a meeting or event",
)

FEATURE = Feature(
    name="rsvp",
    verbs=(RSVP,),
    buttons={
        "rsvp.answer": _button_answer,
        "rsvp.calendar": _button_calendar,
        "rsvp.who": lambda value: ShowComing(*parse_ref(value)),
    },
    handlers={AnswerRsvp: answer_rsvp, ShowComing: show_coming, CalendarFile: calendar_file},
)
