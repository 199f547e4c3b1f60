"""The keepers' digest: its figures, its time windows and its message (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import Words
from bot.domain.checkins import local_time
from bot.domain.text import plural, plural_of, short
from bot.messages import OutMessage, Section

#: How many weeks the participation chart shows (the digest's own week last).
CHART_WEEKS = 8
#: Nothing shared with their name for this long = a voice we haven't heard lately.
QUIET_AFTER = timedelta(weeks=3)
#: A challenge is "waiting" once this long has passed since its check-in closed.
RESPONSE_TIME = timedelta(hours=48)
#: Lists in the message stop here and end with "and N more".
MAX_ITEMS = 10
SPARKS = "▁▂▃▄▅▆▇█"
WINDOWS = ("last-week", "this-week", "since-meeting")
CYCLE_WORDS: dict[str, str] = {
    "immediate": "Immediate: it helped there and then (a tip, a contact, support)",
    "potential": "Potential: I gained something to use later (an idea, a skill)",
    "applied": "Applied: I used it in my practice",
    "realised": "Realised: using it made a real difference (results, patients)",
    "reframing": "Reframing: it changed how we think about success",
}


@dataclass(frozen=True)
class PledgeFigures:
    """Pledge counts for a window: never their text."""

    made: int = 0
    due: int = 0
    done: int = 0
    renewed: int = 0
    let_go: int = 0


@dataclass(frozen=True)
class Digest:
    """Everything one digest says, for the window [start, end)."""

    start: datetime
    end: datetime
    label: str
    members: int
    active: int
    contributions: int
    anonymous: int
    weekly: tuple[int, ...]
    first_timers: tuple[str, ...] = ()
    quiet: tuple[str, ...] = ()
    wins: tuple[str, ...] = ()
    pledges: PledgeFigures = PledgeFigures()
    checkins_closed: int = 0
    replies: Mapping[str, int] = field(default_factory=dict)
    waiting_challenges: tuple[str, ...] = ()
    stories: Mapping[str, int] = field(default_factory=dict)
    quotes: tuple[str, ...] = ()
    polls: tuple[str, ...] = ()
    next_meeting: datetime | None = None
    next_topic: str | None = None
    #: (meeting start, number who said they were going), oldest first; the next one last.
    going: tuple[tuple[datetime, int], ...] = ()
    #: (co-consulting groups formed in the window, of which said they met): counts only.
    groups: tuple[int, int] = (0, 0)

    def figures(self) -> dict[str, object]:
        """The digest's figures as plain JSON values (the export carries the same)."""
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "members": self.members,
            "active_members": self.active,
            "contributions": self.contributions,
            "anonymous_contributions": self.anonymous,
            "weekly_active_members": list(self.weekly),
            "first_time_contributors": len(self.first_timers),
            "wins": len(self.wins),
            "pledges": {
                "made": self.pledges.made,
                "due": self.pledges.due,
                "done": self.pledges.done,
                "renewed": self.pledges.renewed,
                "let_go": self.pledges.let_go,
            },
            "checkins_closed": self.checkins_closed,
            "replies": dict(self.replies),
            "challenges_waiting": len(self.waiting_challenges),
            "stories": dict(self.stories),
        }


# ---- windows ---------------------------------------------------------------------------


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """00:00 on `day` in `zone`, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=zone)


def week_start(moment: datetime, zone: ZoneInfo) -> datetime:
    """Monday 00:00 (local) of the week holding `moment`."""
    day = moment.astimezone(zone).date()
    return local_midnight(day - timedelta(days=day.weekday()), zone)


def window(
    which: str, now: datetime, zone: ZoneInfo, last_meeting: datetime | None
) -> tuple[datetime, datetime, str]:
    """(start, end, label) of 'last-week', 'this-week' or 'since-meeting' at `now`."""
    monday = week_start(now, zone)
    if which == "this-week":
        return monday, now, "this week"
    if which == "since-meeting":
        if last_meeting is None:
            raise ValueError("no meeting yet")
        return last_meeting, now, f"since the meeting on {local_time(last_meeting, str(zone))}"
    previous = local_midnight(monday.date() - timedelta(days=7), zone)
    return previous, monday, "last week"


def seven_days_before(moment: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The 7 local days ending at the local midnight that begins `moment`'s day."""
    day = moment.astimezone(zone).date()
    return local_midnight(day - timedelta(days=7), zone), local_midnight(day, zone)


def chart_bounds(start: datetime, end: datetime, zone: ZoneInfo) -> list[datetime]:
    """CHART_WEEKS + 1 Monday midnights (local): the ISO weeks of the chart, the last one
    holding the window's last moment. `start` is unused: every bar is one whole week, so a
    window that begins on a Thursday (a meeting) still gets Monday-to-Sunday bars."""
    del start
    last = week_start(end - timedelta(microseconds=1), zone).date()
    return [
        local_midnight(last - timedelta(days=7 * k), zone) for k in range(CHART_WEEKS - 1, -2, -1)
    ]


# ---- text ------------------------------------------------------------------------------


def sparkline(values: Sequence[int]) -> str:
    """'▁▃█…': one bar per value, scaled to the largest (all '▁' when all are zero)."""
    top = max(values, default=0)
    if top <= 0:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[round(v / top * (len(SPARKS) - 1))] for v in values)


