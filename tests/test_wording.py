"""What members read reads as a person wrote it: nouns agree with their numbers.

A typical few weeks of a community, through commands, collecting every answer and every
message delivered; none may say "member(s)", "successs" or "1 members"."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.clock import ManualClock
from bot.domain.text import plural, plural_of
from tests.conftest import community, make_settings

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
#: "1 members", "1 records", "1 successes": a count of one with a plural noun.
_ONE_PLURAL = re.compile(
    r"(?<![\d.,#/:])\b1 (?:new |open |more )?"
    r"(members|records|places|parts|rows|messages|votes|dots|cheers|successes|challenges|"
    r"check-ins|stories|contributions|pledges|wins|days|hours|weeks|people|problems)\b"
)


def test_plural_of_english_nouns():
    cases = {
        "success": "successes",
        "story": "stories",
        "day": "days",
        "check-in": "check-ins",
        "open pledge": "open pledges",
        "match": "matches",
        "wish": "wishes",
        "box": "boxes",
        "win": "wins",
        "learning": "learning",
        "Success": "Successes",
    }
    assert {word: plural_of(word) for word in cases} == cases
    assert plural(1, "member") == "1 member"
    assert plural(0, "member") == "0 members"
    assert plural(2, "success") == "2 successes"
    assert plural(3, "person", "people") == "3 people"


def _problems(text: str) -> list[str]:
    found = [m.group(0) for m in re.finditer(r"\w*\(s\)|\w*sss\w*", text)]
    return found + [m.group(0) for m in _ONE_PLURAL.finditer(text)]


async def test_a_typical_run_reads_naturally(make_app, person, platform, engine):
    clock = ManualClock(START)
    settings = make_settings(community(checkin={"open_for": "2 days", "remind_after": "off"}))
    app = make_app(settings, clock=clock)
    said: list[str] = []
    kit, cora, ana, ben = (person(app, n) for n in ("Kit", "Cora", "Ana", "Ben"))

    def run(who, text: str) -> None:
        response = who.cop(text)
        if response.message is not None:
            said.append(response.message.as_text())

    for who in (kit, cora, ana, ben):
        run(who, "help")
    run(cora, "checkin open")
    run(ana, "reply success Fewer missed visits")
    run(ben, "reply success Quicker referrals")
    run(ben, "reply challenge Discharge letters arrive late")
    run(ana, "reply learning Photos help wound reviews")
    run(ana, "win We cut missed visits by a third")
    run(ben, "win cheer 1")
    run(ana, "wins")
    run(ana, "pledge Try the new dressing by next friday")
    run(ana, "pledges")
    run(kit, "pledges")
    run(ben, "plan")
    run(cora, "planners")
    run(cora, 'poll open "Which topic next?" "Leg ulcers" "Burns"')
    run(ana, "vote 1 1")
    run(cora, "poll 1")
    run(cora, "meeting next 2026-11-20 14:00 Leg ulcers")
    run(cora, "meeting")
    await app.advance(START + timedelta(days=3))
    run(cora, "poll close 1")
    run(ana, "mydata")
    run(cora, "undelivered")
    clock.set(START + timedelta(days=7, hours=1))
    for which in ("last-week", "this-week", "since-meeting"):
        run(kit, f"digest {which}")
    await app.advance(START + timedelta(days=7, hours=2))
    run(kit, "export")
    run(kit, "newsletter preview")
    said += [d.text for d in platform.sent]

    assert any("2 successes" in text for text in said)  # the run does reach the plurals
    assert any("1 member offered" in text for text in said)
    problems = {p for text in said for p in _problems(text)}
    assert problems == set(), problems
