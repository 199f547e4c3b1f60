"""Vote counting, checked against counts worked out by hand."""

from __future__ import annotations

import json

import pytest

from bot.domain.tally import (
    BallotError,
    Round,
    check_ballot,
    describe,
    from_json,
    instant_runoff,
    read_choices,
    tally,
    to_json,
)

# ---- one choice, multiple choice, dots -------------------------------------------------


def test_single_choice_counts_each_ballot_once():
    result = tally("single", 3, [(1,), (2,), (2,), (3,), (2,)])
    assert result.counts == {1: 1, 2: 3, 3: 1}
    assert result.ballots == 5
    assert result.winner == 2 and not result.tie


def test_single_choice_tie_names_every_tied_option():
    result = tally("single", 4, [(1,), (3,), (1,), (3,), (2,)])
    assert result.winners == (1, 3) and result.tie and result.winner is None


def test_no_ballots_means_no_winner():
    result = tally("approval", 3, [])
    assert result.winners == () and result.counts == {1: 0, 2: 0, 3: 0}


def test_approval_counts_each_approved_option_once_per_ballot():
    # (A, B, B) (B) (B, C) (A): a repeated mark counts once -> A 2, B 3, C 1
    result = tally("approval", 3, [(1, 2, 2), (2,), (2, 3), (1,)])
    assert result.counts == {1: 2, 2: 3, 3: 1}
    assert result.winner == 2


def test_dots_stack():
    # Ana 1,1,1 ; Ben 2,2,3 ; Cy 3,3,2 -> 1: 3, 2: 3, 3: 3 -> a three-way tie
    result = tally("dots", 3, [(1, 1, 1), (2, 2, 3), (2, 3, 3)])
    assert result.counts == {1: 3, 2: 3, 3: 3}
    assert result.winners == (1, 2, 3)
    # one more dot on 2 breaks it
    assert tally("dots", 3, [(1, 1, 1), (2, 2, 3), (2, 3, 3), (2,)]).winner == 2


# ---- instant run-off -------------------------------------------------------------------


def test_ranked_majority_in_the_first_round_needs_no_elimination():
    result = instant_runoff(3, [(1, 2), (1, 3), (1,), (2, 1), (3, 2)])
    assert result.winner == 1  # 3 of 5 first preferences
    assert result.rounds == (Round({1: 3, 2: 1, 3: 1}, 0),)


def test_ranked_eliminations_and_transfers():
    # 8 ballots over 1=A, 2=B, 3=C, 4=D:  3 x (A, B)  2 x (B, C)  2 x (C, B)  1 x (D, C)
    # Round 1: A 3, B 2, C 2, D 1; no majority (need more than 4) -> D out, (D, C) moves to C.
    # Round 2: A 3, B 2, C 3 -> B out; both (B, C) move to C.
    # Round 3: A 3, C 5 of 8 -> C wins.
    ballots = [(1, 2)] * 3 + [(2, 3)] * 2 + [(3, 2)] * 2 + [(4, 3)]
    result = instant_runoff(4, ballots)
    assert result.rounds == (
        Round({1: 3, 2: 2, 3: 2, 4: 1}, 0, (4,)),
        Round({1: 3, 2: 2, 3: 3}, 0, (2,)),
        Round({1: 3, 3: 5}, 0, ()),
    )
    assert result.winner == 3
    assert result.counts == {1: 3, 2: 2, 3: 2, 4: 1}  # first preferences


