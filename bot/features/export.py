"""An export for evaluation: engagement per week and per (pseudonymous) member, consented
stories, shared pledges and poll results, for a date range.

`copbot export … --format json|csv` on the command line (CSV: a zip holding one file per
section), and `/cop export [FROM TO]` for keepers (the JSON, privately, as an attachment).
Members appear as "member-" + the first 8 hex digits of an HMAC of their id keyed with a
random salt made for this export alone: stable within one export, unlinkable across two.
Anonymous contributions are counted, never attributed; private pledges never appear.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from bot.commands import Command
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain import digest as digest_rules
from bot.errors import UserError
from bot.features.base import Feature, Verb, usage_error
from bot.features.digest_figures import build_digest
from bot.features.export_files import Progress, to_json
from bot.features.library import resources_between
from bot.features.pulse_results import pulses_between
from bot.features.rsvp import attendance_between
from bot.messages import Attachment, OutMessage, Response, Section, say
from bot.storage.tables import Activity, Community
from bot.storage.tables_stories import Story

DEFAULT_WEEKS = 12


@dataclass(frozen=True)
class ExportData(Command):
    """`/cop export [FROM TO]`: dates (YYYY-MM-DD, local) or None for the last 12 weeks."""

    start: date | None = None
    end: date | None = None


def pseudonym(salt: bytes, member_id: int) -> str:
    """'member-7f3a09c2': stable for one salt, meaningless without it."""
    digest = hmac.new(salt, str(member_id).encode(), hashlib.sha256).hexdigest()
    return f"member-{digest[:8]}"


def date_range(start: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start 00:00, the day after `end` 00:00) local, as aware datetimes."""
    if end < start:
        raise UserError("The end date is before the start date.")
    return (
        digest_rules.local_midnight(start, zone),
        digest_rules.local_midnight(end + timedelta(days=1), zone),
    )


