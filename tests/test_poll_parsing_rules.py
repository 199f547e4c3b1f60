"""The forgiving grammar of `/cop poll …` and `/cop vote …`, the poll buttons and the two
poll forms: what each is read as, and the exact refusals."""

from __future__ import annotations

import pytest

from bot.errors import UserError
from bot.features.poll_commands import (
    ClearVote,
    ClosePoll,
    DecidePoll,
    OpenPoll,
    PressOption,
    RunoffPoll,
    ShowBallots,
    ShowPoll,
    ShowPolls,
    StartBallot,
    StartPollForm,
    Vote,
)
from bot.features.poll_parsing import (
    POLL_USAGE,
    ballot_button,
    ballot_form,
    decide_button,
    open_form,
    parse_poll,
    parse_vote,
    runoff_button,
    vote_button,
)
from tests.conftest import make_settings

SETTINGS = make_settings().communities[0]
NUMBER_PLEASE = f"Please give the poll's number (see /cop poll). Usage: {POLL_USAGE}"
QUOTES_PLEASE = (
    "Please put the question and each option in double quotes: /cop poll open "
    '"Which topic next?" "Caseloads" "Isolation" — or separate them with |.'
)
UNKNOWN_METHOD = "'{}' isn't a way of voting I know. Choose single, multiple, dots or ranked."


def poll(text: str) -> object:
    return parse_poll(text, SETTINGS)


def refusal(text: str) -> str:
    with pytest.raises(UserError) as caught:
        poll(text)
    return str(caught.value)


def vote_refusal(text: str) -> str:
    with pytest.raises(UserError) as caught:
        parse_vote(text, SETTINGS)
    return str(caught.value)


def test_the_usage_names_every_form_of_the_command():
    assert POLL_USAGE == (
        '/cop poll · /cop poll <n> · /cop poll open "Question?" "Option" "Option" [--method '
        'single|multiple|dots|ranked] [--dots N] [--deadline "in 5 days"] [--anonymous] '
        "[--live] [--topic] · /cop poll open from problems [method] [--deadline …] · "
        "/cop poll close <n> · /cop poll decide <n> <option> · /cop poll runoff <n>"
    )


def test_listing_showing_and_the_form():
    for text in ("", "  ", "list", "LIST"):
        assert poll(text) == ShowPolls(), text
    assert poll("3") == ShowPoll(3)
    assert poll(" #3 ") == ShowPoll(3)
    for text in ("open", "New", "START  "):
        assert poll(text) == StartPollForm(), text


def test_close_decide_and_runoff_name_a_poll():
    assert poll("close 3") == ClosePoll(3)
    assert poll("End #3") == ClosePoll(3)
    assert poll("decide 3 Caseloads") == DecidePoll(3, "Caseloads")
    assert poll("choose 3  Two words ") == DecidePoll(3, "Two words")
    assert poll("runoff 3") == RunoffPoll(3, None)
    assert poll("Run-off 3  in 2 days ") == RunoffPoll(3, "in 2 days")


def test_a_missing_or_unreadable_poll_number_is_refused():
    assert refusal("close") == NUMBER_PLEASE
    assert refusal("close three") == NUMBER_PLEASE
    assert refusal("runoff x") == NUMBER_PLEASE
    assert refusal("decide x Caseloads") == NUMBER_PLEASE


def test_what_cannot_be_placed_shows_the_usage():
    for text in ("decide 3", "decide 3  ", "3 more", "polls", "x"):
        assert refusal(text) == f"Usage: {POLL_USAGE}", text


def test_a_quoted_question_its_options_and_every_flag():
    assert poll(
        'open "Which topic next?" "Caseloads" "Isolation" --method ranked '
        '--deadline "in 5 days" --anonymous --live --topic'
    ) == OpenPoll(
        question="Which topic next?",
        options=("Caseloads", "Isolation"),
        method="ranked",
        deadline="in 5 days",
        anonymous=True,
        live=True,
        sets_topic=True,
    )


def test_curly_quotes_and_apostrophes():
    assert poll("open “Who’s next?” “Ana's” „Ben's“") == OpenPoll(
        question="Who’s next?", options=("Ana's", "Ben's")
    )
    assert poll("""open "Who's next?" "Ana's" "Ben's\"""") == OpenPoll(
        question="Who's next?", options=("Ana's", "Ben's")
    )


def test_a_quote_without_its_partner_is_refused():
    assert refusal('open "Which topic? "Caseloads"') == (
        'A quote is missing its partner: check the " marks.'
    )


def test_options_between_bars_and_flags_after_them():
    assert poll("open Which topic next? | Caseloads | Isolation --ranked") == OpenPoll(
        question="Which topic next?", options=("Caseloads", "Isolation"), method="ranked"
    )
    assert poll("open Which topic? |  Caseloads|Isolation ") == OpenPoll(
        question="Which topic?", options=("Caseloads", "Isolation")
    )
    assert poll("open Q? | A | B —multiple –live --deadline tomorrow") == OpenPoll(
        question="Q?", options=("A", "B"), method="approval", live=True, deadline="tomorrow"
    )
    assert poll("open Q? | A-or-B | C --dots 4") == OpenPoll(
        question="Q?", options=("A-or-B", "C"), method="dots", dots=4
    )


