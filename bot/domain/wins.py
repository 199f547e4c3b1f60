"""Win rules and wording: bylines, the channel post, cheers, nominations, resurfacing.

An anonymous win keeps no member id: only `author_key` (bot.anonymity), a keyed hash that
lets its author, and no one else, withdraw it for a week; then it is deleted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config import Words
from bot.domain.text import plural, plural_of, short
from bot.messages import Button, OutMessage, Section
from bot.storage.tables_wins import Win

#: How long a nominated member has to agree before the nomination lapses.
NOMINATION_WINDOW = timedelta(days=14)
#: A win is resurfaced only once it is at least this old.
RESURFACE_AFTER = timedelta(days=28)


def cheers(count: int) -> str:
    """'1 cheer', '3 cheers'."""
    return plural(count, "cheer")


def names_list(names: list[str]) -> str:
    """'Ana', 'Ana and Ben', 'Ana, Ben and Dee'."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def byline(win: Win, name: str | None, credited: list[str], nominator: str | None) -> str:
    """Who a win is about: '— Ana, with Ben and Dee', '— Ana (nominated by Ben)', or
    '— shared anonymously'. Anonymous wins never carry a name."""
    if win.anonymous or name is None:
        return "— shared anonymously"
    line = f"— {name}"
    if credited:
        line += f", with {names_list(credited)}"
    if nominator:
        line += f" (nominated by {nominator})"
    return line


def win_post(win: Win, by: str, words: Words) -> OutMessage:
    """The channel post celebrating a win, with its cheer button."""
    return OutMessage(
        title=f"A {words.win} to celebrate!",
        sections=(Section(text=win.text), Section(text=by)),
        buttons=(Button(label="Cheer", action="win.cheer", value=str(win.id), style="primary"),),
        footer=f"Share a {words.win} of your own with /cop win …",
    )


def win_line(win: Win, by: str, count: int, *, mine: bool = False) -> str:
    """One line of a listing: '#4 We cut waiting times — Ana · 3 cheers'."""
    yours = " (yours)" if mine else ""
    return f"#{win.id} {short(win.text, 160)} {by}{yours} · {cheers(count)}"


def nomination_request(win: Win, nominator: str, words: Words, closes: str) -> OutMessage:
    """The private question to a nominated member: may we celebrate this?"""
    return OutMessage(
        title=f"{nominator} would like to celebrate you",
        sections=(
            Section(text=win.text),
            Section(
                text=f"Shall I post this in the channel as a {words.win}, with your name? "
                f"Only if you agree: if you decline or don't answer by {closes}, nothing is "
                "posted."
            ),
        ),
        buttons=(
            Button(label="Agree", action="win.agree", value=str(win.id), style="primary"),
            Button(label="Decline", action="win.decline", value=str(win.id)),
        ),
    )


def success_offer(reply_id: int, text: str, words: Words) -> OutMessage:
    """After a check-in closes: offer the author of a named success to celebrate it."""
    return OutMessage(
        title=f"Celebrate your {words.success} as a {words.win}?",
        sections=(
            Section(text=text),
            Section(
                text=f"You shared this in our {words.checkin}. If you like, I'll post it in the "
                f"channel as a {words.win}, with your name, so others can cheer it."
            ),
        ),
        buttons=(
            Button(
                label=f"Celebrate it as a {words.win}",
                action="win.from_reply",
                value=str(reply_id),
                style="primary",
            ),
        ),
    )


def how_long_ago(then: datetime, now: datetime) -> str:
    """'Three months ago', 'Six weeks ago', 'A year ago' (capitalised, for a sentence start)."""
    days = (now - then).days
    numbers = ("", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
               "ten", "eleven", "twelve")  # fmt: skip

    def phrase(count: int, unit: str) -> str:
        word = "a" if count == 1 else (numbers[count] if count < len(numbers) else str(count))
        return f"{word} {unit if count == 1 else plural_of(unit)} ago".capitalize()

    if days >= 365:
        return phrase(days // 365, "year")
    if days >= 60:
        return phrase(round(days / 30.44), "month")
    if days >= 14:
        return phrase(days // 7, "week")
    return phrase(max(days, 1), "day")


def resurface_message(win: Win, by: str, count: int, now: datetime, words: Words) -> OutMessage:
    """'Three months ago, …': a past named win brought back during a quiet spell."""
    assert win.posted_at is not None
    return OutMessage(
        title=f"Remember this {words.win}?",
        sections=(
            Section(text=f"{how_long_ago(win.posted_at, now)}, we celebrated: {win.text}"),
            Section(text=f"{by} · {cheers(count)}"),
        ),
        buttons=(Button(label="Cheer", action="win.cheer", value=str(win.id)),),
        footer="What's working for you now? Share it with /cop win …",
    )
