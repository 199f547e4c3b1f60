"""Anonymous pulses: how far did we get towards our goals, and what did taking part change?

After every `goals_every`-th meeting (2 by default) each member is asked privately, on a 1 to
5 scale with an optional comment, how far the community got towards each goal; after every
`impact_every`-th (4) whether taking part improved their knowledge, skills, confidence,
motivation, and helped them change something in their practice. Conveners can ask any time
(`/cop pulse goals|impact`). Answers are anonymous (bot.anonymity: no member id, a random id,
only the day, a key scoped to the pulse, sealed when it closes). Results go to the keepers
when a pulse closes, then into their digest, the meeting reminder, the close recap, the export
and the sponsors' report; fewer than 5 answers are never shown as figures ("too few to
report"). Queries and wording of results: bot.features.pulse_results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select

from bot import anonymity
from bot import commands as c
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain import when
from bot.domain.checkins import local_time
from bot.domain.members import is_away
from bot.domain.pulses import MIN_ANSWERS
from bot.domain.text import clean_text, read_number
from bot.errors import UserError
from bot.features.base import Feature, Verb, usage_error
from bot.features.goals import current_goals
from bot.features.guard import guard_text
from bot.features.pulse_forms import comment_field, pulse_form, read_answers
from bot.features.pulse_results import (
    COMMENT,
    latest_sections,
    open_pulse_of,
    result_message,
    seal_pulse,
)
from bot.messages import Button, Form, OutMessage, Response, Section, say
from bot.scheduling import JobSpec, at
from bot.storage.tables import Community, Meeting, Member
from bot.storage.tables_value import PULSE_KINDS, Pulse, PulseAnswer
from bot.storage.uow import UnitOfWork

_ANSWERS = PulseAnswer.__table__  # type: ignore[attr-defined]
ANONYMOUS = (
    "Your answer is anonymous: copbot keeps no record of who answered what, and results are "
    f"shown only when at least {MIN_ANSWERS} people answer."
)


@dataclass(frozen=True)
class OpenPulse(c.Command):
    """Ask every member (a job after a meeting, or a convener now)."""

    kind: str
    meeting_id: int | None = None


@dataclass(frozen=True)
class ClosePulse(c.Command):
    """A job: the pulse's time is up: seal the answers, tell the keepers."""

    pulse_id: int


@dataclass(frozen=True)
class StartPulse(c.Command):
    """'Answer (anonymously)': open the questions."""

    pulse_id: int


@dataclass(frozen=True)
class AnswerPulse(c.Command):
    """The answers ('g3=4,g5=2' or 'knowledge=yes,…') and an optional comment (`text`)."""

    pulse_id: int
    answers: str
    text: str = ""
    confirmed: bool = False
    anonymous: bool = True


@dataclass(frozen=True)
class StartPulseComment(c.Command):
    pulse_id: int


@dataclass(frozen=True)
class ShowPulses(c.Command):
    """The latest results of each kind."""


def _pulse(ctx: Context, pulse_id: int) -> Pulse:
    pulse = ctx.uow.session.get(Pulse, pulse_id)
    if pulse is None or pulse.community_id != ctx.community_id:
        raise UserError("That question is out of date. Thank you all the same!")
    if pulse.closed_at is not None:
        raise UserError("That pulse has closed, so I can't take answers any more. Thank you!")
    return pulse


def _key(ctx: Context, pulse_id: int, member: Member) -> str:
    assert member.id is not None
    return anonymity.author_key(ctx.secret, "pulse", pulse_id, member.id)


# ---- asking --------------------------------------------------------------------------


def _ask_message(pulse: Pulse, goals: list[str]) -> OutMessage:
    if pulse.kind == "goals":
        title, sections = "How far did we get towards our goals?", (Section(items=tuple(goals)),)
    else:
        title, sections = "What has taking part changed for you?", ()
    return OutMessage(
        title=title,
        sections=(*sections, Section(text=ANONYMOUS)),
        buttons=(
            Button(
                label="Answer (anonymously)",
                action="pulse.start",
                value=str(pulse.id),
                style="primary",
            ),
        ),
        footer="A minute or two. You can answer again until it closes; it replaces your answer.",
    )


