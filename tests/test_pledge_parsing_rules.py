"""What `/cop pledge …`, `/cop pledges …`, the follow-up buttons and forms are read as."""

from __future__ import annotations

import pytest

from bot.errors import UserError
from bot.features.pledge_commands import (
    AskForHelp,
    CancelPledge,
    CompletePledge,
    EditPledge,
    LetGo,
    ListPledges,
    MakePledge,
    OfferHelp,
    RenewPledge,
    SharePledge,
    StartAnswer,
)
from bot.features.pledge_parsing import BUTTONS, FORMS, PLEDGE, PLEDGES, pledge_id_of
from tests.conftest import make_settings

SETTINGS = make_settings().communities[0]
PLEDGE_USAGE = "/cop pledge <text> [by <when>] · /cop pledge share <number>"
PLEDGES_USAGE = (
    "Usage: /cop pledges · /cop pledges edit <number> <text> · /cop pledges renew <number> "
    "[by <when>] · /cop pledges cancel <number> · /cop pledges share <number>"
)


def pledge(text: str) -> object:
    return PLEDGE.parse(text, SETTINGS)


def pledges(text: str) -> object:
    return PLEDGES.parse(text, SETTINGS)


def refused(parse: object, text: str) -> str:
    with pytest.raises(UserError) as caught:
        parse(text)  # type: ignore[operator]
    return str(caught.value)


def test_a_pledge_is_its_words_and_the_date_after_the_last_by():
    assert pledge("") == ListPledges()
    assert pledge("Try the new dressing") == MakePledge(text="Try the new dressing")
    assert pledge("Ask Bob by Friday by 15 Dec") == MakePledge(
        text="Ask Bob by Friday", when="15 Dec"
    )
    assert pledge("share my notes with the team") == MakePledge(text="share my notes with the team")


def test_pledge_share_takes_a_number():
    assert pledge("share 3") == SharePledge(3)
    assert pledge("SHARE #3") == SharePledge(3)
    assert pledge("share  3") == SharePledge(3)  # two spaces


def test_a_pledge_with_only_a_date_asks_what_will_be_done():
    assert refused(pledge, "by Friday") == f"Please say what you'll do. Usage: {PLEDGE_USAGE}"


def test_pledges_edit_renew_cancel_and_share():
    assert pledges("") == ListPledges()
    assert pledges("edit 2 Try two dressings") == EditPledge(2, "Try two dressings")
    assert pledges("EDIT  #2   Try two ") == EditPledge(2, "Try two")
    assert pledges("renew 2") == RenewPledge(2, None)
    assert pledges("Renew 2 by 15 Jan") == RenewPledge(2, "by 15 Jan")
    assert pledges("cancel 2") == CancelPledge(2)
    assert pledges("Cancel 2 ") == CancelPledge(2)
    assert pledges("share 2") == SharePledge(2)
    assert pledges("SHARE 2") == SharePledge(2)


def test_pledges_refuses_what_it_cannot_place_with_the_usage():
    for text in (
        "edit 2",
        "edit two Try",
        "cancel 2 now",
        "share 2 please",
        "renew",
        "list 2",
        "2",
    ):
        assert refused(pledges, text) == PLEDGES_USAGE, text


def test_each_follow_up_button_names_its_pledge():
    assert pledge_id_of("5:x") == 5
    assert BUTTONS["pledge.share"]("5") == SharePledge(5)
    assert BUTTONS["pledge.done"]("5") == StartAnswer(5, "done")
    assert BUTTONS["pledge.later"]("5") == StartAnswer(5, "later")
    assert BUTTONS["pledge.help"]("5") == StartAnswer(5, "help")
    assert BUTTONS["pledge.letgo"]("5") == LetGo(5)
    assert BUTTONS["pledge.offer"]("5") == OfferHelp(5)
    with pytest.raises(UserError) as caught:
        pledge_id_of("five")
    assert str(caught.value) == "That button is out of date. Try /cop help."


def test_the_done_form_reads_the_outcome_and_both_yes_answers():
    assert FORMS["pledge.done"]("5", {"outcome": "It worked", "win": "yes", "story": "yes"}) == (
        CompletePledge(pledge_id=5, outcome="It worked", share_win=True, story_ok=True)
    )
    assert FORMS["pledge.done"]("5", {"win": "no", "story": "no"}) == CompletePledge(
        pledge_id=5, outcome=""
    )
    assert FORMS["pledge.done"]("5", {}) == CompletePledge(pledge_id=5, outcome="")
    with pytest.raises(UserError) as caught:
        FORMS["pledge.done"]("x", {})
    assert str(caught.value) == "That form is out of date. Try /cop help."


def test_the_renew_form_reads_a_new_date_or_none():
    assert FORMS["pledge.renew"]("5", {"when": " 15 Jan "}) == RenewPledge(5, "15 Jan")
    assert FORMS["pledge.renew"]("5", {"when": "  "}) == RenewPledge(5, None)
    assert FORMS["pledge.renew"]("5", {}) == RenewPledge(5, None)
    with pytest.raises(UserError) as caught:
        FORMS["pledge.renew"]("x", {})
    assert str(caught.value) == "That form is out of date. Try /cop help."


def test_the_help_form_is_named_unless_anonymous_is_chosen():
    assert FORMS["pledge.help"]("5", {"help": "A second pair of eyes"}) == AskForHelp(
        5, "A second pair of eyes"
    )
    assert FORMS["pledge.help"]("5", {}) == AskForHelp(5, "")
    assert FORMS["pledge.help"]("5", {"help": "Eyes", "share": "named"}) == AskForHelp(5, "Eyes")
    assert FORMS["pledge.help"]("5", {"help": "Eyes", "share": "anonymous"}) == AskForHelp(
        5, "Eyes", anonymous=True
    )
    with pytest.raises(UserError) as caught:
        FORMS["pledge.help"]("5", {"help": "Eyes", "share": "secret"})
    assert str(caught.value) == "Please choose whether to post it with your name or anonymously."
    with pytest.raises(UserError) as caught:
        FORMS["pledge.help"]("x", {})
    assert str(caught.value) == "That form is out of date. Try /cop help."
