"""Someone holding a full copy of the database (SQLite or PostgreSQL) and the DEBUG logs
tries to link each kind of anonymous contribution to its author: while it is open and after
it closes, without the secret key and with it. The only link the threat model allows is the
one the key gives while the item is open."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import SQLModel

import bot.storage.schema  # noqa: F401  (every table on SQLModel.metadata)
from bot.secret_key import default_key_file
from tests.conftest import START

ANON_CHALLENGE = "ANON-CHALLENGE our manager dismisses every incident report"
ANON_LEARNING = "ANON-LEARNING escalate in writing"  # was named first, then made anonymous
ANON_WIN = "ANON-WIN we finally got a dressing trolley"
ANON_STORY = "ANON-STORY the photo review halved our wound reviews"
ANON_HELP = "ANON-HELP someone to practise the pain scale with"
ANONYMOUS_TEXTS = (ANON_CHALLENGE, ANON_LEARNING, ANON_WIN, ANON_STORY, ANON_HELP)
PEOPLE = ("Cora", "Kit", "Ana", "Ben", "Dee", "Eve")


def dump(engine: Engine) -> list[tuple[str, dict[str, Any]]]:
    """Every row of every table, in storage order (what a dump shows)."""
    rows = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(select(table)).mappings():
                rows.append((table.name, dict(row)))
    return rows


def member_columns() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "member" for fk in column.foreign_keys):
                found.setdefault(table.name, []).append(column.name)
    return found


def play(app, person) -> dict[str, Any]:
    """A community where Ana and Ben contribute anonymously (and by name) in every way."""
    people = {name: person(app, name) for name in PEOPLE}
    for someone in people.values():
        someone.cop("help")
    cora, ana, ben, dee = people["Cora"], people["Ana"], people["Ben"], people["Dee"]
    cora.cop("checkin open")
    ana.cop("reply success Named success by Ana")
    ana.cop(f"reply challenge anonymously {ANON_CHALLENGE}")
    ben.cop(f"reply learning {ANON_LEARNING}")
    ben.cop(f"reply learning anonymously {ANON_LEARNING}")
    dee.cop("reply challenge Named challenge by Dee")
    cora.cop('poll open "Where next?" "Leeds" "York" --anonymous')
    ana.cop("vote 1 1")
    ben.cop("vote 1 2")
    ana.cop(f"win anonymously {ANON_WIN}")
    ben.cop("win Named win by Ben")
    tell_story(ben, ANON_STORY, "anonymous")
    tell_story(ana, "Named story by Ana", "named")
    ana.cop("pledge Try the new leaflet by 2026-12-02 10:00")
    return people


async def ask_for_help_anonymously(app, platform, ana, ben) -> None:
    """Ana's pledge falls due; she asks the channel for help anonymously and Ben offers."""
    await app.advance(START + timedelta(days=1, hours=2))
    [follow_up] = [d for d in platform.dms("ana") if d.key.startswith("pledge:")]
    [need_help] = [b for b in follow_up.message.buttons if b.label == "Need help"]
    form = ana.press(need_help.action, need_help.value).form
    ana.submit(form.form_id, form.metadata, help=ANON_HELP, share="anonymous")
    await app.dispatcher.drain()
    [request] = platform.titled("Can anyone help?")
    [offer] = request.message.buttons
    assert "said in the channel" in ben.press(offer.action, offer.value).message.as_text()


def tell_story(someone, what: str, consent: str) -> None:
    [button] = someone.cop("story").message.buttons
    form = someone.press(button.action, button.value).form
    fields = {"what": what, "difference": "it made a difference", "cycle": "applied"}
    someone.submit(form.form_id, form.metadata, consent=consent, **fields)


def ids_of(engine: Engine) -> dict[str, int]:
    return {row["platform_user_id"]: row["id"] for table, row in dump(engine) if table == "member"}


