"""My data: an export of every row about a member and no one else's, erasure that leaves
nothing of theirs in any table (checked over the whole schema), anonymised contributions
that stay unattributable, a retention period on schedule, and the admin log."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table, select
from sqlmodel import Session, SQLModel

import bot.storage.schema  # noqa: F401  (every table on SQLModel.metadata)
from bot.secret_key import default_key_file
from bot.storage.tables import AppSetting, CheckIn, CheckInReply, Community, Member, OutboxMessage
from bot.storage.tables_contact import ChannelPost
from bot.storage.tables_trust import AdminLog, PlanningVolunteer
from tests.conftest import START, community, make_settings

ZED, QUILL = "Zephyrine", "Quillon"  # names that appear nowhere else
WELCOMING = make_settings(community(welcome={"enabled": True}))  # so they have private messages


# ---- looking at the whole schema, independently of bot.features.mydata -----------------


def member_fk_columns() -> list[tuple[Table, Any]]:
    return [
        (table, column)
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if any(fk.column.table.name == "member" for fk in column.foreign_keys)
    ]


def hash_columns() -> list[tuple[Table, Any, dict[str, str]]]:
    """Author-key columns, each with how its keys are made (kind template, scope column)."""
    return [
        (table, column, column.info["author_key"])
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if "author_key" in column.info
    ]


def secret(engine: Engine) -> bytes:
    """The key copbot generated (in the key file, never the database)."""
    with Session(engine) as session:
        assert session.get(AppSetting, "secret_key") is None
    return default_key_file().read_text().strip().encode()


def own_key(key: bytes, spec: dict[str, str], row: Any, member_id: int) -> str:
    """The key this member would have for the item in `row` (independently recomputed)."""
    kind = spec["kind"].format(**row)
    text = f"{kind}|{row[spec['scope']]}|{member_id}".encode()
    return hmac.new(key, text, hashlib.sha256).hexdigest()


def member_ids(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {m.display_name: m.id for m in session.exec(select(Member)).scalars()}


def rows_about(engine: Engine, member_id: int, user_id: str) -> dict[str, set[tuple]]:
    """Primary keys of every row about a member: foreign keys to them, their private
    messages, and keyed hashes made from their id."""
    key = secret(engine)
    found: dict[str, set[tuple]] = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            pk = list(table.primary_key.columns)
            for row in connection.execute(select(table)).mappings():
                about = table.name == "member" and row["id"] == member_id
                about |= any(row[c.name] == member_id for t, c in member_fk_columns() if t is table)
                about |= table.name == "outbox" and row["user_id"] == user_id
                for t, column, spec in hash_columns():
                    if t is table and row[column.name] is not None:
                        about |= row[column.name] == own_key(key, spec, row, member_id)
                if about:
                    found.setdefault(table.name, set()).add(tuple(row[c.name] for c in pk))
    return found


def exported_rows(content: str) -> dict[str, set[tuple]]:
    """Primary keys of the rows in an export file, per table."""
    tables = json.loads(content)["tables"]
    return {
        name: {
            tuple(row[c.name] for c in SQLModel.metadata.tables[name].primary_key.columns)
            for row in rows
        }
        for name, rows in tables.items()
    }


def traces(engine: Engine, member_id: int, words: tuple[str, ...]) -> list[str]:
    """Every place in the database where the member's id (in a member column), their name
    or user id (in any text), or a keyed hash of their id can still be found."""
    key = secret(engine)
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)", re.IGNORECASE)
    member_cols = {(t.name, c.name) for t, c in member_fk_columns()}
    hashes = {(t.name, c.name): spec for t, c, spec in hash_columns()}
    found = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(select(table)).mappings():
                for column in table.columns:
                    value, where = row[column.name], f"{table.name}.{column.name}"
                    if (table.name, column.name) in member_cols and value == member_id:
                        found.append(where)
                    if table.name == "member" and column.name == "id" and value == member_id:
                        found.append(where)
                    if isinstance(value, str | dict | list):  # any text, any JSON
                        text = value if isinstance(value, str) else json.dumps(value)
                        if pattern.search(text):
                            found.append(f"{where}: {text[:80]}")
                    if (table.name, column.name) in hashes and value is not None:
                        spec = hashes[(table.name, column.name)]
                        if value == own_key(key, spec, row, member_id):
                            found.append(f"{where} (keyed hash)")
    return found


# ---- a community where two members have done a bit of everything ------------------------


def busy_community(app, person):
    cora, zed, quill = person(app, "Cora"), person(app, ZED), person(app, QUILL)
    cora.cop("checkin open")
    zed.cop("reply success Shared care plans went well")
    zed.cop("reply challenge anonymously Letters arrive late")
    zed.cop("skip")
    quill.cop("reply success The new rota works")
    quill.cop("reply learning anonymously Ask families first")
    for someone in (zed, quill):
        someone.cop("plan")
        someone.cop("win Our team cut missed visits")
        someone.cop("pledge Try the new leaflet by in 2 weeks")
    cora.cop(f"role <@{ZED.lower()}> keeper")
    cora.cop(f"role <@{ZED.lower()}> member")
    return cora, zed, quill


def erase(someone, choice: str) -> str:
    response = someone.cop("forget-me")
    assert response.message is not None
    labels = {b.label: b for b in response.message.buttons}
    assert set(labels) == {
        "Erase everything",
        "Erase me, keep my words anonymously",
        "Cancel",
    }
    button = labels[choice]
    return someone.press(button.action, button.value).message.as_text()


# ---- tests -------------------------------------------------------------------------------


async def test_mydata_holds_every_row_about_me_and_no_one_elses(make_app, engine, platform, person):
    app = make_app(WELCOMING)
    _, zed, _ = busy_community(app, person)
    await app.dispatcher.drain()
    ids = member_ids(engine)
    expected = rows_about(engine, ids[ZED], ZED.lower())
    assert {
        "member",
        "checkin_reply",
        "checkin_skip",
        "planning_volunteer",
        "admin_log",
        "outbox",
    } <= set(expected)

    assert "I've sent you everything" in zed.says("mydata")
    await app.dispatcher.drain()
    [first] = [d for d in platform.dms(ZED.lower()) if d.key.startswith("mydata:")]
    attachment = first.message.attachment
    assert attachment is not None and attachment.filename.endswith(".json")
    assert f"Attached: {attachment.filename}" in first.text
    # The message itself reads as her record, in plain words; no JSON in it.
    headings = [s.heading for s in first.message.sections if s.heading]
    assert headings == [
        "Who you are here",
        "Your settings",
        "What you shared",
        "Your pledges",
        "Votes you cast with your name",
        "Also",
    ]
    assert f"Your name here: {ZED}" in first.text
    assert "Check-in success: Shared care plans went well" in first.text
    assert "Letters arrive late (shared anonymously)" in first.text
    assert "Ask families first" not in first.text and "{" not in first.text

    exported = exported_rows(attachment.content)
    assert exported == expected
    assert QUILL.lower() not in attachment.content.lower()
    assert "Shared care plans went well" in attachment.content
    assert "Letters arrive late" in attachment.content  # her anonymous reply is hers
    assert "Ask families first" not in attachment.content


async def test_forget_me_leaves_nothing_of_theirs_in_any_table(make_app, engine, person):
    app = make_app(WELCOMING)
    cora, zed, _ = busy_community(app, person)
    cora.cop("checkin close")  # the summary names her
    await app.dispatcher.drain()
    ids = member_ids(engine)
    assert traces(engine, ids[ZED], (ZED,))  # the check itself sees her before…

    assert "is erased" in erase(zed, "Erase everything")

    assert traces(engine, ids[ZED], (ZED,)) == []  # …and nothing after
    with Session(engine) as session:
        replies = session.exec(select(CheckInReply.text)).scalars().all()
        planners = session.exec(select(PlanningVolunteer.member_id)).scalars().all()
    # Her anonymous reply's check-in had closed: sealed, nothing leads from it to her any
    # more (not even copbot), so it is no longer hers to find; everything named is gone.
    assert sorted(replies) == ["Ask families first", "Letters arrive late", "The new rota works"]
    assert planners == [ids[QUILL]]
    assert rows_about(engine, ids[QUILL], QUILL.lower())["planning_volunteer"]
    others = traces(engine, ids[QUILL], (QUILL,))  # others keep theirs
    assert "member.id" in others and "checkin_reply.member_id" in others
    assert "checkin_reply.author_key (keyed hash)" not in others  # sealed at the close
    # She can come back, as someone new.
    assert "Your settings" in zed.says("me")
    assert member_ids(engine)[ZED] != ids[ZED]


async def test_kept_contributions_stay_but_cannot_be_traced(make_app, engine, platform, person):
    app = make_app(WELCOMING)
    cora, zed, _ = busy_community(app, person)
    for name in ("Ben", "Dee"):  # enough people that anonymous replies are shown
        person(app, name).cop("help")
    ids = member_ids(engine)

    assert "What you shared stays" in erase(zed, "Erase me, keep my words anonymously")

    assert traces(engine, ids[ZED], (ZED,)) == []
    with Session(engine) as session:
        kept = {r.text: r for r in session.exec(select(CheckInReply)).scalars().all()}
    assert kept["Shared care plans went well"].member_id is None
    assert kept["Shared care plans went well"].anonymous
    assert "Letters arrive late" in kept
    cora.cop("checkin close")
    await app.dispatcher.drain()
    [summary] = platform.titled("Our check-in has closed")
    assert "Shared care plans went well — (shared anonymously)" in summary.text
    assert ZED not in summary.text
    assert "The new rota works — Quillon" in summary.text


async def test_ids_equal_to_mine_in_other_tables_do_not_make_rows_mine(
    make_app, engine, platform, person
):
    """Only a key to the member table points at a member: her id being also the community's
    and the check-in's must not put others' replies in her export, nor erase them."""
    first = community(welcome={"enabled": True}, conveners=[ZED.lower()], keepers=["zoe"])
    app = make_app(make_settings(first))  # made at start-up in name order: she is first
    zed, quill = person(app, ZED), person(app, QUILL)
    zed.cop("checkin open")
    zed.cop("reply success Shared care plans went well")
    quill.cop("reply success The new rota works")
    quill.cop("pledge Try the new leaflet by in 2 weeks")
    await app.dispatcher.drain()
    ids = member_ids(engine)
    with Session(engine) as session:
        [checkin_id] = session.exec(select(CheckIn.id)).scalars().all()
        [community_id] = session.exec(select(Community.id)).scalars().all()
    assert ids[ZED] == checkin_id == community_id
    expected = rows_about(engine, ids[ZED], ZED.lower())
    others = {n: rows_about(engine, ids[n], n.lower()) for n in (QUILL, "zoe")}

    zed.cop("mydata")
    await app.dispatcher.drain()
    [sent] = [d for d in platform.dms(ZED.lower()) if d.key.startswith("mydata:")]
    attachment = sent.message.attachment
    assert attachment is not None
    exported = exported_rows(attachment.content)
    assert exported == expected
    assert "The new rota works" not in attachment.content
    assert "Try the new leaflet" not in attachment.content

    assert "is erased" in erase(zed, "Erase everything")
    left = traces(engine, ids[ZED], (ZED,))
    assert [t for t in left if not t.startswith("community.settings:")] == []  # the file names her
    assert {n: rows_about(engine, ids[n], n.lower()) for n in (QUILL, "zoe")} == others
    with Session(engine) as session:
        replies = session.exec(select(CheckInReply.text)).scalars().all()
    assert replies == ["The new rota works"]


def test_forget_me_asks_first_and_bad_input_changes_nothing(make_app, engine, person):
    app = make_app(WELCOMING)
    _, zed, _ = busy_community(app, person)
    before = rows_about(engine, member_ids(engine)[ZED], ZED.lower())
    assert "Nothing was erased" in erase(zed, "Cancel")
    assert "Usage: /cop forget-me" in zed.says("forget-me now please")
    assert "Usage: /cop mydata" in zed.says("mydata everything")
    assert zed.press("mydata.forget", "sideways").message.as_text() == (
        "That button is out of date. Try /cop forget-me."
    )
    assert rows_about(engine, member_ids(engine)[ZED], ZED.lower()) == before


def test_role_changes_and_exports_are_logged_without_content(make_app, engine, person):
    app = make_app()
    cora, zed = person(app, "Cora"), person(app, ZED)
    zed.cop("help")
    cora.cop(f"role <@{ZED.lower()}> keeper")
    zed.cop("mydata")
    ids = member_ids(engine)
    with Session(engine) as session:
        log = session.exec(select(AdminLog).order_by(AdminLog.id)).scalars().all()
    assert [(e.actor_member_id, e.action, e.target_member_id) for e in log] == [
        (ids["Cora"], "role: keeper", ids[ZED]),
        (ids[ZED], "export", ids[ZED]),
    ]
    assert {c.name for c in AdminLog.__table__.columns} == {
        "id",
        "community_id",
        "actor_member_id",
        "action",
        "target_member_id",
        "at",
    }


async def test_retention_forgets_members_who_stopped_taking_part(make_app, engine, clock, person):
    settings = make_settings(community(personal_data_retention="30 days"))
    app = make_app(settings)
    app.run_due()
    cora, zed, quill = person(app, "Cora"), person(app, ZED), person(app, QUILL)
    cora.cop("checkin open")
    zed.cop("reply success Shared care plans went well")
    ids = member_ids(engine)

    def move_to(moment):  # the fake clock jumps; the latest daily sweep runs, once
        clock.set(moment)
        return app.run_due()

    move_to(START + timedelta(days=20))
    quill.cop("plan")  # Quillon takes part on day 20
    assert move_to(START + timedelta(days=30, hours=-1)).ran  # the sweep of 31 Dec, 03:30
    assert traces(engine, ids[ZED], (ZED,)) != []  # not yet 30 days
    move_to(START + timedelta(days=31, hours=1))  # the sweep of 1 Jan, 03:30

    assert traces(engine, ids[ZED], (ZED,)) == []
    remaining = member_ids(engine)
    assert QUILL in remaining and "Cora" in remaining  # active, and named in the settings
    with Session(engine) as session:
        [reply] = session.exec(select(CheckInReply)).scalars().all()
    assert reply.text == "Shared care plans went well" and reply.member_id is None
    with Session(engine) as session:
        actions = session.exec(select(AdminLog.action)).scalars().all()
    assert actions.count("erased (retention)") == 1


def test_no_retention_by_default(make_app, engine, clock, person):
    app = make_app()
    app.run_due()
    person(app, ZED).cop("plan")
    clock.set(START + timedelta(days=60))
    app.run_due()
    assert ZED in member_ids(engine)


def test_a_convener_erases_someone_who_asked_and_it_is_logged(make_app, engine, person):
    app = make_app(WELCOMING)
    cora, _, quill = busy_community(app, person)
    ids = member_ids(engine)
    before = rows_about(engine, ids[ZED], ZED.lower())
    assert "Only conveners can erase someone else's data" in quill.says(
        f"forget-me <@{ZED.lower()}>"
    )
    refused = quill.press("mydata.forget", f"all:{ZED.lower()}").message.as_text()
    assert "Only conveners" in refused
    assert "nothing to erase" in cora.says("forget-me <@nobody>")
    assert "Usage: /cop forget-me" in cora.says("forget-me Zephyrine")
    assert rows_about(engine, ids[ZED], ZED.lower()) == before

    asked = cora.cop(f"forget-me <@{ZED.lower()}>")
    assert asked.message.title == f"Erase what copbot holds about {ZED}?"
    everything = next(b for b in asked.message.buttons if b.label == "Erase everything")
    assert (
        f"everything I held about {ZED} is erased"
        in cora.press(everything.action, everything.value).message.as_text()
    )
    assert traces(engine, ids[ZED], (ZED,)) == []
    with Session(engine) as session:
        last = session.exec(select(AdminLog).order_by(AdminLog.id.desc())).scalars().first()
    assert (last.actor_member_id, last.action) == (ids["Cora"], "erased by a convener")
    assert "Cora" in member_ids(engine) and QUILL in member_ids(engine)


# ---- what members and conveners read -----------------------------------------------------


def test_the_question_before_erasing_says_what_goes_and_whose(make_app, person):
    app = make_app(WELCOMING)
    cora, zed, _ = busy_community(app, person)

    mine = zed.cop("forget-me").message
    assert mine.title == "Erase what copbot holds about you?"
    assert [s.text for s in mine.sections] == [
        "This erases your profile and settings, replies, pledges, votes and everything else "
        "I hold about you in wound-care. It can't be undone. What you shared can also stay, "
        "with nothing left to link it to you.",
        "Want a copy first? /cop mydata",
    ]
    assert [(b.label, b.action, b.value, b.style) for b in mine.buttons] == [
        ("Erase everything", "mydata.forget", "all", "danger"),
        ("Erase me, keep my words anonymously", "mydata.forget", "keep", "default"),
        ("Cancel", "mydata.cancel", "", "default"),
    ]

    theirs = cora.cop(f"forget-me <@{ZED.lower()}>").message
    assert theirs.title == f"Erase what copbot holds about {ZED}?"
    assert [s.text for s in theirs.sections] == [
        "This erases their profile and settings, replies, pledges, votes and everything else "
        f"I hold about {ZED} in wound-care. It can't be undone. What they shared can also "
        "stay, with nothing left to link it to them.",
        "Only do this when they have asked for it. It will be logged (who and when, nothing else).",
    ]
    assert [(b.label, b.value) for b in theirs.buttons] == [
        ("Erase everything", f"all:{ZED.lower()}"),
        ("Erase them, keep their words anonymously", f"keep:{ZED.lower()}"),
        ("Cancel", ""),
    ]


def test_what_erasure_answers_and_logs_for_each_choice(make_app, engine, person):
    app = make_app(WELCOMING)
    cora, _, quill = busy_community(app, person)
    ben, dee = person(app, "Ben"), person(app, "Dee")
    for someone in (ben, dee):
        someone.cop("help")
    ids = member_ids(engine)

    assert cora.press("mydata.forget", f"keep:{ZED.lower()}").message.as_text() == (
        f"Done: everything I held about {ZED} is erased. What they shared stays, with "
        "nothing to link it to them."
    )
    assert cora.press("mydata.forget", "all:ben").message.as_text() == (
        "Done: everything I held about Ben is erased."
    )
    assert quill.press("mydata.forget", "keep").message.as_text() == (
        "Done: everything I held about you in wound-care is erased. What you shared stays, "
        "with nothing to link it to you. If you use copbot here again, you'll start afresh. "
        "Take care!"
    )
    assert dee.press("mydata.forget", "all").message.as_text() == (
        "Done: everything I held about you in wound-care is erased. If you use copbot here "
        "again, you'll start afresh. Take care!"
    )
    with Session(engine) as session:
        log = session.exec(select(AdminLog).order_by(AdminLog.id)).scalars().all()
    erasures = [(e.actor_member_id, e.action, e.target_member_id) for e in log][-4:]
    assert erasures == [  # who erased, never whom: the erased member's id would be a trace
        (ids["Cora"], "erased (kept anonymised) by a convener", None),
        (ids["Cora"], "erased by a convener", None),
        (None, "erased (kept anonymised)", None),
        (None, "erased", None),
    ]
    assert {e.community_id for e in log} == {1} and all(e.at == START for e in log)


async def test_the_export_is_sent_privately_and_counts_what_it_holds(make_app, platform, person):
    app = make_app(WELCOMING)
    _, zed, _ = busy_community(app, person)

    answer = zed.says("mydata")
    await app.dispatcher.drain()
    [sent] = [d for d in platform.dms(ZED.lower()) if d.key.startswith("mydata:")]
    assert sent.message.title == "Everything copbot holds about you in wound-care"
    assert "In wound-care since" in sent.text
    assert sent.message.sections[-1].text == (
        "Every detail is in the attached file (JSON), which you can keep or give to another "
        "service. /cop forget-me erases it all."
    )
    attachment = sent.message.attachment
    assert attachment is not None and attachment.filename == "copbot-wound-care-my-data.json"
    document = json.loads(attachment.content)
    assert (document["community"], document["member"]) == ("wound-care", ZED)
    assert document["exported_at"] == START.isoformat()
    rows = sum(len(r) for r in document["tables"].values())
    places = len(document["tables"])
    assert answer == (
        f"I've sent you everything I hold about you privately: {rows} records in {places} places."
    )
    assert [d for d in platform.dms() if d.key.startswith("mydata:")] == [sent]  # hers only


def test_retention_drops_what_was_delivered_before_the_period_here_only(
    make_app, engine, clock, person
):
    """Messages done with (sent, expired, dead, shown, held, cancelled) and channel posts older
    than the period go; messages still to send, newer ones and other communities' stay."""
    settings = make_settings(  # the one without a period first: it stops no one's sweep
        community(name="falls", channel="falls"), community(personal_data_retention="30 days")
    )
    app = make_app(settings)
    app.run_due()
    sweep = START + timedelta(days=40)
    cutoff = sweep - timedelta(days=30)
    old = cutoff - timedelta(minutes=1)
    with Session(engine) as session:
        here, falls = (
            session.exec(select(Community.id).where(Community.name == n)).scalars().one()
            for n in ("wound-care", "falls")
        )
        rows = [(status, here, old) for status in ("sent", "expired", "dead", "shown", "held")]
        rows += [("cancelled", here, old), ("pending", here, old), ("sending", here, old)]
        rows += [("sent", here, cutoff), ("sent", falls, old)]
        for status, where, at in rows:
            session.add(
                OutboxMessage(
                    key=f"old:{status}:{where}:{at.isoformat()}",
                    community_id=where,
                    platform="console",
                    channel_id="wound-care",
                    payload="{}",
                    status=status,
                    next_attempt_at=at,
                    created_at=at,
                )
            )
        for where, at in ((here, old), (here, cutoff), (falls, old)):
            session.add(
                ChannelPost(
                    community_id=where,
                    key=f"post:{where}:{at.isoformat()}",
                    payload="{}",
                    posted_at=at,
                )
            )
        session.commit()

    clock.set(sweep)
    assert app.run_due().ran
    with Session(engine) as session:
        kept = session.exec(select(OutboxMessage.key).where(OutboxMessage.key.startswith("old:")))
        posts = session.exec(select(ChannelPost.key)).scalars().all()
    assert sorted(kept.scalars().all()) == sorted(
        [
            f"old:pending:{here}:{old.isoformat()}",
            f"old:sending:{here}:{old.isoformat()}",
            f"old:sent:{here}:{cutoff.isoformat()}",
            f"old:sent:{falls}:{old.isoformat()}",
        ]
    )
    assert sorted(posts) == sorted(
        [f"post:{here}:{cutoff.isoformat()}", f"post:{falls}:{old.isoformat()}"]
    )


