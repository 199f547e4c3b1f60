"""The pledges' timers: each open pledge's midpoint check, its due-date follow-up and its one
reminder."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select

from bot.config import CommunitySettings
from bot.domain import pledges as rules
from bot.features.pledge_commands import (
    FollowUpPledge,
)
from bot.features.pledge_rows import answered
from bot.scheduling import JobSpec, at
from bot.storage.tables import Community
from bot.storage.tables_wins import Pledge
from bot.storage.uow import UnitOfWork


def collect_jobs(uow: UnitOfWork, settings_of: Any) -> list[JobSpec]:
    """For each open pledge: its midpoint check (if the community wants one), its due-date
    follow-up, and the one reminder 3 days after the due date if there was no answer."""
    rows = uow.session.exec(
        select(Pledge, Community)
        .join(Community, col(Community.id) == col(Pledge.community_id))
        .where(Pledge.status == "open", col(Community.closed_at).is_(None))
    ).all()
    specs: list[JobSpec] = []
    for pledge, community in rows:
        assert pledge.id is not None
        pledge_id, due = pledge.id, pledge.due_at
        settings: CommunitySettings = settings_of(community)

        def make(stage: rules.Stage, i: int = pledge_id, d: datetime = due) -> Any:
            return lambda _t: FollowUpPledge(pledge_id=i, due_at=d, stage=stage)

        if pledge.followup_sent_at is None:
            specs.append(
                JobSpec(
                    key=f"pledge-due:{pledge_id}",
                    community_id=pledge.community_id,
                    times=at(due),
                    make=make("due"),
                    grace=rules.FOLLOW_UP_GRACE,
                )
            )
            middle = rules.midpoint(pledge)
            if settings.pledges.midpoint_check and middle and pledge.midpoint_sent_at is None:
                specs.append(
                    JobSpec(
                        key=f"pledge-midpoint:{pledge_id}",
                        community_id=pledge.community_id,
                        times=at(middle),
                        make=make("midpoint"),
                        grace=due - middle,
                    )
                )
        elif pledge.reminded_at is None and not answered(pledge):
            specs.append(
                JobSpec(
                    key=f"pledge-remind:{pledge_id}",
                    community_id=pledge.community_id,
                    times=at(due + rules.REMINDER_AFTER),
                    make=make("reminder"),
                    grace=rules.REMINDER_GRACE,
                )
            )
    return specs
