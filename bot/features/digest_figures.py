"""The digest's figures, for a window of time.


Every query is bounded by the digest's time window (activity(community_id, at)) or is one
index seek per member (activity(member_id, at)), so its cost does not grow with history.
The chart's finished weeks are counted once and kept in activity_week (activity is only
ever recorded at 'now', so a finished period never changes).

Definitions:
- active: any activity with the member's id in the window; anonymous activity is counted
  as contributions but never attributed to anyone.
- first-time contributor: the member's first ever (named) activity falls in the window.
- voice we haven't heard lately: a member for 3 weeks or more by the window's end, with no
  named activity in those 3 weeks (never heard at all counts too), and not away
  (`/cop skip until …`). Anonymous activity plays no part, so the list reveals nothing
  about who spoke anonymously.
- challenge waiting for a response: a challenge shared in a check-in that closed in the window
  at least 48 hours ago, which no candidate problem proposed since the check-in opened takes
  up (the same words in the same order, ignoring case and punctuation, either containing the
  other).
- pledges due: those whose due date fell in the window, including one renewed in or after the
  window whose replaced due date fell in it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy import case
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, func, select

from bot import contact
from bot.domain import digest as rules
from bot.domain.chart import participation_png
from bot.domain.members import is_away
from bot.features.meeting_queries import next_meeting
from bot.storage.tables import Activity, CheckIn, CheckInReply, Member
from bot.storage.tables_stories import ActivityWeek, Story

#: A period ending at least this long ago is finished: its figures can be kept.
SETTLED = timedelta(minutes=5)


def participation(
    session: Session, community_id: int, start: datetime, end: datetime
) -> tuple[int, int, int]:
    """(distinct named members active, contributions, anonymous contributions) in [start, end)."""
    row = session.exec(
        select(
            func.count(func.distinct(Activity.member_id)),
            func.count(),
            func.coalesce(func.sum(case((col(Activity.member_id).is_(None), 1), else_=0)), 0),
        ).where(
            Activity.community_id == community_id,
            col(Activity.at) >= start,
            col(Activity.at) < end,
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def weekly_figures(
    session: Session, community_id: int, bounds: Sequence[datetime], now: datetime
) -> list[tuple[int, int, int]]:
    """participation() between each two consecutive `bounds`. Finished periods are read from
    (or, the first time, written to) activity_week, so only the open one is counted."""
    periods = list(pairwise(bounds))
    kept = {
        (_aware(row.week_start), _aware(row.week_end)): (
            row.active,
            row.contributions,
            row.anonymous,
        )
        for row in session.exec(
            select(ActivityWeek).where(
                ActivityWeek.community_id == community_id,
                col(ActivityWeek.week_start).in_([low for low, _ in periods]),
            )
        ).all()
    }
    found = []
    for low, high in periods:
        figures = kept.get((low, high))
        if figures is None:
            figures = participation(session, community_id, low, high)
            if high <= now - SETTLED:
                _keep(session, community_id, low, high, figures)
        found.append(figures)
    return found


def _keep(
    session: Session, community_id: int, low: datetime, high: datetime, figures: tuple[int, ...]
) -> None:
    """Store one finished period's figures; another process may have just done so."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(ActivityWeek)
        .values(
            community_id=community_id,
            week_start=low,
            week_end=high,
            active=figures[0],
            contributions=figures[1],
            anonymous=figures[2],
        )
        .on_conflict_do_nothing()
    )


def member_spans(
    session: Session, community_id: int, end: datetime
) -> list[tuple[Member, datetime | None, datetime | None]]:
    """Each member with their first ever named activity and their last one before `end`:
    two index seeks per member (activity(member_id, at)), whatever the history's length."""
    first = (
        select(func.min(Activity.at))
        .where(Activity.member_id == Member.id)
        .correlate(Member)
        .scalar_subquery()
    )
    last = (
        select(func.max(Activity.at))
        .where(Activity.member_id == Member.id, col(Activity.at) < end)
        .correlate(Member)
        .scalar_subquery()
    )
    rows = session.exec(
        select(Member, first, last)
        .where(Member.community_id == community_id, contact.counted())
        .order_by(col(Member.display_name), col(Member.id))
    ).all()
    return [(m, _aware(f), _aware(la)) for m, f, la in rows]