def test_retention_keeps_who_was_seen_a_period_ago_and_spares_no_role_made_convener(
    make_app, engine, clock, person
):
    """Days seen are kept coarse (the local day's start): one seen on the day exactly 30 days
    before the sweep is not yet forgotten. A convener by role, not by the file, is."""
    settings = make_settings(community(personal_data_retention="30 days"))
    app = make_app(settings)
    app.run_due()
    cora, quill = person(app, "Cora"), person(app, QUILL)
    quill.cop("help")
    cora.cop(f"role <@{QUILL.lower()}> convener")
    sweep = datetime(2027, 1, 10, tzinfo=UTC)  # midnight in London: the 9th's sweep runs late
    clock.set(sweep - timedelta(days=30, hours=-15))
    person(app, ZED).cop("help")  # seen on 11 December: that day starts 30 days before

    clock.set(sweep)
    assert app.run_due().ran
    remaining = member_ids(engine)
    assert ZED in remaining and "Cora" in remaining
    assert QUILL not in remaining


def test_the_sweep_runs_at_half_past_three_local_time_and_skips_what_it_missed(make_app, clock):
    """Daily at 03:30 in the community's timezone, from its start; after copbot was down for
    days only the latest sweep runs (each one covers everything before it)."""
    india = community(personal_data_retention="30 days", timezone="Asia/Kolkata")
    app = make_app(make_settings(india))
    started = app.run_due()  # 14:30 in Kolkata: that morning's sweep was before the start
    assert (started.ran, started.missed) == ([], [])
    clock.set(datetime(2026, 12, 1, 22, 0, tzinfo=UTC))  # 03:30 on 2 December in Kolkata
    assert app.run_due().ran == ["retention:1@2026-12-02"]
    clock.set(datetime(2026, 12, 4, 23, 0, tzinfo=UTC))  # 04:30 on the 5th: down for 3 days
    report = app.run_due()
    assert report.ran == ["retention:1@2026-12-05"]
    assert report.missed == ["retention:1@2026-12-03", "retention:1@2026-12-04"]


