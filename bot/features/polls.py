"""Polls: the community chooses together, one member one voice.

A convener opens a poll from the candidate problems or with their own question and options.
Methods: one choice, multiple choice (approval), dot voting, ranked choice (instant run-off).
Members vote and may change their ballot until the deadline; one reminder goes to those who
haven't voted. At the deadline (a job) or when a convener closes it, the result is announced
once; a tie goes back to the conveners (decide, or a run-off). A winning problem becomes the
next meeting's topic.

The typed grammar is in bot.features.poll_parsing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from bot import anonymity
from bot.context import Context
from bot.domain import polls as rules
from bot.domain import tally as counting
from bot.domain import when
from bot.domain.checkins import local_time
from bot.domain.members import is_away
from bot.domain.text import clean_text, plural, read_number, short
from bot.errors import UserError
from bot.features import poll_parsing
from bot.features.base import Feature, Verb
from bot.features.poll_commands import (
    PRIVACY,
    ClearVote,
    ClosePoll,
    DecidePoll,
    OpenPoll,
    PressOption,
    RemindPoll,
    RunoffPoll,
    ShowBallots,
    ShowPoll,
    ShowPolls,
    StartBallot,
    StartPollForm,
    Vote,
)
from bot.features.problems import candidates
from bot.messages import Button, Choice, Form, FormField, OutMessage, Response, Section, say
from bot.scheduling import JobSpec, at
from bot.storage.tables import Community, Meeting, Member
from bot.storage.tables_polls import Ballot, Poll, PollOption, Problem
from bot.storage.uow import UnitOfWork

_BALLOTS = Ballot.__table__  # type: ignore[attr-defined]

DEFAULT_DEADLINE = "in 7 days"
MAX_AHEAD = timedelta(days=366)
MAX_QUESTION = 300
PROBLEMS_QUESTION = "Which problem should we work on at our next {meeting}?"

# ---- helpers ---------------------------------------------------------------------------


def _options(session: Session, poll_id: int | None) -> list[PollOption]:
    return list(
        session.exec(
            select(PollOption).where(PollOption.poll_id == poll_id).order_by(col(PollOption.number))
        ).all()
    )


def _labels(session: Session, poll: Poll) -> list[str]:
    return [o.label for o in _options(session, poll.id)]


def _poll(ctx: Context, poll_id: int, *, lock: bool = False) -> Poll:
    query = select(Poll).where(Poll.id == poll_id)
    if lock:  # a vote waits for a concurrent close (and vice versa) on PostgreSQL
        query = query.with_for_update()
    poll = ctx.uow.session.exec(query).first()
    if poll is None or poll.community_id != ctx.community_id:
        raise UserError(f"There's no poll {poll_id}. See the polls with /cop poll.")
    return poll


def _open_poll(ctx: Context, poll_id: int, *, lock: bool = False) -> Poll:
    poll = _poll(ctx, poll_id, lock=lock)
    if poll.closed_at is not None or ctx.clock.now() >= poll.closes_at:
        raise UserError(f"Poll {poll_id} has closed, so votes can't be changed any more.")
    return poll


def _ballots(session: Session, poll_id: int | None) -> list[Ballot]:
    return list(
        session.exec(
            select(Ballot).where(Ballot.poll_id == poll_id).order_by(col(Ballot.voter_key))
        ).all()
    )


def _my_ballot(ctx: Context, poll: Poll, member: Member) -> Ballot | None:
    assert poll.id is not None and member.id is not None
    if not poll.anonymous:
        return ctx.uow.session.exec(
            select(Ballot).where(Ballot.poll_id == poll.id, Ballot.member_id == member.id)
        ).first()
    return ctx.uow.session.get(Ballot, (poll.id, rules.voter_key(ctx.secret, poll.id, member.id)))


def _member_count(session: Session, community_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(Member).where(Member.community_id == community_id)
    ).one()


def _count(session: Session, poll: Poll) -> counting.Result:
    options = len(_options(session, poll.id))
    ballots = [b.choices for b in _ballots(session, poll.id)]
    return counting.tally(poll.method, options, ballots)  # type: ignore[arg-type]


def _kept(session: Session, poll: Poll) -> counting.Result:
    """A closed poll's result as counted at close (later erasures don't change it)."""
    if poll.result and "counts" in poll.result:
        return counting.from_json(poll.method, poll.result)  # type: ignore[arg-type]
    return _count(session, poll)


def _deadline(ctx: Context, text: str | None) -> datetime:
    now = ctx.clock.now()
    nxt = _next_meeting(ctx.uow.session, ctx.community_id, now)
    try:
        moment = when.parse_moment(
            text or DEFAULT_DEADLINE,
            now,
            ZoneInfo(ctx.community.timezone),
            next_meeting=nxt.starts_at if nxt else None,
            default_time=datetime.strptime("17:00", "%H:%M").time(),
        )
    except when.WhenError as error:
        raise UserError(f"About the deadline: {error}") from None
    if moment - now > MAX_AHEAD:
        raise UserError("That deadline is more than a year away: please choose a nearer one.")
    return moment


def _next_meeting(session: Session, community_id: int, moment: datetime) -> Meeting | None:
    return session.exec(
        select(Meeting)
        .where(
            Meeting.community_id == community_id,
            col(Meeting.cancelled).is_(False),
            col(Meeting.starts_at) >= moment,
        )
        .order_by(col(Meeting.starts_at))
    ).first()


# ---- opening ---------------------------------------------------------------------------


def _check_options(raw: Sequence[str]) -> list[str]:
    """Cleaned options: 2 to 25, none empty, no duplicates; else a clear refusal."""
    if len(raw) > counting.MAX_OPTIONS:
        raise UserError(
            f"A poll can have at most {counting.MAX_OPTIONS} options; that's {len(raw)}. "
            "Could you combine or drop a few?"
        )
    cleaned: list[str] = []
    seen: dict[str, int] = {}
    for number, text in enumerate(raw, 1):
        option = clean_text(text, what=f"Option {number}", max_length=MAX_QUESTION)
        key = " ".join(option.casefold().split())
        if key in seen:
            raise UserError(
                f"Option {number} ('{short(option, 60)}') is the same as option {seen[key]}: "
                "each option must be different."
            )
        seen[key] = number
        cleaned.append(option)
    if len(cleaned) < 2:
        raise UserError("A poll needs at least two options to choose between.")
    return cleaned


def open_poll(cmd: OpenPoll, ctx: Context) -> Response:
    member = ctx.require_convener("open a poll")
    words = ctx.settings.words
    problem_ids: list[int | None]
    if cmd.from_problems:
        pool = candidates(ctx)
        if cmd.problem_ids:
            by_id = {p.id: p for p in pool}
            missing = [str(i) for i in cmd.problem_ids if i not in by_id]
            if missing:
                raise UserError(
                    f"Problem {', '.join(missing)} isn't a candidate. See /cop problems."
                )
            pool = [by_id[i] for i in dict.fromkeys(cmd.problem_ids)]
        if len(pool) < 2:
            have = "There's only one candidate problem" if pool else "There are no candidates yet"
            raise UserError(
                f"{have}: a poll needs at least two. Members can add one with /cop propose."
            )
        if len(pool) > counting.MAX_OPTIONS:
            raise UserError(
                f"There are {len(pool)} candidates and a poll can hold "
                f"{counting.MAX_OPTIONS}. Merge or withdraw some, or name the ones to include: "
                "/cop poll open from problems 1 4 7 …"
            )
        labels = [p.text for p in pool]
        problem_ids = [p.id for p in pool]
        question = PROBLEMS_QUESTION.format(meeting=words.meeting)
        if cmd.question:
            question = cmd.question
    else:
        if not cmd.question:
            raise UserError(f"Please give a question. Usage: {poll_parsing.POLL_USAGE}")
        labels = _check_options(cmd.options)
        problem_ids = [None] * len(labels)
        question = cmd.question
    question = clean_text(question, what="The question", max_length=MAX_QUESTION)
    if not 1 <= cmd.dots <= counting.MAX_DOTS:
        raise UserError(f"Each member can have 1 to {counting.MAX_DOTS} dots.")
    closes_at = _deadline(ctx, cmd.deadline)
    poll = _create(
        ctx,
        question=question,
        labels=labels,
        problem_ids=problem_ids,
        method=cmd.method,
        dots=cmd.dots,
        anonymous=cmd.anonymous,
        live=cmd.live,
        sets_topic=cmd.from_problems if cmd.sets_topic is None else cmd.sets_topic,
        opened_by=member.id,
        closes_at=closes_at,
    )
    closes = local_time(closes_at, ctx.community.timezone)
    return Response(
        message=say(f"Poll {poll.id} is open and posted in the channel; it closes {closes}.")
    )


def _create(
    ctx: Context,
    *,
    question: str,
    labels: Sequence[str],
    problem_ids: Sequence[int | None],
    method: str,
    dots: int,
    anonymous: bool,
    live: bool,
    sets_topic: bool,
    opened_by: int | None,
    closes_at: datetime,
    runoff_of: int | None = None,
) -> Poll:
    now = ctx.clock.now()
    poll = Poll(
        community_id=ctx.community_id,
        question=question,
        method=method,
        dots=dots,
        anonymous=anonymous,
        live=live,
        sets_topic=sets_topic,
        opened_by=opened_by,
        opened_at=now,
        closes_at=closes_at,
        remind_at=rules.remind_time(now, closes_at),
        runoff_of=runoff_of,
    )
    session = ctx.uow.session
    session.add(poll)
    session.flush()
    assert poll.id is not None
    for number, (label, problem_id) in enumerate(zip(labels, problem_ids, strict=True), 1):
        session.add(PollOption(poll_id=poll.id, number=number, label=label, problem_id=problem_id))
    ctx.post(
        f"poll:{poll.id}:post",
        rules.poll_message(poll, labels, ctx.community.timezone),
        tell=True,
    )
    return poll


def start_form(cmd: StartPollForm, ctx: Context) -> Response:
    ctx.require_convener("open a poll")
    question = PROBLEMS_QUESTION.format(meeting=ctx.settings.words.meeting)
    return Response(
        form=Form(
            form_id="poll.open",
            title="Open a poll",
            submit_label="Open the poll",
            fields=(
                FormField(name="question", label="Question", max_length=300, initial=question),
                FormField(
                    name="options",
                    label="Options, one per line (blank: problems)",
                    kind="long_text",
                    required=False,
                    max_length=2000,
                ),
                FormField(
                    name="method",
                    label="How people vote",
                    kind="choice",
                    initial="single",
                    choices=tuple(
                        Choice(value=m, label=rules.METHOD_NAMES[m]) for m in counting.METHODS
                    ),
                ),
                FormField(
                    name="deadline",
                    label="Closes (e.g. in 5 days, friday 17:00)",
                    max_length=100,
                    initial=DEFAULT_DEADLINE,
                ),
                FormField(
                    name="privacy",
                    label="Votes and results",
                    kind="choice",
                    initial="named-hidden",
                    choices=tuple(Choice(value=k, label=v) for k, v in PRIVACY.items()),
                ),
            ),
        )
    )


# ---- showing ---------------------------------------------------------------------------


def _turnout(session: Session, poll: Poll) -> str:
    voters = len(_ballots(session, poll.id))
    members = _member_count(session, poll.community_id)
    return f"{voters} of {plural(members, 'member')} have voted."


def _poll_view(ctx: Context, poll: Poll, member: Member | None) -> OutMessage:
    """A poll as one member sees it: options, rules, turnout, results if shown, their ballot."""
    session = ctx.uow.session
    labels = _labels(session, poll)
    closed = poll.closed_at is not None
    sections = [Section(items=tuple(f"{n}. {label}" for n, label in enumerate(labels, 1)))]
    if closed:
        result = _kept(session, poll)
        members = (poll.result or {}).get("members", "?")
        sections.append(Section(text=f"{result.ballots} of {plural(members, 'member')} voted."))
        sections.append(Section(text=_status_line(poll, labels, result)))
        sections += rules.result_sections(poll, result, labels)
    else:
        sections.append(Section(text=rules.how_to_vote(poll, len(labels))))
        sections.append(Section(text=rules.rules_line(poll, ctx.community.timezone)))
        sections.append(Section(text=_turnout(session, poll)))
        if poll.live:
            result = _count(session, poll)
            live = rules.result_sections(poll, result, labels)
            sections += [s.model_copy(update={"heading": f"So far: {s.heading}"}) for s in live]
    if member is not None:
        mine = _my_ballot(ctx, poll, member)
        if mine is not None:
            heading = "Your vote" + (" (anonymous: only you can see it)" if poll.anonymous else "")
            sections.append(
                Section(
                    heading=heading, items=tuple(rules.ballot_lines(poll, mine.choices, labels))
                )
            )
        elif not closed:
            sections.append(Section(text="You haven't voted yet."))
    return OutMessage(
        title=f"Poll {poll.id}: {poll.question}",
        sections=tuple(sections),
        buttons=() if closed else rules.vote_buttons(poll, labels),
    )


def _status_line(poll: Poll, labels: Sequence[str], result: counting.Result) -> str:
    if poll.outcome == "decided" and poll.winner:
        return f"Closed. After a tie, the conveners chose: {labels[poll.winner - 1]}."
    if poll.outcome == "runoff":
        return "Closed in a tie; a run-off poll was opened."
    return "Closed. " + rules.outcome_line(poll, result, labels)


def show_poll(cmd: ShowPoll, ctx: Context) -> Response:
    member = ctx.require_member()
    return Response(message=_poll_view(ctx, _poll(ctx, cmd.poll_id), member))


def show_polls(cmd: ShowPolls, ctx: Context) -> Response:
    ctx.require_member()
    session = ctx.uow.session
    polls = session.exec(
        select(Poll).where(Poll.community_id == ctx.community_id).order_by(col(Poll.id).desc())
    ).all()
    tz = ctx.community.timezone
    open_items = tuple(
        f"Poll {p.id}: {short(p.question, 100)} — closes {local_time(p.closes_at, tz)}"
        for p in reversed(polls)
        if p.closed_at is None
    )
    closed_items = tuple(
        f"Poll {p.id}: {short(p.question, 100)} — closed {local_time(p.closed_at, tz)}"
        for p in polls
        if p.closed_at is not None
    )[:5]
    sections = [
        Section(heading="Open", items=open_items)
        if open_items
        else Section(text="No poll is open right now."),
    ]
    if closed_items:
        sections.append(Section(heading="Recently closed", items=closed_items))
    footer = "See one with /cop poll <number>; vote with /cop vote <number> …"
    if ctx.member is not None and ctx.member.is_convener:
        footer += " Conveners: /cop poll open … · close <n> · decide <n> <option> · runoff <n>."
    return Response(message=OutMessage(title="Polls", sections=tuple(sections), footer=footer))


def show_ballots(cmd: ShowBallots, ctx: Context) -> Response:
    member = ctx.require_member()
    if cmd.poll_id is not None:
        return Response(message=_poll_view(ctx, _poll(ctx, cmd.poll_id), member))
    session = ctx.uow.session
    now = ctx.clock.now()
    polls = [
        p
        for p in session.exec(
            select(Poll)
            .where(Poll.community_id == ctx.community_id, col(Poll.closed_at).is_(None))
            .order_by(col(Poll.id))
        ).all()
        if p.closes_at > now
    ]
    if not polls:
        return Response(message=say("There's no poll open right now."))
    if len(polls) == 1:
        return Response(message=_poll_view(ctx, polls[0], member))
    items = []
    for poll in polls:
        mine = _my_ballot(ctx, poll, member)
        status = (
            "your vote: "
            + "; ".join(rules.ballot_lines(poll, mine.choices, _labels(session, poll)))
            if mine
            else "not voted yet"
        )
        items.append(f"Poll {poll.id}: {short(poll.question, 80)} — {status}")
    return Response(
        message=OutMessage(
            title="Open polls",
            sections=(Section(items=tuple(items)),),
            footer="See one and vote with /cop vote <number>.",
        )
    )


# ---- voting ----------------------------------------------------------------------------


def _store(ctx: Context, poll: Poll, member: Member, choices: Sequence[int]) -> bool:
    """Save the member's ballot; True if it is their first in this poll."""
    assert poll.id is not None and member.id is not None
    existing = _my_ballot(ctx, poll, member)
    ballot = existing or Ballot(
        poll_id=poll.id,
        voter_key=rules.voter_key(ctx.secret, poll.id, member.id),
        choices=list(choices),
    )
    ballot.choices = list(choices)
    ballot.member_id = None if poll.anonymous else member.id
    ctx.acted_anonymously = ctx.acted_anonymously or poll.anonymous
    ctx.uow.session.add(ballot)
    if existing is None and not poll.anonymous:  # anonymous votes are counted at the close
        ctx.record("voted")
    return existing is None


