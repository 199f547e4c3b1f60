"""What other features read about meetings: every start, the next one, and the challenges the
last closed check-in brought to the agenda (texts only, alphabetical)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.features.meeting_queries import meeting_starts, next_meeting, open_challenges
from bot.storage.tables import CheckIn, CheckInReply, Meeting
from tests.rows import add_community, aware

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def communities(session: Session) -> tuple[int, int]:
    ids = []
    for name, channel in (("wound-care", "C1"), ("ny-care", "C2")):
        ids.append(add_community(session, name, channel, NOW))
    return ids[0], ids[1]


def meeting(session: Session, community_id: int, starts: datetime, **fields: object) -> None:
    session.add(Meeting(community_id=community_id, starts_at=starts, **fields))
    session.flush()


def test_every_meeting_start_not_cancelled_in_order(engine: Engine):
    with Session(engine) as session:
        ours, theirs = communities(session)
        meeting(session, ours, NOW + timedelta(days=14))
        meeting(session, ours, NOW - timedelta(days=14))
        meeting(session, ours, NOW + timedelta(days=7), cancelled=True)
        meeting(session, theirs, NOW + timedelta(days=1))
        assert [aware(s) for s in meeting_starts(session, ours)] == [
            NOW - timedelta(days=14),
            NOW + timedelta(days=14),
        ]
        assert meeting_starts(session, theirs + 1) == []


def test_the_next_meeting_starts_after_now_and_is_not_cancelled(engine: Engine):
    with Session(engine) as session:
        ours, theirs = communities(session)
        meeting(session, ours, NOW)  # starting now: not next
        meeting(session, ours, NOW + timedelta(days=21))
        meeting(session, ours, NOW + timedelta(days=14))
        meeting(session, ours, NOW + timedelta(days=7), cancelled=True)
        meeting(session, theirs, NOW + timedelta(days=1))
        found = next_meeting(session, ours, NOW)
        assert found is not None and aware(found.starts_at) == NOW + timedelta(days=14)
        assert found.community_id == ours
        before = next_meeting(session, ours, NOW - timedelta(seconds=1))
        assert before is not None and aware(before.starts_at) == NOW
        assert next_meeting(session, ours, NOW + timedelta(days=21)) is None


def checkin(session: Session, community_id: int, closed: datetime | None) -> int:
    row = CheckIn(
        community_id=community_id,
        question="How did it go?",
        opened_at=NOW - timedelta(days=30),
        closes_at=NOW,
        closed_at=closed,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def reply(session: Session, checkin_id: int, kind: str, text: str) -> None:
    session.add(
        CheckInReply(checkin_id=checkin_id, author_key=text, kind=kind, text=text, member_id=None)
    )
    session.flush()


def test_the_challenges_of_the_last_closed_checkin_alphabetically(engine: Engine):
    with Session(engine) as session:
        ours, theirs = communities(session)
        assert open_challenges(session, ours) == []
        older = checkin(session, ours, NOW - timedelta(days=20))
        last = checkin(session, ours, NOW - timedelta(days=10))
        still_open = checkin(session, ours, None)
        elsewhere = checkin(session, theirs, NOW - timedelta(days=1))
        reply(session, older, "challenge", "An old worry")
        reply(session, last, "challenge", "Zero time for notes")
        reply(session, last, "challenge", "Agency staff")
        reply(session, last, "success", "A success is no challenge")
        reply(session, still_open, "challenge", "Not closed yet")
        reply(session, elsewhere, "challenge", "Another community's")
        assert open_challenges(session, ours) == ["Agency staff", "Zero time for notes"]
        assert open_challenges(session, theirs) == ["Another community's"]


def test_no_closed_checkin_means_no_challenges(engine: Engine):
    with Session(engine) as session:
        ours, _ = communities(session)
        reply(session, checkin(session, ours, None), "challenge", "Open still")
        assert open_challenges(session, ours) == []
