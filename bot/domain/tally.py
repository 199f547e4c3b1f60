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
otherwise the count cannot separate the options left, and it is a tie between them.
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


_DOT_PAIR = re.compile(r"^(\d+)\s*(?:=|x|×|:|\*)\s*(\d+)$")


def read_choices(text: str, method: Method) -> list[int]:
    """Read what a voter typed: '3 1 2', '3, 1, 2', '3 > 1 > 2'; for dots also '1=2 3=1'.

    Raises BallotError for anything else."""
    cleaned = re.sub(r"\s*(=|x|×|:|\*)\s*", r"\1", text.strip().lower())
    tokens = [t for t in re.split(r"[\s,;>]+", cleaned) if t]
    choices: list[int] = []
    for token in tokens:
        token = token.rstrip(".")
        if token.isdigit():
            choices.append(int(token))
            continue
        pair = _DOT_PAIR.match(token)
        if pair and method == "dots":
            choices += [int(pair.group(1))] * int(pair.group(2))
            continue
        example = "1=2 3=1" if method == "dots" else "3 1 2"
        raise BallotError(f"I couldn't read '{token[:20]}': use option numbers, e.g. {example}.")
    return choices


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
    continuing = set(range(1, options + 1))
    rounds: list[Round] = []
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
            return _ranked_result(options, ballots, rounds, ())
        leader = max(counts.values())
        if leader * 2 > active or len(continuing) == 1:
            rounds.append(Round(counts, exhausted))
            winners = tuple(n for n, v in counts.items() if v == leader)
            return _ranked_result(options, ballots, rounds, winners)
        out = _to_eliminate(counts, rounds)
        rounds.append(Round(counts, exhausted, out))
        if not out:  # the count cannot separate the options left: a tie between them
            return _ranked_result(options, ballots, rounds, tuple(counts))
        continuing -= set(out)


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
