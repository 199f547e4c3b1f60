"""A poll's reminder, its close and result, and a tie handed back to the conveners
(decide, or a run-off)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update
from sqlmodel import col, select

from bot import anonymity
from bot.context import Context
from bot.domain import polls as rules
from bot.domain import tally as counting
from bot.domain.checkins import local_time
from bot.domain.members import is_away
from bot.domain.text import plural, read_number, short
from bot.errors import UserError
from bot.features.poll_commands import (
    ClosePoll,
    DecidePoll,
    RemindPoll,
    RunoffPoll,
)
from bot.features.poll_opening import create_poll
from bot.features.poll_rows import (
    MAX_QUESTION,
    ballots_of,
    count_now,
    deadline_from,
    labels_of,
    member_count,
    next_meeting,
    options_of,
    poll_in,
)
from bot.messages import Button, OutMessage, Response, Section, say
from bot.storage.tables import Member
from bot.storage.tables_polls import Ballot, Poll, PollOption, Problem

_BALLOTS = Ballot.__table__  # type: ignore[attr-defined]


# ---- reminding and closing -------------------------------------------------------------


def remind(cmd: RemindPoll, ctx: Context) -> Response:
    session = ctx.uow.session
    poll = session.get(Poll, cmd.poll_id)
    if poll is None or poll.closed_at is not None:
        return Response()
    now = ctx.clock.now()
    claimed = session.execute(
        update(Poll)
        .where(col(Poll.id) == poll.id, col(Poll.reminded_at).is_(None))
        .values(reminded_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return Response()
    assert poll.id is not None
    # On an anonymous poll everyone is reminded: who was not would show who voted.
    voted = {b.member_id for b in ballots_of(session, poll.id) if not poll.anonymous}
    message = rules.reminder(poll, labels_of(session, poll), ctx.community.timezone)
    members = session.exec(select(Member).where(Member.community_id == ctx.community_id)).all()
    for member in members:
        assert member.id is not None
        if is_away(member, now) or member.id in voted:
            continue
        ctx.dm(member, f"poll:{poll.id}:remind:{member.id}", message, expires_at=poll.closes_at)
    return Response()


def close_poll(cmd: ClosePoll, ctx: Context) -> Response:
    """Close a poll and announce its result: exactly once, whoever gets there first."""
    session = ctx.uow.session
    if ctx.member is not None:
        ctx.require_convener("close a poll")
        poll = poll_in(ctx, cmd.poll_id)
    else:  # a job: a poll erased meanwhile is simply gone
        found = session.get(Poll, cmd.poll_id)
        if found is None:
            return Response()
        poll = found
    now = ctx.clock.now()
    claimed = session.execute(
        update(Poll)
        .where(col(Poll.id) == poll.id, col(Poll.closed_at).is_(None))
        .values(closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        if ctx.member is None:
            return Response()
        raise UserError(
            f"Poll {poll.id} has already closed. See the result with /cop poll {poll.id}."
        )
    session.refresh(poll)
    labels = labels_of(session, poll)
    result = count_now(session, poll)
    members = member_count(session, ctx.community_id)
    poll.result = {**counting.to_json(result), "members": members}
    sections = [Section(text=f"{result.ballots} of {plural(members, 'member')} voted.")]
    sections.append(Section(text=rules.outcome_line(poll, result, labels)))
    sections += rules.result_sections(poll, result, labels)
    if not poll.anonymous and result.ballots:
        sections.append(_who_voted(ctx, poll, labels))
    if result.tie:
        poll.outcome = "tie"
        _ask_conveners(ctx, poll, result.winners, labels)
    elif result.winner is not None:
        poll.outcome = "winner"
        poll.winner = result.winner
        topic = _apply_winner(ctx, poll, result.winner, labels)
        if topic:
            sections.append(Section(text=topic))
    else:
        poll.outcome = "none"
    session.add(poll)
    _seal_ballots(ctx, poll, result.ballots)
    footer = "Votes were anonymous: no one can see who voted for what." if poll.anonymous else None
    ctx.post(
        f"poll:{poll.id}:result",
        OutMessage(
            title=f"Poll {poll.id} has closed: {poll.question}",
            sections=tuple(sections),
            footer=footer,
        ),
    )
    return Response(message=say(f"Poll {poll.id} is closed; the result is posted."))


def _seal_ballots(ctx: Context, poll: Poll, ballots: int) -> None:
    """Anonymous votes are counted now (on the close's day), then nothing that let voters
    find their ballots survives (bot.anonymity.seal)."""
    session = ctx.uow.session
    if poll.anonymous:
        assert poll.closed_at is not None
        anonymity.record_anonymous(
            session, ctx.community_id, "voted", poll.closed_at, ctx.community.timezone, ballots
        )
    anonymity.seal(
        session,
        _BALLOTS,
        _BALLOTS.c.poll_id == poll.id,
        key_column="voter_key",
        anonymous=_BALLOTS.c.member_id.is_(None),
    )


def _who_voted(ctx: Context, poll: Poll, labels: Sequence[str]) -> Section:
    session = ctx.uow.session
    ballots = ballots_of(session, poll.id)
    ids = {b.member_id for b in ballots if b.member_id is not None}
    names = {
        m.id: m.display_name
        for m in session.exec(select(Member).where(col(Member.id).in_(ids))).all()
    }
    items = sorted(
        f"{names.get(b.member_id or 0, 'a member')}: "
        + "; ".join(rules.ballot_lines(poll, b.choices, labels))
        for b in ballots
    )
    return Section(heading="Who voted for what", items=tuple(items))


def _ask_conveners(ctx: Context, poll: Poll, tied: Sequence[int], labels: Sequence[str]) -> None:
    names = " and ".join(f"{n}. {labels[n - 1]}" for n in tied)
    message = OutMessage(
        title=f"Poll {poll.id} ended in a tie",
        sections=(
            Section(text=poll.question),
            Section(
                text=f"It's a tie between {names}. Please choose one with /cop poll decide "
                f"{poll.id} <number>, or open a run-off poll between them with /cop poll runoff "
                f"{poll.id}."
            ),
        ),
        buttons=(
            *(
                Button(
                    label=short(f"Choose {n}. {labels[n - 1]}", rules.BUTTON_LABEL),
                    action="poll.decide",
                    value=f"{poll.id}:{n}",
                )
                for n in tied[:24]
            ),
            Button(label="Run a run-off", action="poll.runoff", value=str(poll.id)),
        ),
    )
    conveners = ctx.uow.session.exec(
        select(Member).where(Member.community_id == ctx.community_id, col(Member.is_convener))
    ).all()
    for convener in conveners:
        ctx.dm(convener, f"poll:{poll.id}:tie:{convener.id}", message)


def _apply_winner(
    ctx: Context, poll: Poll, winner: int, labels: Sequence[str], *, late: bool = False
) -> str | None:
    """Mark a winning problem chosen and make it the next meeting's topic; say what happened."""
    session = ctx.uow.session
    option = session.exec(
        select(PollOption).where(PollOption.poll_id == poll.id, PollOption.number == winner)
    ).one()
    now = ctx.clock.now()
    problem = session.get(Problem, option.problem_id) if option.problem_id else None
    if problem is not None:
        problem.status = "chosen"
        problem.chosen_at = now
        session.add(problem)
    if not poll.sets_topic:
        return None
    meeting_word = ctx.settings.words.meeting
    # At close: the first meeting from the deadline on (even if the job wakes a little late).
    # When a convener settles a tie later: the next meeting from now.
    moment = now if late else min(now, poll.closes_at)
    meeting = next_meeting(session, ctx.community_id, moment)
    if meeting is None:
        kept = f" It is kept as chosen problem {problem.id}." if problem else ""
        return f"There's no next {meeting_word} in the calendar yet, so no topic was set.{kept}"
    meeting.topic = option.label[:300]
    session.add(meeting)
    when_ = local_time(meeting.starts_at, ctx.community.timezone)
    return f"'{short(option.label, 200)}' is the topic of our next {meeting_word}, {when_}."


def _closed_tie(ctx: Context, poll_id: int) -> Poll:
    ctx.require_convener("settle a tied poll")
    poll = poll_in(ctx, poll_id, lock=True)
    if poll.closed_at is None:
        raise UserError(
            f"Poll {poll.id} is still open: close it first (/cop poll close {poll.id})."
        )
    if poll.outcome != "tie":
        raise UserError(f"Poll {poll.id} didn't end in a tie, so there's nothing to settle.")
    return poll


def decide(cmd: DecidePoll, ctx: Context) -> Response:
    member = ctx.require_member()
    poll = _closed_tie(ctx, cmd.poll_id)
    labels = labels_of(ctx.uow.session, poll)
    tied = list((poll.result or {}).get("winners", []))
    choice = cmd.option.strip().lstrip("#")
    number = read_number(choice)
    if number is None:
        matches = [n for n in tied if labels[n - 1].casefold() == choice.casefold()]
        number = matches[0] if matches else None
    if number not in tied:
        options = ", ".join(f"{n} ({short(labels[n - 1], 40)})" for n in tied)
        raise UserError(f"Please choose one of the tied options: {options}.")
    assert number is not None
    poll.outcome = "decided"
    poll.winner = number
    ctx.uow.session.add(poll)
    sections = [
        Section(
            text=f"Poll {poll.id} ('{short(poll.question, 120)}') ended in a tie; "
            f"{member.display_name}, a convener, chose: {labels[number - 1]}."
        )
    ]
    topic = _apply_winner(ctx, poll, number, labels, late=True)
    if topic:
        sections.append(Section(text=topic))
    ctx.post(f"poll:{poll.id}:decided", OutMessage(title="A tie settled", sections=tuple(sections)))
    return Response(message=say(f"Done: {labels[number - 1]} is chosen. I've told the channel."))


def runoff(cmd: RunoffPoll, ctx: Context) -> Response:
    member = ctx.require_member()
    poll = _closed_tie(ctx, cmd.poll_id)
    assert poll.id is not None
    options = {o.number: o for o in options_of(ctx.uow.session, poll.id)}
    tied = list((poll.result or {}).get("winners", []))
    closes_at = (
        deadline_from(ctx, cmd.deadline)
        if cmd.deadline
        else ctx.clock.now() + (poll.closes_at - poll.opened_at)
    )
    poll.outcome = "runoff"
    ctx.uow.session.add(poll)
    question = short(f"Run-off: {poll.question}", MAX_QUESTION)
    new = create_poll(
        ctx,
        question=question,
        labels=[options[n].label for n in tied],
        problem_ids=[options[n].problem_id for n in tied],
        method=poll.method,
        dots=poll.dots,
        anonymous=poll.anonymous,
        live=poll.live,
        sets_topic=poll.sets_topic,
        opened_by=member.id,
        closes_at=closes_at,
        runoff_of=poll.id,
    )
    closes = local_time(closes_at, ctx.community.timezone)
    return Response(message=say(f"Run-off poll {new.id} is open; it closes {closes}."))
