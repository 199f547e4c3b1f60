"""What the web page reads: plain views of the community, for the member a link is for.

Read-only query functions (no changes, no platform): the web adapter renders them. What a
member may *do* always goes through the bus like any other interaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlmodel import Session, col, select

from bot.config import CommunitySettings, Words
from bot.contact import EMAIL
from bot.features.email_digest import recent_posts
from bot.features.help_requests import request_post
from bot.features.planners import planning_button, planning_invitation_section
from bot.messages import OutMessage
from bot.storage.tables import CheckIn, Community, Meeting, Member, OutboxMessage
from bot.storage.tables_contact import ContactRoute
from bot.storage.tables_polls import Poll, PollOption
from bot.storage.tables_wins import HelpRequest, Pledge, Win, WinCheer

RECENT_POSTS = 10
RECENT_WINS = 10


@dataclass(frozen=True)
class Place:
    """Who a link is for and where: the member and their community."""

    member_id: int
    display_name: str
    timezone: str
    community_id: int
    community: str
    platform: str
    about: str
    words: Words
    closed: bool

    @property
    def email_only(self) -> bool:
        """A community with no chat workspace: the web page is its channel."""
        return self.platform == "email"


@dataclass(frozen=True)
class CheckInView:
    id: int
    question: str
    closes_at: datetime
    open: bool


@dataclass(frozen=True)
class PollOptionView:
    number: int
    label: str


@dataclass(frozen=True)
class PollView:
    id: int
    question: str
    method: str  # single | approval (several) | dots | ranked
    dots: int
    anonymous: bool
    closes_at: datetime
    open: bool
    options: tuple[PollOptionView, ...]


@dataclass(frozen=True)
class WinView:
    id: int
    text: str
    by: str | None  # None: shared anonymously
    cheers: int
    posted_at: datetime


@dataclass(frozen=True)
class PledgeView:
    id: int
    text: str
    due_at: datetime
    open: bool


@dataclass(frozen=True)
class SettingsView:
    timezone: str
    quiet_start: str
    quiet_end: str
    reminders: bool

    @property
    def quiet(self) -> bool:
        return self.quiet_start != self.quiet_end


@dataclass(frozen=True)
class EmailView:
    """The member's email route as their pages show it (never the address itself)."""

    confirmed: bool
    unsubscribed: bool
    digest: str  # day | week | off


@dataclass(frozen=True)
class Post:
    at: datetime
    message: OutMessage


@dataclass(frozen=True)
class Home:
    checkin: CheckInView | None  # the open one, if any
    posts: tuple[Post, ...]
    wins: tuple[WinView, ...]
    polls: tuple[PollView, ...]
    next_meeting: datetime | None
    next_topic: str | None


def place(session: Session, member_id: int) -> Place | None:
    """The member and their community, or None if there is no such member."""
    row = session.exec(
        select(Member, Community)
        .join(Community, col(Community.id) == col(Member.community_id))
        .where(col(Member.id) == member_id)
    ).first()
    if row is None:
        return None
    member, community = row
    try:
        settings = CommunitySettings.model_validate(community.settings)
        words, about = settings.words, settings.about
    except ValidationError:
        words, about = Words(), ""
    assert member.id is not None and community.id is not None
    return Place(
        member_id=member.id,
        display_name=member.display_name,
        timezone=member.timezone,
        community_id=community.id,
        community=community.name,
        platform=community.platform,
        about=about,
        words=words,
        closed=community.closed_at is not None,
    )


def checkin(session: Session, community_id: int, checkin_id: int | None) -> CheckInView | None:
    """That check-in of the community (None: its latest), if there is one."""
    query = select(CheckIn).where(CheckIn.community_id == community_id)
    if checkin_id is not None:
        query = query.where(col(CheckIn.id) == checkin_id)
    found = session.exec(query.order_by(col(CheckIn.opened_at).desc())).first()
    if found is None or found.id is None:
        return None
    return CheckInView(found.id, found.question, found.closes_at, found.closed_at is None)


def poll(session: Session, community_id: int, poll_id: int) -> PollView | None:
    """That poll of the community and its options, if there is one."""
    found = session.exec(
        select(Poll).where(Poll.community_id == community_id, col(Poll.id) == poll_id)
    ).first()
    return None if found is None else _poll_view(session, found)


def _poll_view(session: Session, found: Poll) -> PollView:
    assert found.id is not None
    options = session.exec(
        select(PollOption).where(PollOption.poll_id == found.id).order_by(col(PollOption.number))
    ).all()
    return PollView(
        id=found.id,
        question=found.question,
        method=found.method,
        dots=found.dots,
        anonymous=found.anonymous,
        closes_at=found.closes_at,
        open=found.closed_at is None,
        options=tuple(PollOptionView(o.number, o.label) for o in options),
    )


