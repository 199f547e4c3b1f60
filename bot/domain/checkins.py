"""Check-in rules and wording: who gets reminded, what the summary says.

Anonymity (the Chatham House rule): an anonymous reply keeps no member id, only
`author_key`, a keyed hash that lets its author (and no one else) find it again.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.commands import REPLY_KINDS, ReplyKind
from bot.config import Words
from bot.domain.text import plural
from bot.messages import Button, OutMessage, Section
from bot.storage.tables import CheckIn, CheckInReply, Member


def author_key(secret: bytes, checkin_id: int, member_id: int) -> str:
    """The keyed hash that links a reply to its author without naming them."""
    digest = hmac.new(secret, f"checkin:{checkin_id}:member:{member_id}".encode(), hashlib.sha256)
    return digest.hexdigest()


def kind_word(words: Words, kind: ReplyKind) -> str:
    """The community's word for a kind of reply."""
    return {"success": words.success, "challenge": words.challenge, "learning": words.learning}[
        kind
    ]


def kind_aliases(words: Words) -> dict[str, ReplyKind]:
    """Every word a member may type for each kind: the community's own, and the plain ones."""
    aliases: dict[str, ReplyKind] = {kind: kind for kind in REPLY_KINDS}
    aliases |= {"learned": "learning", "learnt": "learning", "win": "success"}
    for kind in REPLY_KINDS:
        aliases[kind_word(words, kind).lower()] = kind
    return aliases


def local_time(when: datetime, timezone: str) -> str:
    """'Tue 3 Dec, 14:00' in the given timezone."""
    local = when.astimezone(ZoneInfo(timezone))
    return local.strftime("%a %-d %b, %H:%M")


def checkin_post(checkin: CheckIn, words: Words, timezone: str) -> OutMessage:
    """The channel post that opens a check-in, with a button per kind of reply."""
    return OutMessage(
        title=f"Time for our {words.checkin}",
        sections=(
            Section(text=checkin.question),
            Section(
                text="Reply privately with the buttons below (or /cop reply). You can share "
                "with your name or anonymously: anonymous replies follow the Chatham House rule, "
                "so no one, not even the conveners, can see who wrote them. You can edit your "
                f"reply until the {words.checkin} closes on "
                f"{local_time(checkin.closes_at, timezone)}."
            ),
        ),
        buttons=(
            *(
                Button(
                    label=f"Share a {kind_word(words, kind)}",
                    action="checkin.reply",
                    value=f"{checkin.id}:{kind}",
                    style="primary" if kind == "success" else "default",
                )
                for kind in REPLY_KINDS
            ),
            Button(label="Not this time", action="checkin.skip", value=str(checkin.id)),
        ),
    )


def needs_reminder(
    members: Iterable[Member],
    replied_keys: set[str],
    skipped: set[int],
    secret: bytes,
    checkin_id: int,
    now: datetime,
) -> list[Member]:
    """Members to remind: no reply yet, not skipped, not away, not muted."""
    chosen = []
    for member in members:
        assert member.id is not None
        if member.muted_checkins or member.id in skipped:
            continue
        if member.away_until is not None and member.away_until > now:
            continue
        if author_key(secret, checkin_id, member.id) in replied_keys:
            continue
        chosen.append(member)
    return chosen


def reminder(checkin: CheckIn, words: Words, timezone: str) -> OutMessage:
    """The one gentle reminder."""
    return OutMessage(
        title=f"A gentle nudge about our {words.checkin}",
        sections=(
            Section(
                text=f"{checkin.question}\nThere's still time: it closes on "
                f"{local_time(checkin.closes_at, timezone)}. A line or two is plenty, and you "
                "can share anonymously. If now isn't a good time, that's fine too."
            ),
        ),
        buttons=(
            *(
                Button(
                    label=f"Share a {kind_word(words, kind)}",
                    action="checkin.reply",
                    value=f"{checkin.id}:{kind}",
                )
                for kind in REPLY_KINDS
            ),
            Button(label="Not this time", action="checkin.skip", value=str(checkin.id)),
        ),
        footer="You can mute check-in reminders with /cop me mute.",
    )


def summary(
    checkin: CheckIn,
    replies: Sequence[CheckInReply],
    names: dict[int, str],
    member_count: int,
    responders: int,
    words: Words,
) -> OutMessage:
    """The closing summary. Named replies carry a name; anonymous ones never do, and are
    ordered by their text rather than by when they arrived."""
    counts = {kind: sum(1 for r in replies if r.kind == kind) for kind in REPLY_KINDS}
    headline = (
        f"{responders} of {plural(member_count, 'member')} shared. "
        + ", ".join(f"{kind_word(words, k).capitalize()}: {counts[k]}" for k in REPLY_KINDS)
        + "."
    )
    sections = [Section(text=headline)]
    for kind in REPLY_KINDS:
        named = [
            f"{r.text} — {names.get(r.member_id or 0, 'a member')}"
            for r in replies
            if r.kind == kind and not r.anonymous
        ]
        anonymous = sorted(r.text for r in replies if r.kind == kind and r.anonymous)
        items = tuple(named) + tuple(f"{text} — (shared anonymously)" for text in anonymous)
        if items:
            heading = f"{kind_word(words, kind).capitalize()} ({len(items)})"
            sections.append(Section(heading=heading, items=items))
    if not replies:
        sections.append(Section(text="No one shared this time, and that's all right."))
    return OutMessage(
        title=f"Our {words.checkin} has closed",
        sections=tuple(sections),
        footer="Shared under the Chatham House rule: use what you learned, never who said it.",
    )