async def test_each_export_is_sent_and_none_outlives_her_erasure(
    make_app, engine, clock, platform, person
):
    """The file holds everything about her: a second request sends a second one, and
    erasing her leaves neither in what copbot keeps."""
    app = make_app(WELCOMING)
    zed = person(app, "Zoë Ñ")  # a name as written, not as \\u escapes
    zed.cop("plan")
    zed.cop("mydata")
    clock.advance(timedelta(minutes=5))
    zed.cop("mydata")
    await app.dispatcher.drain()
    exports = [d for d in platform.dms("zoë ñ") if d.key.startswith("mydata:")]
    assert len(exports) == 2
    content = exports[0].message.attachment.content
    assert '\n "member": "Zoë Ñ",\n' in content  # one field a line, readable as it is

    ids = member_ids(engine)
    erase(zed, "Erase everything")
    assert traces(engine, ids["Zoë Ñ"], ("Zoë Ñ",)) == []
    with Session(engine) as session:
        payloads = session.exec(select(OutboxMessage.payload)).scalars().all()
    assert not [p for p in payloads if "my-data.json" in p]


def test_a_convener_can_only_name_someone_in_their_own_community(make_app, engine, person):
    settings = make_settings(community(), community(name="falls", channel="falls"))
    app = make_app(settings)
    person(app, ZED, "falls").cop("help")  # known in falls only
    cora = person(app, "Cora")
    assert cora.says(f"forget-me <@{ZED.lower()}>") == (
        "I hold nothing about that person here: there's nothing to erase."
    )
    assert ZED in member_ids(engine)
    assert cora.press("mydata.cancel").message.as_text() == "Nothing was erased."


