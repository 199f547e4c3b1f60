"""Polls' shared reads: a poll, its options, ballots and result, and its deadline."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from bot.context import Context
from bot.domain import polls as rules
from bot.domain import tally as counting
from bot.domain import when
from bot.errors import UserError
from bot.storage.tables import Meeting, Member
from bot.storage.tables_polls import Ballot, Poll, PollOption

DEFAULT_DEADLINE = "in 7 days"
MAX_AHEAD = timedelta(days=366)
MAX_QUESTION = 300
PROBLEMS_QUESTION = "Which problem should we work on at our next {meeting}?"


def options_of(session: Session, poll_id: int | None) -> list[PollOption]:
    """The poll's options, in their numbered order."""
    return list(
        session.exec(
            select(PollOption).where(PollOption.poll_id == poll_id).order_by(col(PollOption.number))
        ).all()
    )


def labels_of(session: Session, poll: Poll) -> list[str]:
    """The options' labels, in their numbered order."""
    return [o.label for o in options_of(session, poll.id)]


def poll_in(ctx: Context, poll_id: int, *, lock: bool = False) -> Poll:
    """Poll `poll_id` of this community (locked for update if asked); else a refusal."""
    query = select(Poll).where(Poll.id == poll_id)
    if lock:  # a vote waits for a concurrent close (and vice versa) on PostgreSQL
        query = query.with_for_update()
    poll = ctx.uow.session.exec(query).first()
    if poll is None or poll.community_id != ctx.community_id:
        raise UserError(f"There's no poll {poll_id}. See the polls with /cop poll.")
    return poll


def votable_poll(ctx: Context, poll_id: int, *, lock: bool = False) -> Poll:
    """Poll `poll_id` if it still takes votes; else a refusal."""
    poll = poll_in(ctx, poll_id, lock=lock)
    if poll.closed_at is not None or ctx.clock.now() >= poll.closes_at:
        raise UserError(f"Poll {poll_id} has closed, so votes can't be changed any more.")
    return poll


def ballots_of(session: Session, poll_id: int | None) -> list[Ballot]:
    """Every ballot of the poll, in voter-key order (not the order they were cast)."""
    return list(
        session.exec(
            select(Ballot).where(Ballot.poll_id == poll_id).order_by(col(Ballot.voter_key))
        ).all()
    )


def my_ballot(ctx: Context, poll: Poll, member: Member) -> Ballot | None:
    """The member's ballot: by member id, or by their voter key on an anonymous poll."""
    assert poll.id is not None and member.id is not None
    if not poll.anonymous:
        return ctx.uow.session.exec(
            select(Ballot).where(Ballot.poll_id == poll.id, Ballot.member_id == member.id)
        ).first()
    return ctx.uow.session.get(Ballot, (poll.id, rules.voter_key(ctx.secret, poll.id, member.id)))


def member_count(session: Session, community_id: int) -> int:
    """How many members the community has."""
    return session.exec(
        select(func.count()).select_from(Member).where(Member.community_id == community_id)
    ).one()


def count_now(session: Session, poll: Poll) -> counting.Result:
    """The result of the ballots as they stand."""
    options = len(options_of(session, poll.id))
    ballots = [b.choices for b in ballots_of(session, poll.id)]
    return counting.tally(poll.method, options, ballots)  # type: ignore[arg-type]


def kept_result(session: Session, poll: Poll) -> counting.Result:
    """A closed poll's result as counted at close (later erasures don't change it)."""
    if poll.result and "counts" in poll.result:
        return counting.from_json(poll.method, poll.result)  # type: ignore[arg-type]
    return count_now(session, poll)


def deadline_from(ctx: Context, text: str | None) -> datetime:
    """When a poll closes, from a person's words (a week by default, within a year)."""
    now = ctx.clock.now()
    nxt = next_meeting(ctx.uow.session, ctx.community_id, now)
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


def next_meeting(session: Session, community_id: int, moment: datetime) -> Meeting | None:
    """The first meeting not cancelled at or after `moment`."""
    return session.exec(
        select(Meeting)
        .where(
            Meeting.community_id == community_id,
            col(Meeting.cancelled).is_(False),
            col(Meeting.starts_at) >= moment,
        )
        .order_by(col(Meeting.starts_at))
    ).first()
