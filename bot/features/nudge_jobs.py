"""The nudges' timers: every active nudge of every open community."""

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.domain import when
from bot.features import nudge_times
from bot.features.nudge_commands import SendNudge
from bot.scheduling import JobSpec
from bot.storage.tables import Community
from bot.storage.tables_momentum import Nudge
from bot.storage.uow import UnitOfWork

log = logging.getLogger(__name__)

#: A nudge that could not go out within this long (copbot was down) is skipped, and logged.
GRACE = timedelta(hours=6)


def collect_jobs(uow: UnitOfWork, settings_of: object) -> list[JobSpec]:
    """Every active nudge of every open community."""
    specs: list[JobSpec] = []
    # Only the columns a schedule needs, as plain rows: loading 10,000 whole Nudge objects
    # was most of the time a pass took.
    rows = uow.session.exec(
        select(
            col(Nudge.id),
            col(Nudge.community_id),
            col(Nudge.recurrence),
            col(Nudge.fire_at),
            col(Nudge.active_since),
            Community.timezone,
        )
        .join(Community, col(Community.id) == col(Nudge.community_id))
        .where(col(Community.closed_at).is_(None), Nudge.status == "active")
    ).all()
    zones: dict[str, ZoneInfo] = {}
    for nudge in rows:
        zone = zones.setdefault(nudge.timezone, ZoneInfo(nudge.timezone))
        nudge_id = nudge.id
        try:
            times, next_after = (
                nudge_times.times_of(nudge, zone),
                nudge_times.next_after_of(nudge, zone),
            )
        except when.WhenError:
            # A rule stored by an older copbot that this one cannot read: the others go on.
            log.warning("nudge %s: its rule %r cannot be read; skipped", nudge_id, nudge.recurrence)
            continue
        specs.append(
            JobSpec(
                key=f"nudge:{nudge_id}",
                community_id=nudge.community_id,
                times=times,
                next_after=next_after,
                make=lambda t, i=nudge_id: SendNudge(i, t),
                grace=GRACE,
                since=nudge.active_since,
            )
        )
    return specs
