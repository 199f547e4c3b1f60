"""A job that destroys what let authors edit anonymous items whose time has passed.

Check-ins and polls seal their anonymous items when they close (bot.anonymity.seal). Items
without a close — anonymous wins, stories and help requests — stay their author's (to
withdraw a win, see the story in /cop stories, not ask twice) for `WITHDRAW_WINDOW`; after
that their author key is deleted, so nobody, even holding the database and the secret key,
can tell who wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select, update

from bot import commands as c
from bot.context import Context
from bot.features.base import Feature
from bot.messages import Response
from bot.scheduling import JobSpec, at
from bot.storage.tables import Community
from bot.storage.tables_stories import Story
from bot.storage.tables_wins import HelpRequest, Win

#: How long the author of an anonymous win can still withdraw it.
WITHDRAW_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class SealAnonymous(c.Command):
    """A job: delete the author keys of anonymous items past their editing window."""

    community_id: int
    occurrence: datetime


def seal_expired(ctx: Context, now: datetime) -> None:
    """Delete the author keys of this community's anonymous items past their window."""
    for table in (Win, Story, HelpRequest):
        ctx.uow.session.execute(
            update(table)
            .where(
                col(table.community_id) == ctx.community_id,
                col(table.author_key).is_not(None),
                col(table.created_at) < now - WITHDRAW_WINDOW,
            )
            .values(author_key=None)
        )


def _seal(cmd: SealAnonymous, ctx: Context) -> Response:
    seal_expired(ctx, ctx.clock.now())
    return Response()


def collect_jobs(uow: Any, _settings_of: object) -> list[JobSpec]:
    """For each anonymous win whose author can still withdraw it: the end of its window."""
    specs = []
    for table, prefix in ((Win, "win"), (Story, "story"), (HelpRequest, "help")):
        items = uow.session.exec(
            select(table.id, table.community_id, table.created_at)
            .join(Community, col(Community.id) == col(table.community_id))
            .where(col(table.author_key).is_not(None), col(Community.closed_at).is_(None))
        ).all()
        for item_id, community_id, created_at in items:
            specs.append(
                JobSpec(
                    key=f"{prefix}-seal:{item_id}",
                    community_id=community_id,
                    times=at(created_at + WITHDRAW_WINDOW + timedelta(minutes=1)),
                    catch_up=True,
                    make=lambda t, i=community_id: SealAnonymous(community_id=i, occurrence=t),
                )
            )
    return specs


FEATURE = Feature(name="sealing", handlers={SealAnonymous: _seal}, jobs=collect_jobs)
