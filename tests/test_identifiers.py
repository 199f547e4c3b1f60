"""The patient-identifiable text guard's finder, on a labelled corpus and on known cases."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from bench.identifiers import evaluate, whole_corpus
from bot.domain.identifiers import KINDS, find_identifiers, is_nhs_number, nhs_check_digit
from tests.data.identifier_corpus import TODAY, broken, check_digit, grouped, valid_nhs_numbers
from tests.data.identifier_held_out import held_out


def kinds(text: str) -> set[str]:
    return {f.kind for f in find_identifiers(text, today=TODAY)}


def test_corpus_is_big_enough_and_labelled():
    corpus = whole_corpus()
    assert sum(e.positive for e in corpus) >= 200
    assert sum(not e.positive for e in corpus) >= 200
    assert len({e.text for e in corpus}) == len(corpus)
    assert len(held_out()) >= len(corpus) // 5  # a fifth never used to tune the rules
    for kind in KINDS:
        assert sum(kind in e.kinds for e in corpus) >= 20, kind


#: Floors per kind: (precision, recall). NHS numbers name a patient on their own: miss none.
FLOORS = {
    "nhs_number": (0.95, 1.0),
    "date_of_birth": (0.93, 0.95),
    "postcode": (0.90, 0.93),
    "phone": (0.93, 0.95),
    "email": (0.95, 0.95),
}


@pytest.mark.parametrize("part", ["whole", "held out"])
def test_precision_and_recall_on_the_corpus(part):
    result = evaluate(None if part == "whole" else held_out())
    assert result.overall.precision >= 0.95 and result.overall.recall >= 0.97
    assert result.per_kind["nhs_number"].recall == 1.0
    for kind, (precision, recall) in FLOORS.items():
        score = result.per_kind[kind]
        assert score.precision >= precision and score.recall >= recall, (kind, score)


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


def test_bare_dates_count_only_beside_a_person_and_when_old_enough():
    assert kinds("Mrs Begum, 12/03/1954, needs a hoist") == {"date_of_birth"}
    assert kinds("seen 12/03/1954") == set()  # no one is named: any date at all
    assert kinds("Mrs Begum, 12/03/2024, needs a hoist") == set()  # too recent to be a birth
    assert {f.kind for f in find_identifiers("DOB 12/03/2024", today=date(2026, 1, 1))} == {
        "date_of_birth"
    }
    assert kinds("DOB 31/02/1950") == set()  # no such date
    assert kinds("DOB 12/03/2030") == set()  # not born yet


@pytest.mark.parametrize(
    "text",
    [
        "Mr Jones 12/03/48 admitted with a fall",
        "Mrs W 18.6.42, husband is her carer",
        "a gentleman, 6 June 1936, still gardening",
        "Patient (3/4/52) declined the visit",
        "DOB 12031948",
        "dob 19480312 on the system",
        "d.o.b. 5/11/39",
        "DoB: 3rd of May 1949",
        "b. 02/05/1947, widowed last year",
        "she's a 1 March 1990 birthday",
    ],
)
def test_dates_of_birth_with_two_digit_years_eight_digits_and_beside_a_name(text):
    assert kinds(text) == {"date_of_birth"}


@pytest.mark.parametrize(
    "text",
    [
        "The NHS was founded on 5 July 1948",
        "Founded on 05/07/1948, the NHS is older than my dad",
        "The Beveridge Report came out on 1 December 1942",
        "Since 01/04/2013 commissioning has been different",
        "Mr Jones was seen on 12/03/1998",
        "The ward opened 12 March 1906",
        "Clinic moved to 2026-11-30",
    ],
)
def test_historic_and_event_dates_are_not_dates_of_birth(text):
    assert kinds(text) == set()


@pytest.mark.parametrize(
    ("grouping", "sep"),
    [
        ((3, 3, 4), "."),
        ((3, 7), " "),
        ((4, 3, 3), " "),
        ((4, 3, 3), "-"),
        ((5, 5), " "),
        ((3, 3, 4), " - "),
        ((2, 4, 4), " "),
        ((10,), ""),
    ],
)
def test_nhs_numbers_grouped_any_way_and_only_with_their_check_digit(grouping, sep):
    for number in ("5974671910", "4486644581", "7485814737", *valid_nhs_numbers(5)):
        written = grouped(number, grouping, sep)
        assert kinds(f"can someone chase {written} for me") == {"nhs_number"}, written
        assert kinds(f"bed 4 {written} needs a review") == {"nhs_number"}, written
        assert kinds(f"can someone chase {grouped(broken(number), grouping, sep)}") == set()


@pytest.mark.parametrize(
    "text",
    [
        "ISBN 0-14-044913-2 is the book",
        "ISBN 0140449132",
        "isbn: 978-0-14-044913-6",
        "The book is ISBN 9780140449136",
        "Order number 9434765919 for the dressings",
        "tracking no 943 476 5919, parcel lost",
    ],
)
def test_isbns_and_order_numbers_are_not_identifiers(text):
    assert is_nhs_number("0140449132") and is_nhs_number("9434765919")
    assert kinds(text) == set()


@pytest.mark.parametrize(
    "text",
    [
        "Gerald, SK4 1AA, asked about the befriending scheme",
        "Amira's at M14 5RT most afternoons",
        "visited mary at bd7 2nh, very low today",
        "john smith ls11 5TT asked for a callback",
        "she lives in CF5 1AB and the bus is hopeless",
        "my client in WF1 2PQ has no heating",
        "Pt's address: 9 Mill Road, CB1 2AD",
        "Sheila Jones, of LS6 2QT, thanked the team",
    ],
)
def test_postcodes_after_a_name_first_lower_case_or_a_person(text):
    assert kinds(text) == {"postcode"}


@pytest.mark.parametrize(
    "text",
    [
        "Chapeltown Road, LS7 3EX is where the new hub is",
        "St James's Hospital, LS9 7TF, has parking now",
        "Come to the Leeds office, LS1 4AB, for the workshop",
        "our office is at 25 Park Place, LS1 2SP",
        "Mrs Patel at SC1 2AB",  # SC is no postcode area
        "Mrs Patel at LS6 2QC",  # C is never in an inward code
        "Mrs Patel at Ls6 2Qt",  # nobody writes a postcode so
    ],
)
def test_places_before_postcodes_and_postcode_look_alikes_are_not_flagged(text):
    assert kinds(text) == set()


@pytest.mark.parametrize(
    "text",
    [
        "Her son in France is on +33 6 12 34 56 78",
        "ring the family on +353 87 123 4567",
        "son abroad: 0049 30 1234 5678",
        "whatsapp +1 415 555 0132 for her nephew",
        "US number +1 (212) 555-0147",
        "cousin in Delhi +91 98765 43210",
        "tel+44 20 7946 0000",
        "call her on 212-555-0147",
    ],
)
def test_international_phone_numbers(text):
    assert kinds(text) == {"phone"}


@pytest.mark.parametrize(
    "text",
    [
        "+1 415 555",  # too short for any country
        "+44 20 7946",  # too short for the UK
        "+1 012 555 0132",  # no North American area code starts with 0
        "Samaritans are on 116 123",
        "Serial 7700900124 on the pump",
        "price 212-555-0147",  # ten digits with no phone word: not a foreign number
    ],
)
def test_phone_look_alikes(text):
    assert "phone" not in kinds(text)


def test_emails_spelled_out():
    assert kinds("email him at peter dot g at example dot com") == {"email"}
    assert kinds("the carer's address is sam[at]example[dot]org") == {"email"}
    assert kinds("jane.doe at work said the same") == set()
    assert kinds("meet at home. Then lunch") == set()


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
    for part in ("tuned on", "held out", "both parts"):
        assert f"identifier guard, {part}:" in out
    assert re.search(r"nhs_number\s+\d+\s+\d+\s+0\s+[\d.]+\s+1\.000", out)
    assert re.search(r"[\d.]+ µs for the guard, [\d.]+ µs for one bare regular-expression", out)


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


def test_the_readme_examples_behave_as_it_says():
    from pathlib import Path

    readme = Path(__file__).parent.parent.joinpath("README.md").read_text()
    paragraph = readme.split("- **Patient identifiers**")[1].split("\n- ")[0]
    paragraph = " ".join(paragraph.split())
    flagged = {
        "943 476 5919": "nhs_number",
        "943.476.5919": "nhs_number",
        "9434 765 919": "nhs_number",
        "DOB 12031948": "date_of_birth",
        "d.o.b. 5/11/39": "date_of_birth",
        "Mr Jones 12/03/48": "date_of_birth",
        "Mrs Patel at LS6 2QT": "postcode",
        "visited mary at bd7 2nh": "postcode",
        "sam [at] example [dot] org": "email",
    }
    for text, kind in flagged.items():
        assert f"`{text}`" in paragraph, text
        assert kinds(text) == {kind}, text
    for text in ("founded on 5 July 1948", "Chapeltown Road, LS7 3EX"):
        assert f"`{text}`" in paragraph and kinds(text) == set(), text
    assert "not an ISBN or an order number" in paragraph
    assert "UK or international phone number" in paragraph
