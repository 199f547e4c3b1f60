"""The trios' timers: each running rotation's next round, and each group's "did you meet?"."""

from datetime import timedelta

from sqlmodel import col, select

from bot.features.trio_commands import CheckTrioGroup, FormTrioRound
from bot.scheduling import JobSpec, at
from bot.storage.tables import Community
from bot.storage.tables_meetings import TrioGroup, TrioRotation
from bot.storage.uow import UnitOfWork


def collect_jobs(uow: UnitOfWork, _settings_of: object) -> list[JobSpec]:
    """Each running rotation's next round, and each group's "did you meet?"."""
    specs: list[JobSpec] = []
    rotations = uow.session.exec(
        select(TrioRotation)
        .join(Community, col(Community.id) == col(TrioRotation.community_id))
        .where(col(Community.closed_at).is_(None), col(TrioRotation.stopped_at).is_(None))
    ).all()
    for rotation in rotations:
        assert rotation.id is not None
        rotation_id = rotation.id
        specs.append(
            JobSpec(
                key=f"trio-round:{rotation_id}:{rotation.next_round_at.isoformat()}",
                community_id=rotation.community_id,
                times=at(rotation.next_round_at),
                make=lambda _t, i=rotation_id: FormTrioRound(i),
                grace=timedelta(days=2),
            )
        )
        groups = uow.session.exec(
            select(TrioGroup).where(
                TrioGroup.rotation_id == rotation_id, col(TrioGroup.checked_at).is_(None)
            )
        ).all()
        for group in groups:
            assert group.id is not None
            group_id = group.id
            specs.append(
                JobSpec(
                    key=f"trio-check:{group_id}",
                    community_id=rotation.community_id,
                    times=at(group.check_at),
                    make=lambda _t, i=group_id: CheckTrioGroup(i),
                    grace=timedelta(days=7),
                )
            )
    return specs
