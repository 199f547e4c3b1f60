"""Where the momentum features (newsletter, nudges, close) read other features' data:
wins, pledges and polls. Each link is looked up when used, so this module works whether
or not those features are installed; a missing one is simply left out of the recap.

The functions other features may expose (all optional):
  bot.features.wins.wins_between(session, community_id, start, end) -> list of texts
      (or objects with a `.text`): the wins posted in [start, end).
  bot.features.pledges.open_pledge_holders(session, community_id) -> member ids
  bot.features.pledges.pledge_counts(session, community_id, now) -> (open, due soon)
  bot.features.polls.poll_status(session, community_id, now) -> a text or a list of texts
      (or objects with a `.text`)
  bot.features.stories.stories_between(session, community_id, start, end) -> list of texts
      (or objects with a `.text`): for the harvest at an orderly close
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

log = logging.getLogger(__name__)


def _link(module: str, name: str) -> Callable[..., Any] | None:
    try:
        found = importlib.import_module(f"bot.features.{module}")
    except ImportError:
        return None
    function = getattr(found, name, None)
    return function if callable(function) else None


def _safely(session: Session, function: Callable[..., Any], *args: Any) -> Any:
    """Call another feature's function in a savepoint: if it fails, the recap leaves that
    part out instead of failing (and the transaction stays usable)."""
    try:
        with session.begin_nested():
            return function(session, *args)
    except Exception:
        log.exception("%s failed; the recap leaves it out", getattr(function, "__name__", "?"))
        return None


def _texts(values: Iterable[Any]) -> list[str]:
    texts = []
    for value in values:
        text = value if isinstance(value, str) else getattr(value, "text", None)
        if isinstance(text, str) and text.strip():
            texts.append(text.strip())
    return texts


def wins_between(session: Session, community_id: int, start: datetime, end: datetime) -> list[str]:
    """The wins' texts (no names), or [] when wins are not available."""
    function = _link("wins", "wins_between")
    if function is None:
        return []
    return _texts(_safely(session, function, community_id, start, end) or [])


def stories_between(
    session: Session, community_id: int, start: datetime, end: datetime
) -> list[str]:
    """Value-creation stories told in [start, end) (texts only), or [] when not available."""
    function = _link("stories", "stories_between")
    if function is None:
        return []
    return _texts(_safely(session, function, community_id, start, end) or [])


def has_wins() -> bool:
    return _link("wins", "wins_between") is not None


def _open_pledges_query(community_id: int, what: Any) -> Any | None:
    table = SQLModel.metadata.tables.get("pledge")
    if table is None or not {"community_id", "member_id", "status"} <= set(table.c.keys()):
        return None
    return select(what(table)).where(table.c.community_id == community_id, table.c.status == "open")


def open_pledge_holders(session: Session, community_id: int) -> set[int] | None:
    """Member ids holding an open pledge; None when pledges are not available."""
    function = _link("pledges", "open_pledge_holders")
    if function is not None:
        return set(_safely(session, function, community_id) or [])
    query = _open_pledges_query(community_id, lambda t: t.c.member_id)
    if query is None:
        return None
    return {row[0] for row in session.execute(query.distinct()).all()}


def open_pledges_count(session: Session, community_id: int, now: datetime) -> int | None:
    """How many pledges are open; None when pledges are not available."""
    function = _link("pledges", "pledge_counts")
    if function is not None:
        counts = _safely(session, function, community_id, now)
        return None if counts is None else int(counts[0])
    query = _open_pledges_query(community_id, lambda _t: func.count())
    if query is None:
        return None
    return int(session.execute(query).scalar_one())


def poll_status(session: Session, community_id: int, now: datetime) -> list[str]:
    """One line per poll worth mentioning, or [] when polls are not available."""
    function = _link("polls", "poll_status")
    if function is None:
        return []
    status = _safely(session, function, community_id, now)
    if status is None:
        return []
    if isinstance(status, str):
        return [status] if status.strip() else []
    return _texts(status if isinstance(status, Iterable) else [status])
