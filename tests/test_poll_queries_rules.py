"""Polls as the digest, catch-up and newsletter report them, read back exactly: which polls,
in which order, turnout, the result of each closed one and its one plain line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.features.poll_queries import PollStatus, poll_status
from bot.storage.tables import Community, Member
from bot.storage.tables_polls import Ballot, Poll, PollOption

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday
CLOSES = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)  # Tue 8 Dec, 10:00 in New York


def aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


class World:
    def __init__(self, session: Session, members: int = 3) -> None:
        self.session = session
        row = Community(
            name="wound-care",
            platform="console",
            channel_id="C1",
            timezone="America/New_York",
            created_at=NOW,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        self.ours = row.id
        for n in range(members):
            session.add(
                Member(
                    community_id=self.ours,
                    platform_user_id=f"u{n}",
                    display_name=f"U{n}",
                    timezone="UTC",
                    joined_at=NOW,
                )
            )
        session.flush()

    def poll(self, labels: tuple[str, ...] = ("Caseloads", "Isolation"), **fields: Any) -> Poll:
        values: dict[str, Any] = {
            "community_id": self.ours,
            "question": "Which topic next?",
            "method": "single",
            "opened_at": NOW - timedelta(days=1),
            "closes_at": CLOSES,
        } | fields
        row = Poll(**values)
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        for number, label in enumerate(labels, 1):
            self.session.add(PollOption(poll_id=row.id, number=number, label=label))
        self.session.flush()
        return row

    def ballots(self, poll: Poll, count: int) -> None:
        assert poll.id is not None
        for n in range(count):
            self.session.add(Ballot(poll_id=poll.id, voter_key=f"k{n}", choices=[1]))
        self.session.flush()


def closed(at: datetime, **fields: Any) -> dict[str, Any]:
    return {"closed_at": at, "closes_at": at} | fields


def test_open_polls_report_their_turnout_so_far_in_the_communitys_time(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        poll = w.poll(method="ranked", anonymous=True)
        w.ballots(poll, 2)
        [status] = poll_status(session, w.ours, NOW)
        assert status == PollStatus(
            poll_id=poll.id,  # type: ignore[arg-type]
            question="Which topic next?",
            method="ranked",
            state="open",
            closes_at=status.closes_at,
            closed_at=None,
            voters=2,
            members=3,
            anonymous=True,
            outcome=None,
            chosen=(),
            text=(
                f"Poll {poll.id}, 'Which topic next?', is open until Tue 8 Dec, 10:00: "
                "2 of 3 members have voted so far."
            ),
        )
        assert aware(status.closes_at) == CLOSES


def test_one_member_is_one_member_and_a_long_question_is_cut_in_the_line(engine: Engine):
    with Session(engine) as session:
        w = World(session, members=1)
        question = "Which " + "very " * 40 + "long topic?"
        poll = w.poll(question=question)
        [status] = poll_status(session, w.ours, NOW)
        assert status.question == question
        short = ("Which " + "very " * 40)[:119].rstrip() + "…"
        assert status.text == (
            f"Poll {poll.id}, '{short}', is open until Tue 8 Dec, 10:00: "
            "0 of 1 member have voted so far."
        )


def test_closed_polls_report_their_kept_result(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        labels = ("Caseloads", "Isolation", "Voice")
        kept = {"ballots": 4, "members": 9, "winners": [2, 3]}
        winner = w.poll(labels, **closed(NOW, outcome="winner", winner=2, result=kept))
        decided = w.poll(labels, **closed(NOW, outcome="decided", winner=3, result=kept))
        tie = w.poll(labels, **closed(NOW, outcome="tie", result=kept))
        runoff = w.poll(labels, **closed(NOW, outcome="runoff", result=kept))
        none = w.poll(labels, **closed(NOW, outcome="none", result={"ballots": 0}))
        w.ballots(winner, 1)  # a ballot erased or added since does not change the kept count
        found = poll_status(session, w.ours, NOW)
        assert [(s.poll_id, s.state, s.outcome, s.chosen, s.voters, s.members) for s in found] == [
            (winner.id, "closed", "winner", ("Isolation",), 4, 9),
            (decided.id, "closed", "decided", ("Voice",), 4, 9),
            (tie.id, "closed", "tie", ("Isolation", "Voice"), 4, 9),
            (runoff.id, "closed", "runoff", ("Isolation", "Voice"), 4, 9),
            (none.id, "closed", "none", (), 0, 3),
        ]
        assert [s.text for s in found] == [
            f"Poll {winner.id}, 'Which topic next?', chose Isolation (4 of 9 voted).",
            f"Poll {decided.id}, 'Which topic next?', ended in a tie, settled by the conveners: "
            "Voice (4 of 9 voted).",
            f"Poll {tie.id}, 'Which topic next?', ended in a tie between Isolation and Voice "
            "(4 of 9 voted).",
            f"Poll {runoff.id}, 'Which topic next?', ended in a tie between Isolation and Voice; "
            "a run-off follows (4 of 9 voted).",
            f"Poll {none.id}, 'Which topic next?', had no votes (0 of 3 voted).",
        ]
        assert aware(found[0].closed_at) == NOW


def test_open_polls_first_then_those_closed_recently_each_oldest_first(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        kept = {"ballots": 1, "winners": [1]}
        closed_first = w.poll(
            **closed(NOW - timedelta(days=1), outcome="winner", winner=1, result=kept)
        )
        open_first = w.poll()
        w.poll(**closed(NOW - timedelta(days=14, seconds=1), outcome="none", result={"ballots": 0}))
        edge = w.poll(**closed(NOW - timedelta(days=14), outcome="none", result={"ballots": 0}))
        open_second = w.poll()
        found = poll_status(session, w.ours, NOW)
        assert [(s.poll_id, s.state) for s in found] == [
            (open_first.id, "open"),
            (open_second.id, "open"),
            (closed_first.id, "closed"),
            (edge.id, "closed"),
        ]
        shorter = poll_status(session, w.ours, NOW, recent=timedelta(days=2))
        assert [s.poll_id for s in shorter] == [open_first.id, open_second.id, closed_first.id]
        assert poll_status(session, w.ours + 1, NOW) == []
