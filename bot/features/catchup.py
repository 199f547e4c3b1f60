"""Catching up: what someone who joins late (or is back from a break) needs to take part.

The last check-in's summary exactly as the channel saw it (anonymous replies never
attributed, and held back where the group was too small), the current topic and the next
meeting, open polls with a button to vote, and recent wins. Late joiners get it with their
welcome; `/cop catchup` gives the same to anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select

from bot import commands as c
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain.checkins import local_time
from bot.domain.text import plural_of, short
from bot.features.base import Feature, Verb, usage_error
from bot.features.checkin_summary import posted_summary, summary_of
from bot.features.meeting_queries import next_meeting
from bot.features.poll_queries import poll_status
from bot.features.win_queries import describe_wins, wins_between
from bot.messages import Button, OutMessage, Response, Section
from bot.storage.tables import CheckIn, Member

#: Wins from this far back are "recent".
RECENT_WINS = timedelta(days=28)
MAX_POLLS = 4
MAX_WINS = 5


@dataclass(frozen=True)
class CatchUp(c.Command):
    """`/cop catchup`: what has happened lately, privately."""


def _last_closed(ctx: Context) -> CheckIn | None:
    return ctx.uow.session.exec(
        select(CheckIn)
        .where(CheckIn.community_id == ctx.community_id, col(CheckIn.closed_at).is_not(None))
        .order_by(col(CheckIn.closed_at).desc())
    ).first()


def summary_closed_at(ctx: Context) -> datetime | None:
    """When the last check-in closed (None: none has)."""
    last = _last_closed(ctx)
    return last.closed_at if last is not None else None


def _last_summary(ctx: Context) -> OutMessage | None:
    """The last closed check-in's summary as it was posted (or, no longer kept, rebuilt the
    same way): never a later count that would uncover what it held back."""
    checkin = _last_closed(ctx)
    if checkin is None or checkin.closed_at is None:
        return None
    posted = posted_summary(ctx.uow.session, checkin)
    if posted is not None:
        return posted
    message, _ = summary_of(ctx.uow.session, checkin, ctx.community_id, ctx.settings.words)
    return message


def catch_up_sections(
    ctx: Context, member: Member, *, with_next_meeting: bool = True
) -> tuple[list[Section], list[Button]]:
    """The catch-up's sections and vote buttons; empty when nothing has happened yet (the
    next meeting alone is not history: it is left out when `with_next_meeting` is False)."""
    words = ctx.settings.words
    session = ctx.uow.session
    now = ctx.clock.now()
    sections: list[Section] = []
    buttons: list[Button] = []
    summary = _last_summary(ctx)
    if summary is not None:
        closed = summary_closed_at(ctx)
        sections.append(
            Section(
                heading=f"Our last {words.checkin}",
                text=f"It closed on {local_time(closed, member.timezone)}. What was shared:"
                if closed
                else "",
            )
        )
        sections += summary.sections
    upcoming = next_meeting(session, ctx.community_id, now)
    if upcoming is not None and with_next_meeting:
        topic = f" Topic: {upcoming.topic}." if upcoming.topic else " No topic chosen yet."
        sections.append(
            Section(
                heading=f"Next {words.meeting}",
                text=f"{local_time(upcoming.starts_at, member.timezone)} "
                f"({member.timezone} time).{topic}",
            )
        )
    open_polls = [p for p in poll_status(session, ctx.community_id, now) if p.state == "open"]
    if open_polls:
        sections.append(
            Section(heading="Open polls", items=tuple(p.text for p in open_polls[:MAX_POLLS]))
        )
        buttons += [
            Button(label=f"Vote in poll {p.poll_id}", action="poll.ballot", value=str(p.poll_id))
            for p in open_polls[:MAX_POLLS]
        ]
    wins = describe_wins(session, wins_between(session, ctx.community_id, now - RECENT_WINS, now))
    if wins:
        sections.append(
            Section(
                heading=f"Recent {plural_of(words.win)}",
                items=tuple(short(w, 200) for w in wins[-MAX_WINS:]),
            )
        )
    return sections, buttons


def catch_up_message(ctx: Context, member: Member) -> OutMessage | None:
    """The whole catch-up, or None when the community has no history yet."""
    sections, buttons = catch_up_sections(ctx, member)
    if not sections:
        return None
    return OutMessage(
        title=f"Catching up with {ctx.community.name}",
        sections=tuple(sections),
        buttons=tuple(buttons),
        footer="Shared under the Chatham House rule: use what you learned, never who said it.",
    )


def catch_up(cmd: CatchUp, ctx: Context) -> Response:
    member = ctx.require_member()
    message = catch_up_message(ctx, member)
    if message is None:
        message = OutMessage(
            title=f"Nothing to catch up on in {ctx.community.name} yet",
            sections=(
                Section(
                    text=f"No {ctx.settings.words.checkin} has closed, no poll is open and "
                    "no win has been shared yet. You're right on time."
                ),
            ),
        )
    return Response(message=message)


def _parse(rest: str, _settings: CommunitySettings) -> c.Command:
    if rest.strip():
        raise usage_error(CATCHUP)
    return CatchUp()


CATCHUP = Verb(
    "catchup",
    _parse,
    usage="/cop catchup",
    help="catch up: the last check-in's summary, the next meeting, open polls, recent wins",
    aliases=("catch-up",),
)

FEATURE = Feature(name="catchup", verbs=(CATCHUP,), handlers={CatchUp: catch_up})
