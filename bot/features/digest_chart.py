"""The weekly digest's chart, as a PNG file for the keeper: contributions per week (named and
anonymous), people taking part, and the digest's week by kind of contribution."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from bot.domain.chart import Week, digest_chart_png
from bot.messages import Attachment
from bot.storage.tables import Activity

#: What each recorded kind of activity is called on the chart.
KIND_NAMES = {
    "replied": "check-in replies",
    "celebrated": "wins",
    "nominated": "wins",
    "cheered": "cheers",
    "pledged": "pledges",
    "pledge-shared": "pledges",
    "pledge-renewed": "pledges",
    "pledge-done": "pledges kept",
    "pledge-let-go": "pledges let go",
    "pledge-help": "offers of help",
    "offered-help": "offers of help",
    "volunteered": "offers of help",
    "voted": "votes",
    "proposed": "ideas and questions",
    "suggested": "ideas and questions",
    "told-story": "stories",
    "shared-resource": "resources shared",
    "answered-pulse": "pulse answers",
}


def kind_counts(
    session: Session, community_id: int, start: datetime, end: datetime
) -> dict[str, int]:
    """Contributions in [start, end) by the name they have on the chart."""
    rows = session.exec(
        select(Activity.kind, func.count())
        .where(
            Activity.community_id == community_id,
            col(Activity.at) >= start,
            col(Activity.at) < end,
        )
        .group_by(Activity.kind)
    ).all()
    counts: dict[str, int] = {}
    for kind, count in rows:
        name = KIND_NAMES.get(kind, kind.replace("-", " "))
        counts[name] = counts.get(name, 0) + int(count)
    return counts


def chart_attachment(
    session: Session,
    community_id: int,
    community_name: str,
    bounds: Sequence[datetime],
    figures: Sequence[tuple[int, int, int]],
    zone: ZoneInfo,
) -> Attachment:
    """The chart as a PNG attachment. `bounds` are the chart's week boundaries (the digest's
    week last) and `figures` (people, contributions, anonymous) between each two of them."""
    weeks = [
        Week(
            label=low.astimezone(zone).strftime("%-d %b"),
            people=active,
            named=contributions - anonymous,
            anonymous=anonymous,
        )
        for (low, _), (active, contributions, anonymous) in zip(
            pairwise(bounds), figures, strict=True
        )
    ]
    start, end = bounds[-2], bounds[-1]
    first = start.astimezone(zone).strftime("%-d %b %Y")
    png = digest_chart_png(
        weeks,
        kind_counts(session, community_id, start, end),
        f"{community_name}: taking part, week by week (digest week from {first})",
    )
    stamp = start.astimezone(zone).date().isoformat()
    return Attachment(
        filename=f"copbot-{community_name}-digest-{stamp}.png", data=png, mime="image/png"
    )
