"""Co-consulting groups: who meets whom this round (no I/O).

Groups are as equal in size as possible around the size asked for (20 people in trios:
four groups of 3 and two of 4), so nobody is ever left alone. Pairs who have met before
are avoided for as long as that is possible: a search looks for a grouping with no pair
repeated; when none is found, a local search spreads the repeats, preferring pairs who met
the fewest times and longest ago.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from itertools import combinations

Pair = frozenset[int]

#: Work allowed to the exact search before the local search takes over (steps).
SEARCH_BUDGET = 500_000
RESTARTS = 12


def group_sizes(count: int, size: int) -> list[int]:
    """Group sizes for `count` people around `size`: equal within one, none of 1.
    Fewer than 2 people make no group."""
    if count < 2:
        return []
    groups = count // size
    if groups == 0 or count % size > groups:
        groups += 1
    groups = min(groups, count // 2)
    base, extra = divmod(count, groups)
    return [base + 1] * extra + [base] * (groups - extra)


def pairs_of(group: Sequence[int]) -> list[Pair]:
    return [frozenset(p) for p in combinations(group, 2)]


def _cost(groups: Sequence[Sequence[int]], met: Mapping[Pair, tuple[int, int]]) -> tuple[int, int]:
    """(sum of squared repeat counts, recency): lower is better. `met[pair]` is (times met,
    the last round they met in)."""
    repeats = recency = 0
    for group in groups:
        for pair in pairs_of(group):
            times, last = met.get(pair, (0, 0))
            repeats += times * times
            recency += last
    return repeats, recency


def _exact(
    people: Sequence[int], sizes: Sequence[int], met: Mapping[Pair, object], budget: int
) -> list[list[int]] | None:
    """A grouping with no pair that has met, by backtracking (None if none found in
    `budget` steps)."""
    steps = 0
    groups: list[list[int]] = [[] for _ in sizes]
    unseen = set(people)
    neighbours = {p: {q for q in people if q != p and frozenset((p, q)) in met} for p in people}

    def place() -> bool:
        nonlocal steps
        steps += 1
        if steps > budget:
            raise TimeoutError
        if not unseen:
            return True
        # The most constrained person first: the one with the fewest groups open to them.
        person = min(unseen, key=lambda p: (-len(neighbours[p]), p))
        unseen.discard(person)
        empty_sizes_tried: set[int] = set()
        for index, group in enumerate(groups):
            if len(group) >= sizes[index]:
                continue
            if not group:
                if sizes[index] in empty_sizes_tried:
                    continue  # empty groups of one size are alike
                empty_sizes_tried.add(sizes[index])
            if any(q in neighbours[person] for q in group):
                continue
            group.append(person)
            if place():
                return True
            group.pop()
        unseen.add(person)
        return False

    try:
        return [list(g) for g in groups] if place() else None
    except TimeoutError:
        return None


def _local(
    people: Sequence[int],
    sizes: Sequence[int],
    met: Mapping[Pair, tuple[int, int]],
    rng: random.Random,
) -> list[list[int]]:
    """The best grouping found by swapping pairs of people between groups, from several
    random starts."""
    best: list[list[int]] | None = None
    best_cost: tuple[int, int] | None = None
    for _ in range(RESTARTS):
        order = list(people)
        rng.shuffle(order)
        groups, start = [], 0
        for size in sizes:
            groups.append(order[start : start + size])
            start += size
        cost = _cost(groups, met)
        improved = True
        while improved:
            improved = False
            for a, b in combinations(range(len(groups)), 2):
                for i in range(len(groups[a])):
                    for j in range(len(groups[b])):
                        groups[a][i], groups[b][j] = groups[b][j], groups[a][i]
                        trial = _cost(groups, met)
                        if trial < cost:
                            cost, improved = trial, True
                        else:
                            groups[a][i], groups[b][j] = groups[b][j], groups[a][i]
        if best_cost is None or cost < best_cost:
            best, best_cost = [list(g) for g in groups], cost
    assert best is not None
    return best


def form_groups(
    people: Sequence[int],
    size: int,
    met: Mapping[Pair, tuple[int, int]],
    *,
    seed: int = 0,
) -> list[list[int]]:
    """This round's groups for `people` (member ids), given who has met (`met[pair]` =
    (times, last round)). Deterministic for a given seed. Each group is sorted."""
    sizes = group_sizes(len(people), size)
    if not sizes:
        return []
    rng = random.Random(seed)
    shuffled = list(people)
    rng.shuffle(shuffled)
    groups = _exact(shuffled, sizes, met, SEARCH_BUDGET)
    if groups is None:
        groups = _local(shuffled, sizes, met, rng)
    return sorted(sorted(g) for g in groups)


def record(
    met: dict[Pair, tuple[int, int]], groups: Sequence[Sequence[int]], round_number: int
) -> None:
    """Note that each pair in `groups` met in `round_number`."""
    for group in groups:
        for pair in pairs_of(group):
            met[pair] = (met.get(pair, (0, 0))[0] + 1, round_number)
