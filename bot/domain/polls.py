"""Poll rules and wording: who a ballot belongs to, how a poll and its result read.

Anonymity (bot.anonymity): a ballot is found by `voter_key`, a keyed hash of (ballot, poll,
member). On an anonymous poll that hash is all the ballot keeps, so no one — conveners and
keepers included — can see who voted for what; the voter finds their own ballot again by
recomputing the hash until the poll closes, when every key is replaced by random bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot import anonymity
from bot.domain.checkins import local_time
from bot.domain.tally import Method, Result, describe, example
from bot.domain.text import plural, short
from bot.messages import Button, OutMessage, Section
from bot.storage.tables_polls import Poll

METHOD_NAMES: dict[str, str] = {
    "single": "one choice",
    "approval": "multiple choice",
    "dots": "dot voting",
    "ranked": "ranked choice",
}
#: Words a convener may type for each method.
METHOD_WORDS: dict[str, Method] = {
    "single": "single",
    "single-choice": "single",
    "one": "single",
    "approval": "approval",
    "multiple": "approval",
    "multiple-choice": "approval",
    "multi": "approval",
    "ticks": "approval",
    "dots": "dots",
    "dot": "dots",
    "dot-voting": "dots",
    "stars": "dots",
    "ranked": "ranked",
    "rank": "ranked",
    "ranking": "ranked",
    "ranked-choice": "ranked",
    "preference": "ranked",
    "irv": "ranked",
    "instant-runoff": "ranked",
}
BUTTON_LABEL = 70


def voter_key(secret: bytes, poll_id: int, member_id: int) -> str:
    """The keyed hash that lets a voter find their ballot without naming them."""
    return anonymity.author_key(secret, "ballot", poll_id, member_id)


def remind_time(opened_at: datetime, closes_at: datetime) -> datetime | None:
    """When the one reminder goes: a day before the deadline, but not before halfway.
    None for polls shorter than two hours."""
    length = closes_at - opened_at
    if length < timedelta(hours=2):
        return None
    return max(opened_at + length / 2, closes_at - timedelta(days=1))


def _method(poll: Poll) -> Method:
    return poll.method  # type: ignore[return-value]


def how_to_vote(poll: Poll, options: int) -> str:
    """One sentence on how to vote in this poll of `options` options."""
    n = poll.id
    typed = example(_method(poll), options, poll.dots)
    match poll.method:
        case "single":
            return f"Choose one option with the buttons, or type /cop vote {n} <number>."
        case "approval":
            return (
                "Choose every option you would be happy with: press a button to add it, press "
                f"it again to take it off. Or type /cop vote {n} {typed}."
            )
        case "dots":
            return (
                f"You have {poll.dots} dots to place; put several on one option if it matters "
                f"most to you. Press 'Place your dots', or type /cop vote {n} {typed}."
            )
    return (
        "Rank the options, favourite first; leave out any you don't mind about. Press "
        f"'Rank the options', or type /cop vote {n} {typed}."
    )


def rules_line(poll: Poll, timezone: str) -> str:
    """Deadline, anonymity and when results show."""
    who = (
        "Votes are anonymous: no one, not even the conveners, can see who voted for what."
        if poll.anonymous
        else "Votes are named: the result will show who voted for what."
    )
    results = (
        f"Results show as votes come in (/cop poll {poll.id})."
        if poll.live
        else "Results stay hidden until it closes."
    )
    closes = local_time(poll.closes_at, timezone)
    return f"Voting closes {closes}; you can change your vote until then. {who} {results}"


def vote_buttons(poll: Poll, labels: Sequence[str]) -> tuple[Button, ...]:
    """Buttons for voting: one per option (single, approval), else one that opens a form."""
    if poll.method in ("single", "approval"):
        return tuple(
            Button(
                label=short(f"{n}. {label}", BUTTON_LABEL),
                action="poll.vote",
                value=f"{poll.id}:{n}",
            )
            for n, label in enumerate(labels, 1)
        )
    label = "Place your dots" if poll.method == "dots" else "Rank the options"
    return (Button(label=label, action="poll.ballot", value=str(poll.id), style="primary"),)


def poll_message(poll: Poll, labels: Sequence[str], timezone: str) -> OutMessage:
    """The channel post that opens a poll."""
    method = METHOD_NAMES.get(poll.method, poll.method)
    return OutMessage(
        title=f"Poll {poll.id}: {poll.question}",
        sections=(
            Section(items=tuple(f"{n}. {label}" for n, label in enumerate(labels, 1))),
            Section(text=f"How to vote ({method}): {how_to_vote(poll, len(labels))}"),
            Section(text=rules_line(poll, timezone)),
        ),
        buttons=vote_buttons(poll, labels),
    )


def reminder(poll: Poll, labels: Sequence[str], timezone: str) -> OutMessage:
    """The one gentle reminder to members who haven't voted."""
    closes = local_time(poll.closes_at, timezone)
    return OutMessage(
        title=f"A gentle nudge: poll {poll.id} closes {closes}",
        sections=(
            Section(text=poll.question),
            Section(items=tuple(f"{n}. {label}" for n, label in enumerate(labels, 1))),
            Section(
                text=f"{how_to_vote(poll, len(labels))} If you'd rather not vote, that's fine too."
            ),
            *(
                (
                    Section(
                        text="Already voted? Thank you, and please ignore this: on an anonymous "
                        "poll everyone gets this note, so no one can tell who voted."
                    ),
                )
                if poll.anonymous
                else ()
            ),
        ),
        buttons=vote_buttons(poll, labels),
    )


