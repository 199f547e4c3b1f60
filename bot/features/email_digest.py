"""The channel by email: members who read it by email get its posts gathered into one email
a day, or a week (on Mondays), as each chose; the newsletter goes to them at once, and to the
community's mailing list if the settings name one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlmodel import Session, col, func, select

from bot import commands as c
from bot import contact
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain import when
from bot.features.base import Feature
from bot.messages import Button, OutMessage, Response, Section
from bot.scheduling import JobSpec
from bot.storage.tables import Community, Member
from bot.storage.tables_contact import ChannelPost

SCHEDULE = "every day 07:00"
MAX_POSTS = 60
LIST_CHANNEL = "mailing-list"


@dataclass(frozen=True)
class SendChannelEmails(c.Command):
    """The daily look: who is due their gathered posts (daily ones; weekly on Mondays)."""

    community_id: int
    occurrence: datetime


def last_post_id(ctx: Context) -> int:
    """The newest kept post: a member confirming now reads the channel from after it."""
    found = ctx.uow.session.exec(
        select(func.max(ChannelPost.id)).where(ChannelPost.community_id == ctx.community_id)
    ).one()
    return found or 0


def send_channel_emails(cmd: SendChannelEmails, ctx: Context) -> Response:
    session = ctx.uow.session
    monday = cmd.occurrence.astimezone(ctx.settings.zone).weekday() == 0
    readers = [
        (member_id, route)
        for member_id, route in ctx.routes().items()
        if contact.deliverable(route)
        and (route.digest == "day" or (route.digest == "week" and monday))
    ]
    if not readers:
        return Response()
    oldest = min(route.digested_through for _, route in readers)
    posts = session.exec(
        select(ChannelPost)
        .where(ChannelPost.community_id == ctx.community_id, col(ChannelPost.id) > oldest)
        .order_by(col(ChannelPost.id))
    ).all()
    for member_id, route in readers:
        mine = [p for p in posts if p.id is not None and p.id > route.digested_through]
        member = session.get(Member, member_id)
        if not mine or member is None:
            continue
        last = mine[-1].id or 0
        ctx.dm(member, f"email-digest:{route.id}:{last}", _gathered(ctx, route.digest, mine))
        route.digested_through = last
        session.add(route)
    return Response()


def _gathered(ctx: Context, period: str, posts: list[ChannelPost]) -> OutMessage:
    shown = posts[-MAX_POSTS:]
    sections = []
    for post in shown:
        message = OutMessage.model_validate_json(post.payload)
        body = message.model_copy(update={"title": None, "attachment": None}).as_text()
        sections.append(Section(heading=message.title or "Posted", text=body))
    more = len(posts) - len(shown)
    footer = f"{more} earlier posts are on the community page." if more else None
    return OutMessage(
        title=f"{ctx.community.name}: the last {period}",
        sections=tuple(sections),
        buttons=(Button(label="Open the community page", action="email.home"),),
        footer=footer,
    )


def recent_posts(
    session: Session, community_id: int, limit: int
) -> list[tuple[datetime, OutMessage]]:
    """The community's latest kept posts, newest first, with when each was posted (what an
    email-only community's page shows as its channel)."""
    rows = session.exec(
        select(ChannelPost)
        .where(ChannelPost.community_id == community_id)
        .order_by(col(ChannelPost.id).desc())
        .limit(limit)
    ).all()
    posts = []
    for row in rows:
        try:
            posts.append((row.posted_at, OutMessage.model_validate_json(row.payload)))
        except ValidationError:
            continue
    return posts


def send_to_list(ctx: Context, key: str, message: OutMessage) -> None:
    """The newsletter to the community's mailing list, if the settings name one."""
    if ctx.settings.mailing_list:
        ctx.uow.enqueue(
            f"{key}:list",
            message,
            platform=contact.EMAIL,
            created_at=ctx.clock.now(),
            community_id=ctx.community_id,
            channel_id=f"{LIST_CHANNEL}:{ctx.community_id}",
        )


def collect_jobs(uow: Any, settings_of: object) -> list[JobSpec]:
    """A daily look in every open community that reaches someone by email."""
    schedule = when.parse_schedule(SCHEDULE)
    assert isinstance(schedule, when.Recurrence)
    specs = []
    for community in uow.session.exec(select(Community).where(col(Community.closed_at).is_(None))):
        settings: CommunitySettings = settings_of(community)  # type: ignore[operator]
        if community.id is None:
            continue
        if community.platform != contact.EMAIL and not contact.routes_in(uow.session, community.id):
            continue
        zone = ZoneInfo(settings.timezone)
        community_id = community.id

        def times(start: datetime, end: datetime, zone: ZoneInfo = zone) -> list[datetime]:
            return schedule.between(start, end, zone)

        specs.append(
            JobSpec(
                key=f"email-digest:{community_id}",
                community_id=community_id,
                times=times,
                make=lambda t, i=community_id: SendChannelEmails(i, t),
                grace=timedelta(days=1),
                once_per_local_day=community.timezone,
                since=community.created_at,
            )
        )
    return specs


FEATURE = Feature(
    name="email_digest",
    buttons={"email.home": lambda _value: c.ShowHelp()},
    handlers={SendChannelEmails: send_channel_emails},
    jobs=collect_jobs,
)
