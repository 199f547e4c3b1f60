"""The patient-identifiable text guard's finder, on a labelled corpus and on known cases."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from bench.identifiers import evaluate
from bot.domain.identifiers import find_identifiers, is_nhs_number, nhs_check_digit
from tests.data.identifier_corpus import TODAY, check_digit, examples, valid_nhs_numbers


def kinds(text: str) -> set[str]:
    return {f.kind for f in find_identifiers(text, today=TODAY)}


def test_corpus_is_big_enough_and_labelled():
    corpus = examples()
    assert sum(e.positive for e in corpus) >= 50
    assert sum(not e.positive for e in corpus) >= 50
    assert len({e.text for e in corpus}) == len(corpus)


def test_precision_and_recall_on_the_corpus():
    result = evaluate()
    nhs = result.per_kind["nhs_number"]
    # An NHS number is the one identifier that names a patient on its own: miss none.
    assert nhs.recall == 1.0 and nhs.tp >= 20
    # Recall matters most (a miss may expose a patient; a false alarm costs one click), so
    # its floor is high. Precision is bounded by design: about 1 in 11 random 10-digit
    # references passes the modulus-11 check, and "capitalised word near a postcode" also
    # catches organisation addresses; the corpus keeps such cases on purpose.
    assert result.overall.recall >= 0.95
    assert result.overall.precision >= 0.90
    for kind, score in result.per_kind.items():
        assert score.recall >= 0.85, kind


def test_modulus_11_matches_the_known_example_and_the_generator():
    assert is_nhs_number("9434765919")
    assert not is_nhs_number("9434765918")
    assert not is_nhs_number("943476591")
    for number in valid_nhs_numbers(50):
        assert nhs_check_digit(number[:9]) == check_digit(number[:9]) == int(number[9])
    # 10 as a check digit means no valid number has these nine digits.
    assert nhs_check_digit("000000006") is None  # 6 x 2 = 12, 12 mod 11 = 1, 11 - 1 = 10
    assert not any(is_nhs_number(f"000000006{d}") for d in range(10))
    assert nhs_check_digit("000000000") == 0  # 11 - 0 = 11 counts as 0


@pytest.mark.parametrize(
    "text",
    ["943 476 5919", "943-476-5919", "9434765919", "NHS no.9434765919, thanks"],
)
def test_nhs_number_in_every_layout(text):
    [finding] = find_identifiers(text)
    assert finding.kind == "nhs_number"
    assert text[finding.span[0] : finding.span[1]] == finding.snippet


@pytest.mark.parametrize(
    "text",
    [
        "943 476 5918",  # check digit wrong
        "943 476 59190",  # eleven digits
        "+44 943 476 5919",  # a phone number in international form
        "943/476/5919",
    ],
)
def test_nhs_look_alikes_are_not_nhs_numbers(text):
    assert "nhs_number" not in kinds(text)


def test_checks_limit_what_is_looked_for():
    text = "Mrs P, 07700 900123, jane@example.com, DOB 01/02/1950"
    assert kinds(text) == {"phone", "email", "date_of_birth"}
    found = find_identifiers(text, ("email",), today=TODAY)
    assert [f.kind for f in found] == ["email"]


def test_bare_dates_count_only_when_old_enough():
    assert kinds("seen 12/03/1954") == {"date_of_birth"}
    assert kinds("seen 12/03/2024") == set()
    assert {f.kind for f in find_identifiers("DOB 12/03/2024", today=date(2026, 1, 1))} == {
        "date_of_birth"
    }
    assert kinds("DOB 31/02/1950") == set()  # no such date


def test_findings_come_in_order_with_their_text():
    text = "Call 0161 496 0000 about 943 476 5919"
    found = find_identifiers(text)
    assert [(f.kind, f.snippet) for f in found] == [
        ("phone", "0161 496 0000"),
        ("nhs_number", "943 476 5919"),
    ]


# ---- the guard in the check-in reply path ----------------------------------------------

NHS_TEXT = "Mrs K (943 476 5919) is walking again"


def _buttons(response):
    assert response.message is not None, response
    return {b.label: b for b in response.message.buttons}


def _replies(engine):
    from sqlmodel import Session, select

    from bot.storage.tables import CheckInReply

    with Session(engine) as session:
        return sorted(session.exec(select(CheckInReply.text)).all())


def _held(engine):
    from sqlmodel import Session, select

    from bot.storage.tables_trust import GuardDraft

    with Session(engine) as session:
        return sorted(session.exec(select(GuardDraft.text)).all())


def test_a_reply_with_an_nhs_number_waits_for_an_edit(make_app, engine, person):
    app = make_app()
    cora, ana = person(app, "Cora"), person(app, "Ana")
    cora.cop("checkin open")

    held = ana.cop(f"reply success {NHS_TEXT}")
    text = held.message.as_text()
    assert "an NHS number (943 476 5919)" in text and "Nothing has been shared yet" in text
    assert set(_buttons(held)) == {"Let me edit", "Post anyway", "Don't post it"}
    assert _replies(engine) == []

    edit = _buttons(held)["Let me edit"]
    form = ana.press(edit.action, edit.value).form
    assert form is not None and form.fields[0].initial == NHS_TEXT
    # The edit still has a phone number: warned again, still nothing saved.
    again = ana.submit(form.form_id, form.metadata, text="Call 07700 900123, she's walking")
    assert "a phone number (07700 900123)" in again.message.as_text()
    assert _replies(engine) == []
    edit = _buttons(again)["Let me edit"]
    form = ana.press(edit.action, edit.value).form
    done = ana.submit(form.form_id, form.metadata, text="A patient is walking again")
    assert "saved" in done.message.as_text()
    assert _replies(engine) == ["A patient is walking again"]
    # The first warning's buttons are spent.
    assert "no longer held" in ana.press(edit.action, edit.value).message.as_text()


async def test_post_anyway_and_dont_post(make_app, engine, clock, person):
    app = make_app()
    cora, ana, ben = person(app, "Cora"), person(app, "Ana"), person(app, "Ben")
    cora.cop("checkin open")

    post = _buttons(ana.cop("reply success anonymously DOB 01/02/1950 group went well"))
    assert (
        "no longer held"
        in ben.press(post["Post anyway"].action, post["Post anyway"].value).message.as_text()
    )
    confirmed = ana.press(post["Post anyway"].action, post["Post anyway"].value)
    assert "anonymously" in confirmed.message.as_text()
    assert _replies(engine) == ["DOB 01/02/1950 group went well"]

    drop = _buttons(ben.cop("reply challenge email me on ben@example.com"))
    gone = ben.press(drop["Don't post it"].action, drop["Don't post it"].value)
    assert "nothing was shared" in gone.message.as_text()
    assert _replies(engine) == ["DOB 01/02/1950 group went well"]

    late = _buttons(ben.cop("reply learning ring 0161 496 0000"))["Post anyway"]
    assert _held(engine) == ["ring 0161 496 0000"]
    clock.advance(timedelta(hours=23, minutes=59))
    _buttons(ana.cop("reply learning call 0161 496 0001"))
    await app.advance(clock.now() + timedelta(minutes=2))  # a day after Ben's words
    assert "no longer held" in ben.press(late.action, late.value).message.as_text()
    assert _replies(engine) == ["DOB 01/02/1950 group went well"]
    assert _held(engine) == ["call 0161 496 0001"]  # let go after a day, unseen


def test_the_guard_follows_the_communitys_settings(make_app, engine, person):
    from tests.conftest import community, make_settings

    settings = make_settings(
        community(guard={"checks": ["email"]}),
        community(name="falls", channel="falls", guard={"enabled": False}),
    )
    app = make_app(settings)
    for channel in ("wound-care", "falls"):
        person(app, "Cora", channel).cop("checkin open")
    assert "saved" in person(app, "Ana").says(f"reply success {NHS_TEXT}")
    assert "an email address" in person(app, "Ana").says("reply learning write to a@example.org")
    assert "saved" in person(app, "Ana", "falls").says("reply learning write to a@example.org")


async def test_wins_and_help_requests_are_checked_before_posting(
    make_app, engine, platform, person
):
    from sqlmodel import Session, select

    from bot.storage.tables_wins import Pledge

    app = make_app()
    ana = person(app, "Ana")
    held = ana.cop(f"win {NHS_TEXT}")
    assert "an NHS number" in held.message.as_text()
    await app.dispatcher.drain()
    assert platform.posts() == []
    post = _buttons(held)["Post anyway"]
    assert "Posted in the channel" in ana.press(post.action, post.value).message.as_text()

    ana.cop("pledge Try the new leaflet by in 2 weeks")
    with Session(engine) as session:
        [pledge_id] = session.exec(select(Pledge.id)).all()
    asked = ana.submit("pledge.help", str(pledge_id), help="Who can visit Mr Jones at LS6 2QT?")
    assert "a postcode next to a name or address (LS6 2QT)" in asked.message.as_text()
    edit = _buttons(asked)["Let me edit"]
    form = ana.press(edit.action, edit.value).form
    done = ana.submit(form.form_id, form.metadata, text="Who has tried the leaflet at home?")
    assert "posted in the channel" in done.message.as_text()
    await app.dispatcher.drain()
    posted = " ".join(d.text for d in platform.posts())
    assert NHS_TEXT in posted  # the member chose to post it: warned, never rewritten
    assert "Who has tried the leaflet at home?" in posted and "LS6 2QT" not in posted


def test_the_benchmark_prints_precision_and_recall(capsys):
    from bench.__main__ import main as bench_main

    assert bench_main(["identifiers"]) == 0
    out = capsys.readouterr().out
    assert "precision" in out and "recall" in out
    assert re.search(r"nhs_number\s+\d+\s+\d+\s+0\s+[\d.]+\s+1\.000", out)


async def test_sharing_a_pledge_is_checked_too(make_app, engine, platform, person):
    from sqlmodel import Session, select

    from bot.storage.tables_wins import Pledge

    app = make_app()
    ana = person(app, "Ana")
    ana.cop("pledge Phone Mrs Patel on 07700 900123 every Friday by in 2 weeks")
    with Session(engine) as session:
        [pledge_id] = session.exec(select(Pledge.id)).all()
    held = ana.cop(f"pledge share {pledge_id}")
    assert "a phone number" in held.message.as_text()
    await app.dispatcher.drain()
    assert platform.posts() == []  # nothing shared yet
    edit = _buttons(held)["Let me edit"]
    form = ana.press(edit.action, edit.value).form
    done = ana.submit(form.form_id, form.metadata, text="Phone one family a week to check in")
    assert "Shared in the channel" in done.message.as_text()
    await app.dispatcher.drain()
    [post] = platform.posts()
    assert "Phone one family a week" in post.text and "07700" not in post.text
    assert "already shared" in ana.says(f"pledge share {pledge_id}")
