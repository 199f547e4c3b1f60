"""Contact routes: where a member's private messages go, and the queries adapters need.

A member is reached on their community's chat platform (their platform user id) and/or by
email (a `ContactRoute`). Outbox rows to an email route say platform "email" and user
"member:<id>", never the address: the email adapter looks the address up when it sends
(`recipient`), so an erased or unsubscribed address stops every message still queued.
A member invited by email with no chat account has the platform user id "member:<id>" too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, update
from sqlmodel import Session, col, select

from bot.outbox import CANCELLED
from bot.storage.tables import Community, Member, OutboxMessage
from bot.storage.tables_contact import ContactRoute

EMAIL = "email"
_USER = re.compile(r"member:([0-9]{1,18})")
_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?"
)
DIGEST_CHOICES = ("day", "week", "off")  # how often the channel's posts come by email


def email_user(member_id: int) -> str:
    """The outbox user id of a member's email route."""
    return f"member:{member_id}"


def member_of(user_id: str) -> int | None:
    """The member id in an outbox user id "member:<id>", else None."""
    found = _USER.fullmatch(user_id)
    return int(found.group(1)) if found else None


def email_only(member: Member) -> bool:
    """True for a member with no chat account (invited by email)."""
    return member_of(member.platform_user_id) is not None


def read_address(text: str) -> str | None:
    """The address, lower-cased, if `text` is one plain email address; else None (no
    display names, no line breaks, no lists)."""
    text = text.strip().strip("<>")
    if len(text) > 254 or not _ADDRESS.fullmatch(text) or ".." in text:
        return None
    domain = text.rpartition("@")[2]
    if "." not in domain or domain.startswith(".") or domain.endswith("."):
        return None
    return text.lower()


def deliverable(route: ContactRoute | None) -> bool:
    """A confirmed, subscribed address."""
    return (
        route is not None
        and route.address is not None
        and route.verified_at is not None
        and route.unsubscribed_at is None
    )


def route_of(session: Session, member_id: int) -> ContactRoute | None:
    """The member's email route, if they have one."""
    return session.exec(select(ContactRoute).where(ContactRoute.member_id == member_id)).first()


def routes_in(session: Session, community_id: int) -> dict[int, ContactRoute]:
    """Every email route in the community, by member id."""
    rows = session.exec(select(ContactRoute).where(ContactRoute.community_id == community_id))
    return {route.member_id: route for route in rows}


def current_link_epoch(session: Session, member_id: int) -> int | None:
    """The epoch a member's links must carry to be honoured; None if no address is left
    (erased, or never given), so that every link of theirs is refused."""
    route = route_of(session, member_id)
    if route is None or route.address is None:
        return None
    return route.link_epoch


def private_route(
    member: Member, route: ContactRoute | None, platform: str
) -> tuple[str, str] | None:
    """(platform, user id) a private message to `member` goes to, or None when they cannot
    be reached (invited by email, not yet confirmed, or unsubscribed)."""
    assert member.id is not None
    if deliverable(route) and (route is not None and (route.for_private or email_only(member))):
        return EMAIL, email_user(member.id)
    if email_only(member):
        return None
    return platform, member.platform_user_id


def counted() -> ColumnElement[bool]:
    """SQL condition on `Member`: not an invitee who has yet to confirm (those are not
    members yet: they are left out of counts, digests and summaries)."""
    waiting = (
        select(ContactRoute.id)
        .where(ContactRoute.member_id == Member.id, col(ContactRoute.verified_at).is_(None))
        .correlate(Member)
    )
    return ~(col(Member.platform_user_id).startswith("member:") & waiting.exists())


def cancel_queued(session: Session, member_id: int) -> int:
    """Stop every email still queued to the member (they unsubscribed or were erased)."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.platform) == EMAIL,
            col(OutboxMessage.user_id) == email_user(member_id),
            col(OutboxMessage.status).in_(("pending", "held")),
        )
        .values(status=CANCELLED, lease_until=None)
    )
    return result.rowcount or 0


@dataclass(frozen=True)
class Recipient:
    """What the email adapter needs to send to one member, looked up at send time."""

    member_id: int
    address: str
    name: str
    community: str
    community_id: int
    link_epoch: int
    confirmed: bool


def recipient(session: Session, user_id: str) -> Recipient | None:
    """The member behind "member:<id>" if an email may go to them now (an address that is
    not erased nor unsubscribed); None otherwise."""
    member_id = member_of(user_id)
    if member_id is None:
        return None
    row = session.exec(
        select(ContactRoute, Member, Community)
        .join(Member, col(Member.id) == col(ContactRoute.member_id))
        .join(Community, col(Community.id) == col(ContactRoute.community_id))
        .where(ContactRoute.member_id == member_id)
    ).first()
    if row is None:
        return None
    route, member, community = row
    if route.address is None or route.unsubscribed_at is not None or community.closed_at:
        return None
    return Recipient(
        member_id,
        route.address,
        member.display_name,
        community.name,
        community.id or 0,
        route.link_epoch,
        route.verified_at is not None,
    )


def now_unsubscribed(route: ContactRoute, now: datetime) -> None:
    """Unsubscribe the route: nothing more is sent, every link it had is revoked."""
    route.unsubscribed_at = route.unsubscribed_at or now
    route.link_epoch += 1
