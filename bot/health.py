"""What an operator asks first: does the database answer, and is anything piling up?

`read_figures` is plain, blocking database work (call it in a thread from async code).
Both `copbot status` and the running process's `/healthz` report these figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, text
from sqlmodel import Session, col, select

from bot.storage.tables import JobClaim, OutboxMessage

#: Outbox rows still to deliver (waiting, or claimed by a sender).
WAITING = ("pending", "sending")


@dataclass(frozen=True)
class Figures:
    """The database's side of health."""

    backlog: int
    dead_letters: int
    #: When a scheduled occurrence was last claimed (run or skipped), if ever.
    last_job_run: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "outbox": {"backlog": self.backlog, "dead_letters": self.dead_letters},
            "last_job_run": self.last_job_run.isoformat() if self.last_job_run else None,
        }


def read_figures(engine: Engine) -> Figures:
    """`SELECT 1`, then count the outbox's waiting rows and dead letters (blocking)."""
    with Session(engine) as session:
        session.execute(text("SELECT 1"))
        counts = dict(
            session.exec(
                select(OutboxMessage.status, func.count())
                .where(col(OutboxMessage.status).in_((*WAITING, "dead")))
                .group_by(col(OutboxMessage.status))
            ).all()
        )
        last = session.exec(select(func.max(JobClaim.claimed_at))).one()
    return Figures(
        backlog=sum(counts.get(status, 0) for status in WAITING),
        dead_letters=counts.get("dead", 0),
        last_job_run=last.replace(tzinfo=UTC) if last and last.tzinfo is None else last,
    )
