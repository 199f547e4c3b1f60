"""What other features read of wins, read back exactly: the week's wins, their bylines and
cheers, the one resurfaced in a quiet spell, and the private offer to celebrate a named
check-in success (never an anonymous one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.config_community import Words
from bot.features.win_queries import (
    byline,
    cheer_counts,
    describe_wins,
    member_name,
    offer_success_wins,
    resurface_candidate,
    resurface_win,
    wins_between,
)
from bot.storage.tables import CheckIn, CheckInReply
from bot.storage.tables_wins import Win, WinCheer, WinCredit
from tests.rows import add_community, add_member, aware

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=28)  # just old enough to resurface


class World:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.ours, self.theirs = (self.community(n, c) for n, c in (("a", "C1"), ("b", "C2")))
        self.ana, self.ben, self.dee = (self.member(n) for n in ("Ana", "Ben", "Dee"))

    def community(self, name: str, channel: str) -> int:
        return add_community(self.session, name, channel, NOW)

    def member(self, name: str) -> int:
        row = add_member(self.session, self.ours, name, NOW)
        assert row.id is not None
        return row.id

    def win(self, posted: datetime | None, text: str = "Done", **fields: Any) -> Win:
        values: dict[str, Any] = {
            "community_id": self.ours,
            "member_id": self.ana,
            "text": text,
            "created_at": NOW - timedelta(days=100),
            "posted_at": posted,
        } | fields
        row = Win(**values)
        self.session.add(row)
        self.session.flush()
        return row

    def cheer(self, win: Win, *members: int) -> None:
        assert win.id is not None
        for member in members:
            self.session.add(WinCheer(win_id=win.id, member_id=member, at=NOW))
        self.session.flush()

    def credit(self, win: Win, *members: int) -> None:
        assert win.id is not None
        for member in members:
            self.session.add(WinCredit(win_id=win.id, member_id=member))
        self.session.flush()


class Context:
    def __init__(self, session: Session, community_id: int) -> None:
        self.uow = SimpleNamespace(session=session)
        self.community_id = community_id
        self.clock = SimpleNamespace(now=lambda: NOW)
        self.settings = SimpleNamespace(words=Words(win="bright spot"))
        self.posts: list[tuple[str, Any]] = []
        self.dms: list[tuple[Any, str, Any, Any]] = []

    def post(self, key: str, message: Any) -> None:
        self.posts.append((key, message))

    def dm(self, member: Any, key: str, message: Any, *, expires_at: Any = None) -> None:
        self.dms.append((member.display_name, key, message, expires_at))


def test_the_wins_of_a_period_posted_and_not_withdrawn_oldest_first(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        start, end = NOW - timedelta(days=7), NOW
        second = w.win(start + timedelta(days=2), "second")
        first = w.win(start, "first")  # the first moment counts
        w.win(end, "next week")
        w.win(start - timedelta(seconds=1), "last week")
        w.win(start + timedelta(days=1), "withdrawn", status="withdrawn")
        w.win(None, "waiting", status="pending")
        w.win(start + timedelta(days=1), "elsewhere", community_id=w.theirs)
        same_time = w.win(start + timedelta(days=2), "same time, later id")
        assert [x.text for x in wins_between(session, w.ours, start, end)] == [
            first.text,
            second.text,
            same_time.text,
        ]


def test_cheers_are_counted_per_win(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        one, two, none = w.win(NOW), w.win(NOW), w.win(NOW)
        w.cheer(one, w.ben)
        w.cheer(two, w.ben, w.dee)
        assert cheer_counts(session, []) == {}
        assert cheer_counts(session, [one.id, two.id, none.id]) == {one.id: 1, two.id: 2}
        assert cheer_counts(session, [two.id]) == {two.id: 2}


def test_bylines_name_the_member_those_credited_and_the_nominator(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        plain = w.win(NOW)
        credited = w.win(NOW)
        w.credit(credited, w.dee, w.ben)
        nominated = w.win(NOW, nominated_by=w.dee)
        anonymous = w.win(NOW, anonymous=True, member_id=None)
        flagged = w.win(NOW, anonymous=True)  # anonymous wins name no one, whatever is kept
        gone = w.win(NOW, member_id=None)
        assert byline(session, plain) == "— Ana"
        assert byline(session, credited) == "— Ana, with Ben and Dee"
        abe = w.member("Abe")  # joined last: alphabetical order, not the order of joining
        later = w.win(NOW)
        w.credit(later, w.ben, abe)
        assert byline(session, later) == "— Ana, with Abe and Ben"
        assert byline(session, nominated) == "— Ana (nominated by Dee)"
        assert byline(session, anonymous) == "— shared anonymously"
        assert byline(session, flagged) == "— shared anonymously"
        assert byline(session, gone) == "— shared anonymously"
        assert member_name(session, None) == "a member"
        assert member_name(session, 999) == "a member"
        assert member_name(session, w.ben) == "Ben"


def test_each_win_described_on_one_line_with_its_cheers(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        cheered = w.win(NOW, "We cut waiting times")
        quiet = w.win(NOW, "New chart", anonymous=True, member_id=None)
        w.cheer(cheered, w.ben, w.dee, w.ana)
        assert describe_wins(session, [cheered, quiet]) == [
            f"#{cheered.id} We cut waiting times — Ana · 3 cheers",
            f"#{quiet.id} New chart — shared anonymously · 0 cheers",
        ]
        assert describe_wins(session, []) == []


def test_the_win_to_resurface_is_the_most_cheered_then_the_oldest(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        assert resurface_candidate(session, w.ours, NOW) is None
        w.win(OLD + timedelta(seconds=1), "too recent")
        assert resurface_candidate(session, w.ours, NOW) is None
        oldest = w.win(OLD - timedelta(days=30), "oldest, no cheers")
        assert resurface_candidate(session, w.ours, NOW) == oldest
        cheered = w.win(OLD, "cheered once")
        w.cheer(cheered, w.ben)
        most = w.win(OLD - timedelta(days=1), "cheered twice")
        w.cheer(most, w.ben, w.dee)
        assert resurface_candidate(session, w.ours, NOW) == most
        tied = w.win(OLD - timedelta(days=2), "also twice, older")
        w.cheer(tied, w.ben, w.dee)
        assert resurface_candidate(session, w.ours, NOW) == tied


def test_only_posted_named_wins_never_resurfaced_before_are_brought_back(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        long_ago = OLD - timedelta(days=60)
        w.win(long_ago, status="withdrawn")
        w.win(long_ago, anonymous=True, member_id=None)
        w.win(long_ago, anonymous=True)
        w.win(long_ago, member_id=None)
        w.win(long_ago, resurfaced_at=NOW - timedelta(days=1))
        w.win(long_ago, community_id=w.theirs)
        assert resurface_candidate(session, w.ours, NOW) is None
        eligible = w.win(long_ago + timedelta(days=1))
        assert resurface_candidate(session, w.ours, NOW) == eligible


def test_resurfacing_posts_the_win_once_with_its_byline_and_cheers(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        ctx = Context(session, w.ours)
        assert resurface_win(ctx) is None and ctx.posts == []  # type: ignore[arg-type]
        win = w.win(NOW - timedelta(days=91), "Our new dressing chart")
        w.credit(win, w.ben)
        w.cheer(win, w.dee, w.ben)
        assert resurface_win(ctx) == win  # type: ignore[arg-type]
        [(key, message)] = ctx.posts
        assert key == f"win:{win.id}:resurface"
        assert message.title == "Remember this bright spot?"
        assert message.sections[0].text.endswith(", we celebrated: Our new dressing chart")
        assert message.sections[1].text == "— Ana, with Ben · 2 cheers"
        session.commit()
        session.expire_all()
        stored = session.get(Win, win.id)
        assert stored is not None and aware(stored.resurfaced_at) == NOW
        assert resurface_win(ctx) is None and len(ctx.posts) == 1  # type: ignore[arg-type]


def checkin(session: Session, community_id: int) -> int:
    row = CheckIn(
        community_id=community_id,
        question="How did it go?",
        opened_at=NOW - timedelta(days=5),
        closes_at=NOW,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def reply(session: Session, checkin_id: int, **fields: Any) -> CheckInReply:
    row = CheckInReply(checkin_id=checkin_id, author_key=str(fields["text"]), **fields)
    session.add(row)
    session.flush()
    return row


def test_only_named_successes_are_offered_to_their_authors(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        ctx = Context(session, w.ours)
        offer_success_wins(ctx, [])  # type: ignore[arg-type]
        assert ctx.dms == []
        held = checkin(session, w.ours)
        named = reply(session, held, member_id=w.ana, kind="success", text="Fewer missed visits")
        bens = reply(session, held, member_id=w.ben, kind="success", text="Chart is up")
        replies = [
            named,
            reply(session, held, member_id=w.dee, kind="challenge", text="Night shifts"),
            reply(session, held, member_id=None, kind="success", text="Secret", anonymous=True),
            reply(session, held, member_id=w.dee, kind="success", text="Hidden", anonymous=True),
            bens,
        ]
        offer_success_wins(ctx, replies)  # type: ignore[arg-type]
        assert [(name, key, expires) for name, key, _, expires in ctx.dms] == [
            ("Ana", f"win:offer:reply:{named.id}", NOW + timedelta(days=14)),
            ("Ben", f"win:offer:reply:{bens.id}", NOW + timedelta(days=14)),
        ]
        message = ctx.dms[0][2]
        assert message.title == "Celebrate your success as a bright spot?"
        assert message.sections[0].text == "Fewer missed visits"


def test_a_success_whose_author_is_gone_or_unsaved_is_not_offered(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        ctx = Context(session, w.ours)
        unsaved = CheckInReply(
            checkin_id=1, author_key="x", member_id=w.ana, kind="success", text="Not saved"
        )
        gone = CheckInReply(
            id=99, checkin_id=1, author_key="y", member_id=999, kind="success", text="Gone"
        )
        offer_success_wins(ctx, [unsaved, gone])  # type: ignore[arg-type]
        assert ctx.dms == []
        saved = reply(session, checkin(session, w.ours), member_id=w.ben, kind="success", text="Ok")
        offer_success_wins(ctx, [unsaved, gone, saved])  # type: ignore[arg-type]
        assert [(name, key) for name, key, _, _ in ctx.dms] == [
            ("Ben", f"win:offer:reply:{saved.id}")
        ]


def test_a_win_exactly_four_weeks_old_resurfaces_and_says_it_has_no_cheers(engine: Engine):
    with Session(engine) as session:
        w = World(session)
        win = w.win(OLD, "Four weeks to the second")
        assert resurface_candidate(session, w.ours, NOW) == win
        ctx = Context(session, w.ours)
        assert resurface_win(ctx) == win  # type: ignore[arg-type]
        [(_, message)] = ctx.posts
        assert message.sections[1].text == "— Ana · 0 cheers"