def build_export(
    session: Session,
    community: Community,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    salt: bytes | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Everything the export holds for [start, end), as JSON-ready values."""
    assert community.id is not None
    cid = community.id
    zone = ZoneInfo(community.timezone)
    salt = salt if salt is not None else secrets.token_bytes(16)
    names: dict[int, str] = {}

    def who(member_id: int | None) -> str | None:
        if member_id is None:
            return None
        if member_id not in names:
            names[member_id] = pseudonym(salt, member_id)
        return names[member_id]

    weeks, members = _engagement(session, cid, start, end, zone, who, progress)
    summary = build_digest(session, cid, start, end, now, "export", zone).figures()
    return {
        "community": community.name,
        "timezone": community.timezone,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "generated_at": now.isoformat(),
        "pseudonyms": "member ids are keyed hashes made for this export only",
        "summary": summary,
        "weeks": weeks,
        "members": members,
        "stories": _stories(session, cid, start, end, who),
        "pledges": _pledges(session, cid, start, end, who),
        "polls": _polls(session, cid, start, end),
        "pulses": [
            row for result in pulses_between(session, cid, start, end) for row in result.figures()
        ],
        "meetings": attendance_between(session, cid, start, end),
        "resources": [
            {"shared_at": r.shared_at.isoformat(), "text": r.text, "link": r.link, "tags": r.tags}
            for r in resources_between(session, cid, start, end)
        ],
    }


def _engagement(
    session: Session,
    cid: int,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    who: Callable[[int | None], str | None],
    progress: Progress | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per week (from the Monday of `start`'s week) and per member; one query per week."""
    bounds = [digest_rules.week_start(start, zone)]
    while bounds[-1] < end:
        bounds.append(digest_rules.local_midnight(bounds[-1].date() + timedelta(days=7), zone))
    weeks: list[dict[str, Any]] = []
    per_member: dict[int, dict[str, Any]] = {}
    total = len(bounds) - 1
    for index, (low, high) in enumerate(pairwise(bounds)):
        low, high = max(low, start), min(high, end)
        rows = session.exec(
            select(Activity.member_id, Activity.kind, func.count())
            .where(Activity.community_id == cid, col(Activity.at) >= low, col(Activity.at) < high)
            .group_by(col(Activity.member_id), col(Activity.kind))
        ).all()
        active = {m for m, _, _ in rows if m is not None}
        weeks.append(
            {
                "week_start": bounds[index].date().isoformat(),
                "active_members": len(active),
                "contributions": sum(n for _, _, n in rows),
                "anonymous_contributions": sum(n for m, _, n in rows if m is None),
            }
        )
        for member_id, kind, count in rows:
            if member_id is None:
                continue
            entry = per_member.setdefault(
                member_id, {"member": who(member_id), "weeks_active": 0, "contributions": {}}
            )
            entry["contributions"][kind] = entry["contributions"].get(kind, 0) + count
        for member_id in active:
            per_member[member_id]["weeks_active"] += 1
        if progress is not None:
            progress(index + 1, total)
    members = sorted(per_member.values(), key=lambda e: e["member"])
    for entry in members:
        entry["total"] = sum(entry["contributions"].values())
    return weeks, members


def _stories(
    session: Session, cid: int, start: datetime, end: datetime, who: Callable[[int | None], Any]
) -> list[dict[str, Any]]:
    """Consented stories only; anonymous ones carry no member at all."""
    stories = session.exec(
        select(Story)
        .where(
            Story.community_id == cid,
            col(Story.created_at) >= start,
            col(Story.created_at) < end,
            col(Story.consent).in_(("named", "anonymous")),
        )
        .order_by(col(Story.created_at), col(Story.id))
    ).all()
    return [
        {
            "told_at": s.created_at.isoformat(),
            "cycle": s.cycle,
            "what": s.what,
            "difference": s.difference,
            "member": who(s.member_id) if s.consent == "named" else None,
        }
        for s in stories
    ]


def _pledges(
    session: Session, cid: int, start: datetime, end: datetime, who: Callable[[int | None], Any]
) -> list[dict[str, Any]]:
    """Shared pledges made in the window (private ones never appear). No pseudonym: a shared
    pledge is posted with its author's name, so one would name that pseudonym everywhere."""
    try:
        from bot.storage.tables_wins import Pledge
    except ImportError:
        return []
    pledges = session.exec(
        select(Pledge)
        .where(
            Pledge.community_id == cid,
            col(Pledge.shared),
            col(Pledge.created_at) >= start,
            col(Pledge.created_at) < end,
        )
        .order_by(col(Pledge.created_at), col(Pledge.id))
    ).all()
    return [
        {
            "text": p.text,
            "status": p.status,
            "made_at": p.created_at.isoformat(),
            "due_at": p.due_at.isoformat(),
        }
        for p in pledges
    ]


def _polls(session: Session, cid: int, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Polls closed in the window, with their kept result (turnout and counts, no voters)."""
    try:
        from bot.storage.tables_polls import Poll, PollOption
    except ImportError:
        return []
    polls = session.exec(
        select(Poll)
        .where(Poll.community_id == cid, col(Poll.closed_at) >= start, col(Poll.closed_at) < end)
        .order_by(col(Poll.closed_at), col(Poll.id))
    ).all()
    found = []
    for poll in polls:
        labels = session.exec(
            select(PollOption.label)
            .where(PollOption.poll_id == poll.id)
            .order_by(col(PollOption.number))
        ).all()
        kept = poll.result or {}
        found.append(
            {
                "question": poll.question,
                "method": poll.method,
                "closed_at": poll.closed_at.isoformat() if poll.closed_at else None,
                "options": list(labels),
                "outcome": poll.outcome,
                "winner": labels[poll.winner - 1] if poll.winner else None,
                "ballots": kept.get("ballots"),
                "members": kept.get("members"),
            }
        )
    return found


# ---- /cop export -----------------------------------------------------------------------


def export_data(cmd: ExportData, ctx: Context) -> Response:
    member = ctx.require_member()
    if not member.is_keeper:
        raise UserError(
            "The export is for the community's keepers. Ask one of them if you need figures."
        )
    now = ctx.clock.now()
    zone = ZoneInfo(ctx.community.timezone)
    if cmd.start is None or cmd.end is None:
        end_day = now.astimezone(zone).date()
        start, end = date_range(
            end_day - timedelta(weeks=DEFAULT_WEEKS) + timedelta(days=1), end_day, zone
        )
    else:
        start, end = date_range(cmd.start, cmd.end, zone)
    end = min(end, now)
    data = build_export(ctx.uow.session, ctx.community, start, end, now)
    first, last = start.date().isoformat(), (end - timedelta(microseconds=1)).astimezone(zone)
    name = f"copbot-{ctx.community.name}-{first}-to-{last.date().isoformat()}.json"
    ctx.dm(
        member,
        f"export:{ctx.community_id}:{member.id}:{now.isoformat()}",
        OutMessage(
            title=f"Your export for {ctx.community.name}",
            sections=(
                Section(
                    text=f"{first} to {last.date().isoformat()}: engagement per week and per "
                    "member (pseudonymous ids made for this export only), consented stories, "
                    "shared pledges, poll results, pulse results and the library's resources."
                ),
            ),
            attachment=Attachment(filename=name, content=to_json(data)),
        ),
    )
    return Response(message=say("Your export is on its way to you in a private message."))


def _parse(rest: str, _settings: CommunitySettings) -> Command:
    words = rest.replace(" to ", " ").split()
    if not words:
        return ExportData()
    if len(words) != 2:
        raise usage_error(EXPORT)
    try:
        start, end = (date.fromisoformat(w) for w in words)
    except ValueError:
        raise UserError("Please give dates like 2026-11-01 2026-11-30.") from None
    return ExportData(start, end)


EXPORT = Verb(
    "export",
    _parse,
    usage="/cop export [YYYY-MM-DD YYYY-MM-DD]",
    help="for keepers: engagement figures (pseudonymous), consented stories, shared pledges "
    "and poll results as a JSON file, for evaluation (default: the last 12 weeks)",
)

FEATURE = Feature(name="export", verbs=(EXPORT,), handlers={ExportData: export_data})


def find_community(session: Session, name: str) -> Community | None:
    """The community called `name`, for the command line."""
    return session.exec(select(Community).where(Community.name == name)).first()


__all__ = ["FEATURE", "build_export", "find_community", "pseudonym"]
