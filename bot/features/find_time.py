"""Finding a time: an availability poll over a few candidate times for the next meeting.

`/cop meeting find-time <time>; <time>; …` (conveners) posts "When can you come?". Each
member answers Yes / If need be / No per time, privately, seeing every time in their own
time zone (so shift workers in London and New York both read their own clock). The result
ranks the times by yes, then by if-need-be; the convener picks one
(`/cop meeting find-time pick <poll> <time number>`) and it becomes the meeting, with its
reminder, answers and calendar file.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from bot import commands as c
from bot.context import Context
from bot.domain import momentum as rules
from bot.domain import when
from bot.domain.checkins import local_time
from bot.domain.text import clean_text, read_number
from bot.errors import UserError
from bot.messages import Button, OutMessage, Response, Section, say
from bot.storage.tables import Member
from bot.storage.tables_meetings import TimeAnswer, TimePoll, TimeSlot

MIN_SLOTS, MAX_SLOTS = 2, 6
ANSWERS = ("yes", "maybe", "no")
SPOKEN = {"yes": "yes", "maybe": "if need be", "no": "no"}
_TYPED = {"yes": "yes", "y": "yes", "maybe": "maybe", "ifneedbe": "maybe", "no": "no", "n": "no"}
USAGE = (
    "/cop meeting find-time <date time>; <date time>; … [topic] · /cop meeting find-time "
    "<poll> · /cop meeting times <poll> 1=yes 2=maybe 3=no · "
    "/cop meeting find-time pick <poll> <time number>"
)

# ---- commands --------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenTimePoll(c.Command):
    """Candidate times separated by ';', the last one optionally followed by a topic."""

    text: str


@dataclass(frozen=True)
class ShowTimePoll(c.Command):
    """A time poll's ranking, and the acting member's own answers with their buttons."""

    poll_id: int


@dataclass(frozen=True)
class ListTimePolls(c.Command):
    """The open time polls."""


@dataclass(frozen=True)
class AnswerTimes(c.Command):
    """Answers for one or more times: ((position, answer), …)."""

    poll_id: int
    answers: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class PickTime(c.Command):
    """A convener chooses the time: it becomes the meeting."""

    poll_id: int
    position: int


# ---- reading ---------------------------------------------------------------------------


def _poll(ctx: Context, poll_id: int) -> TimePoll:
    poll = ctx.uow.session.get(TimePoll, poll_id)
    if poll is None or poll.community_id != ctx.community_id:
        raise UserError(
            f"I can't find time poll #{poll_id}. See the open ones with /cop meeting find-time."
        )
    return poll


def _slots(ctx: Context, poll: TimePoll) -> list[TimeSlot]:
    return list(
        ctx.uow.session.exec(
            select(TimeSlot).where(TimeSlot.poll_id == poll.id).order_by(col(TimeSlot.position))
        ).all()
    )


def _counts(ctx: Context, slots: list[TimeSlot]) -> dict[int, Counter[str]]:
    counts: dict[int, Counter[str]] = {s.position: Counter() for s in slots}
    by_id = {s.id: s.position for s in slots}
    rows = ctx.uow.session.exec(
        select(TimeAnswer.slot_id, TimeAnswer.answer).where(
            col(TimeAnswer.slot_id).in_(list(by_id))
        )
    ).all()
    for slot_id, answer in rows:
        counts[by_id[slot_id]][answer] += 1
    return counts


def ranked(counts: dict[int, Counter[str]]) -> list[int]:
    """Time numbers, best first: most yes, then most if-need-be, then the earlier listed."""
    return sorted(counts, key=lambda p: (-counts[p]["yes"], -counts[p]["maybe"], p))


def _mine(ctx: Context, slots: list[TimeSlot], member: Member) -> dict[int, str]:
    by_id = {s.id: s.position for s in slots}
    rows = ctx.uow.session.exec(
        select(TimeAnswer.slot_id, TimeAnswer.answer).where(
            col(TimeAnswer.slot_id).in_(list(by_id)), TimeAnswer.member_id == member.id
        )
    ).all()
    return {by_id[slot_id]: answer for slot_id, answer in rows}


def _zone_note(member: Member) -> str:
    return f"Times are shown in your time zone, {member.timezone} (change it: /cop me timezone)."


def _my_view(ctx: Context, poll: TimePoll, member: Member, title: str) -> OutMessage:
    """The member's own answers, every time in their zone, with a button per answer."""
    slots = _slots(ctx, poll)
    mine = _mine(ctx, slots, member)
    items = tuple(
        f"{s.position}. {local_time(s.starts_at, member.timezone)} — "
        + (f"your answer: {SPOKEN[mine[s.position]]}" if s.position in mine else "not answered")
        for s in slots
    )
    buttons = tuple(
        Button(
            label=f"{s.position}: {SPOKEN[a].capitalize()}",
            action="findtime.answer",
            value=f"{poll.id}:{s.position}:{a}",
            style="primary" if mine.get(s.position) == a else "default",
        )
        for s in slots
        for a in ANSWERS
    )
    return OutMessage(
        title=title,
        sections=(Section(items=items), Section(text=_zone_note(member))),
        buttons=() if poll.closed_at else buttons,
        footer=f"Or type /cop meeting times {poll.id} 1=yes 2=maybe 3=no",
    )


