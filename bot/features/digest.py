"""The keepers' weekly digest: who is being heard, who has gone quiet, what was won and what
is stuck, by DM to each keeper on their own Monday morning, and on demand with /cop digest.
The figures, and what each of them means, are in digest_figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.commands import Command
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain import digest as rules
from bot.domain import when
from bot.errors import UserError
from bot.features.base import Feature, Verb, usage_error
from bot.features.digest_chart import chart_attachment
from bot.features.digest_figures import build_digest, chart_for, weekly_figures
from bot.features.meeting_queries import meeting_starts
from bot.features.pulse_results import latest_sections
from bot.messages import OutMessage, Response
from bot.scheduling import JobSpec
from bot.storage.tables import Community, Member
from bot.storage.tables_value import PULSE_KINDS
from bot.storage.uow import UnitOfWork

GRACE = timedelta(days=2)


@dataclass(frozen=True)
class ShowDigest(Command):
    """`/cop digest [last-week|this-week|since-meeting]` (keepers and conveners)."""

    which: str = "last-week"


@dataclass(frozen=True)
class SendDigest(Command):
    """A job: one keeper's weekly digest, due at `occurrence`."""

    member_id: int
    occurrence: datetime


class WeeklyJobSpec(JobSpec):
    """A JobSpec claimed once per ISO week of the keeper's timezone (`once_per_local_day`)."""

    def occurrence_id(self, fire_time: datetime) -> str:
        zone = ZoneInfo(self.once_per_local_day or "UTC")
        year, week, _ = fire_time.astimezone(zone).isocalendar()
        return f"{year}-W{week:02d}"


# ---- handlers --------------------------------------------------------------------------


def _message(
    ctx: Context, reader: Member, start: datetime, end: datetime, label: str
) -> OutMessage:
    zone = ZoneInfo(reader.timezone)
    digest = build_digest(
        ctx.uow.session, ctx.community_id, start, end, ctx.clock.now(), label, zone
    )
    message = rules.digest_message(
        digest, ctx.community.name, ctx.settings.words, reader.timezone, keeper=reader.is_keeper
    )
    pulses = latest_sections(
        ctx.uow.session, ctx.community_id, keeper=reader.is_keeper, kinds=PULSE_KINDS
    )
    return message.model_copy(update={"sections": (*message.sections, *pulses)})


def show_digest(cmd: ShowDigest, ctx: Context) -> Response:
    member = ctx.require_member()
    if not (member.is_keeper or member.is_convener):
        raise UserError(
            "The digest is for the community's keepers and conveners. If you'd like to help "
            "weave the community, ask a convener about becoming a keeper."
        )
    now = ctx.clock.now()
    starts = meeting_starts(ctx.uow.session, ctx.community_id)
    last = max((s for s in starts if s <= now), default=None)
    try:
        start, end, label = rules.window(cmd.which, now, ZoneInfo(member.timezone), last)
    except ValueError:
        raise UserError(
            f"There hasn't been a {ctx.settings.words.meeting} yet. Try /cop digest this-week."
        ) from None
    return Response(message=_message(ctx, member, start, end, label))


def send_digest(cmd: SendDigest, ctx: Context) -> Response:
    keeper = ctx.uow.session.get(Member, cmd.member_id)
    if (
        keeper is None
        or keeper.community_id != ctx.community_id
        or not keeper.is_keeper
        or not ctx.settings.digest.enabled
    ):
        return Response()
    zone = ZoneInfo(keeper.timezone)
    start, end = rules.seven_days_before(cmd.occurrence, zone)
    year, week, _ = cmd.occurrence.astimezone(zone).isocalendar()
    message = _message(ctx, keeper, start, end, f"the week of {start.strftime('%-d %b')}")
    session, bounds = ctx.uow.session, rules.chart_bounds(start, end, zone)
    figures = weekly_figures(session, ctx.community_id, bounds, ctx.clock.now())
    chart = chart_attachment(session, ctx.community_id, ctx.community.name, bounds, figures, zone)
    ctx.dm(
        keeper,
        f"digest:{ctx.community_id}:{keeper.id}:{year}-W{week:02d}",
        message.model_copy(update={"attachment": chart}),
        expires_at=end + timedelta(days=7),
    )
    return Response()


# ---- parsing and schedules -------------------------------------------------------------


def _parse(rest: str, _settings: CommunitySettings) -> Command:
    which = rest.strip().lower().replace(" ", "-") or "last-week"
    if which not in rules.WINDOWS:
        raise usage_error(DIGEST)
    return ShowDigest(which)


def collect_jobs(uow: UnitOfWork, settings_of: object) -> list[JobSpec]:
    """One weekly digest per keeper, at the configured day and time in their own timezone."""
    session = uow.session
    specs: list[JobSpec] = []
    rows = session.exec(
        select(Member, Community)
        .join(Community, col(Community.id) == col(Member.community_id))
        .where(col(Member.is_keeper), col(Community.closed_at).is_(None))
    ).all()
    for keeper, community in rows:
        settings: CommunitySettings = settings_of(community)  # type: ignore[operator]
        if not settings.digest.enabled or keeper.id is None:
            continue
        rule = when.parse_recurrence(f"every {settings.digest.weekday} {settings.digest.at}")
        zone = ZoneInfo(keeper.timezone)
        member_id = keeper.id

        def times(
            start: datetime, end: datetime, r: when.Recurrence = rule, z: ZoneInfo = zone
        ) -> list[datetime]:
            return r.between(start, end, z)

        specs.append(
            WeeklyJobSpec(
                key=f"digest:{community.id}:{member_id}",
                community_id=community.id,  # type: ignore[arg-type]
                times=times,
                make=lambda t, m=member_id: SendDigest(m, t),
                grace=GRACE,
                once_per_local_day=keeper.timezone,
                since=max(community.created_at, keeper.joined_at),
            )
        )
    return specs


DIGEST = Verb(
    "digest",
    _parse,
    usage="/cop digest [last-week|this-week|since-meeting]",
    help="for keepers and conveners: the engagement digest (who took part, quiet voices, wins, "
    "pledge figures, stories, polls); keepers also get it every week by private message",
)

FEATURE = Feature(
    name="digest",
    verbs=(DIGEST,),
    handlers={ShowDigest: show_digest, SendDigest: send_digest},
    jobs=collect_jobs,
)

__all__ = ["FEATURE", "build_digest", "chart_for"]
