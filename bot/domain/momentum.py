"""Rules and wording for the weeks between meetings: meeting windows, nudges' audiences,
quiet spells and their conversation starters, the newsletter, the farewell.

Plain functions, no I/O: times come in, UTC-aware; messages come out.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.config import Words
from bot.domain import when
from bot.domain.checkins import local_time
from bot.domain.text import plural, plural_of, read_number, short
from bot.messages import Button, OutMessage, Section

T = TypeVar("T")

# ---- meetings ----------------------------------------------------------------------------


def previous_start(starts: Sequence[datetime], now: datetime) -> datetime | None:
    """The latest meeting start at or before `now`."""
    return max((s for s in starts if s <= now), default=None)


def next_start(starts: Sequence[datetime], now: datetime) -> datetime | None:
    """The earliest meeting start after `now`."""
    return min((s for s in starts if s > now), default=None)


def midpoints(starts: Sequence[datetime], zone: ZoneInfo, at: time) -> list[datetime]:
    """For each two consecutive meetings, the local day halfway between them at `at` (UTC).
    Meetings less than two days apart have no midpoint."""
    found = []
    for first, second in itertools.pairwise(sorted(starts)):
        day_one, day_two = first.astimezone(zone).date(), second.astimezone(zone).date()
        if (day_two - day_one).days < 2:
            continue
        middle = day_one + timedelta(days=(day_two - day_one).days // 2)
        found.append(datetime.combine(middle, at, tzinfo=zone).astimezone(UTC))
    return found


# ---- nudges ------------------------------------------------------------------------------

AUDIENCES = {
    "channel": "the channel",
    "everyone": "every member, privately",
    "quiet": "members who haven't taken part since the last meeting, privately",
    "pledgers": "members with an open pledge, privately",
}
AUDIENCE_WORDS = {
    "channel": "channel",
    "the channel": "channel",
    "everyone": "everyone",
    "all": "everyone",
    "members": "everyone",
    "everyone privately": "everyone",
    "quiet": "quiet",
    "quiet members": "quiet",
    "lurkers": "quiet",
    "pledgers": "pledgers",
    "pledge holders": "pledgers",
    "pledge-holders": "pledgers",
    "pledges": "pledgers",
}


def audience_phrase(audience: str, words: Words) -> str:
    """Who a nudge goes to, in the community's words."""
    if audience == "pledgers":
        return f"members with an open {words.pledge}, privately"
    if audience == "quiet":
        return f"members who haven't taken part since the last {words.meeting}, privately"
    return AUDIENCES[audience]


def nudge_message(text: str, community_name: str) -> OutMessage:
    """A convener's nudge, as members see it."""
    return OutMessage(
        sections=(Section(text=text),),
        footer=f"A note from the conveners of {community_name}.",
    )


# ---- quiet spells ------------------------------------------------------------------------

SEED_PROMPTS: tuple[str, ...] = (
    "What's working for you right now? One small thing is plenty.",
    "Share a resource that helped you lately: an article, a tool, a person to talk to.",
    "Whose voice would you like to hear more of in this community? Who isn't in the room yet?",
    "Focusing on what is working gives us energy: what went better than expected this month?",
    "Everything is a failure in the middle. What are you in the middle of just now?",
    "People support what they create: what would you like us to make together next?",
    "To change the conversation, change who is in it: who could you invite to our next meeting?",
    "Leaders can come from anywhere: would you like to help plan or host our next meeting?",
)
#: The rotating bank's slot that resurfaces a challenge from the last check-in.
CHALLENGE_SLOT = "challenge"


def prompt_bank(approved: Sequence[tuple[int, str]]) -> list[str]:
    """The keys of the rotating bank, in order: seeds, a resurfaced challenge, then the
    starters members suggested and conveners approved."""
    seeds = [f"seed:{i}" for i in range(len(SEED_PROMPTS))]
    return [*seeds[:2], CHALLENGE_SLOT, *seeds[2:], *(f"custom:{i}" for i, _ in approved)]


def next_prompt_key(bank: Sequence[str], last_key: str | None, skip: set[str]) -> str | None:
    """The key after `last_key` in the bank (wrapping round), passing over `skip`."""
    if not bank:
        return None
    start = bank.index(last_key) + 1 if last_key in bank else 0
    for offset in range(len(bank)):
        key = bank[(start + offset) % len(bank)]
        if key not in skip:
            return key
    return None


