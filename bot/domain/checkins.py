"""Check-in rules and wording: who gets reminded, what the summary says.

Anonymity (the Chatham House rule, see bot.anonymity): an anonymous reply keeps no member
id, only a keyed hash that lets its author find it again until the check-in closes. The
summary never shows a count from which the channel could work out who wrote an anonymous
reply: it lists what was shared, and anonymous replies of a kind only when at least
`MIN_ANONYMITY_SET` people could have written them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.commands import REPLY_KINDS, ReplyKind
from bot.config import Words
from bot.messages import Button, OutMessage, Section
from bot.storage.tables import CheckIn, CheckInReply, Member

#: Anonymous replies of a kind are shown only if at least this many people could have
#: written them (everyone in the community minus those who shared that kind with their name).
MIN_ANONYMITY_SET = 3
_NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}


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
    members: Iterable[Member], named: set[int | None], skipped: set[int], now: datetime
) -> list[Member]:
    """Members to remind: everyone who hasn't replied with their name, said 'not this time',
    muted reminders or gone away. Someone who replied anonymously is reminded like anyone
    else, so the reminders never show who did."""
    chosen = []
    for member in members:
        assert member.id is not None
        if member.muted_checkins or member.id in skipped or member.id in named:
            continue
        if member.away_until is not None and member.away_until > now:
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
            Section(
                text="Already replied anonymously? Thank you, and please ignore this: it goes to "
                "everyone who hasn't replied with their name, so no one can tell who did."
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


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def summary(
    checkin: CheckIn,
    replies: Sequence[CheckInReply],
    names: dict[int, str],
    member_count: int,
    words: Words,
) -> OutMessage:
    """The closing summary. Named replies carry a name; anonymous ones never do, are ordered
    by their text rather than by when they arrived, and are kept back where fewer than
    `MIN_ANONYMITY_SET` people could have written them. No count of people is shown: only the
    items themselves, so nothing can be subtracted from the names."""
    sections = []
    held_back = []
    for kind in REPLY_KINDS:
        word = kind_word(words, kind)
        named = [r for r in replies if r.kind == kind and not r.anonymous]
        items = [f"{r.text} — {names.get(r.member_id or 0, 'someone')}" for r in named]
        if member_count - len(named) >= MIN_ANONYMITY_SET:
            anonymous = sorted(r.text for r in replies if r.kind == kind and r.anonymous)
            items += [f"{text} — (shared anonymously)" for text in anonymous]
        else:  # decided from what the channel can see anyway, whether or not any exist
            held_back.append(word)
        if items:
            heading = f"{word.capitalize()} ({len(items)})"
            sections.append(Section(heading=heading, items=tuple(items)))
    if not sections and not held_back:
        sections.append(Section(text="No one shared this time, and that's all right."))
    if held_back:
        sections.append(
            Section(
                text=f"Anonymous {_and(held_back)} replies are not shown: in a group this size, "
                f"fewer than {_NUMBER_WORDS[MIN_ANONYMITY_SET]} people could have written them, "
                "so it could be "
                "worked out who did."
            )
        )
    return OutMessage(
        title=f"Our {words.checkin} has closed",
        sections=tuple(sections),
        footer="Shared under the Chatham House rule: use what you learned, never who said it.",
    )
