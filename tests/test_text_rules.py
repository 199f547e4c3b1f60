"""Rules for the words members type: emptiness, length, mass mentions, short forms,
plurals and joining links."""

from __future__ import annotations

import pytest

from bot.domain.text import clean_text, plural, plural_of, short, web_link
from bot.errors import FieldError


def refusal(text: str, **options: object) -> str:
    with pytest.raises(FieldError) as refused:
        clean_text(text, **options)  # type: ignore[arg-type]
    return str(refused.value)


def test_empty_words_are_refused_in_plain_words():
    assert refusal("  \n ") == "Your text is empty: please write a few words."
    assert refusal("\x00", what="Your win") == "Your win is empty: please write a few words."


def test_the_length_limit_is_inclusive_and_its_refusal_gives_both_figures():
    assert clean_text("a" * 2000) == "a" * 2000
    assert refusal("a" * 2001) == (
        "Your text is 2,001 characters long; the limit is 2,000. Could you shorten it?"
    )
    assert clean_text(" abc ", max_length=3) == "abc"
    assert refusal("abcd", max_length=3, what="Your title") == (
        "Your title is 4 characters long; the limit is 3. Could you shorten it?"
    )


@pytest.mark.parametrize(
    ("text", "mention"),
    [
        ("Well done @everyone!", "@everyone"),
        ("hi <!channel> all", "<!channel>"),
        ("look <!here|here>", "<!here|here>"),
        ("ping <!subteam^S123|nurses>", "<!subteam^S123|nurses>"),
        ("ping <@&123456>", "<@&123456>"),
    ],
)
def test_a_mass_mention_is_refused_and_quoted_back(text, mention):
    assert refusal(text) == (
        f"Your text contains '{mention}', which would notify everyone. "
        "copbot never pings the whole community: please take it out and send again."
    )


def test_an_address_that_looks_like_a_mention_is_kept():
    assert clean_text("write to team@here.example") == "write to team@here.example"


def test_short_keeps_one_line_and_cuts_at_the_limit_with_an_ellipsis():
    assert short("a  b\n c") == "a b c"
    assert short("abcdef", 6) == "abcdef"
    assert short("abcdefg", 6) == "abcde…"
    assert short("abcd efgh", 6) == "abcd…"  # no space before the ellipsis
    assert short("x" * 80) == "x" * 80  # 80 characters unless told
    assert short("x" * 81) == "x" * 79 + "…"


@pytest.mark.parametrize(
    ("noun", "expected"),
    [
        ("success", "successes"),
        ("box", "boxes"),
        ("waltz", "waltzes"),
        ("match", "matches"),
        ("wish", "wishes"),
        ("story", "stories"),
        ("ally", "allies"),
        ("day", "days"),
        ("key", "keys"),
        ("monkey", "monkeys"),
        ("fly", "flies"),
        ("check-in", "check-ins"),
        ("open pledge", "open pledges"),
        ("open story", "open stories"),
        ("shared learning", "shared learning"),
        ("learning", "learning"),
        ("win!", "win!"),
        ("item 2", "item 2"),
        ("BOX", "BOXES"),
        ("STORY", "STORIES"),
        ("WIN", "WINS"),
        ("", ""),
    ],
)
def test_plurals_change_the_last_word_only(noun, expected):
    assert plural_of(noun) == expected


def test_a_number_agrees_with_its_noun():
    assert plural(1, "member") == "1 member"
    assert plural(0, "member") == "0 members"
    assert plural(2, "person", "people") == "2 people"
    assert plural(1, "person", "people") == "1 person"


def test_joining_links_are_web_links_of_at_most_500_characters():
    base = "https://meet.example.org/"
    assert web_link("https://meet.example.org")
    assert web_link("http://meet.example.org:8080/room?id=3#top")
    assert web_link(base + "a" * (500 - len(base)))
    assert not web_link(base + "a" * (501 - len(base)))
    for text in ("javascript:alert(1)", "file:///etc/passwd", "meet.example.org", "https://a b"):
        assert not web_link(text), text
