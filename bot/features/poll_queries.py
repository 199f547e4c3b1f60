"""Polls as the digest, the catch-up and the newsletter report them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.domain.checkins import local_time
from bot.domain.text import plural, short
from bot.features.poll_rows import ballots_of, labels_of, member_count
from bot.storage.tables import Community
from bot.storage.tables_polls import Poll

# ---- for the digest and newsletter -----------------------------------------------------


@dataclass(frozen=True)
class PollStatus:
    """One poll, as the digest or newsletter reports it.

    `state` is "open" or "closed". Open polls never carry results (they may be hidden).
    `outcome` (closed only): winner, tie, none, decided or runoff; `chosen` holds the winning
    option's label (winner, decided) or the tied labels (tie, runoff). `text` says it all in
    one line (no names: turnout and results only)."""

    poll_id: int
    question: str
    method: str
    state: str
    closes_at: datetime
    closed_at: datetime | None
    voters: int
    members: int
    anonymous: bool
    outcome: str | None = None
    chosen: tuple[str, ...] = field(default=())
    text: str = ""  # one plain line for a digest or newsletter


def poll_status(
    session: Session, community_id: int, now: datetime, recent: timedelta = timedelta(days=14)
) -> list[PollStatus]:
    """Open polls with their turnout, and polls closed within `recent` of `now` with their
    result; open ones first, each group oldest first. Read-only and pure of side effects."""
    members = member_count(session, community_id)
    community = session.get(Community, community_id)
    zone = community.timezone if community is not None else "UTC"
    polls = session.exec(
        select(Poll)
        .where(Poll.community_id == community_id)
        .where(col(Poll.closed_at).is_(None) | (col(Poll.closed_at) >= now - recent))
        .order_by(col(Poll.id))
    ).all()
    found: list[PollStatus] = []
    for poll in sorted(polls, key=lambda p: (p.closed_at is not None, p.id or 0)):
        assert poll.id is not None
        kept = poll.result or {}
        voters = len(ballots_of(session, poll.id)) if poll.closed_at is None else kept["ballots"]
        electorate = kept.get("members", members)
        chosen: tuple[str, ...] = ()
        question = short(poll.question, 120)
        if poll.closed_at is None:
            line = (
                f"Poll {poll.id}, '{question}', is open until "
                f"{local_time(poll.closes_at, zone)}: {voters} of "
                f"{plural(electorate, 'member')} have voted so far."
            )
        else:
            labels = labels_of(session, poll)
            if poll.winner:
                chosen = (labels[poll.winner - 1],)
            elif poll.outcome in ("tie", "runoff"):
                chosen = tuple(labels[n - 1] for n in kept.get("winners", []))
            outcome = {
                "winner": f"chose {' '.join(chosen)}",
                "decided": f"ended in a tie, settled by the conveners: {' '.join(chosen)}",
                "tie": f"ended in a tie between {' and '.join(chosen)}",
                "runoff": f"ended in a tie between {' and '.join(chosen)}; a run-off follows",
            }.get(poll.outcome or "", "had no votes")
            line = f"Poll {poll.id}, '{question}', {outcome} ({voters} of {electorate} voted)."
        found.append(
            PollStatus(
                poll_id=poll.id,
                question=poll.question,
                method=poll.method,
                state="open" if poll.closed_at is None else "closed",
                closes_at=poll.closes_at,
                closed_at=poll.closed_at,
                voters=voters,
                members=electorate,
                anonymous=poll.anonymous,
                outcome=poll.outcome,
                chosen=chosen,
                text=line,
            )
        )
    return found