def win(session: Session, community_id: int, win_id: int) -> WinView | None:
    """A posted win of the community, if there is one."""
    found = session.exec(
        select(Win).where(
            Win.community_id == community_id, col(Win.id) == win_id, Win.status == "posted"
        )
    ).first()
    return None if found is None else _win_view(session, found)


def _win_view(session: Session, found: Win) -> WinView:
    assert found.id is not None
    by = None
    if not found.anonymous and found.member_id is not None:
        author = session.get(Member, found.member_id)
        by = author.display_name if author is not None else None
    cheers = len(session.exec(select(WinCheer).where(WinCheer.win_id == found.id)).all())
    return WinView(found.id, found.text, by, cheers, found.posted_at or found.created_at)


def settings(session: Session, member_id: int) -> SettingsView | None:
    """The member's own settings, as their settings page starts."""
    member = session.get(Member, member_id)
    if member is None:
        return None
    return SettingsView(
        member.timezone, member.quiet_start, member.quiet_end, not member.muted_checkins
    )


def email(session: Session, member_id: int) -> EmailView | None:
    """The member's email route (confirmed? unsubscribed? how often the channel's posts
    come), or None if they have no address with copbot."""
    route = session.exec(select(ContactRoute).where(ContactRoute.member_id == member_id)).first()
    if route is None or route.address is None:
        return None
    return EmailView(
        confirmed=route.verified_at is not None,
        unsubscribed=route.unsubscribed_at is not None,
        digest=route.digest,
    )


def pledge(session: Session, member_id: int, pledge_id: int) -> PledgeView | None:
    """One of the member's own pledges (private: nobody else's), if there is one."""
    found = session.exec(
        select(Pledge).where(Pledge.member_id == member_id, col(Pledge.id) == pledge_id)
    ).first()
    if found is None or found.id is None:
        return None
    return PledgeView(found.id, found.text, found.due_at, found.status == "open")


def home(session: Session, community_id: int, now: datetime) -> Home:
    """What an email-only community's members see on its page: the latest posts, wins,
    open polls and the next meeting."""
    community = session.get(Community, community_id)
    if community is not None and community.platform == EMAIL:
        kept = recent_posts(session, community_id, RECENT_POSTS)  # it has no channel
    else:
        kept = _channel_posts(session, community_id, now)
    posts = [Post(at, message.model_copy(update={"buttons": ()})) for at, message in kept]
    wins = session.exec(
        select(Win)
        .where(Win.community_id == community_id, Win.status == "posted")
        .order_by(col(Win.posted_at).desc(), col(Win.id).desc())
        .limit(RECENT_WINS)
    ).all()
    polls = session.exec(
        select(Poll)
        .where(Poll.community_id == community_id, col(Poll.closed_at).is_(None))
        .order_by(col(Poll.closes_at))
    ).all()
    meeting = session.exec(
        select(Meeting)
        .where(
            Meeting.community_id == community_id,
            col(Meeting.starts_at) > now,
            col(Meeting.cancelled).is_(False),
        )
        .order_by(col(Meeting.starts_at))
    ).first()
    checkin = session.exec(
        select(CheckIn)
        .where(CheckIn.community_id == community_id, col(CheckIn.closed_at).is_(None))
        .order_by(col(CheckIn.opened_at).desc())
    ).first()
    return Home(
        checkin=None
        if checkin is None or checkin.id is None
        else CheckInView(checkin.id, checkin.question, checkin.closes_at, True),
        posts=tuple(posts),
        wins=tuple(_win_view(session, w) for w in wins),
        polls=tuple(_poll_view(session, p) for p in polls),
        next_meeting=meeting.starts_at if meeting else None,
        next_topic=meeting.topic if meeting else None,
    )


def _channel_posts(
    session: Session, community_id: int, now: datetime
) -> list[tuple[datetime, OutMessage]]:
    """A chat community's latest channel posts, newest first, from the outbox."""
    rows = session.exec(
        select(OutboxMessage)
        .where(
            OutboxMessage.community_id == community_id,
            col(OutboxMessage.channel_id).is_not(None),
            col(OutboxMessage.status) != "dead",
            col(OutboxMessage.created_at) <= now,
        )
        .order_by(col(OutboxMessage.created_at).desc(), col(OutboxMessage.id).desc())
        .limit(RECENT_POSTS)
    ).all()
    posts = []
    for row in rows:
        try:
            posts.append((row.created_at, OutMessage.model_validate_json(row.payload)))
        except ValidationError:
            continue
    return posts


def planning_invitation(words: Words) -> OutMessage:
    """The standing invitation to help plan and convene, with its "I'd like to help" button."""
    return OutMessage(sections=(planning_invitation_section(words),), buttons=(planning_button(),))


def help_request(
    session: Session, community_id: int, request_id: int, words: Words
) -> OutMessage | None:
    """An anonymous request for help in this community, as the channel shows it, with its
    "I can help" button (None: gone)."""
    request = session.get(HelpRequest, request_id)
    if request is None or request.community_id != community_id:
        return None
    return request_post(request, words.pledge)
