"""A schedule row that cannot be worked out (a rule or a date stored before it was checked)
is logged and skipped; every other schedule still fires, and start-up still works (issue 15).
Runs through the scheduler pass on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from bot.storage.tables import CheckIn, Community, Meeting
from bot.storage.tables_momentum import Nudge
from tests.conftest import START, community, make_settings

FAR = datetime(9999, 12, 31, 22, 0, tzinfo=UTC)


def _poison(engine) -> None:
    with Session(engine) as session:
        [home] = session.exec(select(Community)).all()
        assert home.id is not None
        session.add(Meeting(community_id=home.id, starts_at=FAR, topic="Far away"))
        for rule in ("every blursday 9am", "every monday 25:00", "cron: 99 9 * * mon"):
            session.add(
                Nudge(
                    community_id=home.id,
                    text="Poisoned",
                    when_text=rule,
                    recurrence=rule,
                    status="active",
                    created_at=START,
                    active_since=START,
                )
            )
        session.add(
            Nudge(
                community_id=home.id,
                text="Still here",
                when_text="every wednesday 10:00",
                recurrence="every wednesday 10:00",
                status="active",
                created_at=START,
                active_since=START,
            )
        )
        session.commit()


async def test_poisoned_rows_are_skipped_and_the_rest_still_fire(
    make_app, platform, person, caplog
):
    settings = make_settings(
        community(
            checkin={"schedule": "7 days after each meeting at 10:00"},
            meetings={"dates": ["2026-12-03 14:00"]},
        )
    )
    app = make_app(settings)
    person(app, "Ana").cop("checkin")
    _poison(app.engine)

    caplog.set_level(logging.WARNING)
    await app.advance(START + timedelta(days=10))
    fired = [d for d in platform.posts() if "Still here" in d.text]
    assert len(fired) == 2  # Wednesdays 2 and 9 December
    assert not [d for d in platform.sent if "Poisoned" in d.text]
    with Session(app.engine) as session:
        [opened] = session.exec(select(CheckIn)).all()  # 7 days after 3 Dec, at 10:00
        assert opened.opened_at == datetime(2026, 12, 10, 10, 0, tzinfo=UTC)
    logged = caplog.text
    assert "every blursday 9am" in logged and "skipped" in logged
    assert "no check-in after a meeting on 9999-12-31" in logged

    # A restart reads the same rows and carries on.
    again = make_app(settings)
    await again.advance(START + timedelta(days=17))
    assert len([d for d in platform.posts() if "Still here" in d.text]) == 3


async def test_a_schedule_that_fails_to_work_out_does_not_stop_the_others(
    make_app, platform, person, caplog, monkeypatch
):
    app = make_app()
    cora = person(app, "Cora")
    preview = cora.cop("nudge add every wednesday 10:00 Still here").message
    cora.press("nudge.save", preview.buttons[0].value)
    preview = cora.cop("nudge add every thursday 10:00 Broken").message
    cora.press("nudge.save", preview.buttons[0].value)

    from bot.features import nudge_times

    real = nudge_times.times_of

    def times(nudge, zone):
        found = real(nudge, zone)
        if nudge.recurrence != "every thursday 10:00":
            return found

        def broken(start, end):
            raise OverflowError("date value out of range")

        return broken

    monkeypatch.setattr(nudge_times, "times_of", times)
    monkeypatch.setattr(nudge_times, "next_after_of", lambda nudge, zone: None)
    caplog.set_level(logging.ERROR)
    await app.advance(START + timedelta(days=3))
    assert len([d for d in platform.posts() if "Still here" in d.text]) == 1
    assert "could not be worked out; it is skipped" in caplog.text