def _aware(moment: datetime | None) -> datetime | None:
    """Aggregates come back naive from SQLite: they are UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def pledge_figures(
    session: Session, community_id: int, start: datetime, end: datetime
) -> rules.PledgeFigures:
    """Made, due, done, renewed and let go in [start, end): counts only."""
    try:
        from bot.storage.tables_wins import Pledge
    except ImportError:  # pledges not installed
        return rules.PledgeFigures()

    def count(*where: object) -> int:
        return int(
            session.exec(
                select(func.count())
                .select_from(Pledge)
                .where(Pledge.community_id == community_id, *where)  # type: ignore[arg-type]
            ).one()
        )

    closed = (col(Pledge.closed_at) >= start, col(Pledge.closed_at) < end)
    renewed = session.exec(
        select(func.count()).where(
            Activity.community_id == community_id,
            Activity.kind == "pledge-renewed",
            col(Activity.at) >= start,
            col(Activity.at) < end,
        )
    ).one()
    return rules.PledgeFigures(
        made=count(col(Pledge.created_at) >= start, col(Pledge.created_at) < end),
        due=count(
            Pledge.status != "cancelled",
            (col(Pledge.due_at) >= start) & (col(Pledge.due_at) < end)
            | (col(Pledge.previous_due_at) >= start)
            & (col(Pledge.previous_due_at) < end)
            & (col(Pledge.cycle_start) >= start),
        ),
        done=count(Pledge.status == "done", *closed),
        renewed=int(renewed),
        let_go=count(Pledge.status == "released", *closed),
    )


def checkin_figures(
    session: Session, community_id: int, start: datetime, end: datetime
) -> tuple[int, dict[str, int]]:
    """(check-ins closed in [start, end), their replies counted by kind)."""
    closed = session.exec(
        select(func.count())
        .select_from(CheckIn)
        .where(
            CheckIn.community_id == community_id,
            col(CheckIn.closed_at) >= start,
            col(CheckIn.closed_at) < end,
        )
    ).one()
    rows = session.exec(
        select(CheckInReply.kind, func.count())
        .join(CheckIn, col(CheckIn.id) == col(CheckInReply.checkin_id))
        .where(
            CheckIn.community_id == community_id,
            col(CheckIn.closed_at) >= start,
            col(CheckIn.closed_at) < end,
        )
        .group_by(col(CheckInReply.kind))
    ).all()
    return int(closed), {kind: int(n) for kind, n in rows}


def waiting_challenges(
    session: Session, community_id: int, start: datetime, end: datetime, now: datetime
) -> list[str]:
    """Challenges from check-ins closed in [start, end) and >= 48 h before `now` that no
    candidate problem proposed since takes up. Texts only, alphabetical: never who."""
    rows = session.exec(
        select(CheckInReply.text, CheckIn.opened_at)
        .join(CheckIn, col(CheckIn.id) == col(CheckInReply.checkin_id))
        .where(
            CheckIn.community_id == community_id,
            CheckInReply.kind == "challenge",
            col(CheckIn.closed_at) >= start,
            col(CheckIn.closed_at) < end,
            col(CheckIn.closed_at) <= now - rules.RESPONSE_TIME,
        )
    ).all()
    if not rows:
        return []
    problems = _problems_since(session, community_id, min(_aware(o) for _, o in rows))  # type: ignore[type-var]
    waiting = []
    for text, opened_at in rows:
        said = _words(text)
        taken = said.strip() != "" and any(
            at >= _aware(opened_at) and (said in p or p in said)  # type: ignore[operator]
            for p, at in problems
        )
        if not taken:
            waiting.append(text)
    return sorted(waiting)


def _words(text: str) -> str:
    """' discharge letters arrive late ': the words only, lower case, spaced for matching
    whole words ('late' does not match 'latex')."""
    return " " + " ".join(re.findall(r"\w+", text.casefold())) + " "


def _problems_since(
    session: Session, community_id: int, since: datetime
) -> list[tuple[str, datetime]]:
    try:
        from bot.storage.tables_polls import Problem
    except ImportError:  # problems not installed: nothing takes a challenge up
        return []
    rows = session.exec(
        select(Problem.text, Problem.created_at).where(
            Problem.community_id == community_id,
            col(Problem.created_at) >= since,
            Problem.status != "withdrawn",
        )
    ).all()
    return [(_words(t), _aware(at)) for t, at in rows if _words(t).strip()]  # type: ignore[misc]


def story_figures(
    session: Session, community_id: int, start: datetime, end: datetime
) -> tuple[dict[str, int], list[str]]:
    """Stories told in [start, end) per value cycle, and quotes of the consented ones."""
    stories = session.exec(
        select(Story, Member.display_name)
        .join(Member, col(Member.id) == col(Story.member_id), isouter=True)
        .where(
            Story.community_id == community_id,
            col(Story.created_at) >= start,
            col(Story.created_at) < end,
        )
        .order_by(col(Story.created_at), col(Story.id))
    ).all()
    counts: dict[str, int] = {}
    quotes = []
    for story, name in stories:
        counts[story.cycle] = counts.get(story.cycle, 0) + 1
        if story.consent in ("named", "anonymous"):
            shown = name if story.consent == "named" else None
            quotes.append(rules.quote(story.what, story.difference, shown))
    return counts, quotes


def _wins(session: Session, community_id: int, start: datetime, end: datetime) -> list[str]:
    try:
        from bot.features.win_queries import describe_wins, wins_between
    except ImportError:  # wins not installed
        return []
    return describe_wins(session, wins_between(session, community_id, start, end))


def _polls(session: Session, community_id: int, now: datetime, start: datetime) -> list[str]:
    """Open polls, and those closed in the last 14 days or since `start`, whichever is longer."""
    try:
        from bot.features.poll_queries import poll_status
    except ImportError:  # polls not installed
        return []
    recent = max(timedelta(days=14), now - start)
    return [status.text for status in poll_status(session, community_id, now, recent)]


def _going(
    session: Session, community_id: int, end: datetime, upcoming: datetime | None
) -> list[tuple[datetime, int]]:
    """Going per meeting over the chart's weeks, up to and including the next meeting."""
    try:
        from bot.features.rsvp import going_trend
    except ImportError:  # answers not installed
        return []
    until = max(end, upcoming) + timedelta(seconds=1) if upcoming else end
    return going_trend(session, community_id, end - timedelta(weeks=rules.CHART_WEEKS), until)