def open_pulse(cmd: OpenPulse, ctx: Context) -> Response:
    by_job = ctx.member is None
    if not by_job:
        ctx.require_convener("ask the community for a pulse")
    if cmd.kind not in PULSE_KINDS:
        raise usage_error(PULSE)
    session, now = ctx.uow.session, ctx.clock.now()
    goals = current_goals(session, ctx.community_id)
    if cmd.kind == "goals" and not goals:
        if by_job:
            return Response()
        raise UserError("Set the community's goals first: /cop goals set <goal>; <goal>")
    already = open_pulse_of(session, ctx.community_id, cmd.kind)
    if already is not None:
        if by_job:
            return Response()
        closes = local_time(already.closes_at, ctx.community.timezone)
        raise UserError(f"A {cmd.kind} pulse is already open, until {closes}.")
    pulse = Pulse(
        community_id=ctx.community_id,
        kind=cmd.kind,
        meeting_id=cmd.meeting_id,
        opened_at=now,
        closes_at=now + when.parse_duration(ctx.settings.pulses.open_for),
        questions="\n".join(f"{g.id}:{g.text}" for g in goals) if cmd.kind == "goals" else "",
    )
    session.add(pulse)
    session.flush()
    message = _ask_message(pulse, [g.text for g in goals])
    members = session.exec(select(Member).where(Member.community_id == ctx.community_id)).all()
    asked = 0
    for member in members:
        if not is_away(member, now):
            asked += ctx.dm(
                member, f"pulse:{pulse.id}:ask:m{member.id}", message, expires_at=pulse.closes_at
            )
    closes = local_time(pulse.closes_at, ctx.community.timezone)
    return Response(message=say(f"I've asked {asked} members privately; it closes {closes}."))


def start(cmd: StartPulse, ctx: Context) -> Response:
    ctx.require_member()
    return Response(form=pulse_form(_pulse(ctx, cmd.pulse_id), ctx.settings.pulses.ask))


def start_comment(cmd: StartPulseComment, ctx: Context) -> Response:
    ctx.require_member()
    pulse = _pulse(ctx, cmd.pulse_id)
    return Response(
        form=Form(
            form_id="pulse.comment",
            title="Add a comment (anonymous)",
            fields=(comment_field().model_copy(update={"required": True}),),
            metadata=str(pulse.id),
        )
    )


# ---- answering -----------------------------------------------------------------------


def answer(cmd: AnswerPulse, ctx: Context) -> Response:
    member = ctx.require_member()
    pulse = _pulse(ctx, cmd.pulse_id)
    assert pulse.id is not None
    values = read_answers(pulse, cmd.answers) if cmd.answers != COMMENT else {}
    text = clean_text(cmd.text, what="Your comment", max_length=500) if cmd.text.strip() else ""
    if text:
        held = guard_text(ctx, text, confirmed=cmd.confirmed, resend=cmd)
        if held is not None:
            return held
    session, key = ctx.uow.session, _key(ctx, pulse.id, member)
    mine = (_ANSWERS.c.pulse_id == pulse.id) & (_ANSWERS.c.author_key == key)
    before = set(session.exec(select(PulseAnswer.question).where(mine)).all())
    if not values and not before - {COMMENT}:
        raise UserError("Please answer the questions first; then you can add a comment.")
    if values:
        session.execute(delete(PulseAnswer).where(mine, _ANSWERS.c.question != COMMENT))
    if text:
        session.execute(delete(PulseAnswer).where(mine, _ANSWERS.c.question == COMMENT))
        values = {**values, COMMENT: 0}
    day = anonymity.coarse(ctx.clock.now(), ctx.community.timezone)
    for question, value in values.items():
        session.add(
            PulseAnswer(
                id=anonymity.random_id(session, _ANSWERS),
                pulse_id=pulse.id,
                community_id=ctx.community_id,
                question=question,
                value=value,
                comment=text if question == COMMENT else None,
                author_key=key,
                answered_on=day,
            )
        )
    if not before:
        ctx.record("answered-pulse", anonymous=True)
    ctx.acted_anonymously = True
    closes = local_time(pulse.closes_at, ctx.community.timezone)
    commented = text or COMMENT in before
    return Response(
        message=OutMessage(
            title="Thank you!" if not before else "Thank you: your answer is updated.",
            sections=(
                Section(text=f"{ANONYMOUS} It closes {closes}; the keepers see the results."),
            ),
            buttons=()
            if commented
            else (Button(label="Add a comment", action="pulse.comment", value=str(pulse.id)),),
        )
    )