def capped(items: Sequence[str], limit: int = MAX_ITEMS) -> tuple[str, ...]:
    """At most `limit` items; a longer list ends with 'and N more'."""
    if len(items) <= limit:
        return tuple(items)
    return (*items[: limit - 1], f"and {len(items) - limit + 1} more")


def digest_message(
    digest: Digest, community: str, words: Words, timezone: str, *, keeper: bool
) -> OutMessage:
    """The digest as a private message. Quiet voices only for keepers (`keeper`)."""
    sections = [_participation(digest)]
    if digest.first_timers:
        sections.append(
            Section(
                heading="First-time contributors",
                text="A warm word from you could encourage them.",
                items=capped(digest.first_timers),
            )
        )
    if keeper and digest.quiet:
        sections.append(
            Section(
                heading="Voices we haven't heard lately",
                text="They haven't shared anything with their name for 3 weeks or more "
                "(anonymous contributions are never linked to anyone). You might like to "
                "check in with them.",
                items=capped(digest.quiet),
            )
        )
    sections.append(
        Section(
            heading=f"{plural_of(words.win).capitalize()}",
            text="" if digest.wins else f"No {plural_of(words.win)} posted.",
            items=capped(digest.wins),
        )
    )
    p = digest.pledges
    sections.append(
        Section(
            heading=f"{plural_of(words.pledge).capitalize()}",
            text=f"Made {p.made} · due {p.due} · done {p.done} · renewed {p.renewed} · "
            f"let go {p.let_go} (figures only: {plural_of(words.pledge)} stay private)",
        )
    )
    sections.append(_checkins(digest, words))
    if digest.waiting_challenges:
        sections.append(
            Section(
                heading=f"{plural_of(words.challenge).capitalize()} waiting for a response",
                text="An invitation to weave: no one has picked these up as a problem to work "
                "on yet. Could you connect them with someone who knows?",
                items=capped(digest.waiting_challenges),
            )
        )
    sections.append(_stories(digest))
    if digest.polls:
        sections.append(Section(heading="Polls", items=capped(digest.polls)))
    meeting = (
        f"{local_time(digest.next_meeting, timezone)}"
        + (f": {digest.next_topic}" if digest.next_topic else " (no topic yet)")
        if digest.next_meeting
        else "None planned yet."
    )
    sections.append(Section(heading=f"Next {words.meeting}", text=meeting))
    if digest.going:
        sections.append(_going(digest, words, timezone))
    if digest.groups[0]:
        formed, met = digest.groups
        sections.append(
            Section(
                heading="Co-consulting groups",
                text=f"{plural(formed, 'group')} formed; {met} said they met "
                "(numbers only: who is in which group stays with them).",
            )
        )
    return OutMessage(
        title=f"Keeper's digest for {community}: {digest.label}",
        sections=tuple(sections),
        footer=f"{local_time(digest.start, timezone)} to {local_time(digest.end, timezone)}. "
        "Anonymous contributions are counted, never attributed. /cop digest "
        "last-week · this-week · since-meeting",
    )


def _participation(d: Digest) -> Section:
    text = (
        f"{d.active} of {plural(d.members, 'member')} took part "
        f"({plural(d.contributions, 'contribution')}"
        + (f", {d.anonymous} of them anonymous" if d.anonymous else "")
        + ")."
    )
    return Section(
        heading="Who took part",
        text=f"{text}\nLast {len(d.weekly)} weeks: {sparkline(d.weekly)} "
        f"({' · '.join(map(str, d.weekly))})",
    )


def _going(d: Digest, words: Words, timezone: str) -> Section:
    """Attendance intentions per meeting: never mixed with taking part."""
    zone = ZoneInfo(timezone)
    parts = [
        f"{starts_at.astimezone(zone).strftime('%a %-d %b')}: {going} going"
        + (" so far" if starts_at > d.end else "")
        for starts_at, going in d.going
    ]
    return Section(
        heading="Said they were coming",
        text=f'{" · ".join(parts)}. Answers to "are you coming?" for each '
        f"{words.meeting}: saying so is not counted as taking part.",
    )


def _checkins(d: Digest, words: Words) -> Section:
    heading = f"{plural_of(words.checkin).capitalize()}"
    if not d.checkins_closed:
        return Section(heading=heading, text=f"No {words.checkin} closed.")
    kinds = (("success", words.success), ("challenge", words.challenge))
    kinds += (("learning", words.learning),)
    parts = [plural(d.replies.get(k, 0), w) for k, w in kinds]
    return Section(
        heading=heading,
        text=f"{plural(d.checkins_closed, words.checkin)} closed: {', '.join(parts)}.",
    )


def _stories(d: Digest) -> Section:
    total = sum(d.stories.values())
    if not total:
        return Section(
            heading="Value stories", text="No new stories. Members tell one with /cop story."
        )
    counts = ", ".join(f"{d.stories[c]} {c}" for c in CYCLE_WORDS if d.stories.get(c))
    return Section(
        heading="Value stories",
        text=f"{plural(total, 'new story')} ({counts}).",
        items=capped(d.quotes),
    )


def quote(what: str, difference: str, name: str | None) -> str:
    """'"We tried X" — it made Y better (Ana)': a consented story, short."""
    by = name if name else "shared anonymously"
    return f"“{short(what, 140)}” — {short(difference, 140)} ({by})"