def _ranking(ctx: Context, poll: TimePoll, member: Member) -> Section:
    slots = {s.position: s for s in _slots(ctx, poll)}
    counts = _counts(ctx, list(slots.values()))
    items = tuple(
        f"{p}. {local_time(slots[p].starts_at, member.timezone)} — {counts[p]['yes']} yes, "
        f"{counts[p]['maybe']} if need be, {counts[p]['no']} no"
        for p in ranked(counts)
    )
    return Section(heading="Best first", items=items)


# ---- handlers --------------------------------------------------------------------------


def open_time_poll(cmd: OpenTimePoll, ctx: Context) -> Response:
    member = ctx.require_convener("find a time for a meeting")
    now = ctx.clock.now()
    parts = [p.strip() for p in cmd.text.split(";")]
    if not MIN_SLOTS <= len(parts) <= MAX_SLOTS or not all(parts):
        raise UserError(
            f"Give {MIN_SLOTS} to {MAX_SLOTS} times separated by ';', e.g. /cop meeting "
            "find-time 2026-12-10 14:00; 2026-12-11 09:00; 2026-12-14 18:30"
        )
    moments: list[datetime] = []
    topic = None
    for number, part in enumerate(parts, 1):
        try:
            moment, _phrase, rest = rules.split_when(
                part, lambda phrase: when.parse_moment(phrase, now, ctx.settings.zone)
            )
        except when.WhenError as error:
            raise UserError(f"Time {number}: {error}") from None
        if rest and number < len(parts):
            raise UserError(f"Time {number}: I couldn't read {rest!r}. Put a topic last.")
        if rest:
            topic = clean_text(rest, what="The topic", max_length=300)
        moments.append(moment)
    if len(set(moments)) != len(moments):
        raise UserError("Two of those times are the same: give each time once.")
    poll = TimePoll(
        community_id=ctx.community_id, created_by=member.id, created_at=now, topic=topic
    )
    session = ctx.uow.session
    session.add(poll)
    session.flush()
    for position, moment in enumerate(moments, 1):
        session.add(TimeSlot(poll_id=poll.id, position=position, starts_at=moment))  # type: ignore[arg-type]
    session.flush()
    zone = ctx.community.timezone
    words = ctx.settings.words
    ctx.post(
        f"findtime:{poll.id}:open",
        OutMessage(
            title=f"When can you come to our next {words.meeting}?",
            sections=(
                Section(
                    items=tuple(
                        f"{n}. {local_time(m, zone)} ({zone})" for n, m in enumerate(moments, 1)
                    )
                ),
                *((Section(heading="Topic", text=topic),) if topic else ()),
                Section(
                    text="Press the button to answer Yes, If need be or No for each time: "
                    "you'll see them in your own time zone."
                ),
            ),
            buttons=(
                Button(
                    label="Give my times",
                    action="findtime.open",
                    value=str(poll.id),
                    style="primary",
                ),
            ),
        ),
        tell=True,
    )
    return Response(
        message=say(
            f"Time poll #{poll.id} is open with {len(moments)} times; the channel is asked. "
            f"See how it goes with /cop meeting find-time {poll.id}, then pick one with "
            f"/cop meeting find-time pick {poll.id} <time number>."
        )
    )


def show_time_poll(cmd: ShowTimePoll, ctx: Context) -> Response:
    member = ctx.require_member()
    poll = _poll(ctx, cmd.poll_id)
    title = (
        f"Time poll #{poll.id} is closed: the time was chosen"
        if poll.closed_at
        else f"When can you come? (time poll #{poll.id})"
    )
    view = _my_view(ctx, poll, member, title)
    return Response(
        message=view.model_copy(update={"sections": (*view.sections, _ranking(ctx, poll, member))})
    )


def list_time_polls(cmd: ListTimePolls, ctx: Context) -> Response:
    ctx.require_member()
    polls = ctx.uow.session.exec(
        select(TimePoll)
        .where(TimePoll.community_id == ctx.community_id, col(TimePoll.closed_at).is_(None))
        .order_by(col(TimePoll.id))
    ).all()
    if not polls:
        return Response(message=say("No time poll is open."))
    items = tuple(
        f"#{p.id}: {len(_slots(ctx, p))} times" + (f" — {p.topic}" if p.topic else "")
        for p in polls
    )
    return Response(
        message=OutMessage(
            title="Open time polls",
            sections=(Section(items=items),),
            footer="Answer with /cop meeting find-time <number>.",
        )
    )


