"""Reading what people type, press and submit about polls: the forgiving grammar.

Grammar of `/cop poll open` (quotes around the question and each option, or `|` between them):

    /cop poll open "Which topic next?" "Caseloads" "Isolation" --method ranked
         --deadline "in 5 days" --anonymous --live [--dots 5] [--topic]
    /cop poll open Which topic next? | Caseloads | Isolation --ranked
    /cop poll open from problems [method] [problem ids…] [--deadline …] [--anonymous] …
    /cop poll open                                  (a form, for conveners)

Flags may be written `--flag` or `—flag` (phones turn -- into a dash); a method may be a bare
word (`ranked`) or `--method ranked`. Defaults: one choice, 3 dots, closes in 7 days (a date
alone means 17:00 that day), named votes, results hidden until close.

Votes: `/cop vote <poll> <choices>`: one choice `2`; multiple choice `1 3`; ranked `3 1 2`
(favourite first, commas or `>` also fine); dots `1=2 3=1` (or `1 1 3`); `clear` to remove.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.commands import Command
from bot.config import CommunitySettings
from bot.domain import polls as rules
from bot.domain import tally as counting
from bot.domain.text import read_number
from bot.errors import UserError
from bot.features.base import split_id
from bot.features.poll_commands import (
    PRIVACY,
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

POLL_USAGE = (
    '/cop poll · /cop poll <n> · /cop poll open "Question?" "Option" "Option" [--method '
    'single|multiple|dots|ranked] [--dots N] [--deadline "in 5 days"] [--anonymous] [--live] '
    "[--topic] · /cop poll open from problems [method] [--deadline …] · /cop poll close <n> "
    "· /cop poll decide <n> <option> · /cop poll runoff <n>"
)
VOTE_USAGE = (
    "/cop vote · /cop vote <poll> · /cop vote <poll> <choices> (one choice: 2 · multiple: "
    "1 3 · ranked: 3 1 2 · dots: 1=2 3=1) · /cop vote <poll> clear"
)

_DASHES = re.compile(r"^(?:--|—|–)(?=[a-z])")
_FLAG_VALUE = {"method", "deadline", "closes", "until", "by", "question", "dots"}


_TOKEN = re.compile(r'"([^"]*)"|([^\s"]+)')


def _tokens(text: str) -> list[tuple[str, bool]]:
    """Words and "quoted phrases" (double quotes only; apostrophes are ordinary letters),
    each with whether it was quoted."""
    text = text.replace("“", '"').replace("”", '"').replace("„", '"')
    if text.count('"') % 2:
        raise UserError('A quote is missing its partner: check the " marks.')
    return [
        (found.group(1), True) if found.group(1) is not None else (found.group(2), False)
        for found in _TOKEN.finditer(text)
    ]


def _method_word(word: str) -> counting.Method | None:
    return rules.METHOD_WORDS.get(word.lower().strip())


def _parse_open(rest: str) -> Command:
    if not rest.strip():
        return StartPollForm()
    plain = rest.replace("“", '"').replace("”", '"')
    pipe_mode = '"' not in plain and "|" in plain
    positional_text = ""
    if pipe_mode:
        flag_at = re.search(r"\s(?:--|—|–)[a-z]", plain)
        cut = flag_at.start() if flag_at else len(plain)
        positional_text, plain = plain[:cut], plain[cut:]
    quoted_tokens = _tokens(plain)
    tokens = [token for token, _ in quoted_tokens]
    values: dict[str, Any] = {}
    methods: list[counting.Method] = []
    positional: list[str] = []
    unquoted: list[str] = []
    index = 0
    while index < len(tokens):
        token, quoted = quoted_tokens[index]
        index += 1
        flag = None if quoted else _DASHES.match(token.lower())
        if flag is None:
            positional.append(token)
            if not quoted:
                unquoted.append(token)
            continue
        name = token[flag.end() :].lower()
        if name in _FLAG_VALUE and name != "dots":
            if index >= len(tokens):
                raise UserError(f"--{name} needs a value after it. Usage: {POLL_USAGE}")
            value = tokens[index]
            index += 1
            if name == "method":
                method = _method_word(value)
                if method is None:
                    raise UserError(_unknown_method(value))
                methods.append(method)
            elif name == "question":
                values["question"] = value
            else:
                values["deadline"] = value
        elif name == "dots":
            methods.append("dots")
            if index < len(tokens) and re.fullmatch(r"[0-9]+", tokens[index]):
                values["dots"] = read_number(tokens[index], most=counting.MAX_DOTS)
                if values["dots"] is None:
                    raise UserError(f"Each person can have 1 to {counting.MAX_DOTS} dots.")
                index += 1
        elif name in ("anonymous", "anon", "anonymously"):
            values["anonymous"] = True
        elif name in ("named", "public"):
            values["anonymous"] = False
        elif name in ("live", "show-results"):
            values["live"] = True
        elif name in ("hidden", "hide-results"):
            values["live"] = False
        elif name == "topic":
            values["sets_topic"] = True
        elif name in ("no-topic", "notopic"):
            values["sets_topic"] = False
        elif (method := _method_word(name)) is not None:
            methods.append(method)
        else:
            raise UserError(f"I don't know the option '--{name[:30]}'. Usage: {POLL_USAGE}")
    source = [w.lower() for w in positional[:2]]
    if source[:2] in (["from", "problems"], ["from", "candidates"]) or source[:1] == ["problems"]:
        skip = 1 if source[:1] == ["problems"] else 2
        ids: list[int] = []
        for word in positional[skip:]:
            method = _method_word(word)
            if method is not None:
                methods.append(method)
            elif (number := read_number(word.strip(","))) is not None:
                ids.append(number)
            else:
                raise UserError(
                    f"I couldn't read '{word[:30]}'. Usage: /cop poll open from problems "
                    "[method] [problem numbers] [--deadline …] [--anonymous] [--live]"
                )
        return OpenPoll(from_problems=True, problem_ids=tuple(ids), **_with_method(values, methods))
    if pipe_mode:
        parts = [p.strip() for p in positional_text.split("|")]
        if positional:
            raise UserError(f"I couldn't read '{positional[0][:30]}'. Usage: {POLL_USAGE}")
        positional = parts
    elif unquoted and (len(positional) > 1 or any(q for _, q in quoted_tokens)):
        raise UserError(
            f"I couldn't read '{unquoted[0][:30]}'. Please put the question and each option in "
            'double quotes: /cop poll open "Which topic next?" "Caseloads" "Isolation" — or '
            "separate them with |."
        )
    if not positional:
        raise UserError(f"Please give a question and options. Usage: {POLL_USAGE}")
    values = _with_method(values, methods)
    question = values.pop("question", None)
    if question is not None:  # --question "…": every other word given is an option
        return OpenPoll(question=question, options=tuple(positional), **values)
    return OpenPoll(question=positional[0], options=tuple(positional[1:]), **values)


def _with_method(values: dict[str, Any], methods: list[counting.Method]) -> dict[str, Any]:
    """One way of voting, named once or the same each time."""
    named = list(dict.fromkeys(methods))
    if len(named) > 1:
        listed = " and ".join(rules.METHOD_NAMES[m] for m in named)
        raise UserError(f"Please choose one way of voting; you gave {listed}.")
    return {**values, "method": named[0]} if named else values


def _unknown_method(word: str) -> str:
    return f"'{word[:30]}' isn't a way of voting I know. Choose single, multiple, dots or ranked."


def _poll_number(word: str) -> int:
    number = read_number(word)
    if number is None:
        raise UserError(f"Please give the poll's number (see /cop poll). Usage: {POLL_USAGE}")
    return number


def parse_poll(rest: str, _settings: CommunitySettings) -> Command:
    action, _, tail = rest.strip().partition(" ")
    tail = tail.strip()
    match action.lower():
        case "" | "list":
            return ShowPolls()
        case "open" | "new" | "start":
            return _parse_open(tail)
        case "close" | "end":
            return ClosePoll(_poll_number(tail))
        case "decide" | "choose":
            number, _, option = tail.partition(" ")
            if option.strip():
                return DecidePoll(_poll_number(number), option.strip())
        case "runoff" | "run-off":
            number, _, deadline = tail.partition(" ")
            return RunoffPoll(_poll_number(number), deadline.strip() or None)
        case _ if read_number(action) is not None and not tail:
            return ShowPoll(_poll_number(action))
    raise UserError(f"Usage: {POLL_USAGE}")


def parse_vote(rest: str, _settings: CommunitySettings) -> Command:
    number, _, tail = rest.strip().partition(" ")
    if not number:
        return ShowBallots()
    poll_id = _poll_number(number)
    tail = tail.strip()
    if not tail:
        return ShowBallots(poll_id)
    if tail.lower() in ("clear", "withdraw", "remove", "none"):
        return ClearVote(poll_id)
    return Vote(poll_id, tail)


def vote_button(value: str) -> Command:
    poll_id, word = split_id(value)
    number = read_number(word, most=counting.MAX_OPTIONS)
    if number is None:
        raise UserError("That button is out of date. Try /cop vote.")
    return PressOption(poll_id, number)


def ballot_button(value: str) -> Command:
    poll_id, _ = split_id(value)
    return StartBallot(poll_id)


def decide_button(value: str) -> Command:
    poll_id, number = split_id(value)
    return DecidePoll(poll_id, number)


def runoff_button(value: str) -> Command:
    poll_id, _ = split_id(value)
    return RunoffPoll(poll_id)


def ballot_form(metadata: str, values: Mapping[str, str]) -> Command:
    poll_id, _ = split_id(metadata, "form")
    return Vote(poll_id, values.get("choices", ""))


def open_form(metadata: str, values: Mapping[str, str]) -> Command:
    method = _method_word(values.get("method", "single") or "single")
    if method is None:
        raise UserError(_unknown_method(values.get("method", "")))
    privacy = values.get("privacy", "named-hidden")
    if privacy not in PRIVACY:
        raise UserError("Please choose whether votes are named or anonymous.")
    raw = values.get("options", "") or ""
    options = tuple(
        part.strip() for part in re.split(r"[\n;|]", raw.replace("\r", "")) if part.strip()
    )
    common: dict[str, Any] = {
        "question": values.get("question", "").strip() or None,
        "method": method,
        "deadline": values.get("deadline", "").strip() or None,
        "anonymous": privacy.startswith("anonymous"),
        "live": privacy.endswith("live"),
    }
    if not options:
        return OpenPoll(from_problems=True, **common)
    return OpenPoll(options=options, **common)
