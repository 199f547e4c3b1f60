"""An orderly close: confirmed by a convener; a recap, a farewell and an export for the
keepers; every schedule stops; after the retention period the member-level data is erased,
thoroughly, and the community stays closed."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from bot.features.closing import KEPT
from bot.storage.tables import CheckIn, CheckInReply, Community, Member, OutboxMessage
from bot.storage.tables_momentum import CommunityClosure
from tests.conftest import START, community, make_settings

OTHER = community(name="other-cop", channel="other-cop", conveners=["olga"], keepers=[])


def settings(**overrides):
    return make_settings(community(**overrides), OTHER)


def counts(engine, community_id: int) -> dict[str, int]:
    """Rows per table that belong to the community (by its id or its members' ids)."""
    found = {}
    with Session(engine) as session:
        member_ids = session.exec(select(Member.id).where(Member.community_id == community_id))
        members = list(member_ids.all())
        for table in SQLModel.metadata.sorted_tables:
            conditions = []
            if "community_id" in table.c:
                conditions.append(table.c.community_id == community_id)
            for column in table.c:
                if any(fk.column.table.name == "member" for fk in column.foreign_keys):
                    conditions.append(column.in_(members or [-1]))
            if table.name == "member":
                conditions = [table.c.community_id == community_id]
            for condition in conditions:
                query = select(func.count()).select_from(table).where(condition)
                found[table.name] = found.get(table.name, 0) + session.exec(query).one()
    return {name: n for name, n in found.items() if n}


def close(person) -> str:
    ask = person.cop("close-community").message
    confirm = ask.buttons[0]
    return person.press(confirm.action, confirm.value).message.as_text()


async def test_close_needs_a_convener_and_a_confirmation(make_app, platform, person):
    app = make_app(settings())
    cora, ana = person(app, "Cora"), person(app, "Ana")
    assert "Only conveners" in ana.says("close-community")
    ask = cora.cop("close-community").message
    assert "can't be undone" in ask.as_text()
    assert [b.label for b in ask.buttons] == ["Yes, close wound-care", "No, keep it open"]
    assert "Only conveners" in ana.press("close.confirm", ask.buttons[0].value).message.as_text()
    assert "Nothing changed" in cora.press("close.cancel").message.as_text()
    assert "out of date" in cora.press("close.confirm", "2").message.as_text()  # other id
    await app.dispatcher.drain()
    assert platform.sent == []
    assert "can't be undone" in cora.says("close-community")  # still open


async def test_close_posts_recap_and_farewell_exports_to_keepers_and_stops_everything(
    make_app, clock, platform, person
):
    app = make_app(settings(meetings={"dates": ["2026-12-20 14:00"]}))
    cora, ana, ben, kit = (person(app, n) for n in ("Cora", "Ana", "Ben", "Kit"))
    kit.cop("me quiet off")
    cora.cop("checkin open")
    ana.cop("reply success Fewer missed visits")
    ben.cop("reply learning anonymously Ask families first")
    cora.cop("checkin close")
    ana.cop("win Our first shared care plan")
    cora.cop("nudge add every day 12:00 Daily question")
    cora.press("nudge.save", "1")
    cora.cop("nudge add tomorrow 02:00 to everyone Held by quiet hours")
    cora.press("nudge.save", "2")
    await app.advance(START + timedelta(hours=18))  # 2 Dec 03:00: the DMs are held (not Kit's)
    sent_before = len(platform.sent)

    assert "wound-care is closed" in close(cora)
    await app.advance(START + timedelta(days=30))
    after = [d for d in platform.sent[sent_before:] if d.target != "other-cop"]
    # The channel's two posts in order; the keeper's export privately (to another target,
    # so it may go before, between or after them).
    in_channel = [d for d in after if d.kind == "post"]
    privately = [d for d in after if d.kind == "dm"]
    assert [d.message.title for d in in_channel] == [
        "What we made together: wound-care",
        "Thank you, everyone: wound-care is closing",
    ]
    assert [d.message.title for d in privately] == ["wound-care: the keepers' export"]
    (recap, farewell), (export,) = in_channel, privately
    assert "Our first shared care plan" in recap.text and "Ask families first" in recap.text
    assert "Fewer missed visits" in recap.text
    assert "Ana" not in recap.text and "Ben" not in recap.text
    assert "erased on Tue 2 Mar, 03:00" in farewell.text  # 90 days after 2 Dec 03:00
    assert export.kind == "dm" and export.target == "kit"
    data = json.loads("".join(s.text for s in export.message.sections))
    assert data["community"] == "wound-care"
    assert data["replies"] == {"success": 1, "challenge": 0, "learning": 1}
    assert data["wins"] == ["Our first shared care plan"]
    assert data["learning"] == ["Ask families first"]
    assert "Ana" not in json.dumps(data) and "Ben" not in json.dumps(data)
    assert not any("Daily question" in d.text or "Held by" in d.text for d in after)
    assert "has closed" in ana.says("win Too late")
    assert "has closed" in cora.says("close-community")
    with Session(app.engine) as session:
        held = session.exec(select(OutboxMessage).where(OutboxMessage.key.contains("dm"))).all()
    statuses = {row.user_id: row.status for row in held if row.key.startswith("nudge:2:")}
    assert statuses == {"kit": "sent", "cora": "expired", "ana": "expired", "ben": "expired"}


async def test_data_is_erased_after_retention_thoroughly_and_only_that_communitys(
    make_app, platform, person
):
    app = make_app(settings(retention="3 days", prompts={"quiet_for": "1 day"}))
    cora, ana, ben = person(app, "Cora"), person(app, "Ana"), person(app, "Ben")
    olga, oleg = person(app, "Olga", "other-cop"), person(app, "Oleg", "other-cop")
    for convener, members in ((cora, (ana, ben)), (olga, (oleg,))):
        convener.cop("checkin open")
        for someone in members:
            someone.cop("reply success anonymously Something that went well")
            someone.cop("reply learning Something learned")
            someone.cop("win A small win")
            someone.cop("pledge Try the new leaflet by 2026-12-20")
            someone.cop("prompt suggest What is working for you?")
        convener.cop("checkin close")
        convener.cop("nudge add tomorrow 12:00 to everyone A question for you")
        convener.press("nudge.save", "1" if convener is cora else "2")
    await app.advance(START + timedelta(days=2))  # a quiet-spell prompt, nudges…
    before = counts(app.engine, 1)
    other_before = counts(app.engine, 2)
    assert {"member", "checkin", "checkin_reply", "activity", "win", "pledge", "nudge"} <= set(
        before
    )
    assert {"prompt_suggestion", "prompt_post", "outbox"} <= set(before)

    with Session(app.engine) as session:
        other_replies = session.exec(
            select(func.count())
            .select_from(CheckInReply)
            .join(CheckIn)
            .where(CheckIn.community_id == 2)
        ).one()
    close(cora)
    closed_at = START + timedelta(days=2)
    await app.advance(closed_at + timedelta(days=2, hours=23))
    assert counts(app.engine, 1).get("member") == before["member"]  # kept until retention ends
    await app.advance(closed_at + timedelta(days=3, minutes=1))

    assert counts(app.engine, 1) == {"community_closure": 1}
    with Session(app.engine) as session:
        kept = session.get(Community, 1)
        assert kept is not None and kept.closed_at == closed_at
        closure = session.get(CommunityClosure, 1)
        assert closure.erased_at == closed_at + timedelta(days=3)
        # Anonymous replies carry no member id: they went with their check-ins.
        replies = session.exec(select(func.count()).select_from(CheckInReply)).one()
        assert replies == other_replies == 2
        assert session.exec(select(CheckIn.community_id)).all() == [2]
    other_after = counts(app.engine, 2)
    for table, count in other_before.items():
        assert other_after.get(table, 0) >= count, table  # the other community keeps its own
    assert {"community", "community_closure"} == KEPT

    app.close()
    app = make_app(settings(retention="3 days"))  # the configuration still names it
    assert "has closed" in person(app, "Cora").says("meeting list")
    assert counts(app.engine, 1) == {"community_closure": 1}


async def test_an_overdue_erasure_still_happens_after_a_long_downtime(make_app, clock, person):
    app = make_app(settings(retention="3 days"))
    cora = person(app, "Cora")
    person(app, "Ana").cop("win Something")
    close(cora)
    app.close()
    clock.set(START + timedelta(days=200))  # down far longer than the start-up look-back
    app = make_app(settings(retention="3 days"))
    report = app.run_due()
    assert f"erase:1@{(START + timedelta(days=3)).isoformat()}" in report.ran  # 197 days late
    assert counts(app.engine, 1) == {"community_closure": 1}


async def test_the_harvest_quotes_only_stories_their_tellers_let_us_quote(
    make_app, platform, person
):
    app = make_app()
    cora, ana, ben = person(app, "Cora"), person(app, "Ana"), person(app, "Ben")
    for who, what, consent in (
        (ana, "We ran a joint clinic with the district nurses", "anonymous"),
        (ben, "A family told me about their mother's last weeks", "no"),
    ):
        invitation = who.cop("story").message
        form = who.press(invitation.buttons[0].action, invitation.buttons[0].value).form
        who.submit(
            form.form_id,
            form.metadata,
            what=what,
            difference="It changed how we plan visits",
            cycle="applied",
            consent=consent,
        )
    close(cora)
    await app.dispatcher.drain()
    [recap] = [d for d in platform.posts() if (d.message.title or "").startswith("What we made")]
    assert "We ran a joint clinic with the district nurses" in recap.text
    assert "last weeks" not in recap.text  # told, but not to be quoted
    assert "Ana" not in recap.text