def _groups(session: Session, community_id: int, start: datetime, end: datetime) -> tuple[int, int]:
    try:
        from bot.features.trios import trio_figures
    except ImportError:  # co-consulting groups not installed
        return (0, 0)
    return trio_figures(session, community_id, start, end)


def build_digest(
    session: Session,
    community_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    label: str,
    zone: ZoneInfo,
) -> rules.Digest:
    """Every figure of the digest for the window [start, end), as seen at `now`."""
    weeks = weekly_figures(session, community_id, rules.chart_bounds(start, end, zone), now)
    active, contributions, anonymous = participation(session, community_id, start, end)
    spans = member_spans(session, community_id, end)
    members = sum(1 for m, _, _ in spans if m.joined_at < end)
    first_timers = [m.display_name for m, first, _ in spans if first and start <= first < end]
    quiet_since = end - rules.QUIET_AFTER
    quiet = [
        m.display_name
        for m, _, last in spans
        if _aware(m.joined_at) <= quiet_since  # type: ignore[operator]
        and (last is None or last < quiet_since)
        and not is_away(m, now)
    ]
    closed, replies = checkin_figures(session, community_id, start, end)
    stories, quotes = story_figures(session, community_id, start, end)
    upcoming = next_meeting(session, community_id, now)
    return rules.Digest(
        start=start,
        end=end,
        label=label,
        members=members,
        active=active,
        contributions=contributions,
        anonymous=anonymous,
        weekly=tuple(w[0] for w in weeks),
        first_timers=tuple(first_timers),
        quiet=tuple(quiet),
        wins=tuple(_wins(session, community_id, start, end)),
        pledges=pledge_figures(session, community_id, start, end),
        checkins_closed=closed,
        replies=replies,
        waiting_challenges=tuple(waiting_challenges(session, community_id, start, end, now)),
        stories=stories,
        quotes=tuple(quotes),
        polls=tuple(_polls(session, community_id, now, start)),
        next_meeting=upcoming.starts_at if upcoming else None,
        next_topic=upcoming.topic if upcoming else None,
        going=tuple(_going(session, community_id, end, upcoming.starts_at if upcoming else None)),
        groups=_groups(session, community_id, start, end),
    )


def chart_for(digest: rules.Digest, zone: ZoneInfo) -> bytes:
    """The digest's participation chart as PNG bytes (weeks labelled by their Monday)."""
    bounds = rules.chart_bounds(digest.start, digest.end, zone)
    labels = [b.astimezone(zone).strftime("%-d %b") for b in bounds[:-1]]
    return participation_png(digest.weekly, labels, "Members taking part, week by week")