async def test_retention_keeps_an_email_only_communitys_conveners(make_app, engine, clock):
    """Their conveners are named in the file by address, not by a member's id: still kept."""
    from bot.commands import Actor, Inbound
    from bot.storage.tables_contact import ContactRoute
    from tests.fakes import FakePlatform

    carers = community(
        name="carers",
        platform="email",
        conveners=["cora@example.org"],
        keepers=[],
        invite=["ana@example.org", "ben@example.org"],
        personal_data_retention="30 days",
    )
    del carers["channel"]
    emailing = {
        "email": {"smtp_host": "127.0.0.1", "from_address": "copbot@example.org"},
        "web": {"base_url": "http://127.0.0.1:8080"},
    }
    app = make_app(make_settings(carers, **emailing))
    app.dispatcher._platforms["email"] = FakePlatform(name="email")
    await app.advance(START + timedelta(minutes=5))
    with Session(engine) as session:
        routes = {r.address: r.member_id for r in session.exec(select(ContactRoute)).scalars()}

    def act(address: str, kind: str, **parts: str) -> None:
        actor = Actor("email", f"member:{routes[address]}", "", None)
        app.handle(Inbound(actor, kind, **parts))  # type: ignore[arg-type]

    for address in routes:
        act(address, "button", action="email.confirm")
    act("cora@example.org", "text", text="/cop invite dee@example.org")  # after her
    with Session(engine) as session:
        routes = {r.address: r.member_id for r in session.exec(select(ContactRoute)).scalars()}
    act("dee@example.org", "button", action="email.confirm")
    assert routes["dee@example.org"] > routes["cora@example.org"]
    # A convener's button for an email member names them by an id with a colon in it.
    cora = Actor("email", f"member:{routes['cora@example.org']}", "", None)
    ben = f"member:{routes['ben@example.org']}"
    done = app.handle(Inbound(cora, "button", action="mydata.forget", value=f"all:{ben}"))
    assert "is erased" in done.message.as_text()

    clock.set(START + timedelta(days=40))
    assert app.run_due().ran
    with Session(engine) as session:
        left = {m.id for m in session.exec(select(Member)).scalars()}
    assert left == {routes["cora@example.org"]}


def test_a_sweep_more_than_a_day_late_is_not_run(make_app, clock):
    """The night the clocks go back is 25 hours long: by 03:00 on 31 October 2027 the last
    sweep (03:30 BST on the 30th) is 24½ hours old, too late; the next one runs on time."""
    clock.set(datetime(2027, 10, 28, 12, 0, tzinfo=UTC))  # the community starts then
    app = make_app(make_settings(community(personal_data_retention="30 days")))
    app.run_due()
    clock.set(datetime(2027, 10, 31, 3, 0, tzinfo=UTC))
    late = app.run_due()
    assert late.ran == [] and late.missed[-1] == "retention:1@2027-10-30"
    clock.set(datetime(2027, 10, 31, 3, 30, tzinfo=UTC))
    assert app.run_due().ran == ["retention:1@2027-10-31"]
