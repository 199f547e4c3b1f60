"""Anonymous wins, stories and help requests lose their author key a week after they were
shared, so no one can then tell who wrote them (bot/features/sealing.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.context import Context
from bot.features.sealing import WITHDRAW_WINDOW, SealAnonymous, collect_jobs, seal_expired
from bot.storage.tables import Community
from bot.storage.tables_stories import Story
from bot.storage.tables_wins import HelpRequest, Win
from bot.storage.uow import UnitOfWork
from tests.conftest import START, community, make_settings

TWO = make_settings(community(), community(name="pharmacy", channel="pharmacy"))


def _items(session: Session, community_id: int, created, key: str | None) -> tuple[int, ...]:
    rows = (
        Win(
            community_id=community_id, author_key=key, anonymous=True, text="w", created_at=created
        ),
        Story(
            community_id=community_id,
            author_key=key,
            what="w",
            difference="d",
            cycle="c",
            consent="anonymous",
            created_at=created,
        ),
        HelpRequest(community_id=community_id, author_key=key, text="h", created_at=created),
    )
    session.add_all(rows)
    session.flush()
    return tuple(row.id for row in rows)  # type: ignore[misc]


def _keys(engine, table) -> dict[int, str | None]:
    with Session(engine) as session:
        return {row.id: row.author_key for row in session.exec(select(table))}


async def test_each_keyed_item_of_an_open_community_gets_a_seal_a_week_on(make_app, clock):
    app = make_app(TWO)
    with Session(app.engine) as session:
        ours, theirs = session.exec(select(Community).order_by(Community.id)).all()
        win, story, help_ = _items(session, ours.id, START, "key-1")
        _items(session, ours.id, START, None)  # sealed already: nothing to do
        theirs.closed_at = START  # a closed community seals nothing more
        session.add(theirs)
        _items(session, theirs.id, START, "key-2")
        session.commit()
        ours_id = ours.id
    with UnitOfWork(app.engine) as uow:
        specs = {spec.key: spec for spec in collect_jobs(uow, None)}
    assert set(specs) == {f"win-seal:{win}", f"story-seal:{story}", f"help-seal:{help_}"}
    due = START + WITHDRAW_WINDOW + timedelta(minutes=1)
    for spec in specs.values():
        assert spec.community_id == ours_id
        assert spec.catch_up, "a seal must happen however long copbot was down"
        assert spec.times(due - timedelta(seconds=1), due) == [due]
        assert spec.times(START, due - timedelta(seconds=1)) == []
        assert spec.make(due) == SealAnonymous(community_id=ours_id, occurrence=due)


async def test_sealing_deletes_only_keys_past_the_week_in_its_own_community(make_app, clock):
    app = make_app(TWO)
    now = START + timedelta(days=30)
    with Session(app.engine) as session:
        ours, theirs = session.exec(select(Community).order_by(Community.id)).all()
        old = _items(session, ours.id, now - WITHDRAW_WINDOW - timedelta(seconds=1), "old")
        edge = _items(session, ours.id, now - WITHDRAW_WINDOW, "edge")
        recent = _items(session, ours.id, now - timedelta(days=6), "recent")
        elsewhere = _items(session, theirs.id, now - timedelta(days=20), "elsewhere")
        session.commit()
        settings = app.bus.settings_of(ours)
        community_row = ours
    clock.set(now)
    with UnitOfWork(app.engine) as uow:
        seal_expired(Context(uow, clock, b"secret", community_row, settings), now)
        uow.commit()
    for index, table in enumerate((Win, Story, HelpRequest)):
        keys = _keys(app.engine, table)
        assert keys[old[index]] is None, table
        assert keys[edge[index]] == "edge", table  # exactly a week: still theirs
        assert keys[recent[index]] == "recent", table
        assert keys[elsewhere[index]] == "elsewhere", table


async def test_the_seal_job_seals_at_the_time_it_runs(make_app, clock):
    app = make_app(TWO)
    with Session(app.engine) as session:
        ours = session.exec(select(Community).order_by(Community.id)).first()
        win, _story, _help = _items(session, ours.id, START, "mine")
        session.commit()
        ours_id = ours.id
    clock.set(START + WITHDRAW_WINDOW - timedelta(minutes=1))
    with UnitOfWork(app.engine) as uow:
        app.bus.run_job(uow, ours_id, SealAnonymous(ours_id, clock.now()))
        uow.commit()
    assert _keys(app.engine, Win)[win] == "mine", "sealed before the week was out"
    clock.set(START + WITHDRAW_WINDOW + timedelta(minutes=1))
    with UnitOfWork(app.engine) as uow:
        app.bus.run_job(uow, ours_id, SealAnonymous(ours_id, clock.now()))
        uow.commit()
    assert _keys(app.engine, Win)[win] is None