def test_ranked_tie_for_last_place_that_changes_the_winner_names_only_those_who_could_win():
    # Add a ballot (D) to the case above: A 3, B 2, C 2, D 2. B, C and D tie for fewest and
    # no earlier round separates them; together (6) they outnumber A (3).
    # B out -> A 3, C 4, D 2 -> D out -> C 5 of 8: C wins.
    # C out -> A 3, B 4, D 2 -> D out -> B 4 of 7: B wins.
    # D out -> A 3, B 2, C 3 -> B out -> C 5: C wins.
    # Which one goes changes who wins (B or C); A and D can win in no order: a tie of B and C.
    ballots = [(1, 2)] * 3 + [(2, 3)] * 2 + [(3, 2)] * 2 + [(4, 3), (4,)]
    result = instant_runoff(4, ballots)
    assert result.rounds == (Round({1: 3, 2: 2, 3: 2, 4: 2}, 0, ()),)
    assert result.winners == (2, 3) and result.tie


def test_ranked_tie_for_last_place_that_cannot_change_the_winner_is_no_tie():
    # (A) x4, (B, A) x2, (C, A) x2 -> A 4, B 2, C 2 of 8: no majority; B and C tie and never
    # differed; whichever goes, its ballots move to A: A 6 of 8. A wins either way.
    ballots = [(1,)] * 4 + [(2, 1)] * 2 + [(3, 1)] * 2
    result = instant_runoff(3, ballots)
    assert result.winner == 1 and not result.tie
    assert result.rounds[0].eliminated == (2,)  # shown with the first order tried
    assert result.rounds[-1].counts == {1: 6, 3: 2}


def test_ranked_exhausted_ballots_leave_the_count():
    # 6 ballots: (A) x3, (B) x2, (C, B) x1
    # Round 1: A 3, B 2, C 1 -> C out; its ballot moves to B.
    # Round 2: A 3, B 3 -> level; in round 1 B had fewer (2 < 3) -> B out.
    # Round 3: A 3; B's three ballots have no choice left (exhausted) -> A wins 3 of 3.
    ballots = [(1,)] * 3 + [(2,)] * 2 + [(3, 2)]
    result = instant_runoff(3, ballots)
    assert result.rounds == (
        Round({1: 3, 2: 2, 3: 1}, 0, (3,)),
        Round({1: 3, 2: 3}, 0, (2,)),
        Round({1: 3}, 3, ()),
    )
    assert result.winner == 1


def test_ranked_backwards_tie_break_uses_the_latest_round_where_they_differed():
    # 1=A 2=B 3=C 4=D. Ballots: (A) x4, (B) x3, (C) x2, (D, C) x1
    # Round 1: A 4, B 3, C 2, D 1 -> D out; (4, 3) moves to C.
    # Round 2: A 4, B 3, C 3 -> B and C tie; in round 1 C had 2 < B's 3 -> C out.
    # Round 3: A 4, B 3 (C's three ballots have no choice left: exhausted) -> A 4 of 7.
    ballots = [(1,)] * 4 + [(2,)] * 3 + [(3,)] * 2 + [(4, 3)]
    result = instant_runoff(4, ballots)
    assert [r.eliminated for r in result.rounds] == [(4,), (3,), ()]
    assert result.rounds[-1] == Round({1: 4, 2: 3}, 3, ())
    assert result.winner == 1


def test_ranked_options_nobody_ranked_first_go_together():
    # Five options, first preferences only for 1 and 2: 3, 4, 5 have 0 each; they go at once
    # (0 + 0 + 0 < 2). Then 1: 3, 2: 2 of 5 -> 1 has a majority.
    ballots = [(1, 3)] * 3 + [(2, 4)] * 2
    result = instant_runoff(5, ballots)
    assert result.rounds[0] == Round({1: 3, 2: 2, 3: 0, 4: 0, 5: 0}, 0, ())
    assert result.winner == 1  # 3 of 5 is already a majority in round 1
    ballots = [(1, 3)] * 2 + [(2, 4)] * 2 + [(5, 1)]
    # Round 1: 1: 2, 2: 2, 3: 0, 4: 0, 5: 1 -> 3 and 4 go together (0 < 1).
    # Round 2: 1: 2, 2: 2, 5: 1 -> 5 out; (5, 1) moves to 1.
    # Round 3: 1: 3, 2: 2 -> 1 wins 3 of 5.
    result = instant_runoff(5, ballots)
    assert [r.eliminated for r in result.rounds] == [(3, 4), (5,), ()]
    assert result.winner == 1


