"""The newsletter: midway between two meetings, a 'between meetings' recap in the channel —
wins, shared learning (texts only: the Chatham House rule), open pledges, votes, and the next
meeting — in the community's own words (`[communities.newsletter]`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot import commands as c
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain import momentum as rules
from bot.domain import when
from bot.features import momentum_links as links
from bot.features.base import Feature, Verb, usage_error
from bot.features.email_digest import send_to_list
from bot.features.meeting_queries import meeting_starts, next_meeting
from bot.features.planners import planning_button, planning_invitation_section
from bot.messages import OutMessage, Response
from bot.scheduling import JobSpec, each
from bot.storage.tables import CheckIn, CheckInReply, Community
from bot.storage.uow import UnitOfWork

GRACE = timedelta(hours=12)


@dataclass(frozen=True)
class PreviewNewsletter(c.Command):
    pass


@dataclass(frozen=True)
class PostNewsletter(c.Command):
    """A job: the newsletter due at `occurrence`."""

    occurrence: datetime


def replies_between(
    session: Session, community_id: int, kinds: tuple[str, ...], start: datetime, end: datetime
) -> list[str]:
    """Texts of replies of `kinds` to check-ins closed in [start, end]: no names, and in
    alphabetical order so that neither gives an author away."""
    return sorted(
        session.exec(
            select(CheckInReply.text)
            .join(CheckIn, col(CheckIn.id) == col(CheckInReply.checkin_id))
            .where(
                CheckIn.community_id == community_id,
                col(CheckIn.closed_at) >= start,
                col(CheckIn.closed_at) <= end,
                col(CheckInReply.kind).in_(kinds),
            )
        ).all()
    )


def build_recap(session: Session, community_id: int, since: datetime, now: datetime) -> rules.Recap:
    """What happened in (since, now], gathered from the other features."""
    wins = links.wins_between(session, community_id, since, now + timedelta(microseconds=1))
    upcoming = next_meeting(session, community_id, now)
    return rules.Recap(
        since=since,
        wins=wins,
        learning=replies_between(session, community_id, ("learning",), since, now),
        open_pledges=links.open_pledges_count(session, community_id, now),
        polls=links.poll_status(session, community_id, now, since),
        resources=links.resources_between(session, community_id, since, now),
        next_meeting=upcoming.starts_at if upcoming else None,
        next_topic=upcoming.topic if upcoming else None,
    )


def newsletter_message(ctx: Context) -> OutMessage:
    """The newsletter for the window since the last meeting began."""
    session, now = ctx.uow.session, ctx.clock.now()
    since = rules.previous_start(meeting_starts(session, ctx.community_id), now)
    recap = build_recap(session, ctx.community_id, since or ctx.community.created_at, now)
    settings = ctx.settings.newsletter
    message = rules.newsletter(
        recap, settings.title, settings.intro, ctx.settings.words, ctx.community.timezone
    )
    # The standing invitation to help plan and convene, in every newsletter.
    return message.model_copy(
        update={
            "sections": (*message.sections, planning_invitation_section(ctx.settings.words)),
            "buttons": (*message.buttons, planning_button()),
        }
    )


def preview(cmd: PreviewNewsletter, ctx: Context) -> Response:
    ctx.require_convener("preview the newsletter")
    message = newsletter_message(ctx)
    note = "A preview: only you see this."
    if not ctx.settings.newsletter.enabled:
        note += " The newsletter is off in the settings file."
    return Response(message=message.model_copy(update={"footer": f"{message.footer} · {note}"}))


def post(cmd: PostNewsletter, ctx: Context) -> Response:
    local_day = cmd.occurrence.astimezone(ctx.settings.zone).date().isoformat()
    key, message = f"newsletter:{ctx.community_id}:{local_day}", newsletter_message(ctx)
    ctx.post(key, message, tell=True)
    send_to_list(ctx, key, message)
    return Response()


def _parse(rest: str, _settings: CommunitySettings) -> c.Command:
    if rest.lower() in ("", "preview"):
        return PreviewNewsletter()
    raise usage_error(NEWSLETTER)


def collect_jobs(uow: UnitOfWork, settings_of: object) -> list[JobSpec]:
    """Each open community's newsletters, one midway between each two meetings."""
    specs = []
    for community in uow.session.exec(select(Community).where(col(Community.closed_at).is_(None))):
        settings: CommunitySettings = settings_of(community)  # type: ignore[operator]
        if not settings.newsletter.enabled or community.id is None:
            continue
        community_id = community.id
        days = rules.midpoints(
            meeting_starts(uow.session, community_id),
            settings.zone,
            when.parse_clock(settings.newsletter.at),
        )
        specs.append(
            JobSpec(
                key=f"newsletter:{community_id}",
                community_id=community_id,
                times=each(days),
                make=lambda t: PostNewsletter(t),
                grace=GRACE,
                once_per_local_day=community.timezone,
                since=community.created_at,
            )
        )
    return specs


NEWSLETTER = Verb(
    "newsletter",
    _parse,
    usage="/cop newsletter preview",
    help="",
    convener_help="see the between-meetings newsletter as it would be posted now",
)

FEATURE = Feature(
    name="newsletter",
    verbs=(NEWSLETTER,),
    handlers={PreviewNewsletter: preview, PostNewsletter: post},
    jobs=collect_jobs,
)