def quiet_spell(
    last_activity: datetime | None,
    last_meeting_end: datetime | None,
    created_at: datetime,
) -> datetime:
    """When the current quiet spell began: the last member activity or the end of the last
    meeting, whichever is later (or when the community began)."""
    return max(t for t in (last_activity, last_meeting_end, created_at) if t is not None)


def prompt_message(text: str, words: Words, challenge: bool) -> OutMessage:
    """A conversation starter for a quiet channel."""
    if challenge:
        body = (
            f"A {words.challenge} someone shared at our last {words.checkin} is still with us:\n"
            f"“{text}”\nHas anyone met something like it? What helped?"
        )
    else:
        body = text
    return OutMessage(
        title="A question to get us talking",
        sections=(Section(text=body),),
        footer="Reply here in the channel, or suggest a question with /cop prompt suggest …",
    )


def prompt_text(key: str, approved: dict[int, str]) -> str | None:
    """The text behind a (non-challenge) bank key."""
    kind, _, number = key.partition(":")
    index = read_number(number)
    if index is None:
        return None
    if kind == "seed" and index < len(SEED_PROMPTS):
        return SEED_PROMPTS[index]
    if kind == "custom":
        return approved.get(index)
    return None


# ---- the newsletter and the close ---------------------------------------------------------


@dataclass
class Recap:
    """What happened in a window, ready to word. Learning and challenges carry no names."""

    since: datetime
    wins: list[str] = field(default_factory=list)
    successes: list[str] = field(default_factory=list)
    learning: list[str] = field(default_factory=list)
    challenges: list[str] = field(default_factory=list)
    open_pledges: int | None = None
    polls: list[str] = field(default_factory=list)
    stories: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    next_meeting: datetime | None = None
    next_topic: str | None = None
    checkins: int = 0
    replies: int = 0
    meetings: int = 0


MAX_ITEMS = 8


def _listed(texts: Sequence[str]) -> tuple[str, ...]:
    items = [short(t, 300) for t in texts[:MAX_ITEMS]]
    if len(texts) > MAX_ITEMS:
        items.append(f"… and {len(texts) - MAX_ITEMS} more")
    return tuple(items)


def recap_sections(recap: Recap, words: Words, timezone: str) -> list[Section]:
    """The body shared by the newsletter and the final recap."""
    sections: list[Section] = []
    if recap.wins:
        heading = plural_of(words.win).capitalize()
        sections.append(Section(heading=heading, items=_listed(recap.wins)))
    if recap.successes:
        heading = plural_of(words.success).capitalize()
        sections.append(Section(heading=heading, items=_listed(recap.successes)))
    if recap.learning:
        sections.append(Section(heading=f"Shared {words.learning}", items=_listed(recap.learning)))
    if recap.stories:
        sections.append(Section(heading="Stories", items=_listed(recap.stories)))
    if recap.resources:
        sections.append(Section(heading="New in our library", items=_listed(recap.resources)))
    if recap.challenges:
        sections.append(
            Section(
                heading=f"{plural_of(words.challenge).capitalize()} still open",
                items=_listed(recap.challenges),
            )
        )
    if recap.open_pledges is not None:
        count = recap.open_pledges
        sections.append(
            Section(
                heading=f"{plural_of(words.pledge).capitalize()}",
                text=f"{plural(count, 'open ' + words.pledge)} being carried out "
                "in practice right now."
                if count
                else f"No open {plural_of(words.pledge)} at the moment.",
            )
        )
    if recap.polls:
        sections.append(Section(heading="Votes", items=tuple(recap.polls)))
    if not sections:
        sections.append(
            Section(text="A quiet spell: nothing shared yet. A line from anyone is welcome.")
        )
    return sections


def newsletter(recap: Recap, title: str, intro: str, words: Words, timezone: str) -> OutMessage:
    """The between-meetings recap, in the community's own words."""
    sections = [Section(text=intro)] if intro else []
    sections += recap_sections(recap, words, timezone)
    if recap.next_meeting is not None:
        topic = f" — {recap.next_topic}" if recap.next_topic else ""
        sections.append(
            Section(
                heading=f"Next {words.meeting}",
                text=f"{local_time(recap.next_meeting, timezone)}{topic}",
            )
        )
    return OutMessage(
        title=title,
        sections=tuple(sections),
        footer="Shared under the Chatham House rule: use what you learned, never who said it.",
    )