def answer_times(cmd: AnswerTimes, ctx: Context) -> Response:
    member = ctx.require_member()
    poll = _poll(ctx, cmd.poll_id)
    if poll.closed_at is not None:
        raise UserError("That time poll is closed: the time has been chosen.")
    slots = {s.position: s for s in _slots(ctx, poll)}
    for position, answer in cmd.answers:
        if position not in slots:
            raise UserError(f"Time poll #{poll.id} has times 1 to {len(slots)}.")
        if answer not in ANSWERS:
            raise UserError("Answer yes, maybe (if need be) or no for each time.")
    session = ctx.uow.session
    now = ctx.clock.now()
    for position, answer in cmd.answers:
        slot_id = slots[position].id
        row = session.exec(
            select(TimeAnswer).where(
                TimeAnswer.slot_id == slot_id, TimeAnswer.member_id == member.id
            )
        ).first() or TimeAnswer(
            slot_id=slot_id,  # type: ignore[arg-type]
            member_id=member.id,  # type: ignore[arg-type]
            answer=answer,
            answered_at=now,
        )
        row.answer, row.answered_at = answer, now
        session.add(row)
    session.flush()
    return Response(message=_my_view(ctx, poll, member, "Thanks: your times are saved"))


def pick_time(cmd: PickTime, ctx: Context) -> Response:
    from bot.features.meetings import schedule_at  # meetings parses find-time's commands

    ctx.require_convener("choose the meeting's time")
    poll = _poll(ctx, cmd.poll_id)
    if poll.closed_at is not None:
        raise UserError("That time poll is closed already.")
    slots = {s.position: s for s in _slots(ctx, poll)}
    slot = slots.get(cmd.position)
    if slot is None:
        raise UserError(f"Time poll #{poll.id} has times 1 to {len(slots)}.")
    if slot.starts_at <= ctx.clock.now():
        raise UserError("That time has passed: pick another, or open a new time poll.")
    meeting = schedule_at(ctx, slot.starts_at, poll.topic)
    poll.closed_at, poll.meeting_id = ctx.clock.now(), meeting.id
    ctx.uow.session.add(poll)
    when_text = local_time(slot.starts_at, ctx.community.timezone)
    return Response(
        message=say(
            f"Chosen: {when_text}. It is now {ctx.settings.words.meeting} #{meeting.id}; "
            "the channel is told."
        )
    )


# ---- parsing (called by /cop meeting) --------------------------------------------------


def parse_find_time(tail: str) -> c.Command | None:
    """`find-time …` after /cop meeting; None when it doesn't fit (the caller shows usage)."""
    words = tail.split()
    if not words:
        return ListTimePolls()
    if len(words) == 1 and read_number(words[0]) is not None:
        return ShowTimePoll(read_number(words[0]))  # type: ignore[arg-type]
    if words[0].lower() == "pick":
        numbers = [read_number(w) for w in words[1:]]
        if len(numbers) == 2 and None not in numbers:
            return PickTime(numbers[0], numbers[1])  # type: ignore[arg-type]
        return None
    return OpenTimePoll(tail)


def parse_times(tail: str) -> c.Command | None:
    """`times <poll> 1=yes 2=maybe 3=no` after /cop meeting."""
    words = tail.split()
    poll_id = read_number(words[0]) if words else None
    if poll_id is None or len(words) < 2:
        return None
    answers = []
    for word in words[1:]:
        number, sep, answer = word.partition("=")
        position = read_number(number)
        spoken = _TYPED.get(answer.lower().replace(" ", "").replace("-", ""))
        if not sep or position is None or spoken is None:
            return None
        answers.append((position, spoken))
    if len({p for p, _ in answers}) != len(answers):
        return None
    return AnswerTimes(poll_id, tuple(answers))


def answer_button(value: str) -> c.Command:
    """'poll:position:answer' from a Yes / If need be / No button."""
    poll, position, answer = [*value.split(":"), "", "", ""][:3]
    numbers = read_number(poll), read_number(position)
    if None in numbers or answer not in ANSWERS:
        raise UserError("That button is out of date. Try /cop meeting find-time.")
    return AnswerTimes(numbers[0], ((numbers[1], answer),))  # type: ignore[arg-type]


def open_button(value: str) -> c.Command:
    number = read_number(value)
    if number is None:
        raise UserError("That button is out of date. Try /cop meeting find-time.")
    return ShowTimePoll(number)


HANDLERS = {
    OpenTimePoll: open_time_poll,
    ShowTimePoll: show_time_poll,
    ListTimePolls: list_time_polls,
    AnswerTimes: answer_times,
    PickTime: pick_time,
}
BUTTONS = {"findtime.answer": answer_button, "findtime.open": open_button}
