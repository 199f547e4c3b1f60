"""A daily job that destroys what let authors edit anonymous items whose time has passed.

Check-ins and polls seal their anonymous items when they close (bot.anonymity.seal). Items
without a close — anonymous wins — can be withdrawn by their author for `WITHDRAW_WINDOW`;
after that their author key is deleted, so nobody, even holding the database and the secret
key, can tell who posted them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select, update

from bot import commands as c
from bot.context import Context
from bot.domain import when
from bot.features.base import Feature
from bot.messages import Response
from bot.scheduling import JobSpec
from bot.storage.tables import Community
from bot.storage.tables_wins import Win

#: How long the author of an anonymous win can still withdraw it.
WITHDRAW_WINDOW = timedelta(days=7)
SEAL_SCHEDULE = "every day 03:40"


@dataclass(frozen=True)
class SealAnonymous(c.Command):
    """A job: delete the author keys of anonymous items past their editing window."""

    community_id: int
    occurrence: datetime


def seal_expired(ctx: Context, now: datetime) -> None:
    """Delete the author keys of this community's anonymous items past their window."""
    ctx.uow.session.execute(
        update(Win)
        .where(
            col(Win.community_id) == ctx.community_id,
            col(Win.author_key).is_not(None),
            col(Win.created_at) < now - WITHDRAW_WINDOW,
        )
        .values(author_key=None)
    )


def _seal(cmd: SealAnonymous, ctx: Context) -> Response:
    seal_expired(ctx, ctx.clock.now())
    return Response()


def collect_jobs(uow: Any, _settings_of: object) -> list[JobSpec]:
    """The daily seal (03:40 local) in every open community."""
    schedule = when.parse_schedule(SEAL_SCHEDULE)
    assert isinstance(schedule, when.Recurrence)
    specs = []
    for community in uow.session.exec(
        select(Community).where(col(Community.closed_at).is_(None))
    ).all():
        community_id, zone = community.id, ZoneInfo(community.timezone)

        def times(start: datetime, end: datetime, zone: Any = zone) -> list[datetime]:
            return schedule.between(start, end, zone)

        specs.append(
            JobSpec(
                key=f"anonymity-seal:{community_id}",
                community_id=community_id,
                times=times,
                make=lambda t, i=community_id: SealAnonymous(community_id=i, occurrence=t),
                grace=timedelta(days=1),
                once_per_local_day=community.timezone,
                since=community.created_at,
            )
        )
    return specs


FEATURE = Feature(name="sealing", handlers={SealAnonymous: _seal}, jobs=collect_jobs)