def test_ranked_final_tie_between_two():
    # (1, 3) x2, (2, 3) x2. Round 1: 1: 2, 2: 2, 3: 0 -> 3 out. Round 2: 1: 2, 2: 2, and
    # level in round 1 too -> a tie between 1 and 2.
    # With one more ballot (3, 1): round 1: 1: 2, 2: 2, 3: 1 -> 3 out, its ballot moves to 1;
    # round 2: 1: 3, 2: 2 -> 1 wins.
    ballots = [(1, 3)] * 2 + [(2, 3)] * 2
    result = instant_runoff(3, ballots)
    assert result.rounds == (
        Round({1: 2, 2: 2, 3: 0}, 0, (3,)),
        Round({1: 2, 2: 2}, 0, ()),
    )
    assert result.winners == (1, 2)
    assert instant_runoff(3, [*ballots, (3, 1)]).winner == 1


def test_ranked_with_no_ballots():
    result = instant_runoff(3, [])
    assert result.winners == () and result.ballots == 0


# ---- reading and checking ballots ------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "method", "expected"),
    [
        ("3 1 2", "ranked", [3, 1, 2]),
        ("3, 1, 2", "ranked", [3, 1, 2]),
        ("3 > 1 > 2", "ranked", [3, 1, 2]),
        ("1=2 3=1", "dots", [1, 1, 3]),
        ("1 = 2, 3x1", "dots", [1, 1, 3]),
        ("1 1 3", "dots", [1, 1, 3]),
        ("2", "single", [2]),
    ],
)
def test_read_choices_is_forgiving(typed, method, expected):
    assert read_choices(typed, method) == expected


def test_read_choices_refuses_words():
    with pytest.raises(BallotError, match="use option numbers"):
        read_choices("caseloads", "ranked")
    with pytest.raises(BallotError):
        read_choices("1=2", "ranked")  # dots notation only for dot voting


def test_check_ballot_refusals():
    with pytest.raises(BallotError, match="appears twice"):
        check_ballot("ranked", [1, 2, 1], 3, 3)
    with pytest.raises(BallotError, match="no option 4"):
        check_ballot("ranked", [1, 4], 3, 3)
    with pytest.raises(BallotError, match="you have 3 to place"):
        check_ballot("dots", [1, 1, 2, 2], 3, 3)
    with pytest.raises(BallotError, match="single option"):
        check_ballot("single", [1, 2], 3, 3)
    with pytest.raises(BallotError, match="at least one"):
        check_ballot("approval", [], 3, 3)
    assert check_ballot("approval", [3, 1, 3], 3, 3) == (1, 3)
    assert check_ballot("dots", [3, 1, 3], 3, 3) == (1, 3, 3)
    assert check_ballot("ranked", [3, 1], 3, 3) == (3, 1)


def test_describe_a_ballot():
    labels = ["Caseloads", "Isolation", "Voice"]
    assert describe("ranked", (3, 1), labels) == ["1. Voice", "2. Caseloads"]
    assert describe("dots", (1, 3, 3), labels) == ["Caseloads — 1 dot", "Voice — 2 dots"]
    assert describe("approval", (1, 2), labels) == ["Caseloads", "Isolation"]


def test_a_kept_result_reads_back_the_same():
    ballots = [(1, 2)] * 3 + [(2, 3)] * 2 + [(3, 2)] * 2 + [(4, 3)]
    result = instant_runoff(4, ballots)
    kept = to_json(result)
    assert json.loads(json.dumps(kept)) == kept  # plain JSON, numbers only
    assert from_json("ranked", json.loads(json.dumps(kept))) == result
    single = tally("single", 2, [(1,), (2,), (2,)])
    assert from_json("single", json.loads(json.dumps(to_json(single)))) == single
