"""What every handler receives: the transaction, the time, and who/where it is about."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import select

from bot import anonymity, contact
from bot.clock import Clock
from bot.config import CommunitySettings
from bot.domain.members import deliver_at
from bot.errors import UserError
from bot.mentions import with_names
from bot.messages import Attachment, OutMessage
from bot.storage.tables import Activity, Community, Member
from bot.storage.tables_contact import ChannelPost, ContactRoute
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
    #: copbot can send email (an [email] section): inviting by address makes sense.
    can_email: bool = field(default=False, kw_only=True)
    #: Set when the acting member contributed anonymously (the welcome then pins no time).
    acted_anonymously: bool = field(default=False, kw_only=True)
    _routes: dict[int, ContactRoute] | None = field(default=None, repr=False)

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
            self.acted_anonymously = True
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

    def routes(self, *, fresh: bool = False) -> dict[int, ContactRoute]:
        """The community's email routes by member id (read once per command)."""
        if self._routes is None or fresh:
            self._routes = contact.routes_in(self.uow.session, self.community_id)
        return self._routes

    def email_readers(self) -> list[int]:
        """Members who read the channel by email (confirmed and subscribed)."""
        return [m for m, route in self.routes().items() if contact.deliverable(route)]

    def post(
        self,
        key: str,
        message: OutMessage,
        *,
        expires_at: datetime | None = None,
        gather: bool = True,
        tell: bool = False,
        attachment: Attachment | None = None,
    ) -> bool:
        """Post `message` in the community's channel, once per `key` (False if already queued).
        Members who read the channel by email get it in their next daily or weekly email
        (`gather`), or at once as a private email (`tell`: a check-in or poll opening); an
        email-only community has no channel, only those emails. `attachment` goes with the
        private emails only (a calendar file), not to the channel."""
        now = self.clock.now()
        if tell:
            private = message.model_copy(update={"attachment": attachment or message.attachment})
            told = self._tell(key, private, expires_at)
            gather = False
        if self.community.platform == contact.EMAIL:
            return self._gather(key, message, now) if gather else told if tell else False
        queued = self.uow.enqueue(
            key,
            message,
            platform=self.community.platform,
            created_at=now,
            community_id=self.community_id,
            channel_id=self.community.channel_id,
            expires_at=expires_at,
        )
        if queued and gather and self.email_readers():
            self._gather(key, message, now)
        return queued

    def _tell(self, key: str, message: OutMessage, expires_at: datetime | None) -> bool:
        """The post as a private email to each email reader, once per key and reader."""
        told = False
        for member_id in self.email_readers():
            member = self.uow.session.get(Member, member_id)
            if member is not None:
                told |= self.dm(member, f"{key}:m{member_id}", message, expires_at=expires_at)
        return told

    def _gather(self, key: str, message: OutMessage, now: datetime) -> bool:
        """Keep a channel post for the email readers' daily or weekly email, once per key."""
        session = self.uow.session
        message = with_names(session, self.community_id, message)  # mentions read as names
        if session.exec(select(ChannelPost.id).where(ChannelPost.key == key)).first():
            return False
        session.add(
            ChannelPost(
                community_id=self.community_id,
                key=key,
                payload=message.model_dump_json(exclude_defaults=True),
                posted_at=now,
            )
        )
        session.flush()
        return True

    def dm(
        self,
        member: Member,
        key: str,
        message: OutMessage,
        *,
        expires_at: datetime | None = None,
        later: datetime | None = None,
    ) -> bool:
        """Send `member` a private message, once per `key`, after their quiet hours, by the
        route they chose (False if already queued, or if they cannot be reached). With
        `later`, it waits until then and its row records only the day it was queued."""
        assert member.id is not None
        route = contact.private_route(member, self.routes().get(member.id), self.community.platform)
        if route is None:
            return False
        now = self.clock.now()
        created = now if later is None else anonymity.coarse(now, self.community.timezone)
        return self.uow.enqueue(
            key,
            message,
            platform=route[0],
            created_at=created,
            community_id=self.community_id,
            user_id=route[1],
            not_before=deliver_at(member, later or now),
            expires_at=expires_at,
        )

    def email(self, member: Member, key: str, message: OutMessage, *, now: bool = False) -> bool:
        """Send `member` an email whether or not it is their private route (the invitation
        to an address not yet confirmed, the newsletter); after quiet hours unless `now`."""
        assert member.id is not None
        route = self.routes().get(member.id)
        if route is None or route.address is None or route.unsubscribed_at is not None:
            return False
        moment = self.clock.now()
        return self.uow.enqueue(
            key,
            message,
            platform=contact.EMAIL,
            created_at=moment,
            community_id=self.community_id,
            user_id=contact.email_user(member.id),
            not_before=moment if now else deliver_at(member, moment),
        )