def ballot_lines(poll: Poll, choices: Sequence[int], labels: Sequence[str]) -> list[str]:
    """A ballot in words."""
    return describe(_method(poll), choices, labels)


def format_choices(poll: Poll, choices: Sequence[int]) -> str:
    """A ballot as a voter would type it: '3 1 2', or '1=2 3=1' for dots."""
    if poll.method == "dots":
        counts: dict[int, int] = {}
        for n in choices:
            counts[n] = counts.get(n, 0) + 1
        return " ".join(f"{n}={k}" for n, k in sorted(counts.items()))
    return " ".join(str(n) for n in choices)


def _unit(poll: Poll, count: int) -> str:
    return plural(count, "dot" if poll.method == "dots" else "vote")


def result_sections(poll: Poll, result: Result, labels: Sequence[str]) -> list[Section]:
    """The counts (or, for ranked choice, each round of the count) and the outcome."""

    def name(n: int) -> str:
        return labels[n - 1]

    sections: list[Section] = []
    if poll.method == "ranked" and result.ballots:
        items = []
        for number, round_ in enumerate(result.rounds, 1):
            ordered = sorted(round_.counts.items(), key=lambda kv: (-kv[1], kv[0]))
            line = f"Round {number}: " + " · ".join(f"{name(n)} {v}" for n, v in ordered)
            if round_.exhausted:
                line += f" (no choice left on {round_.exhausted})"
            if round_.eliminated:
                gone = " and ".join(name(n) for n in round_.eliminated)
                line += f" — {gone} {'is' if len(round_.eliminated) == 1 else 'are'} out"
            items.append(line)
        sections.append(Section(heading="The count, round by round", items=tuple(items)))
    elif result.ballots:
        ordered = sorted(result.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        items = tuple(f"{name(n)} — {_unit(poll, v)}" for n, v in ordered)
        sections.append(Section(heading="Votes", items=items))
    return sections


def outcome_line(poll: Poll, result: Result, labels: Sequence[str]) -> str:
    """One sentence: who won, a tie, or no votes."""
    if not result.winners:
        return "No one voted, so nothing was chosen."
    if result.tie:
        names = " and ".join(labels[n - 1] for n in result.winners)
        return (
            f"It's a tie between {names}. A convener will choose between them or run a "
            "run-off poll."
        )
    winner = result.winners[0]
    if poll.method == "ranked":
        last = result.rounds[-1]
        active = sum(last.counts.values())
        votes = f"{last.counts[winner]} of {plural(active, 'vote')}"
        return f"Chosen: {labels[winner - 1]}, with {votes} in the last round."
    return f"Chosen: {labels[winner - 1]}, with {_unit(poll, result.counts[winner])}."