def close(cmd: ClosePulse, ctx: Context) -> Response:
    session = ctx.uow.session
    pulse = session.get(Pulse, cmd.pulse_id)
    if pulse is None or pulse.closed_at is not None:
        return Response()
    seal_pulse(session, pulse, ctx.clock.now())
    message = result_message(session, pulse, keeper=True)
    keepers = session.exec(
        select(Member).where(Member.community_id == ctx.community_id, col(Member.is_keeper))
    ).all()
    for keeper in keepers:
        ctx.dm(keeper, f"pulse:{pulse.id}:results:m{keeper.id}", message)
    return Response()


def show(cmd: ShowPulses, ctx: Context) -> Response:
    member = ctx.require_member()
    sections = latest_sections(
        ctx.uow.session, ctx.community_id, keeper=member.is_keeper, kinds=PULSE_KINDS
    )
    if not sections:
        return Response(message=say("No pulse has closed yet. Results appear here when one does."))
    return Response(message=OutMessage(title="Our latest pulses", sections=tuple(sections)))


# ---- parsing and schedules -----------------------------------------------------------


def _parse(rest: str, _settings: CommunitySettings) -> c.Command:
    word = rest.strip().lower()
    if not word or word == "results":
        return ShowPulses()
    if word in PULSE_KINDS:
        return OpenPulse(word)
    raise usage_error(PULSE)


def _number(value: str) -> int:
    number = read_number(value)
    if number is None:
        raise UserError("That button is out of date. Thank you all the same!")
    return number


def _answer_form(metadata: str, values: Mapping[str, str]) -> c.Command:
    answers = ",".join(f"{k}={v}" for k, v in sorted(values.items()) if k != "text")
    return AnswerPulse(_number(metadata), answers, values.get("text", ""))


def _comment_form(metadata: str, values: Mapping[str, str]) -> c.Command:
    return AnswerPulse(_number(metadata), COMMENT, values.get("text", ""))


def collect_jobs(uow: UnitOfWork, settings_of: Any) -> list[JobSpec]:
    """A pulse after every n-th meeting of each open community; the close of each open one."""
    specs: list[JobSpec] = []
    rows = uow.session.exec(
        select(Meeting, Community)
        .join(Community, col(Community.id) == col(Meeting.community_id))
        .where(col(Community.closed_at).is_(None), col(Meeting.cancelled).is_(False))
        .order_by(col(Meeting.community_id), col(Meeting.starts_at))
    ).all()
    count: dict[int, int] = {}
    for meeting, community in rows:
        settings: CommunitySettings = settings_of(community)
        index = count[meeting.community_id] = count.get(meeting.community_id, 0) + 1
        ends = meeting.starts_at + when.parse_duration(settings.meetings.length)
        rhythm = (("goals", settings.pulses.goals_every), ("impact", settings.pulses.impact_every))
        for kind, every in rhythm:
            if every and index % every == 0 and meeting.id is not None:
                specs.append(
                    JobSpec(
                        key=f"pulse-{kind}:{meeting.id}",
                        community_id=meeting.community_id,
                        times=at(ends),
                        make=lambda _t, k=kind, i=meeting.id: OpenPulse(k, i),
                        grace=when.parse_duration(settings.pulses.open_for),
                    )
                )
    for pulse in uow.session.exec(select(Pulse).where(col(Pulse.closed_at).is_(None))).all():
        assert pulse.id is not None
        specs.append(
            JobSpec(
                key=f"pulse-close:{pulse.id}",
                community_id=pulse.community_id,
                times=at(pulse.closes_at),
                make=lambda _t, i=pulse.id: ClosePulse(i),
                catch_up=True,
            )
        )
    return specs


PULSE = Verb(
    "pulse",
    _parse,
    usage="/cop pulse · /cop pulse goals · /cop pulse impact",
    help="the latest anonymous pulses: how far we got towards our goals, and what taking "
    "part changed",
    convener_help="ask everyone now, anonymously (/cop pulse goals or /cop pulse impact)",
    aliases=("pulses",),
)

FEATURE = Feature(
    name="pulses",
    verbs=(PULSE,),
    buttons={
        "pulse.start": lambda v: StartPulse(_number(v)),
        "pulse.comment": lambda v: StartPulseComment(_number(v)),
    },
    forms={"pulse.answer": _answer_form, "pulse.comment": _comment_form},
    handlers={
        OpenPulse: open_pulse,
        ClosePulse: close,
        StartPulse: start,
        StartPulseComment: start_comment,
        AnswerPulse: answer,
        ShowPulses: show,
    },
    jobs=collect_jobs,
)