def _confirm(ctx: Context, poll: Poll, choices: Sequence[int], first: bool) -> Response:
    labels = _labels(ctx.uow.session, poll)
    closes = local_time(poll.closes_at, ctx.community.timezone)
    heading = "Thank you! Your vote is saved" if first else "Your vote is updated"
    if not choices:
        return Response(
            message=say(f"You have no options chosen in poll {poll.id} now; your vote is removed.")
        )
    note = " Only you can see it: the poll is anonymous." if poll.anonymous else ""
    return Response(
        message=OutMessage(
            title=f"{heading} (poll {poll.id})",
            sections=(Section(items=tuple(rules.ballot_lines(poll, choices, labels))),),
            footer=f"You can change it until {closes} (/cop vote {poll.id}).{note}",
        )
    )


def vote(cmd: Vote, ctx: Context) -> Response:
    member = ctx.require_member()
    poll = _open_poll(ctx, cmd.poll_id, lock=True)
    options = len(_options(ctx.uow.session, poll.id))
    method: counting.Method = poll.method  # type: ignore[assignment]
    try:
        choices = counting.check_ballot(
            method, counting.read_choices(cmd.text, method, poll.dots), options, poll.dots
        )
    except counting.BallotError as error:
        raise UserError(f"{error} Nothing was changed.") from None
    first = _store(ctx, poll, member, choices)
    return _confirm(ctx, poll, choices, first)


