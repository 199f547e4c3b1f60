"""Bring the database in line with the configuration file at start-up (idempotent)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.config import CommunitySettings, Settings
from bot.domain import when
from bot.storage.tables import Community, Meeting, Member

MEETINGS_AHEAD = timedelta(days=400)
MAX_RECURRING = 120


def sync_communities(session: Session, settings: Settings, now: datetime) -> None:
    """Create or update every configured community, its meetings and its configured roles."""
    for community_settings in settings.communities:
        community = session.exec(
            select(Community).where(Community.name == community_settings.name)
        ).first()
        data = community_settings.model_dump(mode="json")
        if community is None:
            community = Community(
                name=community_settings.name,
                platform=community_settings.platform,
                channel_id=community_settings.channel,
                timezone=community_settings.timezone,
                settings=data,
                created_at=now,
            )
        else:
            community.platform = community_settings.platform
            community.channel_id = community_settings.channel
            community.timezone = community_settings.timezone
            community.settings = data
        session.add(community)
        session.flush()
        assert community.id is not None
        _sync_meetings(session, community.id, community_settings, now)
        # A closed community's members are gone for good; an email-only community's
        # conveners and keepers are addresses, invited at start-up (bot.features.email_members).
        if community.closed_at is None and community.platform != "email":
            _sync_roles(session, community.id, community_settings, now)
    session.commit()


def configured_meetings(settings: CommunitySettings, now: datetime) -> list[datetime]:
    """Meeting start times (UTC) named by the configuration: dates plus a recurrence."""
    zone = ZoneInfo(settings.timezone)
    local = [datetime.strptime(d, "%Y-%m-%d %H:%M") for d in settings.meetings.dates]
    if settings.meetings.first and settings.meetings.every:
        step = when.parse_duration(settings.meetings.every)
        moment = datetime.strptime(settings.meetings.first, "%Y-%m-%d %H:%M")
        limit = (now + MEETINGS_AHEAD).astimezone(zone).replace(tzinfo=None)
        for _ in range(MAX_RECURRING):
            if moment > limit:
                break
            local.append(moment)
            moment += step
    return sorted({m.replace(tzinfo=zone).astimezone(ZoneInfo("UTC")) for m in local})


def _sync_meetings(
    session: Session, community_id: int, settings: CommunitySettings, now: datetime
) -> None:
    existing = set(
        session.exec(select(Meeting.starts_at).where(Meeting.community_id == community_id)).all()
    )
    for starts_at in configured_meetings(settings, now):
        if starts_at not in existing:
            session.add(Meeting(community_id=community_id, starts_at=starts_at))


def _sync_roles(
    session: Session, community_id: int, settings: CommunitySettings, now: datetime
) -> None:
    """Conveners and keepers named in the settings file are members from start-up: a row
    (named by their platform id until they first use copbot) so that roles, the digest and
    private messages reach them before they have typed anything."""
    named = set(settings.conveners) | set(settings.keepers)
    if not named:
        return
    members = session.exec(select(Member).where(Member.community_id == community_id)).all()
    known = {m.platform_user_id for m in members}
    start, end = when.parse_quiet_hours(settings.quiet_hours)
    for user_id in sorted(named - known):
        session.add(
            Member(
                community_id=community_id,
                platform_user_id=user_id,
                display_name=user_id[:100],
                timezone=settings.timezone,
                quiet_start=start.strftime("%H:%M"),
                quiet_end=end.strftime("%H:%M"),
                is_convener=user_id in settings.conveners,
                is_keeper=user_id in settings.keepers,
                joined_at=now,
                first_seen_at=None,
            )
        )
    for member in members:
        if member.platform_user_id in settings.conveners and not member.is_convener:
            member.is_convener = True
            session.add(member)
        if member.platform_user_id in settings.keepers and not member.is_keeper:
            member.is_keeper = True
            session.add(member)
