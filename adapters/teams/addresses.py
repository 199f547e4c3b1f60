"""Conversation references copbot keeps for Teams (bot.storage PlatformAddress rows).

Learnt from every activity (installs, messages): a user's 1:1 chat, a channel's team, and
the service URL and tenant Teams wants proactive messages sent through. Plain functions,
called off the event loop (asyncio.to_thread).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.storage.tables_addresses import PlatformAddress

PLATFORM = "teams"
USER = "user"
CHANNEL = "channel"


@dataclass(frozen=True)
class Address:
    target: str
    conversation_id: str | None
    service_url: str
    tenant_id: str | None
    team_id: str | None


def _as_address(row: PlatformAddress) -> Address:
    return Address(row.target, row.conversation_id, row.service_url, row.tenant_id, row.team_id)


def remember(
    engine: Engine,
    now: datetime,
    kind: str,
    target: str,
    *,
    service_url: str,
    conversation_id: str | None = None,
    tenant_id: str | None = None,
    team_id: str | None = None,
) -> None:
    """Record (or refresh) how to reach `target`; a known conversation is kept when none
    is given."""
    if not target or not service_url:
        return
    for _ in range(2):  # a concurrent first insert: read it back and update
        with Session(engine) as session:
            row = session.exec(
                select(PlatformAddress).where(
                    PlatformAddress.platform == PLATFORM,
                    PlatformAddress.kind == kind,
                    PlatformAddress.target == target[:200],
                )
            ).first()
            if row is None:
                row = PlatformAddress(
                    platform=PLATFORM,
                    kind=kind,
                    target=target[:200],
                    service_url="",
                    updated_at=now,
                )
            changed = (
                row.service_url != service_url[:300]
                or (conversation_id and row.conversation_id != conversation_id[:300])
                or (tenant_id and row.tenant_id != tenant_id[:100])
                or (team_id and row.team_id != team_id[:200])
            )
            if not changed and row.id is not None:
                return
            row.service_url = service_url[:300]
            row.conversation_id = (conversation_id or row.conversation_id or "")[:300] or None
            row.tenant_id = (tenant_id or row.tenant_id or "")[:100] or None
            row.team_id = (team_id or row.team_id or "")[:200] or None
            row.updated_at = now
            session.add(row)
            try:
                session.commit()
                return
            except IntegrityError:
                session.rollback()


def find(engine: Engine, kind: str, target: str) -> Address | None:
    with Session(engine) as session:
        row = session.exec(
            select(PlatformAddress).where(
                PlatformAddress.platform == PLATFORM,
                PlatformAddress.kind == kind,
                PlatformAddress.target == target[:200],
            )
        ).first()
        return None if row is None else _as_address(row)


def any_route(engine: Engine) -> Address | None:
    """The most recently refreshed address: its service URL and tenant serve to open a 1:1
    chat with someone copbot has not talked to yet."""
    with Session(engine) as session:
        row = session.exec(
            select(PlatformAddress)
            .where(PlatformAddress.platform == PLATFORM)
            .order_by(col(PlatformAddress.updated_at).desc())
        ).first()
        return None if row is None else _as_address(row)


def channels_in_team(engine: Engine, team_id: str) -> list[str]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(PlatformAddress.target).where(
                    PlatformAddress.platform == PLATFORM,
                    PlatformAddress.kind == CHANNEL,
                    PlatformAddress.team_id == team_id,
                )
            ).all()
        )
