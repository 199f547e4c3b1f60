"""Finding a member's own check-in reply seeks it by index: the cost of a reply does not
grow with the number of replies already in (a 1,000-member check-in read every reply)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from bot.features.checkins import _MY_REPLY, my_replies_statement


def query_plan(engine: Engine, statement: Any, params: dict[str, object]) -> list[str]:
    """SQLite's plan for `statement`, one line per step."""
    compiled = statement.compile(engine, compile_kwargs={"render_postcompile": True})
    values = compiled.construct_params(params)
    ordered = tuple(values[name] for name in compiled.positiontup)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", ordered).all()
    return [row[-1] for row in rows]


def searches(plan: list[str]) -> list[str]:
    return [step for step in plan if step.startswith(("SEARCH", "SCAN"))]


@pytest.mark.parametrize(
    ("statement", "params"),
    [
        (_MY_REPLY, {"checkin": 1, "key": "k", "kind": "success", "member": 2}),
        (my_replies_statement(1, ["k1", "k2", "k3"], 2), {}),
    ],
    ids=["the reply being changed", "a member's replies"],
)
def test_each_half_of_the_search_seeks_one_members_rows(sqlite_engine, statement, params):
    steps = searches(query_plan(sqlite_engine, statement, params))
    assert len(steps) == 2, steps  # one seek by author key, one by member
    by_key, by_member = steps
    assert "author_key=?" in by_key or "author_key>?" in by_key, by_key
    assert "member_id=?" in by_member, by_member
    assert not any(step.startswith("SCAN") for step in steps)