def press_option(cmd: PressOption, ctx: Context) -> Response:
    member = ctx.require_member()
    poll = _open_poll(ctx, cmd.poll_id, lock=True)
    options = len(_options(ctx.uow.session, poll.id))
    if not 1 <= cmd.number <= options or poll.method not in ("single", "approval"):
        raise UserError("That button is out of date. Try /cop vote.")
    if poll.method == "single":
        choices: list[int] = [cmd.number]
    else:
        mine = _my_ballot(ctx, poll, member)
        chosen = set(mine.choices) if mine else set()
        chosen ^= {cmd.number}
        choices = sorted(chosen)
        if not choices:
            assert mine is not None
            ctx.uow.session.delete(mine)
            return _confirm(ctx, poll, choices, False)
    first = _store(ctx, poll, member, choices)
    return _confirm(ctx, poll, choices, first)


def start_ballot(cmd: StartBallot, ctx: Context) -> Response:
    member = ctx.require_member()
    poll = _open_poll(ctx, cmd.poll_id)
    if poll.method in ("single", "approval"):
        return Response(message=_poll_view(ctx, poll, member))
    mine = _my_ballot(ctx, poll, member)
    options = len(_options(ctx.uow.session, poll.id))
    label = (
        "Option numbers, favourite first"
        if poll.method == "ranked"
        else f"Your {poll.dots} dots, e.g. {counting.example('dots', options, poll.dots)}"
    )
    return Response(
        form=Form(
            form_id="poll.ballot",
            title=f"Poll {poll.id}"[:24],
            metadata=str(poll.id),
            submit_label="Vote",
            fields=(
                FormField(
                    name="choices",
                    label=label,
                    max_length=200,
                    initial=rules.format_choices(poll, mine.choices) if mine else None,
                ),
            ),
        )
    )


