"""The check-ins' timers: each open check-in's reminder and close, and each community's
rhythm of opening them (on a schedule, or after each meeting)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot import commands as c
from bot.config import CheckinSettings, CommunitySettings
from bot.domain import when
from bot.scheduling import JobSpec, at, each
from bot.storage.tables import (
    CheckIn,
    Community,
    Meeting,
)
from bot.storage.uow import UnitOfWork

log = logging.getLogger(__name__)


def collect_jobs(uow: UnitOfWork, settings_of: object) -> list[JobSpec]:
    """Each community's check-in rhythm, and each open check-in's reminder and close."""
    session = uow.session
    specs: list[JobSpec] = []
    communities = session.exec(select(Community).where(col(Community.closed_at).is_(None))).all()
    for community in communities:
        settings: CommunitySettings = settings_of(community)  # type: ignore[operator]
        if settings.checkin.schedule:
            specs.append(_rhythm(uow, community, settings.checkin))
    open_checkins = session.exec(
        select(CheckIn)
        .join(Community, col(Community.id) == col(CheckIn.community_id))
        .where(col(CheckIn.closed_at).is_(None), col(Community.closed_at).is_(None))
    ).all()
    for checkin in open_checkins:
        assert checkin.id is not None
        checkin_id = checkin.id
        specs.append(
            JobSpec(
                key=f"checkin-close:{checkin_id}",
                community_id=checkin.community_id,
                times=at(checkin.closes_at),
                catch_up=True,
                make=lambda _t, i=checkin_id: c.CloseCheckIn(checkin_id=i),
            )
        )
        if checkin.remind_at is not None and checkin.reminded_at is None:
            specs.append(
                JobSpec(
                    key=f"checkin-remind:{checkin_id}",
                    community_id=checkin.community_id,
                    times=at(checkin.remind_at),
                    make=lambda _t, i=checkin_id: c.RemindCheckIn(checkin_id=i),
                    grace=checkin.closes_at - checkin.remind_at,
                )
            )
    return specs


def _after_meetings(
    schedule: when.AfterMeeting, meetings: Sequence[datetime], zone: ZoneInfo, community_id: int
) -> list[datetime]:
    """When check-ins open after each meeting; a meeting whose date cannot be worked out
    (stored before dates were bounded) is logged and left out, the others still count."""
    times: list[datetime] = []
    for start in meetings:
        try:
            times.append(schedule.fire_time(start, zone))
        except (OverflowError, ValueError):
            log.warning("community %s: no check-in after a meeting on %s", community_id, start)
    return times


def _rhythm(uow: UnitOfWork, community: Community, checkin: CheckinSettings) -> JobSpec:
    assert checkin.schedule and community.id
    zone = ZoneInfo(community.timezone)
    schedule = when.parse_schedule(checkin.schedule)
    community_id = community.id
    if isinstance(schedule, when.AfterMeeting):
        meetings = uow.session.exec(
            select(Meeting.starts_at).where(
                Meeting.community_id == community_id, col(Meeting.cancelled).is_(False)
            )
        ).all()
        times = each(_after_meetings(schedule, meetings, zone, community_id))
    else:
        recurrence = schedule

        def times(start: datetime, end: datetime) -> list[datetime]:
            return recurrence.between(start, end, zone)

    return JobSpec(
        key=f"checkin-open:{community_id}",
        community_id=community_id,
        times=times,
        make=lambda t: c.OpenCheckIn(community_id=community_id, occurrence=t),
        grace=checkin.grace_period,
        once_per_local_day=community.timezone,
        since=community.created_at,
    )