def linking_queries(engine: Engine, ana_id: int, ben_id: int) -> list[str]:
    """Every link the database alone gives between an anonymous item and Ana or Ben."""
    links = []
    rows = dump(engine)
    fks = member_columns()
    authors = {ana_id: "ana", ben_id: "ben"}
    anonymous_rows = [
        (table, row)
        for table, row in rows
        if any(text in str(value) for value in row.values() for text in ANONYMOUS_TEXTS)
        or (table == "ballot" and row["member_id"] is None)
    ]
    kinds = {"checkin_reply", "ballot", "win", "story", "help_request"}
    assert {t for t, _ in anonymous_rows} >= kinds
    for table, row in anonymous_rows:
        # 1. a member id or platform id beside anonymous content
        for column in fks.get(table, []):
            if row[column] in authors:
                links.append(f"{table}.{column} beside anonymous content")
        if any(str(v) in authors.values() for v in row.values()):
            links.append(f"{table}: a platform id beside anonymous content")
        # 2. a self-join: the row's key appears in another row
        for column in ("author_key", "voter_key"):
            key = row.get(column)
            if key is None:
                continue
            others = [
                t for t, other in rows if other is not row and key in map(str, other.values())
            ]
            if others:
                links.append(f"{table}.{column} shared with {others}")
        # 3. an id a sequence handed out (its order gives its time)
        sequenced = isinstance(row.get("id"), int) and row["id"] > 0
        if sequenced and table not in ("outbox", "win"):  # a win's number is public anyway
            links.append(f"{table}.id {row['id']} follows insertion order")
    # 4. activity: attributed, exact, or in sequence
    for table, row in rows:
        if table != "activity":
            continue
        if row["member_id"] == ben_id and row["kind"] == "replied":
            links.append("activity: Ben's reply (now anonymous) still attributed to him")
        if row["member_id"] is None:
            at = row["at"]
            if (at.hour, at.minute, at.second) not in ((0, 0, 0), (23, 0, 0)):
                links.append(f"activity: anonymous {row['kind']} at its exact time {at}")
            if row["id"] > 0:
                links.append("activity: anonymous row id follows insertion order")
    named_replies = [
        r
        for t, r in rows
        if t == "activity" and r["member_id"] == ana_id and r["kind"] == "replied"
    ]
    if len(named_replies) != 1:  # her named success only
        links.append(f"activity: {len(named_replies)} replies attributed to Ana")
    # 5. the outbox: a private message about an anonymous item, or reminders that skip them
    for table, row in rows:
        private = table == "outbox" and row["user_id"] in authors.values()
        if private and any(text in row["payload"] for text in ANONYMOUS_TEXTS):
            links.append("outbox: a private message to the author holds their words")
    for prefix, anonymous_authors in (("poll:", {"ana", "ben"}), ("checkin:", {"ben"})):
        reminded = {
            row["user_id"]
            for table, row in rows
            if table == "outbox" and row["key"].startswith(prefix) and ":remind:" in row["key"]
        }
        if reminded and not anonymous_authors <= reminded:
            links.append(f"outbox: {prefix} reminders skip anonymous authors ({reminded})")
    return links


def links_with_the_key(engine: Engine, key: bytes) -> list[str]:
    """Author keys in the dump that someone with the secret key recomputes for a member."""
    found = []
    members = ids_of(engine).values()
    rows = dump(engine)
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            spec = column.info.get("author_key")
            if spec is None:
                continue
            for name, row in rows:
                if name != table.name or row[column.name] is None:
                    continue
                if row.get("member_id") is not None:
                    continue  # a named row: its author is in plain sight anyway
                for member_id in members:
                    message = f"{spec['kind'].format(**row)}|{row[spec['scope']]}|{member_id}"
                    expected = hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
                    if row[column.name] == expected:
                        found.append(f"{table.name}.{column.name} -> member {member_id}")
    return found


def log_leaks(caplog) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if any(text in record.getMessage() for text in ANONYMOUS_TEXTS)
    ]


async def test_database_and_logs_link_no_anonymous_item_to_its_author(
    make_app, engine, platform, person, caplog
):
    caplog.set_level(logging.DEBUG)
    app = make_app()
    people = play(app, person)
    await ask_for_help_anonymously(app, platform, people["Ana"], people["Ben"])
    await app.advance(START + timedelta(days=3, minutes=1))  # the reminders go out
    ids = ids_of(engine)
    key = default_key_file().read_text().strip().encode()

    # Open: nothing links without the key; with it (kept outside the database), the
    # author can be found — the one link the threat model allows while it is open.
    assert linking_queries(engine, ids["ana"], ids["ben"]) == []
    assert len(links_with_the_key(engine, key)) >= 7  # replies, ballots, win, story, request
    assert ANON_STORY[:40] in people["Ben"].says("stories")  # the key is what lets Ben see it
    assert log_leaks(caplog) == []

    # Closed (check-in and poll closed, the win's week to withdraw it gone): not even the key
    # links anything any more.
    await app.advance(START + timedelta(days=9))
    assert linking_queries(engine, ids["ana"], ids["ben"]) == []
    assert links_with_the_key(engine, key) == []
    assert log_leaks(caplog) == []


