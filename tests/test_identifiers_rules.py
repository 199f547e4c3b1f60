"""The identifier finder's rules at their edges: which numbers are NHS numbers or phone
numbers, how findings that overlap are reported, and how the warning names them."""

from __future__ import annotations

import pytest

from bot.domain.identifiers import Finding, describe, find_identifiers, nhs_check_digit
from tests.data.identifier_corpus import TODAY


def kinds(text: str) -> set[str]:
    return {f.kind for f in find_identifiers(text, today=TODAY)}


def found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.snippet) for f in find_identifiers(text, today=TODAY)]


# ---- NHS numbers -------------------------------------------------------------------------


def test_the_check_digit_is_only_for_nine_digits():
    with pytest.raises(ValueError):
        nhs_check_digit("94347659")  # eight digits: no check digit, rather than a wrong one
    with pytest.raises(ValueError):
        nhs_check_digit("9434765919")


def test_every_nhs_number_in_a_message_is_found():
    assert found("NHS 943 476 5919 and 401 023 2137") == [
        ("nhs_number", "943 476 5919"),
        ("nhs_number", "401 023 2137"),
    ]
    # A phone number written internationally first does not hide the NHS number after it.
    assert found("+44 161 496 0000 or NHS 943 476 5919") == [
        ("phone", "+44 161 496 0000"),
        ("nhs_number", "943 476 5919"),
    ]


def test_an_nhs_number_followed_by_another_number_is_still_found():
    assert found("943 476 5919 2 visits a week") == [("nhs_number", "943 476 5919")]


@pytest.mark.parametrize("text", ["bed 9 434 765 919", "bed 9 434765919"])
def test_a_one_digit_group_is_never_part_of_an_nhs_number(text):
    """9434765919 is valid, but "bed 9" is a bed number, not the first digit of one."""
    assert kinds(text) == set()


@pytest.mark.parametrize("text", ["0044 943 476 5919", "ring 0 0 943 476 5919"])
def test_digits_after_an_international_prefix_are_a_phone_number(text):
    """00 (also typed "0 0") starts an international number, like +."""
    assert kinds(text) == {"phone"}


def test_a_number_starting_with_0_is_an_nhs_number_only_when_said_so():
    assert found("CHI 0140449132") == [("nhs_number", "0140449132")]  # Scottish CHI: 0 first
    assert found("call 01404 49132") == [("phone", "01404 49132")]  # the same digits


def test_a_reference_word_after_the_nhs_word_wins():
    assert kinds("for the patient, order 9434765919") == set()
    assert kinds("order for the patient 9434765919") == {"nhs_number"}


def test_only_the_characters_just_before_a_number_are_read():
    """30 characters for NHS and phone words and a + prefix, 20 for a reference word."""
    assert kinds("order" + " " * 25 + "9434765919") == set()  # starts 30 characters before
    assert kinds("order" + " " * 26 + "9434765919") == {"nhs_number"}  # 31: out of reach
    assert kinds("+" + " " * 29 + "943 476 5919") == set()
    assert kinds("+" + " " * 30 + "943 476 5919") == {"nhs_number"}
    assert kinds("call" + " " * 26 + "212-555-0147") == {"phone"}
    assert kinds("call" + " " * 27 + "212-555-0147") == set()
    assert kinds("order" + " " * 15 + "07700 900123") == set()
    assert kinds("order" + " " * 16 + "07700 900123") == {"phone"}


def test_a_number_starting_with_0_does_not_hide_the_nhs_number_after_it():
    assert found("01404 49132 943 476 5919") == [("nhs_number", "943 476 5919")]


def test_a_number_that_is_also_a_phone_number_is_reported_once_as_the_nhs_number():
    assert found("call 943 476 5919") == [("nhs_number", "943 476 5919")]


# ---- phone numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "0800 123 456",  # ten-digit freephone numbers
        "0500 123 456",
        "0808 123 456",
        "01404 49132",  # a ten-digit area number
        "ring +44 0161 496 0000",  # the 0 written after +44
        "+44 16977 2345",  # nine digits after +44
        "+1 415 201 0132",  # an exchange starting with 2
        "0030 21 0123 4567",  # Greece, dialled with 00
        "+507 6123 4567",  # a three-digit country code with a 0 in it (Panama)
        "+354 555 1234",  # seven digits after a three-digit country code (Iceland)
        "+49 30 1234 567890",  # twelve digits after a two-digit one
        "+355 6912 3456 7890",  # fifteen digits in all, the most a number has
        "+49 (0)30 1234 567890",  # the (0) is not dialled from abroad
    ],
)
def test_phone_numbers_at_the_edges_of_the_rules(text):
    assert kinds(text) == {"phone"}


@pytest.mark.parametrize(
    "text",
    [
        "meter reading 17700900123",  # eleven digits not starting with 0
        "+44 20 7946 00000",  # eleven digits after +44
        "+1 415 055 0132",  # no North American exchange starts with 0
        "+7 4951 2345 6789 0",  # more than twelve digits after the country code
        "+49 3012 3456 7890 1",
        "+0 20 7946 0000",  # no country code starts with 0
        "text me the code 4827 1934",  # a phone word, but eight digits are no phone number
        "Order 07700 900123 came today",  # an order number, though it looks like a mobile
    ],
)
def test_numbers_that_are_not_phone_numbers(text):
    assert "phone" not in kinds(text)


# ---- all kinds together ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mrs Patel at LS6 2QT, 07700 900123", ["postcode", "phone"]),
        (
            "NHS 943 476 5919, ring 0161 496 0000, jane@example.com, DOB 01/02/1950",
            ["nhs_number", "phone", "email", "date_of_birth"],
        ),
        (
            "Gerald, SK4 1AA, sam [at] example [dot] org, +33 6 12 34 56 78",
            ["postcode", "email", "phone"],
        ),
        ("peter dot g at example dot com about 401 023 2137", ["email", "nhs_number"]),
    ],
)
def test_every_kind_is_found_beside_the_others_in_order_and_in_place(text, expected):
    findings = find_identifiers(text, today=TODAY)
    assert [f.kind for f in findings] == expected
    for finding in findings:
        assert text[finding.span[0] : finding.span[1]] == finding.snippet


# ---- the warning's words -----------------------------------------------------------------


def test_describe_names_each_finding_in_a_list():
    nhs = Finding("nhs_number", (0, 12), "943 476 5919")
    phone = Finding("phone", (13, 26), "07700 900123")
    birth = Finding("date_of_birth", (27, 37), "01/02/1950")
    assert describe([]) == ""
    assert describe([nhs]) == "an NHS number (943 476 5919)"
    assert (
        describe([nhs, phone]) == "an NHS number (943 476 5919) and a phone number (07700 900123)"
    )
    assert describe([nhs, phone, birth]) == (
        "an NHS number (943 476 5919), a phone number (07700 900123) "
        "and a date of birth (01/02/1950)"
    )


def test_describe_shortens_long_findings_and_joins_their_lines():
    forty = "a" * 28 + "@example.org"
    assert len(forty) == 40
    email = Finding("email", (0, 41), forty + "x")
    assert describe([Finding("email", (0, 40), forty)]) == f"an email address ({forty})"
    assert describe([email]) == f"an email address ({forty[:39]}…)"
    spelled = Finding("email", (0, 31), "peter dot g at\n  example dot com")
    assert describe([spelled]) == "an email address (peter dot g at example dot com)"
