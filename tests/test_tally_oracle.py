"""Ranked choice against a brute-force count that tries every order of breaking ties."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.tally import instant_runoff


def _oracle(options: int, ballots: list[tuple[int, ...]]) -> set[int]:
    """Every option that wins in some order of eliminating those tied for last.

    One option goes per round; a tie for last is first broken by the latest earlier round
    where the tied options differed (the rule the count promises)."""

    def run(continuing: frozenset[int], history: tuple[dict[int, int], ...]) -> set[int]:
        counts = {n: 0 for n in continuing}
        for ballot in ballots:
            for n in ballot:
                if n in continuing:
                    counts[n] += 1
                    break
        active = sum(counts.values())
        if active == 0:
            return set()
        best = max(counts.values())
        if best * 2 > active or len(continuing) == 1:
            return {n for n, v in counts.items() if v == best}
        low = min(counts.values())
        tied = [n for n, v in counts.items() if v == low]
        for earlier in reversed(history):
            least = min(earlier[n] for n in tied)
            tied = [n for n in tied if earlier[n] == least]
        found: set[int] = set()
        for n in tied:
            found |= run(continuing - {n}, (*history, counts))
        return found

    return run(frozenset(range(1, options + 1)), ())


@st.composite
def polls(draw: st.DrawFn) -> tuple[int, list[tuple[int, ...]]]:
    """A realistic poll: 2-6 options, 10-60 voters, some options more liked than others."""
    options = draw(st.integers(2, 6))
    liking = draw(st.lists(st.integers(1, 5), min_size=options, max_size=options))
    voters = draw(st.integers(10, 60))
    ballots = []
    for _ in range(voters):
        keys = draw(st.lists(st.integers(0, 9), min_size=options, max_size=options))
        order = sorted(range(1, options + 1), key=lambda n: -(liking[n - 1] * 2 + keys[n - 1]))
        ranked = draw(st.integers(1, options))
        ballots.append(tuple(order[:ranked]))
    return options, ballots


@settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(polls())
def test_ranked_choice_declares_a_tie_only_when_the_tie_break_changes_the_winner(poll):
    options, ballots = poll
    result = instant_runoff(options, ballots)
    assert set(result.winners) == _oracle(options, ballots)
    assert result.tie == (len(_oracle(options, ballots)) > 1)