def clear_vote(cmd: ClearVote, ctx: Context) -> Response:
    member = ctx.require_member()
    poll = _open_poll(ctx, cmd.poll_id, lock=True)
    mine = _my_ballot(ctx, poll, member)
    if mine is None:
        raise UserError(f"You haven't voted in poll {poll.id}.")
    ctx.uow.session.delete(mine)
    return Response(message=say(f"Your vote in poll {poll.id} is removed."))


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
    voted = {b.member_id for b in _ballots(session, poll.id) if not poll.anonymous}
    message = rules.reminder(poll, _labels(session, poll), ctx.community.timezone)
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
        poll = _poll(ctx, cmd.poll_id)
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
    labels = _labels(session, poll)
    result = _count(session, poll)
    members = _member_count(session, ctx.community_id)
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
    ballots = _ballots(session, poll.id)
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
    meeting = _next_meeting(session, ctx.community_id, moment)
    if meeting is None:
        kept = f" It is kept as chosen problem {problem.id}." if problem else ""
        return f"There's no next {meeting_word} in the calendar yet, so no topic was set.{kept}"
    meeting.topic = option.label[:300]
    session.add(meeting)
    when_ = local_time(meeting.starts_at, ctx.community.timezone)
    return f"'{short(option.label, 200)}' is the topic of our next {meeting_word}, {when_}."


