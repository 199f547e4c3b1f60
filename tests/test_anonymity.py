"""The Chatham House rule: an anonymous reply never leads back to its author."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import text as sql
from sqlmodel import Session, SQLModel, select

from bot.storage.tables import CheckInReply
from tests.conftest import START

SECRET_TEXT = "Our manager dismisses every incident report"


async def test_anonymous_reply_reveals_no_author_on_any_surface(make_app, platform, person, caplog):
    caplog.set_level(logging.DEBUG)
    app = make_app()
    cora, kit, ana, ben = (person(app, n) for n in ("Cora", "Kit", "Ana", "Ben"))
    for someone in (kit, ana, ben):
        someone.cop("help")
    cora.cop("checkin open")
    ben.cop("reply success Shared a care plan template")
    ana.cop(f"reply challenge anonymously {SECRET_TEXT}")
    ana.cop(f"reply challenge anonymously {SECRET_TEXT}, again")  # an edit, still anonymous

    # Every surface a convener or keeper can reach while it is open...
    surfaces = []
    for viewer in (cora, kit, ben):
        for verb in ("checkin", "help", "role", "me", "undelivered", "help reply"):
            response = viewer.cop(verb)
            surfaces.append(response.message.as_text() if response.message else "")
    # ...and after it closes: the summary, reminders, every delivered message.
    await app.advance(START + timedelta(days=6))
    surfaces += [d.text for d in platform.sent]
    surfaces += [record.getMessage() for record in caplog.records]

    summary = platform.titled("Our check-in has closed")[0].text
    assert f"{SECRET_TEXT}, again — (shared anonymously)" in summary
    for surface in surfaces:
        for line in surface.splitlines():
            if SECRET_TEXT in line:
                assert "Ana" not in line and "ana" not in line.lower().replace("manager", "")

    # Reminders go to everyone who hasn't replied with their name: Ana too, so no one can
    # tell from them who replied anonymously. The stored row holds no member id at all.
    reminded = {d.target for d in platform.titled("A gentle nudge about our check-in")}
    assert reminded == {"cora", "kit", "ana"}
    with Session(app.engine) as session:
        [row] = session.exec(
            select(CheckInReply).where(CheckInReply.anonymous == True)  # noqa: E712
        ).all()
        assert row.member_id is None
        assert "ana" not in row.author_key

    # No row anywhere holds the anonymous text together with Ana's id or user id.
    with Session(app.engine) as session:
        ana_id = session.execute(sql("SELECT id FROM member WHERE platform_user_id='ana'")).scalar()
        for table in SQLModel.metadata.sorted_tables:
            for found in session.execute(table.select()).mappings():
                if any(SECRET_TEXT in str(value) for value in found.values()):
                    ids = [v for k, v in found.items() if k.endswith("member_id")]
                    assert ana_id not in ids, table.name
                    assert "ana" not in [str(v) for v in found.values()], table.name


async def test_author_can_switch_between_named_and_anonymous(make_app, platform, person):
    app = make_app()
    cora, ana = person(app, "Cora"), person(app, "Ana")
    for name in ("Ben", "Dee"):  # enough people that an anonymous learning is shown
        person(app, name).cop("help")
    cora.cop("checkin open")
    ana.cop("reply learning Ask the family first")
    ana.cop("reply learning anonymously Ask the family first")
    cora.cop("checkin close")
    await app.dispatcher.drain()
    summary = platform.titled("Our check-in has closed")[0].text
    assert "Ask the family first — (shared anonymously)" in summary
    assert "Ana" not in summary


async def test_anonymous_replies_are_listed_by_text_not_by_arrival(make_app, platform, person):
    app = make_app()
    cora = person(app, "Cora")
    cora.cop("checkin open")
    for name, words in (("Zed", "zebra crossing"), ("Abe", "apple pie"), ("Mo", "mango")):
        person(app, name).cop(f"reply challenge anonymously {words}")
    cora.cop("checkin close")
    await app.dispatcher.drain()
    [summary] = platform.titled("Our check-in has closed")
    [section] = [s for s in summary.message.sections if s.heading == "Challenge (3)"]
    texts = [item.split(" — ")[0] for item in section.items]
    assert texts == ["apple pie", "mango", "zebra crossing"]
