"""What every handler receives: the transaction, the time, and who/where it is about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot import anonymity
from bot.clock import Clock
from bot.config import CommunitySettings
from bot.domain.members import deliver_at
from bot.errors import UserError
from bot.messages import OutMessage
from bot.storage.tables import Activity, Community, Member
from bot.storage.uow import UnitOfWork

_INSERT_ACTIVITY = Activity.__table__.insert()  # type: ignore[attr-defined]


@dataclass
class Context:
    """One command's world. `member` is None when a scheduled job acts."""

    uow: UnitOfWork
    clock: Clock
    secret: bytes
    community: Community
    settings: CommunitySettings
    member: Member | None = None

    @property
    def community_id(self) -> int:
        assert self.community.id is not None
        return self.community.id

    def require_member(self) -> Member:
        if self.member is None:
            raise UserError("Only members can do that.")
        return self.member

    def require_convener(self, what: str) -> Member:
        """The acting member, if they are a convener (jobs pass); otherwise a friendly refusal."""
        member = self.require_member()
        if not member.is_convener:
            raise UserError(f"Only conveners can {what}. Ask one of your conveners if it's needed.")
        return member

    def record(self, kind: str, *, anonymous: bool = False) -> None:
        """Note that the acting member did something (`kind`: 'replied', 'cheered', …).
        Anonymous contributions are counted without a member id, a random id and only the
        day (bot.anonymity)."""
        member = self.require_member()
        if anonymous:
            anonymity.record_anonymous(
                self.uow.session, self.community_id, kind, self.clock.now(), self.community.timezone
            )
            return
        self.uow.session.execute(
            _INSERT_ACTIVITY,
            {
                "community_id": self.community_id,
                "member_id": member.id,
                "kind": kind,
                "at": self.clock.now(),
            },
        )

    def post(self, key: str, message: OutMessage, *, expires_at: datetime | None = None) -> bool:
        """Post `message` in the community's channel, once per `key` (False if already queued)."""
        return self.uow.enqueue(
            key,
            message,
            platform=self.community.platform,
            created_at=self.clock.now(),
            community_id=self.community_id,
            channel_id=self.community.channel_id,
            expires_at=expires_at,
        )

    def dm(
        self, member: Member, key: str, message: OutMessage, *, expires_at: datetime | None = None
    ) -> bool:
        """Send `member` a private message, once per `key`, after their quiet hours
        (False if already queued)."""
        now = self.clock.now()
        return self.uow.enqueue(
            key,
            message,
            platform=self.community.platform,
            created_at=now,
            community_id=self.community_id,
            user_id=member.platform_user_id,
            not_before=deliver_at(member, now),
            expires_at=expires_at,
        )