def _closed_tie(ctx: Context, poll_id: int) -> Poll:
    ctx.require_convener("settle a tied poll")
    poll = _poll(ctx, poll_id, lock=True)
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
    labels = _labels(ctx.uow.session, poll)
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
    options = {o.number: o for o in _options(ctx.uow.session, poll.id)}
    tied = list((poll.result or {}).get("winners", []))
    closes_at = (
        _deadline(ctx, cmd.deadline)
        if cmd.deadline
        else ctx.clock.now() + (poll.closes_at - poll.opened_at)
    )
    poll.outcome = "runoff"
    ctx.uow.session.add(poll)
    question = short(f"Run-off: {poll.question}", MAX_QUESTION)
    new = _create(
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


# ---- for the digest and newsletter -----------------------------------------------------


@dataclass(frozen=True)
class PollStatus:
    """One poll, as the digest or newsletter reports it.

    `state` is "open" or "closed". Open polls never carry results (they may be hidden).
    `outcome` (closed only): winner, tie, none, decided or runoff; `chosen` holds the winning
    option's label (winner, decided) or the tied labels (tie, runoff). `text` says it all in
    one line (no names: turnout and results only)."""

    poll_id: int
    question: str
    method: str
    state: str
    closes_at: datetime
    closed_at: datetime | None
    voters: int
    members: int
    anonymous: bool
    outcome: str | None = None
    chosen: tuple[str, ...] = field(default=())
    text: str = ""  # one plain line for a digest or newsletter


def poll_status(
    session: Session, community_id: int, now: datetime, recent: timedelta = timedelta(days=14)
) -> list[PollStatus]:
    """Open polls with their turnout, and polls closed within `recent` of `now` with their
    result; open ones first, each group oldest first. Read-only and pure of side effects."""
    members = _member_count(session, community_id)
    community = session.get(Community, community_id)
    zone = community.timezone if community is not None else "UTC"
    polls = session.exec(
        select(Poll)
        .where(Poll.community_id == community_id)
        .where(col(Poll.closed_at).is_(None) | (col(Poll.closed_at) >= now - recent))
        .order_by(col(Poll.id))
    ).all()
    found: list[PollStatus] = []
    for poll in sorted(polls, key=lambda p: (p.closed_at is not None, p.id or 0)):
        assert poll.id is not None
        kept = poll.result or {}
        voters = len(_ballots(session, poll.id)) if poll.closed_at is None else kept["ballots"]
        electorate = kept.get("members", members)
        chosen: tuple[str, ...] = ()
        question = short(poll.question, 120)
        if poll.closed_at is None:
            line = (
                f"Poll {poll.id}, '{question}', is open until "
                f"{local_time(poll.closes_at, zone)}: {voters} of "
                f"{plural(electorate, 'member')} have voted so far."
            )
        else:
            labels = _labels(session, poll)
            if poll.winner:
                chosen = (labels[poll.winner - 1],)
            elif poll.outcome in ("tie", "runoff"):
                chosen = tuple(labels[n - 1] for n in kept.get("winners", []))
            outcome = {
                "winner": f"chose {' '.join(chosen)}",
                "decided": f"ended in a tie, settled by the conveners: {' '.join(chosen)}",
                "tie": f"ended in a tie between {' and '.join(chosen)}",
                "runoff": f"ended in a tie between {' and '.join(chosen)}; a run-off follows",
            }.get(poll.outcome or "", "had no votes")
            line = f"Poll {poll.id}, '{question}', {outcome} ({voters} of {electorate} voted)."
        found.append(
            PollStatus(
                poll_id=poll.id,
                question=poll.question,
                method=poll.method,
                state="open" if poll.closed_at is None else "closed",
                closes_at=poll.closes_at,
                closed_at=poll.closed_at,
                voters=voters,
                members=electorate,
                anonymous=poll.anonymous,
                outcome=poll.outcome,
                chosen=chosen,
                text=line,
            )
        )
    return found


POLL = Verb(
    "poll",
    poll_parsing.parse_poll,
    usage=poll_parsing.POLL_USAGE,
    help="see the polls, their turnout and results",
    convener_help=(
        "open a poll from the candidate problems or your own question (/cop poll open; "
        "/cop help poll for the options), close it, settle a tie"
    ),
    aliases=("polls",),
)
VOTE = Verb(
    "vote",
    poll_parsing.parse_vote,
    usage=poll_parsing.VOTE_USAGE,
    help="vote in a poll, see or change your vote (anonymous votes are seen only by you)",
)


# ---- schedules -------------------------------------------------------------------------


def collect_jobs(uow: UnitOfWork, _settings_of: object) -> list[JobSpec]:
    """Each open poll's close at its deadline and its one reminder."""
    specs: list[JobSpec] = []
    polls = uow.session.exec(
        select(Poll)
        .join(Community, col(Community.id) == col(Poll.community_id))
        .where(col(Poll.closed_at).is_(None), col(Community.closed_at).is_(None))
    ).all()
    for poll in polls:
        assert poll.id is not None
        poll_id = poll.id
        specs.append(
            JobSpec(
                key=f"poll-close:{poll_id}",
                community_id=poll.community_id,
                times=at(poll.closes_at),
                catch_up=True,
                make=lambda _t, i=poll_id: ClosePoll(i),
            )
        )
        if poll.remind_at is not None and poll.reminded_at is None:
            specs.append(
                JobSpec(
                    key=f"poll-remind:{poll_id}",
                    community_id=poll.community_id,
                    times=at(poll.remind_at),
                    make=lambda _t, i=poll_id: RemindPoll(i),
                    grace=poll.closes_at - poll.remind_at,
                )
            )
    return specs


FEATURE = Feature(
    name="polls",
    verbs=(POLL, VOTE),
    buttons={
        "poll.vote": poll_parsing.vote_button,
        "poll.ballot": poll_parsing.ballot_button,
        "poll.decide": poll_parsing.decide_button,
        "poll.runoff": poll_parsing.runoff_button,
    },
    forms={"poll.ballot": poll_parsing.ballot_form, "poll.open": poll_parsing.open_form},
    handlers={
        OpenPoll: open_poll,
        StartPollForm: start_form,
        ShowPolls: show_polls,
        ShowPoll: show_poll,
        ClosePoll: close_poll,
        RemindPoll: remind,
        DecidePoll: decide,
        RunoffPoll: runoff,
        Vote: vote,
        PressOption: press_option,
        StartBallot: start_ballot,
        ClearVote: clear_vote,
        ShowBallots: show_ballots,
    },
    jobs=collect_jobs,
)
