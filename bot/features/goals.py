"""The community's goals: conveners set 1 to 5 short goals (`/cop goals set a; b`, `add`,
`remove <n>`); everyone sees them with `/cop goals`. The goals pulse (bot.features.pulses)
asks members how far the community got towards each one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from bot import commands as c
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain.text import clean_text, read_number
from bot.errors import UserError
from bot.features.base import Feature, Verb, usage_error
from bot.features.guard import guard_text
from bot.features.pulse_results import latest_sections
from bot.messages import OutMessage, Response, Section, say
from bot.storage.tables_value import Goal

MAX_GOALS = 5
MAX_LENGTH = 150


@dataclass(frozen=True)
class ShowGoals(c.Command):
    """Everyone: the community's goals."""


@dataclass(frozen=True)
class SetGoals(c.Command):
    """Conveners: replace every goal with these ('; ' between them)."""

    text: str
    confirmed: bool = False


@dataclass(frozen=True)
class AddGoal(c.Command):
    text: str
    confirmed: bool = False


@dataclass(frozen=True)
class RemoveGoal(c.Command):
    """By its number in /cop goals (1 to 5)."""

    number: int


def current_goals(session: Session, community_id: int) -> list[Goal]:
    """The goals in force, in the order they were set."""
    return list(
        session.exec(
            select(Goal)
            .where(Goal.community_id == community_id, col(Goal.removed_at).is_(None))
            .order_by(col(Goal.id))
        ).all()
    )


def _texts(text: str) -> list[str]:
    parts = [p.strip() for p in text.split(";")]
    return [clean_text(p, what="A goal", max_length=MAX_LENGTH) for p in parts if p]


def _listing(goals: list[Goal]) -> tuple[str, ...]:
    return tuple(f"{n}. {g.text}" for n, g in enumerate(goals, 1))


def _announce(ctx: Context, goals: list[Goal], by: str) -> None:
    ctx.post(
        f"goals:{ctx.community_id}:{ctx.clock.now().isoformat()}",
        OutMessage(
            title=f"Our goals, as {by} set them",
            sections=(Section(items=_listing(goals)),) if goals else (Section(text="(none)"),),
            footer="Every so often I'll ask you, anonymously, how far we got. See them any "
            "time with /cop goals.",
        ),
    )


def show(cmd: ShowGoals, ctx: Context) -> Response:
    ctx.require_member()
    goals = current_goals(ctx.uow.session, ctx.community_id)
    if not goals:
        return Response(
            message=say(
                "We have no goals written down yet. Conveners can set them: "
                "/cop goals set <goal>; <goal>"
            )
        )
    pulse = latest_sections(ctx.uow.session, ctx.community_id, keeper=False)
    return Response(
        message=OutMessage(
            title="Our goals",
            sections=(Section(items=_listing(goals)), *pulse),
            footer="Every so often I ask everyone, anonymously, how far we got.",
        )
    )


def _replace(ctx: Context, texts: list[str], keep: list[Goal]) -> list[Goal]:
    member = ctx.require_member()
    now = ctx.clock.now()
    session = ctx.uow.session
    for goal in current_goals(session, ctx.community_id):
        if goal not in keep:
            goal.removed_at = now
            session.add(goal)
    added = [
        Goal(community_id=ctx.community_id, text=t, set_by=member.id, created_at=now) for t in texts
    ]
    session.add_all(added)
    session.flush()
    goals = keep + added
    _announce(ctx, goals, member.display_name)
    return goals


def _too_many(count: int) -> UserError:
    return UserError(
        f"A community has 1 to {MAX_GOALS} goals; that would make {count}. Fewer, clearer "
        "goals are easier to notice progress on."
    )


def set_goals(cmd: SetGoals, ctx: Context) -> Response:
    ctx.require_convener("set the community's goals")
    texts = _texts(cmd.text)
    if not texts:
        raise UserError("Please give at least one goal: /cop goals set <goal>; <goal>")
    if len(texts) > MAX_GOALS:
        raise _too_many(len(texts))
    held = guard_text(ctx, cmd.text, confirmed=cmd.confirmed, resend=cmd)
    if held is not None:
        return held
    goals = _replace(ctx, texts, [])
    return Response(message=say(f"Our goals are set ({len(goals)}); the channel is told."))


def add_goal(cmd: AddGoal, ctx: Context) -> Response:
    ctx.require_convener("set the community's goals")
    text = clean_text(cmd.text, what="The goal", max_length=MAX_LENGTH)
    goals = current_goals(ctx.uow.session, ctx.community_id)
    if len(goals) >= MAX_GOALS:
        raise _too_many(len(goals) + 1)
    held = guard_text(ctx, text, confirmed=cmd.confirmed, resend=cmd)
    if held is not None:
        return held
    goals = _replace(ctx, [text], goals)
    return Response(message=say(f"Goal {len(goals)} added; the channel is told."))


def remove_goal(cmd: RemoveGoal, ctx: Context) -> Response:
    ctx.require_convener("change the community's goals")
    goals = current_goals(ctx.uow.session, ctx.community_id)
    if not 1 <= cmd.number <= len(goals):
        raise UserError(f"There's no goal {cmd.number}. See them with /cop goals.")
    gone = goals.pop(cmd.number - 1)
    _replace(ctx, [], goals)
    return Response(message=say(f"Goal {cmd.number} ({gone.text}) is removed."))


def _parse(rest: str, _settings: CommunitySettings) -> c.Command:
    action, _, tail = rest.strip().partition(" ")
    action, tail = action.lower(), tail.strip()
    if action in ("", "list", "show") and not tail:
        return ShowGoals()
    if action == "set" and tail:
        return SetGoals(tail)
    if action == "add" and tail:
        if ";" in tail:
            raise UserError("One goal at a time with add; use /cop goals set a; b for several.")
        return AddGoal(tail)
    if action == "remove":
        number = read_number(tail)
        if number is None:
            raise usage_error(GOALS)
        return RemoveGoal(number)
    raise usage_error(GOALS)


GOALS = Verb(
    "goals",
    _parse,
    usage="/cop goals · /cop goals set <goal>; <goal> · /cop goals add <goal> · "
    "/cop goals remove <number>",
    help="the community's goals (1 to 5), and how far we got",
    convener_help="set the community's goals (/cop goals set Fewer missed visits; "
    "Share what works), add one or remove one",
    aliases=("goal",),
)

FEATURE = Feature(
    name="goals",
    verbs=(GOALS,),
    handlers={ShowGoals: show, SetGoals: set_goals, AddGoal: add_goal, RemoveGoal: remove_goal},
)
