"""Reading who a sentence is about: its words, where sentences start, and what looks like a
person's name (bot/domain/person_context.py, used by the identifier guard)."""

from __future__ import annotations

import pytest

from bot.domain.person_context import Word, is_name, person_near, word_set, words


def starts(text: str) -> dict[str, bool]:
    return {w.text: w.sentence_start for w in words(text)}


def test_words_know_where_they_start_and_are_lower_cased_with_plain_apostrophes():
    found = words("Ann’s  WARD-3 (Bay)")
    assert found == [
        Word("Ann’s", "ann's", 0, True),
        Word("WARD-", "ward-", 7, False),
        Word("Bay", "bay", 15, False),
    ]


def test_a_sentence_starts_after_a_full_stop_a_mark_a_colon_or_a_new_line():
    assert starts("seen today. Then home! Next? Note: kept\nLater") == {
        "seen": True,
        "today": False,
        "Then": True,
        "home": False,
        "Next": True,
        "Note": True,
        "kept": True,
        "Later": True,
    }


def test_quotes_and_brackets_do_not_hide_a_sentence_start():
    assert starts('done. "Quoted words" then. (Aside)') == {
        "done": True,
        "Quoted": True,
        "words": False,
        "then": False,
        "Aside": True,
    }


def test_no_new_sentence_after_a_title_or_an_initial():
    assert starts("Mr. Patel and J. Smith met Dr. Ng") == {
        "Mr": True,
        "Patel": False,
        "and": False,
        "J": False,
        "Smith": False,
        "met": False,
        "Dr": False,
        "Ng": False,
    }
    assert starts("ends with a stop.") == {"ends": True, "with": False, "a": False, "stop": False}


def name_at(text: str, which: str) -> bool:
    ws = words(text)
    [index] = [i for i, w in enumerate(ws) if w.text == which]
    return is_name(ws, index)


@pytest.mark.parametrize(
    ("text", "which", "expected"),
    [
        ("we saw Mrs Patel", "Mrs", True),  # a title
        ("we saw mrs patel", "mrs", True),
        ("near the Chapeltown Road", "Chapeltown", False),  # a place's name
        ("with Zephyrine today", "Zephyrine", True),  # a capital inside a sentence
        ("with McDonald today", "McDonald", True),
        ("with X today", "X", True),  # an initial
        ("with NHS today", "NHS", False),  # letters, not a name
        ("with NH today", "NH", False),
        ("on Monday's round", "Monday's", False),
        ("see you Monday", "Monday", False),
        ("met mary there", "mary", True),  # a known first name in lower case
        ("met zephyrine there", "zephyrine", False),
        # at a sentence's start a capital says little
        ("Zephyrine said so", "Zephyrine", False),
        ("Zephyrine", "Zephyrine", False),
        ("Mary said so", "Mary", True),
        ("Amira's", "Amira's", True),
        ("Zephyrine's", "Zephyrine's", True),  # possessive
        ("Zephyrine's mum rang", "Zephyrine's", True),
        ("Gwen Jones", "Gwen", True),
        ("Zephyrine Jones", "Zephyrine", True),  # a surname follows
        ("Zephyrine Jones said so", "Zephyrine", True),
        ("Zephyrine JONES said so", "Zephyrine", True),
        ("Zephyrine The end", "Zephyrine", False),
    ],
)
def test_what_looks_like_a_name(text, which, expected):
    assert name_at(text, which) is expected


def test_a_person_near_is_a_person_word_or_a_name_and_indexes_past_the_end_are_ignored():
    ws = words("her mum's flat")
    assert person_near(ws, range(1, 2))  # "mum's"
    assert person_near(ws, range(0, 1))  # "her"
    assert not person_near(ws, range(2, 3))
    assert not person_near(words("the flat"), range(-2, 5))
    assert person_near(words("the Patel"), range(1, 9))


def test_word_sets_are_the_words_whatever_the_spacing():
    assert word_set(" a  b\nc\t") == frozenset({"a", "b", "c"})


def test_a_short_word_or_a_letter_before_a_word_does_not_confuse_sentence_starts():
    assert starts("we met at 10. Then home")["Then"] is True  # a two-letter word ends it
    assert starts("in bay X then home")["then"] is False
