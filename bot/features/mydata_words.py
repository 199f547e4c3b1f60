"""`/cop mydata` in plain words: a person's record as they would describe it, section by
section (who you are here, your settings, what you shared, your pledges, votes you cast
with your name, …). The JSON file attached to the same message holds every field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.text import plural
from bot.messages import Section

Rows = Sequence[Mapping[str, object]]
#: Items listed per section; the rest is in the attached file.
MAX_ITEMS = 25
SHOWN = {
    "member",
    "checkin_reply",
    "win",
    "story",
    "problem",
    "prompt_suggestion",
    "nudge",
    "guard_draft",
    "goal",
    "pulse_answer",
    "pledge",
    "ballot",
    "win_cheer",
    "win_credit",
    "checkin_skip",
    "planning_volunteer",
    "activity",
    "outbox",
    "admin_log",
}


def _day(value: object, zone: ZoneInfo) -> str:
    if not isinstance(value, str):
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone)
    return moment.strftime("%-d %b %Y")


def _text(value: object, limit: int = 200) -> str:
    text = " ".join(str(value or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _capped(items: list[str]) -> tuple[str, ...]:
    if len(items) <= MAX_ITEMS:
        return tuple(items)
    rest = len(items) - MAX_ITEMS
    return (*items[:MAX_ITEMS], f"and {rest} more (all in the attached file)")


def who_you_are(rows: Rows, community: str, zone: ZoneInfo) -> Section:
    items = []
    for row in rows[:1]:
        flags = (("is_convener", "convener"), ("is_keeper", "keeper"))
        held = [name for flag, name in flags if row.get(flag)]
        items += [
            f"Your name here: {_text(row.get('display_name'))}",
            f"In {community} since {_day(row.get('joined_at'), zone)}",
            "Your role: " + (" and ".join(held) if held else "taking part (no extra role)"),
        ]
    return Section(heading="Who you are here", items=tuple(items))


def your_settings(rows: Rows, zone: ZoneInfo) -> Section:
    items = []
    for row in rows[:1]:
        items.append(f"Time zone: {row.get('timezone')}")
        start, end = row.get("quiet_start"), row.get("quiet_end")
        items.append(f"Quiet hours: {start}–{end}" if start and end else "Quiet hours: none")
        muted = row.get("muted_checkins")
        items.append("Check-in messages: " + ("muted" if muted else "on"))
        if row.get("away_until"):
            items.append(f"Away until {_day(row.get('away_until'), zone)}")
    return Section(heading="Your settings", items=tuple(items))


def what_you_shared(data: Mapping[str, Rows], zone: ZoneInfo) -> Section:
    items = []
    for row in data.get("checkin_reply", ()):
        how = " (shared anonymously)" if row.get("anonymous") else ""
        items.append(f"Check-in {row.get('kind')}: {_text(row.get('text'))}{how}")
    for row in data.get("win", ()):
        how = " (anonymously)" if row.get("anonymous") else ""
        when = _day(row.get("created_at"), zone)
        items.append(f"Win, {when}{how}: {_text(row.get('text'))} [{row.get('status')}]")
    for row in data.get("story", ()):
        story = f"{_text(row.get('what'))} — {_text(row.get('difference'))}"
        items.append(f"Story ({row.get('consent')}): {story}")
    for row in data.get("problem", ()):
        items.append(f"Problem you proposed: {_text(row.get('text'))}")
    for row in data.get("prompt_suggestion", ()):
        items.append(f"Question you suggested: {_text(row.get('text'))}")
    for row in data.get("nudge", ()):
        items.append(f"Reminder you set ({row.get('when_text')}): {_text(row.get('text'))}")
    for row in data.get("goal", ()):
        items.append(f"Goal you set for the community: {_text(row.get('text'))}")
    for row in data.get("pulse_answer", ()):
        if row.get("question") == "comment":
            items.append(f"Pulse comment (anonymous): {_text(row.get('comment'))}")
        else:
            items.append(f"Pulse answer (anonymous) to {row.get('question')}: {row.get('value')}")
    for row in data.get("guard_draft", ()):
        items.append(f"Held back to check for identifiers: {_text(row.get('text'))}")
    return Section(
        heading="What you shared",
        items=_capped(items) if items else ("Nothing yet.",),
    )


def your_pledges(rows: Rows, zone: ZoneInfo) -> Section:
    items = []
    for row in rows:
        shared = "shared with the group" if row.get("shared") else "private"
        due = _day(row.get("due_at"), zone)
        status = str(row.get("outcome") or row.get("status") or "")
        items.append(f"{_text(row.get('text'))} (by {due}; {status}; {shared})")
    return Section(heading="Your pledges", items=_capped(items) if items else ("None.",))


def your_votes(rows: Rows) -> Section:
    items = [f"Poll {row.get('poll_id')}: {row.get('choices')}" for row in rows]
    return Section(
        heading="Votes you cast with your name",
        items=_capped(items) if items else ("None (anonymous votes are not linked to you).",),
    )


def the_rest(data: Mapping[str, Rows]) -> Section:
    counts = [
        ("win_cheer", "cheer", "you gave on wins"),
        ("win_credit", "win", "that credit you"),
        ("checkin_skip", "check-in", "you skipped"),
        ("planning_volunteer", "offer", "to help plan a meeting"),
        ("activity", "thing", "you did, counted (by kind only) for the keepers' figures"),
        ("outbox", "message", "copbot keeps for sending or sent to you"),
        ("admin_log", "note", "of data requests and role changes"),
    ]
    items = [f"{plural(len(data[t]), word)} {what}" for t, word, what in counts if data.get(t)]
    items += [
        f"{plural(len(rows), 'record')} in {table.replace('_', ' ')}"
        for table, rows in data.items()
        if table not in SHOWN and rows
    ]
    return Section(heading="Also", items=tuple(items) if items else ("Nothing else.",))


def record_sections(data: Mapping[str, Rows], community: str, timezone: str) -> tuple[Section, ...]:
    """The whole record as sections a person reads."""
    zone = ZoneInfo(timezone)
    member = data.get("member", ())
    return (
        who_you_are(member, community, zone),
        your_settings(member, zone),
        what_you_shared(data, zone),
        your_pledges(data.get("pledge", ()), zone),
        your_votes([row for row in data.get("ballot", ()) if row.get("member_id") is not None]),
        the_rest(data),
    )
