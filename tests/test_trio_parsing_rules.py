"""What `/cop trios …` and the "did you meet?" buttons are read as, and what is refused."""

from __future__ import annotations

import pytest

from bot.errors import UserError
from bot.features.trio_commands import (
    AnswerTrioMet,
    FormTriosNow,
    JoinTrios,
    LeaveTrios,
    ShowTrios,
    StartTrios,
    StopTrios,
)
from bot.features.trio_parsing import TRIOS, met_button
from tests.conftest import make_settings

SETTINGS = make_settings().communities[0]
USAGE = (
    "Usage: /cop trios · /cop trios join · /cop trios leave · "
    "/cop trios start [size 3] [every 4 weeks] · /cop trios now · /cop trios stop"
)
SIZE_REFUSAL = "The group size is a number from 2 to 6."
EVERY_REFUSAL = "Form groups every 1 to 13 weeks, e.g. every 4 weeks."


def read(text: str) -> object:
    return TRIOS.parse(text, SETTINGS)


def refusal(text: str) -> str:
    with pytest.raises(UserError) as caught:
        read(text)
    return str(caught.value)


def test_the_simple_words_each_name_their_command_in_any_case():
    assert read("") == ShowTrios()
    assert read("join") == JoinTrios()
    assert read("LEAVE") == LeaveTrios()
    assert read("Stop") == StopTrios()
    assert read("now") == FormTriosNow()
    assert read("NOW") == FormTriosNow()


def test_simple_words_with_more_after_them_show_the_usage():
    for text in ("join now", "leave please", "stop 2", "now 2", "later"):
        assert refusal(text) == USAGE, text


def test_start_alone_is_groups_of_three_every_four_weeks():
    assert read("start") == StartTrios(3, 28)
    assert read("START") == StartTrios(3, 28)


def test_start_reads_a_size_and_a_rhythm_in_either_order_and_any_case():
    assert read("start size 4") == StartTrios(4, 28)
    assert read("start every 2 weeks") == StartTrios(3, 14)
    assert read("start Size 5 Every 1 Week") == StartTrios(5, 7)
    assert read("start every 13 weeks size 2") == StartTrios(2, 91)
    assert read("start size #6") == StartTrios(6, 28)


def test_sizes_from_two_to_six_only():
    assert read("start size 2") == StartTrios(2, 28)
    assert read("start size 6") == StartTrios(6, 28)
    for text in ("start size 1", "start size 7", "start size three", "start size 0"):
        assert refusal(text) == SIZE_REFUSAL, text


def test_every_one_to_thirteen_weeks_only():
    assert read("start every 1 weeks") == StartTrios(3, 7)
    assert read("start every 13 week") == StartTrios(3, 91)
    for text in ("start every 0 weeks", "start every 14 weeks", "start every two weeks"):
        assert refusal(text) == EVERY_REFUSAL, text


def test_start_with_words_it_cannot_place_shows_the_usage():
    for text in (
        "start size",  # no number after it
        "start every 4",  # no 'weeks'
        "start every 4 days",
        "start every weeks 4",
        "start size 3 soon",
        "start groups",
    ):
        assert refusal(text) == USAGE, text


def test_the_met_button_carries_its_group_and_answer():
    assert met_button("12:yes") == AnswerTrioMet(12, "yes")
    assert met_button("3:not_yet") == AnswerTrioMet(3, "not_yet")
    assert met_button("#3:skip") == AnswerTrioMet(3, "skip")


def test_an_unreadable_met_button_is_out_of_date():
    for value in ("x:yes", "12:maybe", "12", ":yes", "12:YES"):
        with pytest.raises(UserError) as caught:
            met_button(value)
        assert str(caught.value) == "That button is out of date. Try /cop trios.", value


def test_trios_answers_to_trio_too():
    assert TRIOS.name == "trios" and TRIOS.aliases == ("trio",)
