"""Pledge rules and wording: when follow-ups fall due, and what they say.

A pledge is private: its text goes only to its author (replies and DMs). Channel posts
carry it only once the author shares it; keepers see counts, never text.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Literal

from bot.config import Words
from bot.domain.checkins import local_time
from bot.messages import Button, OutMessage, Section
from bot.storage.tables_wins import Pledge

Stage = Literal["midpoint", "due", "reminder"]

#: The one gentle reminder goes this long after the due date, if there was no answer.
REMINDER_AFTER = timedelta(days=3)
#: A midpoint check only makes sense for pledges at least this long.
MIDPOINT_MIN = timedelta(days=2)
#: How late the due-date follow-up may still go out if copbot was down when it fell due.
FOLLOW_UP_GRACE = timedelta(days=7)
#: How late the reminder may still go out (later than that, it would feel out of the blue).
REMINDER_GRACE = timedelta(days=2)

_BY = re.compile(r"(?:^|\s+)by\s+", re.IGNORECASE)


def split_when(text: str) -> tuple[str, str | None]:
    """'Try X by 15 Dec' -> ('Try X', '15 Dec'); the last ' by ' separates the date."""
    found = list(_BY.finditer(text))
    if not found:
        return text.strip(), None
    last = found[-1]
    return text[: last.start()].strip(), text[last.end() :].strip() or None


def stamp(moment: datetime) -> str:
    """A due date as it appears in idempotency keys: '20261215T0900Z'."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def midpoint(pledge: Pledge) -> datetime | None:
    """Halfway through the current cycle, or None if the cycle is too short to split."""
    length = pledge.due_at - pledge.cycle_start
    if length < MIDPOINT_MIN:
        return None
    return pledge.cycle_start + length / 2


def follow_up_buttons(pledge: Pledge) -> tuple[Button, ...]:
    """Done / Still working on it / Need help / Let it go."""
    value = str(pledge.id)
    return (
        Button(label="Done", action="pledge.done", value=value, style="primary"),
        Button(label="Still working on it", action="pledge.later", value=value),
        Button(label="Need help", action="pledge.help", value=value),
        Button(label="Let it go", action="pledge.letgo", value=value),
    )


def follow_up(pledge: Pledge, stage: Stage, words: Words, timezone: str) -> OutMessage:
    """The private follow-up. Titles never carry the pledge's text (conveners see the titles
    of undeliverable messages)."""
    due = local_time(pledge.due_at, timezone)
    if stage == "midpoint":
        title = f"Halfway to your {words.pledge}"
        text = f"You're halfway to {due}. How is it going?"
        footer = None
    elif stage == "due":
        title = f"How did your {words.pledge} go?"
        text = f"It was due {due}. However it went, tell me with a button below."
        footer = None
    else:
        title = f"A gentle nudge about your {words.pledge}"
        text = f"It was due {due}. A click is enough; there's no wrong answer."
        footer = (
            "This is the only reminder. After it I'll leave it with you until the next "
            f"{words.meeting}."
        )
    return OutMessage(
        title=title,
        sections=(Section(heading=f"Your {words.pledge}", text=pledge.text), Section(text=text)),
        buttons=follow_up_buttons(pledge),
        footer=footer,
    )


def shared_post(pledge: Pledge, name: str, words: Words, timezone: str) -> OutMessage:
    """A pledge its author chose to share, as posted in the channel."""
    return OutMessage(
        title=f"A new {words.pledge}",
        sections=(
            Section(text=pledge.text),
            Section(text=f"— {name}, by {local_time(pledge.due_at, timezone)}"),
        ),
        footer="Make one of your own with /cop pledge …",
    )


def help_post(pledge: Pledge, name: str, words: Words) -> OutMessage:
    """A named request for help: the help text only, never the pledge's. (An anonymous
    request is kept apart from the pledge: features/help_requests.)"""
    return OutMessage(
        title="Can anyone help?",
        sections=(
            Section(text=pledge.help_text or ""),
            Section(text=f"— {name}, working on a {words.pledge}"),
        ),
        buttons=(Button(label="I can help", action="pledge.offer", value=str(pledge.id)),),
        footer="Press 'I can help' and I'll pass your name on privately.",
    )


def help_offer(helper: str, pledge: Pledge) -> OutMessage:
    """To the member who asked for help: someone offered."""
    return OutMessage(
        title="Someone offered to help",
        sections=(
            Section(
                text=f"{helper} would like to help with what you asked: {pledge.help_text}. "
                "Get in touch with them whenever suits you."
            ),
        ),
    )


def list_line(pledge: Pledge, words: Words, timezone: str) -> str:
    """One of your own pledges: '#3 Try X — due Tue 15 Dec, 14:00 (shared)'."""
    state = {
        "open": f"due {local_time(pledge.due_at, timezone)}",
        "done": "done",
        "released": "let go",
        "cancelled": "cancelled",
    }.get(pledge.status, pledge.status)
    shared = "shared" if pledge.shared else "private"
    return f"#{pledge.id} {pledge.text} — {state} ({shared})"
