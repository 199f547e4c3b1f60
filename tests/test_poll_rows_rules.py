"""Polls' shared reads read back exactly: options in their order, the poll of this community,
whether it still takes votes, ballots and one's own ballot, the count, and the deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain import polls as rules
from bot.domain import tally as counting
from bot.errors import UserError
from bot.features.poll_rows import (
    ballots_of,
    count_now,
    deadline_from,
    kept_result,
    labels_of,
    member_count,
    my_ballot,
    next_meeting,
    options_of,
    poll_in,
    votable_poll,
)
from bot.storage.tables import Meeting, Member
from bot.storage.tables_polls import Ballot, Poll, PollOption
from tests.rows import add_community, add_member, aware

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday
SECRET = b"k" * 32


class World:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.ours, self.theirs = (self.community(n, c) for n, c in (("a", "C1"), ("b", "C2")))
        self.ana, self.ben = (self.member(n) for n in ("Ana", "Ben"))

    def community(self, name: str, channel: str) -> int:
        return add_community(self.session, name, channel, NOW, timezone="America/New_York")

    def member(self, name: str, community_id: int | None = None) -> Member:
        return add_member(self.session, community_id or self.ours, name, NOW)

    def poll(self, *labels: str, **fields: Any) -> Poll:
        values: dict[str, Any] = {
            "community_id": self.ours,
            "question": "Which?",
            "method": "single",
            "opened_at": NOW - timedelta(days=1),
            "closes_at": NOW + timedelta(days=6),
        } | fields
        row = Poll(**values)
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        for number, label in reversed(list(enumerate(labels, 1))):  # stored out of order
            self.session.add(PollOption(poll_id=row.id, number=number, label=label))
        self.session.flush()
        return row

    def ballot(
        self, poll: Poll, key: str, choices: list[int], member: Member | None = None
    ) -> None:
        assert poll.id is not None
        self.session.add(
            Ballot(
                poll_id=poll.id,
                voter_key=key,
                member_id=member.id if member else None,
                choices=choices,
            )
        )
        self.session.flush()


def context(session: Session, community_id: int, now: datetime = NOW) -> Any:
    return SimpleNamespace(
        uow=SimpleNamespace(session=session),
        community_id=community_id,
        clock=SimpleNamespace(now=lambda: now),
        community=SimpleNamespace(timezone="America/New_York"),
        settings=SimpleNamespace(zone=None),
        secret=SECRET,
    )


def refusal(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(UserError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


def test_options_come_in_their_numbered_order(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        poll = w.poll("Caseloads", "Isolation", "Voice")
        w.poll("Other")
        assert [(o.number, o.label) for o in options_of(session, poll.id)] == [
            (1, "Caseloads"),
            (2, "Isolation"),
            (3, "Voice"),
        ]
        assert labels_of(session, poll) == ["Caseloads", "Isolation", "Voice"]


def test_a_poll_is_found_only_in_its_own_community(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        ours = w.poll("A")
        theirs = w.poll("B", community_id=w.theirs)
        ctx = context(session, w.ours)
        assert poll_in(ctx, ours.id) == ours
        assert poll_in(ctx, ours.id, lock=True) == ours
        for other in (theirs.id, 999):
            assert refusal(poll_in, ctx, other) == (
                f"There's no poll {other}. See the polls with /cop poll."
            )
            assert refusal(poll_in, ctx, other, lock=True) == (
                f"There's no poll {other}. See the polls with /cop poll."
            )


def test_votes_are_taken_until_the_deadline_or_a_close(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        open_poll = w.poll("A", closes_at=NOW + timedelta(seconds=1))
        due = w.poll("A", closes_at=NOW)
        closed = w.poll("A", closed_at=NOW - timedelta(hours=1))
        ctx = context(session, w.ours)
        assert votable_poll(ctx, open_poll.id) == open_poll
        assert votable_poll(ctx, open_poll.id, lock=True) == open_poll
        for poll in (due, closed):
            assert refusal(votable_poll, ctx, poll.id) == (
                f"Poll {poll.id} has closed, so votes can't be changed any more."
            )
        assert (
            refusal(votable_poll, ctx, 999) == "There's no poll 999. See the polls with /cop poll."
        )


def test_ballots_come_in_voter_key_order(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        poll, other = w.poll("A", "B"), w.poll("A")
        w.ballot(poll, "kb", [2])
        w.ballot(poll, "ka", [1])
        w.ballot(other, "kc", [1])
        assert [(b.voter_key, b.choices) for b in ballots_of(session, poll.id)] == [
            ("ka", [1]),
            ("kb", [2]),
        ]


def test_your_ballot_by_your_id_or_on_an_anonymous_poll_by_your_key(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        ctx = context(session, w.ours)
        named = w.poll("A", "B")
        w.ballot(named, "k-ana", [1], w.ana)
        w.ballot(named, "k-ben", [2], w.ben)
        mine = my_ballot(ctx, named, w.ana)
        assert mine is not None and mine.choices == [1]
        secret = w.poll("A", "B", anonymous=True)
        assert my_ballot(ctx, secret, w.ana) is None
        assert secret.id is not None and w.ben.id is not None
        w.ballot(secret, rules.voter_key(SECRET, secret.id, w.ben.id), [2])
        w.ballot(secret, "someone-else", [1], w.ana)  # a stray member id is not how it is found
        theirs = my_ballot(ctx, secret, w.ben)
        assert theirs is not None and theirs.choices == [2]
        assert my_ballot(ctx, secret, w.ana) is None


def test_members_are_counted_per_community(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        w.member("Dee", w.theirs)
        assert member_count(session, w.ours) == 2
        assert member_count(session, w.theirs) == 1


def test_the_count_now_and_the_result_kept_at_close(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        poll = w.poll("A", "B", "C", method="approval")
        w.ballot(poll, "k1", [1, 3])
        w.ballot(poll, "k2", [3])
        now = count_now(session, poll)
        assert (now.counts, now.ballots, now.winners) == ({1: 1, 2: 0, 3: 2}, 2, (3,))
        assert kept_result(session, poll) == now  # not closed: counted now
        poll.result = {"members": 5}  # no counts kept: counted now
        assert kept_result(session, poll) == now
        kept = counting.tally("approval", 3, [[2], [2], [1]])
        poll.result = counting.to_json(kept)
        assert kept_result(session, poll) == kept  # ballots erased since don't change it


def test_the_deadline_is_a_week_by_default_and_a_date_alone_is_5pm_local(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        ctx = context(session, w.ours)
        assert deadline_from(ctx, None) == NOW + timedelta(days=7)
        assert deadline_from(ctx, "") == NOW + timedelta(days=7)
        assert deadline_from(ctx, "friday") == datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
        assert deadline_from(ctx, "friday 09:00") == datetime(2026, 12, 4, 14, 0, tzinfo=UTC)


def test_the_deadline_may_be_the_next_meeting_not_a_cancelled_one(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        ctx = context(session, w.ours)
        session.add(Meeting(community_id=w.ours, starts_at=NOW + timedelta(days=2), cancelled=True))
        session.add(Meeting(community_id=w.ours, starts_at=NOW + timedelta(days=9)))
        session.add(Meeting(community_id=w.theirs, starts_at=NOW + timedelta(days=3)))
        session.flush()
        assert aware(deadline_from(ctx, "next meeting")) == NOW + timedelta(days=9)


def test_a_deadline_more_than_a_year_away_or_unreadable_is_refused(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        ctx = context(session, w.ours)
        assert deadline_from(ctx, "in 366 days") == NOW + timedelta(days=366)
        assert refusal(deadline_from, ctx, "in 367 days") == (
            "That deadline is more than a year away: please choose a nearer one."
        )
        said = refusal(deadline_from, ctx, "the twelfth of never")
        assert said.startswith("About the deadline: I couldn't read 'the twelfth of never'")


def test_the_next_meeting_is_the_first_at_or_after_the_moment(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        assert next_meeting(session, w.ours, NOW) is None
        session.add(Meeting(community_id=w.ours, starts_at=NOW + timedelta(days=8)))
        session.add(Meeting(community_id=w.ours, starts_at=NOW))
        session.add(Meeting(community_id=w.ours, starts_at=NOW - timedelta(days=1)))
        session.add(Meeting(community_id=w.theirs, starts_at=NOW + timedelta(hours=1)))
        session.flush()
        found = next_meeting(session, w.ours, NOW)
        assert found is not None and aware(found.starts_at) == NOW
        later = next_meeting(session, w.ours, NOW + timedelta(seconds=1))
        assert later is not None and aware(later.starts_at) == NOW + timedelta(days=8)
