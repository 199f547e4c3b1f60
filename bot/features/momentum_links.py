"""What the momentum features (newsletter, nudges, close) read from wins, pledges, polls and
stories: texts and figures only, never who said what."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from bot.features import library, pledge_rows, poll_queries, stories, win_queries


def wins_between(session: Session, community_id: int, start: datetime, end: datetime) -> list[str]:
    """The texts of the wins posted in [start, end) (no names)."""
    return [win.text for win in win_queries.wins_between(session, community_id, start, end)]


def resources_between(
    session: Session, community_id: int, start: datetime, end: datetime
) -> list[str]:
    """Resources shared in (start, end], described (no names)."""
    return [
        r.describe()
        for r in library.resources_between(session, community_id, start, end + timedelta.resolution)
    ]


def stories_between(
    session: Session, community_id: int, start: datetime, end: datetime
) -> list[str]:
    """Value stories told in [start, end) that their tellers agreed may be quoted (no names)."""
    return [
        f"{story.what} — {story.difference}"
        for story in stories.stories_between(session, community_id, start, end)
    ]


def open_pledge_holders(session: Session, community_id: int) -> set[int]:
    """Ids of the members holding an open pledge."""
    return pledge_rows.open_pledge_holders(session, community_id)


def open_pledges_count(session: Session, community_id: int, now: datetime) -> int:
    """How many pledges are open."""
    return pledge_rows.pledge_counts(session, community_id, now)[0]


def poll_status(
    session: Session, community_id: int, now: datetime, since: datetime | None = None
) -> list[str]:
    """One line per poll worth mentioning (turnout and results, no names): the open ones and
    those closed in the last 14 days, or since `since` if that is longer ago."""
    recent = max(timedelta(days=14), now - since) if since is not None else timedelta(days=14)
    return [status.text for status in poll_queries.poll_status(session, community_id, now, recent)]
