"""The web page's addresses, for whoever writes links into an email (the email adapter).

`button_url` turns a core button into the page that does what the button does; `member_urls`
gives the links every email carries (one-click unsubscribe, settings, the community page).
Each link is signed for one member, one action (and its target) and the member's current
link epoch, so unsubscribing or forget-me revokes them all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from bot.links import Links
from bot.messages import Button

#: Core button action -> the link action whose page does it. The button's value starts with
#: the target's id where the page needs one ("12", "12:success", "12:3"; after the community
#: pin "c1|" a private message's buttons carry).
BUTTON_PAGES: dict[str, str] = {
    "email.confirm": "confirm",
    "email.unsubscribe": "unsubscribe",
    "email.home": "home",
    "checkin.reply": "checkin",
    "checkin.skip": "checkin",
    "poll.vote": "poll",
    "poll.ballot": "poll",
    "win.cheer": "win",
    "win.share": "win",
    "pledge.done": "pledge",
    "pledge.later": "pledge",
    "pledge.help": "pledge",
    "pledge.letgo": "pledge",
    "story.start": "story",
    "mydata.forget": "forget",
    "pulse.start": "pulse",
    "pulse.comment": "pulse",
    "rsvp.answer": "rsvp",
    "rsvp.who": "rsvp",
    "findtime.open": "findtime",
    "findtime.answer": "findtime",
    "trios.join": "trios",
    "trios.leave": "trios",
    "trios.met": "trios",
}
#: An unsubscribe link keeps working for a year (people unsubscribe from old emails); it is
#: still revoked at once by unsubscribing or forget-me.
UNSUBSCRIBE_TTL = timedelta(days=365)
#: Link actions whose page is about one thing (the button's value names it).
TARGETED = frozenset({"checkin", "poll", "win", "pledge", "pulse", "findtime"})
_PIN = re.compile(r"c[0-9]+\|")  # a private message's button names its community first


@dataclass(frozen=True)
class MemberUrls:
    """The links every email to one member carries."""

    unsubscribe: str
    settings: str
    home: str


def button_url(links: Links, member_id: int, epoch: int, button: Button) -> str | None:
    """The page that does what `button` does, for this member; None when no page does (the
    email then says what to do in words)."""
    action = BUTTON_PAGES.get(button.action)
    if action is None:
        return None
    target = None
    if action == "rsvp":
        return _rsvp_url(links, member_id, epoch, button.value)
    if action == "trios" and button.action == "trios.met":
        head = button.value.partition(":")[0]
        if not (head.isascii() and head.isdigit()):
            return None
        return links.url(member_id, action, int(head), epoch=epoch)
    if action in TARGETED:
        value = button.value
        pin = _PIN.match(value)
        head = (value[pin.end() :] if pin else value).partition(":")[0]
        if head.isascii() and head.isdigit():
            target = int(head)
        elif action != "win":  # a win link with no target is "share a win"
            return None
    if action == "unsubscribe":
        return links.url(member_id, action, epoch=epoch, ttl=UNSUBSCRIBE_TTL)
    return links.url(member_id, action, target, epoch=epoch)


def member_urls(links: Links, member_id: int, epoch: int) -> MemberUrls:
    """One-click unsubscribe (the `List-Unsubscribe` address too), settings and home."""
    return MemberUrls(
        unsubscribe=links.url(member_id, "unsubscribe", epoch=epoch, ttl=UNSUBSCRIBE_TTL),
        settings=links.url(member_id, "settings", epoch=epoch),
        home=links.url(member_id, "home", epoch=epoch),
    )


def _rsvp_url(links: Links, member_id: int, epoch: int, value: str) -> str | None:
    """The answers page of a meeting ('m12…': target 12) or an event ('e3…': target -3)."""
    pin = _PIN.match(value)
    ref = (value[pin.end() :] if pin else value).partition(":")[0]
    number = ref[1:]
    if ref[:1] not in ("m", "e") or not (number.isascii() and number.isdigit()):
        return None
    target = int(number) if ref[0] == "m" else -int(number)
    return links.url(member_id, "rsvp", target, epoch=epoch)
