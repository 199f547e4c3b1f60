"""What other features read of wins: those of a period (the digest, the catch-up), their
bylines and cheers, one to resurface in a quiet spell, and the offer to celebrate a named
check-in success."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, func, select

from bot.context import Context
from bot.domain import wins as rules
from bot.storage.tables import CheckInReply, Member
from bot.storage.tables_wins import Win, WinCheer, WinCredit


def wins_between(session: Session, community_id: int, start: datetime, end: datetime) -> list[Win]:
    """Wins posted in [start, end) and not withdrawn, oldest first (for the weekly digest).

    Anonymous wins are included with `anonymous=True` and `member_id=None`: show their text,
    never a name. `describe_wins` gives each one's line with byline and cheers."""
    return list(
        session.exec(
            select(Win)
            .where(
                Win.community_id == community_id,
                Win.status == "posted",
                col(Win.posted_at) >= start,
                col(Win.posted_at) < end,
            )
            .order_by(col(Win.posted_at), col(Win.id))
        ).all()
    )


def cheer_counts(session: Session, win_ids: Sequence[int]) -> dict[int, int]:
    """How many members cheered each win."""
    if not win_ids:
        return {}
    rows = session.exec(
        select(WinCheer.win_id, func.count())
        .where(col(WinCheer.win_id).in_(list(win_ids)))
        .group_by(col(WinCheer.win_id))
    ).all()
    return {win_id: count for win_id, count in rows}


def byline(session: Session, win: Win) -> str:
    """'— Ana, with Ben and Dee', '— Ana (nominated by Ben)' or '— shared anonymously'."""
    if win.anonymous or win.member_id is None:
        return rules.byline(win, None, [], None)
    credited = session.exec(
        select(Member.display_name)
        .join(WinCredit, col(WinCredit.member_id) == col(Member.id))
        .where(WinCredit.win_id == win.id)
        .order_by(col(Member.display_name))
    ).all()
    name = member_name(session, win.member_id)
    nominator = member_name(session, win.nominated_by) if win.nominated_by else None
    return rules.byline(win, name, list(credited), nominator)


def describe_wins(session: Session, wins: Sequence[Win]) -> list[str]:
    """One line per win: '#4 We cut waiting times — Ana · 3 cheers'."""
    counts = cheer_counts(session, [w.id for w in wins if w.id is not None])
    return [rules.win_line(w, byline(session, w), counts.get(w.id or 0, 0)) for w in wins]


def resurface_candidate(session: Session, community_id: int, now: datetime) -> Win | None:
    """A past named win worth bringing back in a quiet spell, or None.

    Only posted, named (never anonymous), not withdrawn wins, at least four weeks old and
    never resurfaced before; the most cheered first, then the oldest."""
    cheers = (
        select(WinCheer.win_id, func.count().label("n")).group_by(col(WinCheer.win_id)).subquery()
    )
    return session.exec(
        select(Win)
        .outerjoin(cheers, cheers.c.win_id == col(Win.id))
        .where(
            Win.community_id == community_id,
            Win.status == "posted",
            col(Win.anonymous).is_(False),
            col(Win.member_id).is_not(None),
            col(Win.resurfaced_at).is_(None),
            col(Win.posted_at) <= now - rules.RESURFACE_AFTER,
        )
        .order_by(func.coalesce(cheers.c.n, 0).desc(), col(Win.posted_at), col(Win.id))
    ).first()


def resurface_win(ctx: Context) -> Win | None:
    """Post `resurface_candidate` ("Three months ago, …") in the channel, once per win.
    For the quiet-spell feature: call it inside its own command; returns the win or None."""
    now = ctx.clock.now()
    session = ctx.uow.session
    win = resurface_candidate(session, ctx.community_id, now)
    if win is None:
        return None
    win.resurfaced_at = now
    session.add(win)
    count = cheer_counts(session, [win.id or 0]).get(win.id or 0, 0)
    message = rules.resurface_message(win, byline(session, win), count, now, ctx.settings.words)
    ctx.post(f"win:{win.id}:resurface", message)
    return win


def offer_success_wins(ctx: Context, replies: Sequence[CheckInReply]) -> None:
    """When a check-in closes: offer each *named* success's author, privately, to celebrate it
    as a win. Anonymous successes are never offered (that would break their anonymity)."""
    named = [r for r in replies if r.kind == "success" and not r.anonymous and r.member_id]
    if not named:
        return
    session = ctx.uow.session
    members = {
        m.id: m
        for m in session.exec(
            select(Member).where(col(Member.id).in_({r.member_id for r in named}))
        ).all()
    }
    now = ctx.clock.now()
    for reply in named:
        member = members.get(reply.member_id)
        if member is None or reply.id is None:
            continue
        ctx.dm(
            member,
            f"win:offer:reply:{reply.id}",
            rules.success_offer(reply.id, reply.text, ctx.settings.words),
            expires_at=now + rules.NOMINATION_WINDOW,
        )


def member_name(session: Session, member_id: int | None) -> str:
    """A member's display name, or "a member" if they are gone."""
    member = session.get(Member, member_id) if member_id is not None else None
    return member.display_name if member else "a member"