def test_words_left_after_the_flags_of_a_bar_poll_are_refused():
    assert refusal("open Q? | A | B --live tomorrow") == (
        f"I couldn't read 'tomorrow'. Usage: {POLL_USAGE}"
    )


def test_flags_are_any_dash_and_any_case_but_quoted_words_are_options():
    assert poll('open "Q?" "A" "B" —ANONYMOUS –Live --METHOD Multiple') == OpenPoll(
        question="Q?", options=("A", "B"), anonymous=True, live=True, method="approval"
    )
    assert poll('open "Q?" "--live" "B"') == OpenPoll(question="Q?", options=("--live", "B"))


def test_each_flag_and_its_opposite():
    base = 'open "Q?" "A" "B" '
    expected = {
        "--anon": {"anonymous": True},
        "--anonymously": {"anonymous": True},
        "--anonymous --named": {"anonymous": False},
        "--anonymous --public": {"anonymous": False},
        "--show-results": {"live": True},
        "--live --hidden": {"live": False},
        "--live --hide-results": {"live": False},
        "--topic --no-topic": {"sets_topic": False},
        "--notopic": {"sets_topic": False},
        "--closes friday": {"deadline": "friday"},
        "--until friday": {"deadline": "friday"},
        "--by friday": {"deadline": "friday"},
        "--method one": {"method": "single"},
        "--irv": {"method": "ranked"},
        "--ticks": {"method": "approval"},
        "--stars": {"method": "dots"},
    }
    for flags, fields in expected.items():
        assert poll(base + flags) == OpenPoll(question="Q?", options=("A", "B"), **fields), flags


def test_question_as_a_flag_names_the_question_of_a_poll_from_problems():
    assert poll('open from problems --question "Which next?"') == OpenPoll(
        question="Which next?", from_problems=True
    )


def test_dots_with_or_without_how_many():
    base = 'open "Q?" "A" "B" '
    assert poll(base + "--dots") == OpenPoll(question="Q?", options=("A", "B"), method="dots")
    assert poll(base + "--dots 5") == OpenPoll(
        question="Q?", options=("A", "B"), method="dots", dots=5
    )
    assert poll(base + "--dots 25 --anonymous") == OpenPoll(
        question="Q?", options=("A", "B"), method="dots", dots=25, anonymous=True
    )


def test_more_dots_than_allowed_are_refused():
    assert refusal('open "Q?" "A" "B" --dots 26') == "Each person can have 1 to 25 dots."


def test_a_flag_wanting_a_value_at_the_end_is_refused():
    for name in ("method", "deadline", "question"):
        assert refusal(f'open "Q?" "A" --{name}') == (
            f"--{name} needs a value after it. Usage: {POLL_USAGE}"
        ), name
    assert refusal('open "Q?" "A" --Deadline') == (
        f"--deadline needs a value after it. Usage: {POLL_USAGE}"
    )


def test_unknown_methods_and_flags_are_refused_by_name():
    assert refusal('open "Q?" "A" --method borda') == UNKNOWN_METHOD.format("borda")
    assert refusal(f'open "Q?" "A" --method {"b" * 40}') == UNKNOWN_METHOD.format("b" * 30)
    assert refusal('open "Q?" "A" --colour red') == (
        f"I don't know the option '--colour'. Usage: {POLL_USAGE}"
    )
    assert refusal(f'open "Q?" "A" --{"z" * 40}') == (
        f"I don't know the option '--{'z' * 30}'. Usage: {POLL_USAGE}"
    )


def test_one_way_of_voting_only():
    assert poll('open "Q?" "A" --ranked --method ranked') == OpenPoll(
        question="Q?", options=("A",), method="ranked"
    )
    assert refusal('open "Q?" "A" --ranked --method dots') == (
        "Please choose one way of voting; you gave ranked choice and dot voting."
    )
    assert refusal('open "Q?" "A" --single --multiple --dots') == (
        "Please choose one way of voting; you gave one choice and multiple choice and dot voting."
    )


def test_a_poll_from_the_problems_with_numbers_and_a_method():
    assert poll("open from problems ranked 3, 5 --deadline tomorrow --anonymous") == OpenPoll(
        from_problems=True,
        problem_ids=(3, 5),
        method="ranked",
        deadline="tomorrow",
        anonymous=True,
    )
    assert poll("open From Candidates") == OpenPoll(from_problems=True)
    assert poll("open problems #4 dots") == OpenPoll(
        from_problems=True, problem_ids=(4,), method="dots"
    )
    assert poll("open from problems") == OpenPoll(from_problems=True)
    assert refusal("open from problems soon") == (
        "I couldn't read 'soon'. Usage: /cop poll open from problems [method] "
        "[problem numbers] [--deadline …] [--anonymous] [--live]"
    )
    assert refusal(f"open problems {'q' * 40}") == (
        f"I couldn't read '{'q' * 30}'. Usage: /cop poll open from problems [method] "
        "[problem numbers] [--deadline …] [--anonymous] [--live]"
    )


