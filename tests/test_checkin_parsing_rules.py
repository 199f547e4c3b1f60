"""What `/cop checkin`, `/cop reply`, `/cop skip`, the reply and skip buttons and the reply
form are read as, in the community's own words for the kinds of reply."""

from __future__ import annotations

import pytest

from bot import commands as c
from bot.errors import FieldError, UserError
from bot.features.checkin_parsing import (
    CHECKIN,
    REPLY,
    SKIP,
    reply_button,
    reply_form,
    skip_button,
)
from tests.conftest import community, make_settings

PLAIN = make_settings().communities[0]
#: One kind's word is the start of another's: the longer one must win.
OWN_WORDS = make_settings(
    community(words={"success": "Bright Spot", "challenge": "bright", "learning": "insight"})
).communities[0]
REPLY_USAGE = (
    "Usage: /cop reply <kind> [anonymously] <text> · /cop reply withdraw <kind> · /cop reply"
)
NO_WORDS = f"Please add your words after the kind. Usage: {REPLY_USAGE[len('Usage: ') :]}"
PLAIN_KINDS = "success / challenge / learning / learned / learnt / win"


def reply(text: str, settings: object = PLAIN) -> object:
    return REPLY.parse(text, settings)  # type: ignore[arg-type]


def refusal(parse: object, text: str, settings: object = PLAIN) -> str:
    with pytest.raises(UserError) as caught:
        parse(text, settings)  # type: ignore[operator]
    return str(caught.value)


def test_checkin_shows_opens_or_closes():
    assert CHECKIN.parse("", PLAIN) == c.ShowCheckIn()
    for word in ("open", "Start", "OPEN"):
        assert CHECKIN.parse(word, PLAIN) == c.OpenCheckIn(), word
    for word in ("close", "END", "End"):
        assert CHECKIN.parse(word, PLAIN) == c.CloseCheckIn(), word
    assert refusal(CHECKIN.parse, "opens") == (
        "Usage: /cop checkin · /cop checkin open · /cop checkin close"
    )
    assert CHECKIN.aliases == ("check-in",)


def test_a_reply_is_its_kind_and_its_words_as_typed():
    assert reply("") == c.ShowCheckIn()
    assert reply("success We cut waiting times") == c.ReplyToCheckIn(
        kind="success", text="We cut waiting times"
    )
    assert reply("Challenge  Too many  referrals ") == c.ReplyToCheckIn(
        kind="challenge", text="Too many  referrals"
    )
    assert reply("learnt That honey works") == c.ReplyToCheckIn(
        kind="learning", text="That honey works"
    )
    assert reply("WIN new dressing") == c.ReplyToCheckIn(kind="success", text="new dressing")


def test_the_longest_kind_word_is_read_first():
    assert reply("bright spot Shared care plans", OWN_WORDS) == c.ReplyToCheckIn(
        kind="success", text="Shared care plans"
    )
    assert reply("Bright short staffed", OWN_WORDS) == c.ReplyToCheckIn(
        kind="challenge", text="short staffed"
    )
    assert reply("insight honey", OWN_WORDS) == c.ReplyToCheckIn(kind="learning", text="honey")


def test_anonymously_after_the_kind_leaves_the_name_off():
    for word in ("anonymously", "Anon", "anonymous:", "unnamed,", "chatham"):
        assert reply(f"success {word} We did it") == c.ReplyToCheckIn(
            kind="success", text="We did it", anonymous=True
        ), word
    assert reply("success anonymouse We did it") == c.ReplyToCheckIn(
        kind="success", text="anonymouse We did it"
    )


def test_a_kind_without_words_is_refused_with_the_usage():
    assert refusal(REPLY.parse, "success") == NO_WORDS
    assert refusal(REPLY.parse, "success anonymously") == NO_WORDS
    assert refusal(REPLY.parse, "bright spot", OWN_WORDS) == NO_WORDS


def test_an_unknown_kind_lists_the_kinds_one_may_type():
    assert refusal(REPLY.parse, "successes We did it") == (
        f"'successes' isn't a kind of reply. Choose one of: {PLAIN_KINDS}."
    )
    assert refusal(REPLY.parse, "spot on", OWN_WORDS) == (
        "'spot' isn't a kind of reply. Choose one of: success / challenge / learning / "
        "learned / learnt / win / bright spot / bright / insight."
    )
    long_word = "x" * 50
    assert refusal(REPLY.parse, long_word) == (
        f"'{'x' * 40}' isn't a kind of reply. Choose one of: {PLAIN_KINDS}."
    )


def test_withdraw_names_a_kind():
    assert reply("withdraw success") == c.WithdrawReply("success")
    assert reply("Withdraw  Win ") == c.WithdrawReply("success")
    assert reply("withdraw bright spot", OWN_WORDS) == c.WithdrawReply("success")
    assert refusal(REPLY.parse, "withdraw") == REPLY_USAGE
    assert refusal(REPLY.parse, "withdraw  ") == REPLY_USAGE
    assert refusal(REPLY.parse, "withdraw nothing") == (
        f"'nothing' isn't a kind of reply. Choose one of: {PLAIN_KINDS}."
    )


def test_skip_now_until_a_date_or_back_again():
    assert SKIP.parse("", PLAIN) == c.SkipCheckIn()
    for word in ("off", "Back", "STOP"):
        assert SKIP.parse(word, PLAIN) == c.SkipCheckIn(off=True), word
    assert SKIP.parse("until 5 Jan", PLAIN) == c.SkipCheckIn(until="5 Jan")
    assert SKIP.parse("Until  5 Jan ", PLAIN) == c.SkipCheckIn(until="5 Jan")
    usage = "Usage: /cop skip · /cop skip until <date> · /cop skip off"
    for text in ("until", "later", "off now"):
        assert refusal(SKIP.parse, text) == usage, text


def test_the_reply_and_skip_buttons_name_the_checkin():
    assert reply_button("3:success") == c.StartReply(checkin_id=3, kind="success")
    assert reply_button("3:learning") == c.StartReply(checkin_id=3, kind="learning")
    for value in ("3:Success", "3:win", "3"):
        with pytest.raises(UserError) as caught:
            reply_button(value)
        assert str(caught.value) == "That button is out of date. Try /cop checkin.", value
    assert skip_button("3:x") == c.SkipCheckIn(checkin_id=3)
    assert skip_button("3") == c.SkipCheckIn(checkin_id=3)


def test_the_reply_form_is_named_unless_anonymous_is_chosen():
    assert reply_form("3:challenge", {"text": "Staffing"}) == c.ReplyToCheckIn(
        kind="challenge", text="Staffing", checkin_id=3
    )
    assert reply_form("3:success", {}) == c.ReplyToCheckIn(kind="success", text="", checkin_id=3)
    assert reply_form("3:success", {"text": "x", "share": "named"}) == c.ReplyToCheckIn(
        kind="success", text="x", checkin_id=3
    )
    assert reply_form("3:success", {"text": "x", "share": "anonymous"}) == c.ReplyToCheckIn(
        kind="success", text="x", anonymous=True, checkin_id=3
    )
    with pytest.raises(FieldError) as caught:
        reply_form("3:success", {"text": "x", "share": "both"})
    assert str(caught.value) == "Please choose whether to share with your name or anonymously."
    assert caught.value.field == "share"
    with pytest.raises(UserError) as caught:
        reply_form("3:win", {"text": "x"})
    assert str(caught.value) == "That form is out of date. Try /cop checkin."
    with pytest.raises(UserError) as caught:
        reply_form("three:success", {"text": "x"})
    assert str(caught.value) == "That form is out of date. Try /cop help."
