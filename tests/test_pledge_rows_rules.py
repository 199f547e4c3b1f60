"""Pledges' shared reads and rules read back exactly: the figures for other features, the
member's own open pledge and the refusals about it, closing one, whether a follow-up was
answered, and reading a due date in the member's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.config_community import Words
from bot.errors import UserError
from bot.features.pledge_rows import (
    answered,
    close_pledge,
    due_from,
    next_meeting,
    open_pledge_holders,
    own_open,
    pledge_counts,
)
from bot.storage.tables import Meeting, Member
from bot.storage.tables_wins import Pledge
from tests.rows import add_community, aware

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def setup(session: Session) -> tuple[int, int, Member, Member]:
    ids = []
    for name, channel in (("wound-care", "C1"), ("ny-care", "C2")):
        ids.append(add_community(session, name, channel, NOW))
    people = []
    for user in ("ana", "ben"):
        member = Member(
            community_id=ids[0],
            platform_user_id=user,
            display_name=user.title(),
            timezone="Asia/Kolkata",  # UTC+05:30, so a lost time zone shows
            joined_at=NOW,
        )
        session.add(member)
        session.flush()
        people.append(member)
    return ids[0], ids[1], people[0], people[1]


def pledge(
    session: Session, community_id: int, member: Member, due: datetime, **fields: Any
) -> Pledge:
    assert member.id is not None
    row = Pledge(
        community_id=community_id,
        member_id=member.id,
        text="Try the chart",
        created_at=NOW - timedelta(days=30),
        cycle_start=NOW - timedelta(days=30),
        due_at=due,
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def context(session: Session, community_id: int, member: Member, words: Words | None = None) -> Any:
    return SimpleNamespace(
        uow=SimpleNamespace(session=session),
        community_id=community_id,
        clock=SimpleNamespace(now=lambda: NOW),
        settings=SimpleNamespace(words=words or Words()),
        require_member=lambda: member,
    )


def test_the_counts_are_open_pledges_due_within_a_week_and_late(engine: Engine):
    with Session(engine) as session:
        ours, theirs, ana, ben = setup(session)
        pledge(session, ours, ana, NOW + timedelta(days=7))  # due in a week exactly: soon
        pledge(session, ours, ana, NOW + timedelta(days=7, seconds=1))  # later
        pledge(session, ours, ben, NOW + timedelta(seconds=1))  # soon
        pledge(session, ours, ben, NOW)  # due now: late
        pledge(session, ours, ben, NOW - timedelta(days=3))  # late
        pledge(session, ours, ben, NOW + timedelta(days=1), status="done")
        pledge(session, theirs, ben, NOW + timedelta(days=1))
        assert pledge_counts(session, ours, NOW) == (5, 2, 2)
        assert pledge_counts(session, theirs, NOW) == (1, 1, 0)


def test_the_holders_of_open_pledges_are_ids_only_once_each(engine: Engine):
    with Session(engine) as session:
        ours, theirs, ana, ben = setup(session)
        assert open_pledge_holders(session, ours) == set()
        pledge(session, ours, ana, NOW)
        pledge(session, ours, ana, NOW + timedelta(days=1))
        pledge(session, ours, ben, NOW, status="cancelled")
        pledge(session, theirs, ben, NOW)
        assert open_pledge_holders(session, ours) == {ana.id}
        assert open_pledge_holders(session, theirs) == {ben.id}


def test_the_next_meeting_is_the_first_not_cancelled_after_now(engine: Engine):
    with Session(engine) as session:
        ours, theirs, _, _ = setup(session)
        assert next_meeting(session, ours, NOW) is None
        session.add(Meeting(community_id=ours, starts_at=NOW))
        session.add(Meeting(community_id=ours, starts_at=NOW + timedelta(days=2), cancelled=True))
        session.add(Meeting(community_id=ours, starts_at=NOW + timedelta(days=9)))
        session.add(Meeting(community_id=theirs, starts_at=NOW + timedelta(days=1)))
        session.flush()
        assert aware(next_meeting(session, ours, NOW)) == NOW + timedelta(days=9)


def test_only_your_own_open_pledge_is_found(engine: Engine):
    with Session(engine) as session:
        ours, theirs, ana, ben = setup(session)
        mine = pledge(session, ours, ana, NOW)
        bens = pledge(session, ours, ben, NOW)
        elsewhere = pledge(session, theirs, ana, NOW)
        ctx = context(session, ours, ana)
        assert own_open(ctx, mine.id) == (ana, mine)
        for other in (bens.id, elsewhere.id, 999):
            with pytest.raises(UserError) as caught:
                own_open(ctx, other)
            assert str(caught.value) == (
                f"I can't find pledge #{other} among yours. /cop pledges lists them."
            )


def test_a_closed_pledge_says_how_it_closed_in_the_communitys_words(engine: Engine):
    with Session(engine) as session:
        ours, _, ana, _ = setup(session)
        words = Words(pledge="practice commitment")
        said = {}
        for status in ("done", "released", "cancelled", "archived"):
            row = pledge(session, ours, ana, NOW, status=status)
            with pytest.raises(UserError) as caught:
                own_open(context(session, ours, ana, words), row.id)
            said[status] = str(caught.value).replace(f"#{row.id}", "#N")
        assert said == {
            "done": "Practice commitment #N is done already.",
            "released": "Practice commitment #N is let go already.",
            "cancelled": "Practice commitment #N is cancelled already.",
            "archived": "Practice commitment #N is closed already.",
        }
        with pytest.raises(UserError) as caught:
            own_open(context(session, ours, ana, words), 999)
        assert str(caught.value) == (
            "I can't find practice commitment #999 among yours. /cop pledges lists them."
        )


def test_closing_a_pledge_marks_it_closed_and_answered_now(engine: Engine):
    with Session(engine) as session:
        ours, _, ana, _ = setup(session)
        row = pledge(session, ours, ana, NOW)
        close_pledge(context(session, ours, ana), row, "released")
        session.commit()
        session.expire_all()
        stored = session.get(Pledge, row.id)
        assert stored is not None
        assert stored.status == "released"
        assert aware(stored.closed_at) == NOW and aware(stored.answered_at) == NOW


def test_a_follow_up_is_answered_only_by_an_answer_since_it_went_out():
    def row(sent: datetime | None, answer: datetime | None) -> Pledge:
        return Pledge(followup_sent_at=sent, answered_at=answer)

    assert not answered(row(None, None))
    assert not answered(row(NOW, None))
    assert not answered(row(None, NOW))
    assert answered(row(NOW, NOW))
    assert answered(row(NOW, NOW + timedelta(seconds=1)))
    assert not answered(row(NOW, NOW - timedelta(seconds=1)))


def test_a_due_date_is_read_in_the_members_own_time_zone(engine: Engine):
    with Session(engine) as session:
        ours, _, ana, _ = setup(session)
        ctx = context(session, ours, ana)
        assert due_from(ctx, ana, "tomorrow 09:00", hint=True) == datetime(
            2026, 12, 2, 3, 30, tzinfo=UTC
        )


def test_no_date_means_the_next_meeting_and_there_must_be_one(engine: Engine):
    with Session(engine) as session:
        ours, _, ana, _ = setup(session)
        ctx = context(session, ours, ana, Words(meeting="gathering"))
        with pytest.raises(UserError) as caught:
            due_from(ctx, ana, None, hint=True)
        assert str(caught.value) == (
            "By when? There's no next gathering in the calendar, so please add a date: "
            "e.g. '/cop pledge … by 15 Jan' or '… by in 3 weeks'."
        )
        session.add(Meeting(community_id=ours, starts_at=NOW + timedelta(days=9)))
        session.flush()
        assert aware(due_from(ctx, ana, None, hint=False)) == NOW + timedelta(days=9)
        assert aware(due_from(ctx, ana, "next meeting", hint=False)) == NOW + timedelta(days=9)


def test_a_date_not_understood_says_why_with_a_hint_about_by_if_asked(engine: Engine):
    with Session(engine) as session:
        ours, _, ana, _ = setup(session)
        ctx = context(session, ours, ana, Words(pledge="practice commitment"))
        with pytest.raises(UserError) as plain:
            due_from(ctx, ana, "the twelfth of never", hint=False)
        assert str(plain.value) and "(If 'by'" not in str(plain.value)
        with pytest.raises(UserError) as hinted:
            due_from(ctx, ana, "the twelfth of never", hint=True)
        assert str(hinted.value) == (
            f"{plain.value} (If 'by' is part of your practice commitment itself, end it with a "
            "date, e.g. '… by next meeting'.)"
        )
