"""Counting votes: pure functions, no I/O.

Options are numbered from 1. A ballot is a tuple of option numbers whose meaning depends on
the method:

- ``single``: one option, ``(2,)``;
- ``approval`` (multiple choice): every option the voter approves of, ``(1, 3)``;
- ``dots``: one entry per dot, stacking allowed, ``(1, 1, 3)`` = two dots on 1, one on 3;
- ``ranked`` (instant run-off): options in order of preference, favourite first, ``(3, 1)``;
  a ballot need not rank every option.

Instant run-off: each round, every ballot counts for its favourite option still in the race.
An option with more than half of those votes wins. Otherwise the option with the fewest
votes is eliminated and its ballots move to their next choice; a ballot with no choice left
is *exhausted*. If several options tie for fewest, the one with fewer votes in the latest
earlier round where they differed goes. If they never differed, all of them go together when
that cannot change who else stays (their votes together are fewer than any other option's);
otherwise the count tries each of them going out: when every choice leads to the same
winner, that option wins; when it changes who wins, it is a tie between the options that
could still win (only those).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.domain.text import plural

Method = Literal["single", "approval", "dots", "ranked"]
METHODS: tuple[Method, ...] = ("single", "approval", "dots", "ranked")
MAX_OPTIONS = 25
DEFAULT_DOTS = 3
MAX_DOTS = 25


class BallotError(ValueError):
    """A ballot that cannot be accepted; the message is written for the voter."""


@dataclass(frozen=True)
class Round:
    """One round of an instant run-off count."""

    counts: dict[int, int]  # continuing option -> votes this round
    exhausted: int  # ballots with no continuing choice left
    eliminated: tuple[int, ...] = ()  # options that went out after this round


@dataclass(frozen=True)
class Result:
    """The outcome of a count. One winner, several (a tie), or none (no votes)."""

    method: Method
    counts: dict[int, int]  # every option -> votes (dots for `dots`; first round for `ranked`)
    ballots: int
    winners: tuple[int, ...]
    rounds: tuple[Round, ...] = field(default=())

    @property
    def tie(self) -> bool:
        return len(self.winners) > 1

    @property
    def winner(self) -> int | None:
        return self.winners[0] if len(self.winners) == 1 else None


# ---- reading and checking ballots ------------------------------------------------------


def check_ballot(
    method: Method, choices: Sequence[int], options: int, dots: int
) -> tuple[int, ...]:
    """Validate a ballot for a poll with `options` options; return it normalised.

    Raises BallotError with a sentence for the voter when it cannot be accepted."""
    unknown = sorted({n for n in choices if not 1 <= n <= options})
    if unknown:
        listed = ", ".join(str(n) for n in unknown)
        raise BallotError(f"There's no option {listed}: the options are numbered 1 to {options}.")
    if not choices:
        raise BallotError("Please choose at least one option.")
    if method == "single":
        if len(choices) != 1:
            raise BallotError("This poll takes one choice: give a single option number.")
        return (choices[0],)
    if method == "approval":
        return tuple(sorted(set(choices)))
    if method == "dots":
        if len(choices) > dots:
            raise BallotError(
                f"That's {len(choices)} dots; you have {dots} to place. Please use {dots} or fewer."
            )
        return tuple(sorted(choices))
    repeated = sorted(n for n, k in Counter(choices).items() if k > 1)
    if repeated:
        listed = ", ".join(str(n) for n in repeated)
        raise BallotError(f"Each option can appear once in a ranking; {listed} appears twice.")
    return tuple(choices)


_NUMBER = re.compile(r"[0-9]{1,6}")
_DOT_PAIR = re.compile(r"^([0-9]{1,6})\s*(?:=|x|×|:|\*)\s*([0-9]{1,12})$")


def read_choices(text: str, method: Method, dots: int = MAX_DOTS) -> list[int]:
    """Read what a voter typed: '3 1 2', '3, 1, 2', '3 > 1 > 2'; for dots also '1=2 3=1'.

    Only the digits 0-9 are numbers. Nothing is expanded beyond `dots` dots (or more entries
    than a ballot can hold): such a ballot is refused first. Raises BallotError for anything
    else."""
    cleaned = re.sub(r"\s*(=|x|×|:|\*)\s*", r"\1", text.strip().lower())
    tokens = [t for t in re.split(r"[\s,;>]+", cleaned) if t]
    most = dots if method == "dots" else MAX_OPTIONS
    choices: list[int] = []
    for token in tokens:
        token = token.rstrip(".")
        pair = _DOT_PAIR.match(token) if method == "dots" else None
        if _NUMBER.fullmatch(token):
            option, count = int(token), 1
        elif pair:
            option, count = int(pair.group(1)), int(pair.group(2))
        else:
            example = "1=2 3=1" if method == "dots" else "3 1 2"
            raise BallotError(
                f"I couldn't read '{token[:20]}': use option numbers, e.g. {example}."
            )
        if len(choices) + count > most:
            if method == "dots":
                raise BallotError(
                    f"That's more than {dots} dots; you have {dots} to place. "
                    f"Please use {dots} or fewer."
                )
            raise BallotError(f"That's more than {MAX_OPTIONS} choices: a poll has at most that.")
        choices += [option] * count
    return choices


def example(method: Method, options: int, dots: int = DEFAULT_DOTS) -> str:
    """A ballot to show as an example, using only options this poll has ('2 1' for two)."""
    if options < 2:
        return f"1={dots}" if method == "dots" else "1"
    if method == "single":
        return "2"
    if method == "approval":
        return "1 3" if options >= 3 else "1 2"
    if method == "ranked":
        return "3 1 2" if options >= 3 else "2 1"
    if dots == 1:
        return "2=1"
    return f"1={dots - 1} {min(options, 3)}=1"


def describe(method: Method, ballot: Sequence[int], labels: Sequence[str]) -> list[str]:
    """A ballot in words, one line per entry (labels are the options, numbered from 1)."""
    if method == "ranked":
        return [f"{place}. {labels[n - 1]}" for place, n in enumerate(ballot, 1)]
    if method == "dots":
        counts = Counter(ballot)
        return [f"{labels[n - 1]} — {plural(k, 'dot')}" for n, k in sorted(counts.items())]
    return [labels[n - 1] for n in ballot]


# ---- counting --------------------------------------------------------------------------


def tally(method: Method, options: int, ballots: Sequence[Sequence[int]]) -> Result:
    """Count `ballots` for a poll of `options` options by `method`."""
    if method == "ranked":
        return instant_runoff(options, ballots)
    counts = {n: 0 for n in range(1, options + 1)}
    for ballot in ballots:
        marks = set(ballot) if method == "approval" else ballot
        for n in marks:
            if n in counts:
                counts[n] += 1
    return Result(method, counts, len(ballots), _top(counts))


def _top(counts: dict[int, int]) -> tuple[int, ...]:
    best = max(counts.values(), default=0)
    if best == 0:
        return ()
    return tuple(n for n, votes in counts.items() if votes == best)


def instant_runoff(options: int, ballots: Sequence[Sequence[int]]) -> Result:
    """Instant run-off (see the module's docstring for the rules, ties included)."""
    budget = [_BRANCH_BUDGET]
    winners, rounds = _count(set(range(1, options + 1)), ballots, [], budget)
    return _ranked_result(options, ballots, rounds, winners)


#: How many tie-break orders a count may try before it calls a tie between those left.
_BRANCH_BUDGET = 2000


def _count(
    continuing: set[int],
    ballots: Sequence[Sequence[int]],
    earlier: list[Round],
    budget: list[int],
) -> tuple[tuple[int, ...], list[Round]]:
    """Count from `continuing` on: (winners, the rounds that show how)."""
    rounds = list(earlier)
    continuing = set(continuing)
    while True:
        counts = {n: 0 for n in sorted(continuing)}
        exhausted = 0
        for ballot in ballots:
            choice = next((n for n in ballot if n in continuing), None)
            if choice is None:
                exhausted += 1
            else:
                counts[choice] += 1
        active = len(ballots) - exhausted
        if active == 0:
            rounds.append(Round(counts, exhausted))
            return (), rounds
        leader = max(counts.values())
        if leader * 2 > active or len(continuing) == 1:
            rounds.append(Round(counts, exhausted))
            return tuple(n for n, v in counts.items() if v == leader), rounds
        out = _to_eliminate(counts, rounds)
        if not out:
            return _break_tie(continuing, ballots, rounds, Round(counts, exhausted), budget)
        rounds.append(Round(counts, exhausted, out))
        continuing -= set(out)


def _break_tie(
    continuing: set[int],
    ballots: Sequence[Sequence[int]],
    rounds: list[Round],
    this_round: Round,
    budget: list[int],
) -> tuple[tuple[int, ...], list[Round]]:
    """Options tie for last place and nothing separates them: try each one going out.

    If every order leads to the same winner, that is the winner (shown by the first order);
    otherwise it is a tie between the options that could still win."""
    fewest = min(this_round.counts.values())
    tied = [n for n, v in this_round.counts.items() if v == fewest]
    for previous in reversed(rounds):
        low = min(previous.counts[n] for n in tied)
        tied = [n for n in tied if previous.counts[n] == low]
    could_win: set[int] = set()
    shown: list[Round] | None = None
    for option in tied:
        budget[0] -= 1
        if budget[0] < 0:  # too many orders to try: the options left share the tie
            return tuple(this_round.counts), [*rounds, this_round]
        went_out = Round(this_round.counts, this_round.exhausted, (option,))
        winners, path = _count(continuing - {option}, ballots, [*rounds, went_out], budget)
        could_win.update(winners)
        shown = shown or path
    if len(could_win) == 1 and shown is not None:
        return tuple(could_win), shown
    return tuple(sorted(could_win)), [*rounds, this_round]


def _to_eliminate(counts: dict[int, int], earlier: Sequence[Round]) -> tuple[int, ...]:
    """The option(s) to eliminate this round; () when the count cannot decide."""
    fewest = min(counts.values())
    tied = [n for n, v in counts.items() if v == fewest]
    for previous in reversed(earlier):
        if len(tied) == 1:
            break
        low = min(previous.counts[n] for n in tied)
        tied = [n for n in tied if previous.counts[n] == low]
    if len(tied) == 1:
        return (tied[0],)
    others = [v for n, v in counts.items() if n not in tied]
    if others and fewest * len(tied) < min(others):
        return tuple(tied)
    return ()


def _ranked_result(
    options: int, ballots: Sequence[Sequence[int]], rounds: list[Round], winners: tuple[int, ...]
) -> Result:
    first = {n: 0 for n in range(1, options + 1)}
    first.update(rounds[0].counts)
    return Result("ranked", first, len(ballots), winners, tuple(rounds))


# ---- keeping a result ------------------------------------------------------------------


def to_json(result: Result) -> dict[str, object]:
    """A result as plain JSON (numbers only: no one's name or ballot), to keep at close."""
    return {
        "counts": {str(n): v for n, v in result.counts.items()},
        "ballots": result.ballots,
        "winners": list(result.winners),
        "rounds": [
            {
                "counts": {str(n): v for n, v in r.counts.items()},
                "exhausted": r.exhausted,
                "eliminated": list(r.eliminated),
            }
            for r in result.rounds
        ],
    }


def from_json(method: Method, data: dict[str, object]) -> Result:
    """The result kept by `to_json`."""

    def numbers(value: object) -> dict[int, int]:
        assert isinstance(value, dict)
        return {int(n): int(v) for n, v in value.items()}

    rounds = data.get("rounds") or []
    assert isinstance(rounds, list)
    return Result(
        method=method,
        counts=numbers(data.get("counts") or {}),
        ballots=int(data.get("ballots") or 0),  # type: ignore[call-overload]
        winners=tuple(int(n) for n in data.get("winners") or []),  # type: ignore[attr-defined]
        rounds=tuple(
            Round(numbers(r["counts"]), int(r["exhausted"]), tuple(r["eliminated"])) for r in rounds
        ),
    )
