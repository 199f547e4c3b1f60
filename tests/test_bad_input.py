"""Mistakes, stale buttons and forged values: a short friendly answer, and nothing changes.

Every case runs on real SQLite and real PostgreSQL. "Nothing changes" is checked by
reading every row of every table before and after each attempt, and by delivering
whatever is due. Related cases share one world (building one per case would be slow);
each case is still checked on its own, and a failure lists every case that went wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, select
from sqlmodel import Session, SQLModel, col

import bot.storage.schema  # noqa: F401  (registers every table, so the snapshot sees them all)
from bot.bootstrap import App
from bot.commands import Actor, Inbound
from bot.messages import Response
from bot.storage.tables import CheckIn, Community
from tests.conftest import Person, community, make_settings
from tests.fakes import FakePlatform

MASS_MENTIONS = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!here|here>",
    "<!subteam^S123>",
    "<!subteam^S123|@nurses>",
    "@everyone",
    "@here",
    "@Channel",
    "<@&123456>",
)
REPLY_USAGE = "Usage: /cop reply <kind> [anonymously] <text>"
JUNK = "z" * 1500  # a long phrase must not come back in full

Act = Callable[[Person], Response]


@dataclass
class World:
    """Two communities. In wound-care a closed check-in and an open one; in foot-care
    another open one. Cora convenes; Ana, and Kit (a keeper by configuration) are members."""

    app: App
    platform: FakePlatform
    people: dict[str, Person]
    ids: dict[str, int]


@pytest.fixture
async def world(make_app, person, platform) -> World:
    settings = make_settings(community(), community(name="foot-care", channel="foot-care"))
    app = make_app(settings, migrate=False)  # the `engine` fixture has migrated it
    people = {name.lower(): person(app, name) for name in ("Cora", "Ana", "Kit")}
    for someone in people.values():
        someone.cop("help")  # the first interaction records a member
    people["cora"].cop("checkin open")
    people["cora"].cop("checkin open")  # closes (and summarises) the first, opens a second
    person(app, "Cora", "foot-care").cop("checkin open")
    await app.dispatcher.drain()
    with Session(app.engine) as session:
        rows = session.execute(
            select(CheckIn.id, CheckIn.closed_at, Community.name)
            .join(Community, col(Community.id) == col(CheckIn.community_id))
            .order_by(col(CheckIn.id))
        ).all()
    closed, open_, elsewhere = rows
    assert closed.closed_at is not None and open_.closed_at is None
    assert elsewhere.name == "foot-care"
    ids = {"closed": closed.id, "open": open_.id, "elsewhere": elsewhere.id}
    return World(app, platform, people, ids)


_PRESENT: dict[str, set[str]] = {}  # tables in each database, by URL


Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(engine: Engine) -> Snapshot:
    """Every row of every copbot table in the database."""
    url = str(engine.url)
    if url not in _PRESENT:
        _PRESENT[url] = set(inspect(engine).get_table_names())
    present = _PRESENT[url]
    found: Snapshot = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in present:
                rows = connection.execute(select(table).order_by(*table.primary_key.columns))
                found[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return found


async def refused(
    world: World, who: str, act: Act, before: Snapshot | None
) -> tuple[str, Snapshot]:
    """Act as `who`; check they got a short answer and nothing changed. `before` is the
    database as it is now, if already read. Returns the answer and the (same) database."""
    engine = world.app.engine
    before = before or snapshot(engine)
    assert {"member", "checkin", "checkin_reply", "outbox"} <= before.keys()
    delivered = list(world.platform.sent)

    response = act(world.people[who])

    assert response.form is None, "a refusal opened a form"
    assert response.message is not None, "the person got no answer"
    text = response.message.as_text()
    assert len(text) <= 300, f"the answer is not short: {text[:400]!r}"
    await world.app.dispatcher.drain()
    after = snapshot(engine)
    changed = [table for table in before if after.get(table) != before[table]]
    assert not changed, f"changed: {changed}"
    assert world.platform.sent == delivered, "something was delivered"
    return text, after


@dataclass(frozen=True)
class Case:
    """One bad input: who does it, how, and what the answer must say."""

    label: str
    who: str
    act: Callable[[Person, dict[str, int]], Response]
    expected: Sequence[str]


async def check_all(world: World, cases: Sequence[Case]) -> None:
    """Run every case against the same world; report every one that went wrong."""
    problems = []
    now: Snapshot | None = None  # the database as the last case left it, when known
    for case in cases:

        def act(person: Person, case: Case = case) -> Response:
            return case.act(person, world.ids)

        try:
            answer, now = await refused(world, case.who, act, now)
            missing = [fragment for fragment in case.expected if fragment not in answer]
            assert not missing, f"the answer {answer!r} does not say {missing}"
        except AssertionError as error:
            problems.append(f"{case.label}: {error}".splitlines()[0])
            now = None
    assert not problems, "\n".join(problems)


def typed(who: str, text: str, *expected: str) -> Case:
    return Case(f"/cop {text[:60]}", who, lambda p, _ids: p.cop(text), expected)


def pressed(action: str, value: str, *expected: str) -> Case:
    return Case(
        f"button {action}={value}",
        "ana",
        lambda p, ids: p.press(action, value.format(**ids)),
        expected,
    )


def submitted(form_id: str, metadata: str, values: dict[str, str], *expected: str) -> Case:
    return Case(
        f"form {form_id} [{metadata}] {values}",
        "ana",
        lambda p, ids: p.submit(form_id, metadata.format(**ids), **values),
        expected,
    )


# ---- typed commands, verb by verb ------------------------------------------------------

COMMANDS = {
    "unknown-verb": [
        typed("ana", "frobnicate", "I don't know '/cop frobnicate'", "Try /cop help"),
        typed("ana", "frobnicate everything now", "I don't know '/cop frobnicate'"),
        typed("ana", "help frobnicate", "There's no help on 'frobnicate'", "Try /cop help"),
    ],
    "reply": [
        typed("ana", "reply success", "add your words", REPLY_USAGE),
        typed("ana", "reply success anonymously", "add your words", REPLY_USAGE),
        typed("ana", "reply withdraw", REPLY_USAGE),
        typed("ana", "reply triumph It worked", "'triumph' isn't a kind of reply", "success"),
        typed("ana", "reply withdraw triumph", "'triumph' isn't a kind of reply", "success"),
        typed("ana", "reply withdraw success", "You haven't shared a success"),
    ],
    "skip": [
        typed("ana", "skip until 31 Feb", "'31 Feb'", "February has no 31st"),
        typed("ana", "skip until yesterday", "'yesterday' is in the past", "Try"),
        typed("ana", "skip until", "Usage: /cop skip"),
        typed("ana", "skip sideways", "Usage: /cop skip"),
        typed("ana", f"skip until {JUNK}", "couldn't read"),
        typed("ana", f"skip until in {JUNK} days", "couldn't read"),
    ],
    "me": [
        typed("ana", "me timezone Mars/Olympus", "'Mars/Olympus' is not a timezone", "Europe/"),
        typed("ana", "me timezone", "Usage: /cop me"),
        typed("ana", "me quiet 25:00-07:00", "'25:00-07:00'", "hours only go up to 23"),
        typed("ana", "me quiet 22:00-22:00", "start and end at the same time"),
        typed("ana", "me quiet", "Usage: /cop me"),
        typed("ana", "me sideways", "Usage: /cop me"),
        typed("ana", "me mute loudly", "Usage: /cop me"),
        typed("ana", f"me timezone {'z' * 300}", "not a timezone I know"),
        typed("ana", f"me quiet {JUNK}", "couldn't read"),
        typed("ana", f"me quiet 9-{JUNK}", "couldn't read"),
    ],
    "role": [
        typed("cora", "role nobody convener", "Usage: /cop role"),
        typed("cora", "role <@ana> overlord", "Usage: /cop role"),
        typed("cora", "role <@ana>", "Usage: /cop role"),
        typed("cora", "role <@ghost> convener", "I don't know that person yet"),
        typed("cora", "role <@kit> member", "configuration file"),
        typed("ana", "role <@ana> convener", "Only conveners can change roles"),
    ],
    "checkin": [
        typed("cora", "checkin sideways", "Usage: /cop checkin"),
        typed("ana", "checkin open", "Only conveners can open a check-in"),
        typed("ana", "checkin close", "Only conveners can close a check-in"),
    ],
    "undelivered": [
        typed("cora", "undelivered sideways", "Usage: /cop undelivered"),
        typed("ana", "undelivered", "Only conveners can see undelivered messages"),
        typed("ana", "undelivered retry", "Only conveners can retry undelivered messages"),
    ],
}


WHOSE = {
    "members-verbs": ("unknown-verb", "reply", "skip", "me"),
    "conveners-verbs": ("role", "checkin", "undelivered"),
}


@pytest.mark.parametrize("whose", WHOSE)
async def test_a_malformed_command_is_explained_and_changes_nothing(world, whose):
    await check_all(world, [case for verb in WHOSE[whose] for case in COMMANDS[verb]])


# ---- what members write ----------------------------------------------------------------

WRITING: dict[str, Callable[[str], Callable[[Person, dict[str, int]], Response]]] = {
    "typed": lambda text: lambda p, _ids: p.cop(f"reply success {text}"),
    "typed anonymously": lambda text: lambda p, _ids: p.cop(f"reply learning anonymously {text}"),
    "form": lambda text: (
        lambda p, ids: p.submit(
            "checkin.reply", f"{ids['open']}:challenge", text=text, share="named"
        )
    ),
}


async def test_a_mass_mention_is_refused_wherever_it_is_written(world):
    cases = [
        Case(
            f"{surface}: {token}",
            "ana",
            WRITING[surface](f"Great news {token} the new dressings work"),
            (f"contains '{token}'", "notify everyone", "take it out"),
        )
        for surface in WRITING
        for token in MASS_MENTIONS
    ]
    await check_all(world, cases)


async def test_overlong_or_empty_text_is_refused(world):
    cases = [
        Case(
            f"{surface}, {length} characters",
            "ana",
            WRITING[surface]("x" * length),
            (f"{length:,} characters", "the limit is 2,000", "shorten"),
        )
        for surface in WRITING
        for length in (2001, 5000)
    ]
    cases += [
        submitted("checkin.reply", "{open}:success", {"text": blank}, "Your success is empty")
        for blank in ("", "   ", "\n\t \n")
    ]
    cases.append(submitted("checkin.reply", "{open}:success", {}, "Your success is empty"))
    cases.append(typed("ana", "reply learning    ", "add your words", REPLY_USAGE))
    await check_all(world, cases)
    # the limit itself is fine
    assert "Thank you!" in world.people["ana"].says(f"reply success {'y' * 2000}")


# ---- stale or forged buttons and forms -------------------------------------------------

BUTTONS = {
    "malformed-value": [
        pressed("checkin.reply", "abc", "out of date", "/cop help"),
        pressed("checkin.reply", "", "out of date"),
        pressed("checkin.reply", "{open}", "out of date"),
        pressed("checkin.reply", "{open}:triumph", "out of date", "/cop checkin"),
        pressed("checkin.skip", "abc", "out of date"),
        pressed("checkin.skip", "-1", "out of date"),
    ],
    "stale-or-foreign-id": [
        pressed("checkin.reply", "999999:success", "can't find that check-in"),
        pressed("checkin.reply", "{closed}:success", "That check-in has closed"),
        pressed("checkin.reply", "{elsewhere}:success", "can't find that check-in"),
        pressed("checkin.skip", "{closed}", "That check-in has closed"),
        pressed("checkin.skip", "{elsewhere}", "can't find that check-in"),
    ],
    "unknown-action": [
        pressed("checkin.explode", "1", "don't recognise that button", "/cop help"),
        pressed("", "", "don't recognise that button"),
    ],
}


FORMS = {
    "malformed-metadata": [
        submitted("checkin.reply", "abc", {"text": "Hello"}, "out of date", "/cop help"),
        submitted("checkin.reply", "", {"text": "Hello"}, "out of date"),
        submitted("checkin.reply", "{open}:triumph", {"text": "Hello"}, "out of date"),
        submitted(
            "checkin.reply", "{open}:success", {"text": "Hi", "share": "loud"}, "choose whether"
        ),
    ],
    "stale-or-foreign-id": [
        submitted("checkin.reply", "999999:success", {"text": "Hi"}, "can't find that check-in"),
        submitted("checkin.reply", "{closed}:success", {"text": "Hi"}, "check-in has closed"),
        submitted(
            "checkin.reply", "{elsewhere}:success", {"text": "Hi"}, "can't find that check-in"
        ),
    ],
    "unknown-form": [
        submitted("checkin.vote", "{open}:success", {"text": "Hi"}, "don't recognise that form"),
        submitted("", "", {}, "don't recognise that form"),
    ],
}


@pytest.mark.parametrize("where", ["buttons", "forms"])
async def test_a_stale_or_forged_button_or_form_is_refused(world, where):
    groups = BUTTONS if where == "buttons" else FORMS
    await check_all(world, [case for cases in groups.values() for case in cases])


# ---- from the wrong place --------------------------------------------------------------


async def test_a_command_from_outside_a_community_is_refused(world):
    def from_(actor: Actor) -> Callable[[Person, dict[str, int]], Response]:
        inbound = Inbound(actor, "text", text="/cop me timezone Europe/Paris")
        return lambda _p, _ids: world.app.handle(inbound)

    not_here = "isn't set up for this channel"
    which = "use /cop in your community's channel"
    cases = [
        Case("unknown channel", "ana", from_(Actor("console", "ana", "Ana", "random")), [not_here]),
        Case(
            "other platform", "ana", from_(Actor("slack", "ana", "Ana", "wound-care")), [not_here]
        ),
        Case("DM from a stranger", "ana", from_(Actor("console", "zed", "Zed", None)), [which]),
        Case("DM, two communities", "ana", from_(Actor("console", "cora", "Cora", None)), [which]),
    ]
    await check_all(world, cases)