def test_from_alone_is_an_ordinary_question():
    assert poll("open from") == OpenPoll(question="from")


def test_unquoted_words_beside_quoted_ones_ask_for_quotes():
    assert (
        refusal('open "Which topic?" Caseloads') == f"I couldn't read 'Caseloads'. {QUOTES_PLEASE}"
    )
    assert refusal("open Which topic") == f"I couldn't read 'Which'. {QUOTES_PLEASE}"
    long_word = "w" * 40
    assert refusal(f'open "Q?" {long_word}') == f"I couldn't read '{'w' * 30}'. {QUOTES_PLEASE}"


def test_one_unquoted_word_is_a_question_alone():
    assert poll("open Caseloads?") == OpenPoll(question="Caseloads?")


def test_flags_without_a_question_are_refused():
    assert refusal("open --live") == f"Please give a question and options. Usage: {POLL_USAGE}"


def test_votes_ballots_and_clearing():
    assert parse_vote("", SETTINGS) == ShowBallots()
    assert parse_vote("  ", SETTINGS) == ShowBallots()
    assert parse_vote("3", SETTINGS) == ShowBallots(3)
    assert parse_vote("#3  ", SETTINGS) == ShowBallots(3)
    for word in ("clear", "Withdraw", "REMOVE", "none"):
        assert parse_vote(f"3 {word}", SETTINGS) == ClearVote(3), word
    assert parse_vote("3 1 2", SETTINGS) == Vote(3, "1 2")
    assert parse_vote(" 3  1=2 3=1 ", SETTINGS) == Vote(3, "1=2 3=1")
    assert vote_refusal("three 1") == NUMBER_PLEASE


def test_the_poll_buttons():
    assert vote_button("3:2") == PressOption(3, 2)
    assert vote_button("3:25") == PressOption(3, 25)
    for value in ("3:26", "3:x", "3"):
        with pytest.raises(UserError) as caught:
            vote_button(value)
        assert str(caught.value) == "That button is out of date. Try /cop vote.", value
    assert ballot_button("3:x") == StartBallot(3)
    assert decide_button("3:2") == DecidePoll(3, "2")
    assert runoff_button("3:") == RunoffPoll(3)
    assert ballot_form("3", {"choices": "2 1"}) == Vote(3, "2 1")
    assert ballot_form("3", {}) == Vote(3, "")


def test_the_open_form_defaults_to_one_named_choice_from_the_problems():
    assert open_form("", {}) == OpenPoll(from_problems=True)
    assert open_form("", {"method": "", "options": " ;\n| ", "question": "  "}) == OpenPoll(
        from_problems=True
    )


def test_the_open_form_reads_every_field():
    assert open_form(
        "",
        {
            "question": " Which topic? ",
            "method": "Ranked",
            "deadline": " in 3 days ",
            "privacy": "anonymous-live",
            "options": "Caseloads\r\nIsolation; Pay |Rotas\n\n",
        },
    ) == OpenPoll(
        question="Which topic?",
        options=("Caseloads", "Isolation", "Pay", "Rotas"),
        method="ranked",
        deadline="in 3 days",
        anonymous=True,
        live=True,
    )
    assert open_form("", {"options": "A;B", "privacy": "named-live"}) == OpenPoll(
        options=("A", "B"), live=True
    )
    assert open_form("", {"options": "A;B", "privacy": "anonymous-hidden"}) == OpenPoll(
        options=("A", "B"), anonymous=True
    )


def test_the_open_form_refuses_an_unknown_method_or_privacy():
    with pytest.raises(UserError) as caught:
        open_form("", {"method": "borda"})
    assert str(caught.value) == UNKNOWN_METHOD.format("borda")
    with pytest.raises(UserError) as caught:
        open_form("", {"privacy": "secret"})
    assert str(caught.value) == "Please choose whether votes are named or anonymous."


def test_a_question_given_by_name_leaves_every_quoted_word_an_option():
    parsed = poll('open --question "Which topic?" "Caseloads" "Isolation"')
    assert parsed.question == "Which topic?"  # type: ignore[attr-defined]
    assert parsed.options == ("Caseloads", "Isolation")  # type: ignore[attr-defined]


async def test_opening_a_poll_with_a_named_question_opens_it(make_app, person):
    app = make_app()
    cora = person(app, "Cora")  # a convener
    answer = cora.says('poll open --question "Which topic?" "Caseloads" "Isolation"')
    assert "Sorry" not in answer
    assert "Which topic?" in cora.says("poll")