def meeting_reminder(
    starts_at: datetime,
    topic: str | None,
    challenges: Sequence[str],
    words: Words,
    timezone: str,
    *,
    link: str | None = None,
) -> OutMessage:
    """Two days before a meeting: when, the topic, the joining link, and the challenges
    still open."""
    sections = [Section(text=f"We meet on {local_time(starts_at, timezone)}.")]
    if topic:
        sections.append(Section(heading="Topic", text=topic))
    if link:
        sections.append(Section(heading="Joining link", text=link))
    if challenges:
        sections.append(
            Section(
                heading=f"{plural_of(words.challenge).capitalize()} from our last {words.checkin}",
                items=_listed(challenges),
            )
        )
    sections.append(
        Section(
            text="Anyone can help plan or convene: tell a convener if you'd like to, "
            "or bring a story from your practice."
        )
    )
    return OutMessage(
        title=f"Our next {words.meeting} is coming up",
        sections=tuple(sections),
        footer="Shared under the Chatham House rule: use what you learned, never who said it.",
    )


def farewell(name: str, erase_on: datetime, timezone: str, words: Words) -> OutMessage:
    """The last post: thanks, and when the data goes."""
    return OutMessage(
        title=f"Thank you, everyone: {name} is closing",
        sections=(
            Section(
                text="Communities of practice have a natural end, and that is not a failure. "
                "What you learned together goes on in your practice. Thank you for every "
                f"{words.win}, every {words.challenge} shared honestly, every {words.pledge}."
            ),
            Section(
                text=f"copbot has stopped its reminders and schedules. Members' details and "
                f"replies will be erased on {local_time(erase_on, timezone)}; the keepers "
                "have a summary."
            ),
        ),
    )


def chunks(text: str, size: int = 2800) -> list[str]:
    """Split a long text into pieces of at most `size` characters, at line ends if possible."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > size:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:size])
            line = line[size:]
        if len(current) + len(line) > size:
            pieces.append(current)
            current = ""
        current += line
    if current:
        pieces.append(current)
    return pieces


def confirm_buttons(prefix: str, value: str, save: str = "Save") -> tuple[Button, ...]:
    """Save/Cancel (or another verb) for a preview."""
    return (
        Button(label=save, action=f"{prefix}.save", value=value, style="primary"),
        Button(label="Cancel", action=f"{prefix}.cancel", value=value),
    )


def days_text(delta: timedelta) -> str:
    """'7 days', '36 hours'."""
    if delta % timedelta(days=1) == timedelta(0):
        days = delta.days
        return plural(days, "day")
    hours = int(delta.total_seconds() // 3600)
    return plural(hours, "hour")


# ---- reading "when … what" ---------------------------------------------------------------

_TOKEN = re.compile(r"\S+")
MAX_WHEN_WORDS = 10
#: A word that can only be meant as a time of day ("25:00", "9:75", "13pm").
_TIME_LIKE = re.compile(r"[0-9]{1,2}[:.][0-9]{2}(?:[ap]\.?m\.?)?|[0-9]{1,2}[ap]\.?m\.?", re.I)


def split_when(text: str, read: Callable[[str], T]) -> tuple[T, str, str]:
    """Read the longest leading phrase of `text` that `read` accepts (or a "quoted" one).
    Returns (what it read, the phrase, the rest of the text as typed)."""
    text = text.strip()
    quoted = re.match(r"[\"“'](.+?)[\"”']\s*", text)
    if quoted:
        return read(quoted.group(1)), quoted.group(1), text[quoted.end() :].strip()
    ends = [m.end() for m in itertools.islice(_TOKEN.finditer(text), MAX_WHEN_WORDS)]
    problem: when.WhenError | None = None
    for end in reversed(ends):
        phrase = text[:end]
        try:
            found = read(phrase)
        except when.WhenError as error:
            problem = error  # the shortest phrase's complaint is the most to the point
            continue
        rest = text[end:].strip()
        if problem is not None and _TIME_LIKE.fullmatch(rest.split(maxsplit=1)[0] if rest else ""):
            # "tomorrow 25:00 Title": the time was meant, and is wrong; never drop it silently.
            raise problem
        return found, phrase, rest
    raise problem or when.WhenError("Please tell me when.")


def split_audience(text: str) -> tuple[str, str]:
    """'to everyone Hello' -> ('everyone', 'Hello'); no 'to …' means the channel."""
    lowered = text.lower()
    if lowered.startswith("to "):
        after = text[3:].lstrip()
        for phrase in sorted(AUDIENCE_WORDS, key=len, reverse=True):
            if after.lower() == phrase or after.lower().startswith(phrase + " "):
                return AUDIENCE_WORDS[phrase], after[len(phrase) :].strip()
    return "channel", text
