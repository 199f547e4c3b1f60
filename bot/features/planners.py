"""The planning group: after every meeting, an open invitation to help plan and convene the
next one ("leaders can come from anywhere"). Volunteers are recorded; conveners see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select

from bot import commands as c
from bot.config import CommunitySettings, Words
from bot.context import Context
from bot.domain import when
from bot.domain.checkins import local_time
from bot.domain.text import plural, plural_of
from bot.errors import UserError
from bot.features.base import Feature, Verb, usage_error
from bot.messages import Button, OutMessage, Response, Section, say
from bot.scheduling import JobSpec, each
from bot.storage.tables import Community, Meeting, Member
from bot.storage.tables_trust import PlanningVolunteer
from bot.storage.uow import UnitOfWork

#: How late an invitation may still go out if copbot was down when a meeting ended.
INVITE_GRACE = timedelta(days=2)
STEP_DOWN_WORDS = ("stop", "off", "leave", "step down", "stepdown", "quit")


@dataclass(frozen=True)
class Volunteer(c.Command):
    """'I'd like to help plan and convene.'"""


@dataclass(frozen=True)
class StepDown(c.Command):
    """Leave the planning group."""


@dataclass(frozen=True)
class ShowPlanners(c.Command):
    """Conveners: who has offered to help plan."""


@dataclass(frozen=True)
class InvitePlanners(c.Command):
    """After a meeting (a job): invite everyone to help plan the next one."""

    community_id: int
    occurrence: datetime


def planning_invitation_section(words: Words) -> Section:
    """The standing offer, for any message (the newsletter includes it)."""
    return Section(
        heading=f"Help shape our next {words.meeting}",
        text=f"Anyone can help plan and convene our {plural_of(words.meeting)}: choose a topic, "
        "invite "
        "a speaker, host a session. No experience needed, and you can step down any time. "
        "Type /cop plan (or press the button) to offer.",
    )


def planning_button() -> Button:
    """The 'I'd like to help' button that goes with the invitation."""
    return Button(label="I'd like to help", action="plan.volunteer", style="primary")


def invite(cmd: InvitePlanners, ctx: Context) -> Response:
    words = ctx.settings.words
    next_start = ctx.uow.session.exec(
        select(Meeting.starts_at)
        .where(
            Meeting.community_id == ctx.community_id,
            col(Meeting.cancelled).is_(False),
            col(Meeting.starts_at) > ctx.clock.now(),
        )
        .order_by(col(Meeting.starts_at))
    ).first()
    sections = [
        Section(text=f"Thank you to everyone who came to our {words.meeting}."),
        planning_invitation_section(words),
    ]
    if next_start is not None:
        sections.append(
            Section(text=f"Next {words.meeting}: {local_time(next_start, ctx.community.timezone)}.")
        )
    ctx.post(
        f"plan:{ctx.community_id}:{cmd.occurrence.isoformat(timespec='minutes')}",
        OutMessage(
            title=f"Who'd like to help plan our next {words.meeting}?",
            sections=tuple(sections),
            buttons=(planning_button(),),
        ),
    )
    return Response()


def _mine(ctx: Context, member: Member) -> PlanningVolunteer | None:
    return ctx.uow.session.exec(
        select(PlanningVolunteer).where(
            PlanningVolunteer.community_id == ctx.community_id,
            PlanningVolunteer.member_id == member.id,
        )
    ).first()


def volunteer(cmd: Volunteer, ctx: Context) -> Response:
    member = ctx.require_member()
    words = ctx.settings.words
    if _mine(ctx, member) is not None:
        return Response(
            message=say(
                "You're already in the planning group: thank you! Step down any time "
                "with /cop plan stop."
            )
        )
    assert member.id is not None
    ctx.uow.session.add(
        PlanningVolunteer(
            community_id=ctx.community_id, member_id=member.id, volunteered_at=ctx.clock.now()
        )
    )
    ctx.record("volunteered")
    return Response(
        message=say(
            f"Thank you! You're in the planning group for our {plural_of(words.meeting)}; "
            "the conveners "
            "can see you offered and will be in touch. Step down any time with /cop plan stop."
        )
    )


def step_down(cmd: StepDown, ctx: Context) -> Response:
    member = ctx.require_member()
    row = _mine(ctx, member)
    if row is None:
        raise UserError("You're not in the planning group. To join it: /cop plan.")
    ctx.uow.session.delete(row)
    return Response(
        message=say("Done: you've stepped down from the planning group. Thank you for your help!")
    )


def show_planners(cmd: ShowPlanners, ctx: Context) -> Response:
    ctx.require_convener("see who offered to help plan")
    rows = ctx.uow.session.exec(
        select(Member.display_name, PlanningVolunteer.volunteered_at)
        .join(Member, col(Member.id) == col(PlanningVolunteer.member_id))
        .where(PlanningVolunteer.community_id == ctx.community_id)
        .order_by(col(PlanningVolunteer.volunteered_at), col(Member.display_name))
    ).all()
    if not rows:
        return Response(
            message=say(
                "No one has offered yet. An invitation goes to the channel after every "
                f"{ctx.settings.words.meeting}."
            )
        )
    tz = ctx.community.timezone
    items = tuple(f"{name} (since {local_time(at, tz)})" for name, at in rows)
    return Response(
        message=OutMessage(
            title=f"{plural(len(rows), 'member')} offered to help plan",
            sections=(Section(items=items),),
        )
    )


def _parse_plan(rest: str, _settings: CommunitySettings) -> c.Command:
    lowered = " ".join(rest.lower().split())
    if lowered in ("", "join", "help", "volunteer", "me", "yes"):
        return Volunteer()
    if lowered in STEP_DOWN_WORDS:
        return StepDown()
    raise usage_error(PLAN)


def _parse_planners(rest: str, _settings: CommunitySettings) -> c.Command:
    if rest:
        raise usage_error(PLANNERS)
    return ShowPlanners()


def collect_jobs(uow: UnitOfWork, settings_of: object) -> list[JobSpec]:
    """An invitation when each meeting ends (its start plus meetings.length)."""
    specs: list[JobSpec] = []
    communities = uow.session.exec(
        select(Community).where(col(Community.closed_at).is_(None))
    ).all()
    for community in communities:
        assert community.id is not None
        settings: CommunitySettings = settings_of(community)  # type: ignore[operator]
        length = when.parse_duration(settings.meetings.length)
        starts = uow.session.exec(
            select(Meeting.starts_at).where(
                Meeting.community_id == community.id, col(Meeting.cancelled).is_(False)
            )
        ).all()
        community_id = community.id
        specs.append(
            JobSpec(
                key=f"plan-invite:{community_id}",
                community_id=community_id,
                times=each([start + length for start in starts]),
                make=lambda t, i=community_id: InvitePlanners(community_id=i, occurrence=t),
                grace=INVITE_GRACE,
                since=community.created_at,
            )
        )
    return specs


PLAN = Verb(
    "plan",
    _parse_plan,
    usage="/cop plan · /cop plan stop",
    help="offer to help plan and convene our meetings (/cop plan stop to step down)",
)
PLANNERS = Verb(
    "planners",
    _parse_planners,
    usage="/cop planners",
    help="",
    convener_help="who has offered to help plan and convene",
)

FEATURE = Feature(
    name="planners",
    verbs=(PLAN, PLANNERS),
    buttons={"plan.volunteer": lambda _value: Volunteer()},
    handlers={
        Volunteer: volunteer,
        StepDown: step_down,
        ShowPlanners: show_planners,
        InvitePlanners: invite,
    },
    jobs=collect_jobs,
)
