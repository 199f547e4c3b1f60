"""What `/cop win …`, `/cop wins`, the win buttons and the share form are read as."""

from __future__ import annotations

import pytest

from bot.errors import FieldError, UserError
from bot.features.win_commands import (
    AnswerNomination,
    CheerWin,
    ListWins,
    NominateWin,
    PostWin,
    StartWinForm,
    WinFromReaction,
    WinFromReply,
    WithdrawWin,
)
from bot.features.win_parsing import BUTTONS, WIN, WINS, share_form
from tests.conftest import make_settings

SETTINGS = make_settings().communities[0]
WIN_USAGE = (
    "Usage: /cop win <text> · /cop win with @someone … <text> · /cop win for @someone <text> · "
    "/cop win anonymously <text> · /cop win cheer <number> · /cop win withdraw <number>"
)
HINT = "Type @ and pick their name."


def win(text: str) -> object:
    return WIN.parse(text, SETTINGS)


def refusal(text: str) -> str:
    with pytest.raises(UserError) as caught:
        win(text)
    return str(caught.value)


def test_plain_words_are_the_win_itself_exactly_as_typed():
    assert win("") == ListWins()
    assert win("We cut waiting times") == PostWin(text="We cut waiting times")
    assert win("Withering heights: done") == PostWin(text="Withering heights: done")
    assert win("forty wounds healed") == PostWin(text="forty wounds healed")


def test_cheer_and_withdraw_take_a_number():
    assert win("cheer 4") == CheerWin(4)
    assert win("Cheer #4") == CheerWin(4)
    assert win("withdraw 12") == WithdrawWin(12)
    assert win("WITHDRAW:  12 ") == WithdrawWin(12)
    for text in ("cheer", "cheer four", "withdraw 1 2"):
        assert refusal(text) == WIN_USAGE, text


def test_with_credits_everyone_mentioned_once_and_keeps_the_text():
    assert win("with <@ana> <@ben> We did it") == PostWin(text="We did it", credits=("ana", "ben"))
    assert win("With: <@ana>, <@ben>: We did it") == PostWin(
        text="We did it", credits=("ana", "ben")
    )
    assert win("with <@ana> and <@ben> We did it") == PostWin(
        text="We did it", credits=("ana", "ben")
    )
    assert win("with <@ana> AND <@ben> & <@dee> We did it") == PostWin(
        text="We did it", credits=("ana", "ben", "dee")
    )
    assert win("with <@U1|Ana> <@U1> <@U2|Ben> Done") == PostWin(text="Done", credits=("U1", "U2"))


def test_a_word_starting_with_and_is_part_of_the_text():
    assert win("with <@ana> andrew helped too") == PostWin(
        text="andrew helped too", credits=("ana",)
    )
    assert win("with <@ana> and") == PostWin(text="and", credits=("ana",))


def test_line_breaks_inside_the_text_are_kept():
    assert win("with <@ana>\nFirst line\nSecond line\n") == PostWin(
        text="First line\nSecond line", credits=("ana",)
    )


def test_with_needs_a_mention_and_some_words():
    assert refusal("with ana We did it") == (
        f"Mention who to credit: /cop win with @ana @ben <text>. {HINT}"
    )
    assert refusal("with") == f"Mention who to credit: /cop win with @ana @ben <text>. {HINT}"
    assert refusal("with <@ana>") == "Please say what you'd like to celebrate, after the names."


def test_for_nominates_exactly_one_person():
    assert win("for <@ana> Her new dressing guide") == NominateWin(
        nominee="ana", text="Her new dressing guide"
    )
    assert win("For: <@ana>: guide") == NominateWin(nominee="ana", text="guide")
    two = f"Nominate one person at a time: /cop win for @someone <text>. {HINT}"
    assert refusal("for <@ana> <@ben> Their guide") == two
    assert refusal("for ana Her guide") == two
    assert refusal("for <@ana>") == "Please say what you'd like to celebrate, after their name."


def test_anonymously_leaves_the_name_off_and_may_still_credit_others():
    assert win("anonymously We did it") == PostWin(text="We did it", anonymous=True)
    for word in ("anon", "Anonymous", "unnamed", "chatham", "anonymously:"):
        assert win(f"{word} Done") == PostWin(text="Done", anonymous=True), word
    assert win("anonymously with <@ana> <@ben> We did it") == PostWin(
        text="We did it", credits=("ana", "ben"), anonymous=True
    )
    assert win("anon WITH <@ana> Done") == PostWin(text="Done", credits=("ana",), anonymous=True)
    assert win("anon without fuss") == PostWin(text="without fuss", anonymous=True)
    assert refusal("anonymously") == (
        "Please say what you'd like to celebrate, after 'anonymously'."
    )


def test_wins_takes_nothing_after_it():
    assert WINS.parse("", SETTINGS) == ListWins()
    with pytest.raises(UserError) as caught:
        WINS.parse("all", SETTINGS)
    assert str(caught.value) == "Usage: /cop wins"


def test_each_button_names_its_win():
    assert BUTTONS["win.cheer"]("7:x") == CheerWin(7)
    assert BUTTONS["win.agree"]("7") == AnswerNomination(7, True)
    assert BUTTONS["win.decline"]("7") == AnswerNomination(7, False)
    assert BUTTONS["win.from_reply"]("9") == WinFromReply(9)
    assert BUTTONS["win.share"]("") == StartWinForm()


def test_a_reaction_names_the_author_and_the_whole_message_reference():
    assert BUTTONS["win.from_reaction"]("U1:C9:1700.5") == WinFromReaction(
        author_user_id="U1", message_ref="C9:1700.5"
    )
    for value in ("U1", "U1:", ":C9", ""):
        with pytest.raises(UserError) as caught:
            BUTTONS["win.from_reaction"](value)
        assert str(caught.value) == "I couldn't tell whose message that was.", value


def test_the_share_form_is_named_unless_anonymous_is_chosen():
    assert share_form("", {"text": "Done"}) == PostWin(text="Done")
    assert share_form("", {}) == PostWin(text="")
    assert share_form("", {"text": "Done", "share": "named"}) == PostWin(text="Done")
    assert share_form("", {"text": "Done", "share": "anonymous"}) == PostWin(
        text="Done", anonymous=True
    )
    with pytest.raises(FieldError) as caught:
        share_form("", {"text": "Done", "share": "Anonymous"})
    assert str(caught.value) == "Please choose whether to share with your name or anonymously."
    assert caught.value.field == "share"


def test_an_anonymous_win_with_no_one_mentioned_keeps_its_word_with():
    parsed = win("anonymously with the team we cut waits")
    assert parsed.text == "with the team we cut waits"  # type: ignore[attr-defined]
    assert parsed.anonymous and not parsed.credits  # type: ignore[attr-defined]
    credited = win("anonymously with <@U1> <@U1> we cut waits")
    assert credited.credits == ("U1",) and credited.text == "we cut waits"  # type: ignore[attr-defined]
