"""Each time test starts with empty caches, so every test runs the rules themselves rather
than a result an earlier test left behind (and a mutation run sees each mutant)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.domain.when import recurrence, rules


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    for cached in (
        rules.parse_recurrence,
        recurrence.wall_trigger,
        recurrence._next_after,
        recurrence._spread_near,
    ):
        cached.cache_clear()
    yield
