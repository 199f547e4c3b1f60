"""Pledges' shared reads and rules: counts for other features, the member's own open pledge,
closing one, whether a follow-up was answered, and reading a due date."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from bot.context import Context
from bot.domain import when
from bot.errors import UserError
from bot.features import meeting_queries
from bot.storage.tables import Member
from bot.storage.tables_wins import Pledge


def next_meeting(session: Session, community_id: int, now: datetime) -> datetime | None:
    """The start of the next meeting that isn't cancelled, after `now`."""
    found = meeting_queries.next_meeting(session, community_id, now)
    return found.starts_at if found is not None else None


def pledge_counts(session: Session, community_id: int, now: datetime) -> tuple[int, int, int]:
    """(open pledges, due in the next 7 days, past their date): figures only, never text."""
    base = (
        select(func.count())
        .select_from(Pledge)
        .where(Pledge.community_id == community_id, Pledge.status == "open")
    )
    total = session.exec(base).one()
    soon = session.exec(
        base.where(col(Pledge.due_at) > now, col(Pledge.due_at) <= now + timedelta(days=7))
    ).one()
    late = session.exec(base.where(col(Pledge.due_at) <= now)).one()
    return total, soon, late


def open_pledge_holders(session: Session, community_id: int) -> set[int]:
    """Ids of the members holding at least one open pledge (never what they pledged)."""
    return set(
        session.exec(
            select(Pledge.member_id)
            .where(Pledge.community_id == community_id, Pledge.status == "open")
            .distinct()
        ).all()
    )


def own_open(ctx: Context, pledge_id: int) -> tuple[Member, Pledge]:
    member = ctx.require_member()
    word = ctx.settings.words.pledge
    pledge = ctx.uow.session.get(Pledge, pledge_id)
    if pledge is None or pledge.community_id != ctx.community_id or pledge.member_id != member.id:
        raise UserError(f"I can't find {word} #{pledge_id} among yours. /cop pledges lists them.")
    if pledge.status != "open":
        state = {"done": "done", "released": "let go", "cancelled": "cancelled"}
        raise UserError(
            f"{word.capitalize()} #{pledge_id} is {state.get(pledge.status, 'closed')} already."
        )
    return member, pledge


def close_pledge(ctx: Context, pledge: Pledge, status: str) -> None:
    now = ctx.clock.now()
    pledge.status, pledge.closed_at, pledge.answered_at = status, now, now
    ctx.uow.session.add(pledge)


def answered(pledge: Pledge) -> bool:
    """Did the member answer since the due-date follow-up went out?"""
    sent, answered = pledge.followup_sent_at, pledge.answered_at
    return answered is not None and sent is not None and answered >= sent


def due_from(ctx: Context, member: Member, text: str | None, *, hint: bool) -> datetime:
    words = ctx.settings.words
    now = ctx.clock.now()
    upcoming = next_meeting(ctx.uow.session, ctx.community_id, now)
    if text is None:
        if upcoming is None:
            raise UserError(
                f"By when? There's no next {words.meeting} in the calendar, so please add a "
                f"date: e.g. '/cop pledge … by 15 Jan' or '… by in 3 weeks'."
            )
        return upcoming
    try:
        return when.parse_moment(text, now, ZoneInfo(member.timezone), next_meeting=upcoming)
    except when.WhenError as error:
        extra = ""
        if hint:
            extra = (
                f" (If 'by' is part of your {words.pledge} itself, end it with a date, "
                "e.g. '… by next meeting'.)"
            )
        raise UserError(f"{error}{extra}") from None