async def test_anonymous_rows_keep_neither_insertion_order_nor_time(make_app, engine, person):
    app = make_app()
    cora = person(app, "Cora")
    cora.cop("checkin open")
    texts = [f"challenge number {n}" for n in range(8)]
    for n, text in enumerate(texts):
        person(app, f"P{n}").cop(f"reply challenge anonymously {text}")

    def stored() -> tuple[list[int], list[str]]:
        rows = [r for t, r in dump(engine) if t == "checkin_reply"]
        return [r["id"] for r in rows], [r["text"] for r in rows]

    ids, order = stored()
    by_id = [text for _, text in sorted(zip(ids, order, strict=True))]
    assert all(i < 0 for i in ids) and by_id != texts  # random ids, not a sequence
    cora.cop("checkin close")
    ids, order = stored()
    assert all(i < 0 for i in ids)
    assert order != texts  # rewritten in a random order at the close
    activity = [r for t, r in dump(engine) if t == "activity" and r["member_id"] is None]
    assert len(activity) == 8
    # Counted at the close, dated only by its day (London's midnight; UTC in December).
    assert {r["at"].replace(tzinfo=None).isoformat() for r in activity} == {"2026-12-01T00:00:00"}


async def test_words_held_by_the_guard_keep_no_member_beside_an_anonymous_reply(
    make_app, engine, person
):
    app = make_app()
    cora, ana, ben = person(app, "Cora"), person(app, "Ana"), person(app, "Ben")
    cora.cop("checkin open")
    ana.cop("reply success Named and not held")  # a row of hers at the same instant
    held = ana.cop("reply challenge anonymously DOB 01/02/1950 Mrs K is stuck at home")
    buttons = {b.label: b for b in held.message.buttons}
    named = ben.cop("reply learning ring 0161 496 0000")  # a named draft keeps its member

    [anonymous, kept] = sorted(
        (r for t, r in dump(engine) if t == "guard_draft"), key=lambda r: r["member_id"] or 0
    )
    ids = ids_of(engine)
    assert anonymous["member_id"] is None and ids["ana"] not in anonymous.values()
    assert anonymous["id"] < 0  # a random id, not the next number
    at = anonymous["created_at"]
    assert (at.hour, at.minute) in ((0, 0), (23, 0)) and at.date() > START.date()
    assert kept["member_id"] == ids["ben"] and named.message is not None

    # Only Ana can act on her held words, and they go out anonymously.
    confirm = buttons["Post anyway"]
    assert "no longer held" in ben.press(confirm.action, confirm.value).message.as_text()
    assert "anonymously" in ana.press(confirm.action, confirm.value).message.as_text()
    replies = [r for t, r in dump(engine) if t == "checkin_reply" and r["anonymous"]]
    assert [r["text"] for r in replies] == ["DOB 01/02/1950 Mrs K is stuck at home"]
    assert [r for t, r in dump(engine) if t == "guard_draft" and r["member_id"] is None] == []


async def test_a_first_act_that_is_anonymous_is_not_dated_by_joining_or_the_welcome(
    make_app, engine, clock, platform, person
):
    from tests.conftest import community, make_settings

    app = make_app(make_settings(community(welcome={"enabled": True})))
    clock.set(START + timedelta(hours=5, minutes=17, seconds=3))  # 14:17:03 in London
    posted = person(app, "Ana").cop(f"win anonymously {ANON_WIN}")
    assert "Posted anonymously" in posted.message.as_text()
    named = person(app, "Ben").cop("win Named win by Ben")  # a named first act: welcomed now
    assert "Posted" in named.message.as_text()
    await app.dispatcher.drain()

    rows = dump(engine)
    [win] = [r for t, r in rows if t == "win" and r["anonymous"]]
    [ana] = [r for t, r in rows if t == "member" and r["platform_user_id"] == "ana"]
    hers = [ana] + [r for t, r in rows if t == "outbox" and r["user_id"] == "ana"]
    # The anonymous win is posted at once (the channel sees that); nothing of Ana's says
    # when she arrived beyond the day, and her welcome waits for a later slot.
    instant = win["created_at"]
    assert [r for r in hers for v in r.values() if v == instant] == []
    assert ana["joined_at"].hour == 0 and ana["joined_at"].minute == 0
    assert [d.target for d in platform.dms() if "Welcome" in d.message.title] == ["ben"]
    await app.advance(clock.now() + timedelta(hours=3))
    welcomed = [d.target for d in platform.dms() if "Welcome" in d.message.title]
    assert sorted(welcomed) == ["ana", "ben"]
