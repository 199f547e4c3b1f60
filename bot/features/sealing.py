"""A job that destroys what let authors edit anonymous items whose time has passed.

Check-ins and polls seal their anonymous items when they close (bot.anonymity.seal). Items
without a close — anonymous wins — can be withdrawn by their author for `WITHDRAW_WINDOW`;
after that their author key is deleted, so nobody, even holding the database and the secret
key, can tell who posted them.
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
from bot.storage.tables_wins import Win

#: How long the author of an anonymous win can still withdraw it.
WITHDRAW_WINDOW = timedelta(days=7)


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
    """For each anonymous win whose author can still withdraw it: the end of its window."""
    specs = []
    wins = uow.session.exec(
        select(Win)
        .join(Community, col(Community.id) == col(Win.community_id))
        .where(col(Win.author_key).is_not(None), col(Community.closed_at).is_(None))
    ).all()
    for win in wins:
        community_id = win.community_id
        specs.append(
            JobSpec(
                key=f"win-seal:{win.id}",
                community_id=community_id,
                times=at(win.created_at + WITHDRAW_WINDOW + timedelta(minutes=1)),
                catch_up=True,
                make=lambda t, i=community_id: SealAnonymous(community_id=i, occurrence=t),
            )
        )
    return specs


FEATURE = Feature(name="sealing", handlers={SealAnonymous: _seal}, jobs=collect_jobs)
