"""Polls: the community chooses together, one member one voice.

A convener opens a poll from the candidate problems or with their own question and options.
Methods: one choice, multiple choice (approval), dot voting, ranked choice (instant run-off).
Members vote and may change their ballot until the deadline; one reminder goes to those who
haven't voted. At the deadline (a job) or when a convener closes it, the result is announced
once; a tie goes back to the conveners (decide, or a run-off). A winning problem becomes the
next meeting's topic.

The typed grammar is in bot.features.poll_parsing; opening in poll_opening, closing and ties
in poll_closing, the shared reads in poll_rows, what the digest reads in poll_queries.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from bot.context import Context
from bot.domain import polls as rules
from bot.domain import tally as counting
from bot.domain.checkins import local_time
from bot.domain.text import plural, short
from bot.errors import UserError
from bot.features import poll_parsing
from bot.features.base import Feature, Verb
from bot.features.poll_closing import close_poll, decide, remind, runoff
from bot.features.poll_commands import (
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
from bot.features.poll_opening import open_poll, start_form
from bot.features.poll_rows import (
    ballots_of,
    count_now,
    kept_result,
    labels_of,
    member_count,
    my_ballot,
    options_of,
    poll_in,
    votable_poll,
)
from bot.messages import Form, FormField, OutMessage, Response, Section, say
from bot.scheduling import JobSpec, at
from bot.storage.tables import Community, Member
from bot.storage.tables_polls import Ballot, Poll
from bot.storage.uow import UnitOfWork

# ---- showing ---------------------------------------------------------------------------


def _turnout(session: Session, poll: Poll) -> str:
    voters = len(ballots_of(session, poll.id))
    members = member_count(session, poll.community_id)
    return f"{voters} of {plural(members, 'member')} have voted."


def _poll_view(ctx: Context, poll: Poll, member: Member | None) -> OutMessage:
    """A poll as one member sees it: options, rules, turnout, results if shown, their ballot."""
    session = ctx.uow.session
    labels = labels_of(session, poll)
    closed = poll.closed_at is not None
    sections = [Section(items=tuple(f"{n}. {label}" for n, label in enumerate(labels, 1)))]
    if closed:
        result = kept_result(session, poll)
        members = (poll.result or {}).get("members", "?")
        sections.append(Section(text=f"{result.ballots} of {plural(members, 'member')} voted."))
        sections.append(Section(text=_status_line(poll, labels, result)))
        sections += rules.result_sections(poll, result, labels)
    else:
        sections.append(Section(text=rules.how_to_vote(poll, len(labels))))
        sections.append(Section(text=rules.rules_line(poll, ctx.community.timezone)))
        sections.append(Section(text=_turnout(session, poll)))
        if poll.live:
            result = count_now(session, poll)
            live = rules.result_sections(poll, result, labels)
            sections += [s.model_copy(update={"heading": f"So far: {s.heading}"}) for s in live]
    if member is not None:
        mine = my_ballot(ctx, poll, member)
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
    return Response(message=_poll_view(ctx, poll_in(ctx, cmd.poll_id), member))


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
        return Response(message=_poll_view(ctx, poll_in(ctx, cmd.poll_id), member))
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
        mine = my_ballot(ctx, poll, member)
        status = (
            "your vote: "
            + "; ".join(rules.ballot_lines(poll, mine.choices, labels_of(session, poll)))
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
    existing = my_ballot(ctx, poll, member)
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
    labels = labels_of(ctx.uow.session, poll)
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
    poll = votable_poll(ctx, cmd.poll_id, lock=True)
    options = len(options_of(ctx.uow.session, poll.id))
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
    poll = votable_poll(ctx, cmd.poll_id, lock=True)
    options = len(options_of(ctx.uow.session, poll.id))
    if not 1 <= cmd.number <= options or poll.method not in ("single", "approval"):
        raise UserError("That button is out of date. Try /cop vote.")
    if poll.method == "single":
        choices: list[int] = [cmd.number]
    else:
        mine = my_ballot(ctx, poll, member)
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
    poll = votable_poll(ctx, cmd.poll_id)
    if poll.method in ("single", "approval"):
        return Response(message=_poll_view(ctx, poll, member))
    mine = my_ballot(ctx, poll, member)
    options = len(options_of(ctx.uow.session, poll.id))
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
    poll = votable_poll(ctx, cmd.poll_id, lock=True)
    mine = my_ballot(ctx, poll, member)
    if mine is None:
        raise UserError(f"You haven't voted in poll {poll.id}.")
    ctx.uow.session.delete(mine)
    return Response(message=say(f"Your vote in poll {poll.id} is removed."))


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
