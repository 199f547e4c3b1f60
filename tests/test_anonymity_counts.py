"""The channel cannot subtract its way to an anonymous author.

Someone in the channel takes every count the check-in summary shows, and the names on the
named replies, and works out every way the anonymous replies could have been written
(one reply of each kind per person). If in every such way one anonymous reply has the same
author, the summary gave them away. Played over whole check-ins with 1, 2 and 5 repliers,
from the point of view of every person in the channel."""

from __future__ import annotations

import itertools
import re

import pytest

from bot.commands import REPLY_KINDS
from tests.conftest import community, make_settings

PEOPLE = ("Cora", "Kit", "Ana", "Ben", "Dee", "Eve")
KIND_WORDS = {"success": "Success", "challenge": "Challenge", "learning": "Learning"}


def read_summary(text: str) -> tuple[set[tuple[str, str]], list[tuple[str, str]], dict]:
    """(named (person, kind) pairs, anonymous (text, kind) items, every stated count)."""
    named: set[tuple[str, str]] = set()
    anonymous: list[tuple[str, str]] = []
    counts: dict[str, int] = {}
    kind = None
    for line in text.splitlines():
        line = line.strip()
        heading = re.fullmatch(r"(Success|Challenge|Learning) \((\d+)\)", line)
        if heading:
            kind = next(k for k, w in KIND_WORDS.items() if w == heading.group(1))
            counts[f"total:{kind}"] = int(heading.group(2))
            continue
        item = re.fullmatch(r"• (.*) — (.*)", line)
        if item and kind:
            if item.group(2) == "(shared anonymously)":
                anonymous.append((item.group(1), kind))
            else:
                named.add((item.group(2).lower(), kind))
            continue
        for found in re.finditer(r"(\d+) of (\d+) (?:members|people) (?:shared|replied)", line):
            counts["responders"] = int(found.group(1))
            line = line.replace(found.group(0), "")
        for found in re.finditer(r"(Success|Challenge|Learning): (\d+)", line):
            kind_of = next(k for k, w in KIND_WORDS.items() if w == found.group(1))
            counts[f"total:{kind_of}"] = int(found.group(2))
            line = line.replace(found.group(0), "")
        assert not re.search(r"\d", line), f"a count the test cannot interpret: {line!r}"
    return named, anonymous, counts


def identified(
    people: list[str],
    named: set[tuple[str, str]],
    anonymous: list[tuple[str, str]],
    counts: dict[str, int],
    truth: dict[int, str],
) -> list[str]:
    """Anonymous items whose author some viewer can name from what the channel shows."""
    worlds = []
    for authors in itertools.product(people, repeat=len(anonymous)):
        slots = set(named)
        fits = True
        for author, (_, kind) in zip(authors, anonymous, strict=True):
            if (author, kind) in slots:
                fits = False
                break
            slots.add((author, kind))
        if not fits:
            continue
        stats = {"responders": len({p for p, _ in slots})}
        stats |= {f"total:{k}": sum(1 for _, kk in slots if kk == k) for k in REPLY_KINDS}
        if all(stats[name] == value for name, value in counts.items()):
            worlds.append(authors)
    assert tuple(truth[i] for i in range(len(anonymous))) in worlds  # the truth fits
    found = []
    for viewer in people:
        mine = {i for i, author in truth.items() if author == viewer}
        theirs = [
            w for w in worlds if all((w[i] == viewer) == (i in mine) for i in range(len(anonymous)))
        ]
        for i in range(len(anonymous)):
            if i in mine:
                continue
            candidates = {w[i] for w in theirs}
            if len(candidates) == 1:
                found.append(f"{viewer} can tell that {truth[i]} wrote {anonymous[i][0]!r}")
    return found


@pytest.mark.parametrize("repliers", [1, 2, 5])
async def test_no_count_in_the_summary_names_an_anonymous_author(
    make_app, platform, person, repliers
):
    app = make_app()
    people = {name.lower(): person(app, name) for name in PEOPLE}
    for someone in people.values():
        someone.cop("help")
    people["cora"].cop("checkin open")
    order = ["ana", "ben", "dee", "eve", "kit"][:repliers]
    written: dict[str, str] = {}
    for n, who in enumerate(order):
        # Each replier shares a success with their name and a challenge anonymously; the
        # last of five shares only an anonymous learning.
        if repliers == 5 and n == 4:
            written[f"anonymous learning {who}"] = who
            people[who].cop(f"reply learning anonymously anonymous learning {who}")
            continue
        people[who].cop(f"reply success named success {who}")
        written[f"anonymous challenge {who}"] = who
        people[who].cop(f"reply challenge anonymously anonymous challenge {who}")
    people["cora"].cop("checkin close")
    await app.dispatcher.drain()
    [summary] = platform.titled("Our check-in has closed")

    named, anonymous, counts = read_summary(summary.text)
    assert len(anonymous) == len(written)  # every anonymous reply is shared…
    truth = {i: written[text] for i, (text, _) in enumerate(anonymous)}
    everyone = [name.lower() for name in PEOPLE]
    assert identified(everyone, named, anonymous, counts, truth) == []  # …and none is named


async def test_anonymous_replies_are_held_back_where_too_few_could_have_written_them(
    make_app, platform, person
):
    app = make_app(make_settings(community(keepers=[])))
    cora, ana, ben = (person(app, n) for n in ("Cora", "Ana", "Ben"))
    ben.cop("help")
    cora.cop("checkin open")
    ana.cop("reply success The new rota works")
    ben.cop("reply success anonymously Families call us back")
    cora.cop("checkin close")
    await app.dispatcher.drain()
    [summary] = platform.titled("Our check-in has closed")
    # Three people, one named success: only two could have written an anonymous one.
    assert "Families call us back" not in summary.text
    assert "Anonymous success replies are not shown" in summary.text
    named, anonymous, _ = read_summary(summary.text)
    assert anonymous == [] and named == {("ana", "success")}
