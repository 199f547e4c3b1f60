"""The page's own forms, translated into the core's interactions (pure functions).

Each returns the core form to submit — `(form_id, metadata, values)` — or raises PageError
with a plain reason and the field it is about. The target always comes from the link, never
from the form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources

from bot.commands import REPLY_KINDS
from bot.pages import PollView

CoreForm = tuple[str, str, tuple[tuple[str, str], ...]]
SHARES = ("named", "anonymous")
DIGESTS = ("day", "week", "off")


class PageError(Exception):
    """What was sent can't be used; `field` names the answer it is about."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@cache
def timezones() -> tuple[str, ...]:
    """The IANA timezone names of places (Area/City), sorted: the settings page's list. Read
    from the tzdata package's list of zones (walking every zone file takes seconds)."""
    names = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    return tuple(sorted(z for z in names if "/" in z and not z.startswith("Etc/")))


def checkin_reply(checkin_id: int, fields: Mapping[str, str]) -> CoreForm:
    kind = fields.get("kind", "")
    if kind not in REPLY_KINDS:
        raise PageError("Please choose what you are sharing.", "kind")
    share = fields.get("share", "")
    if share not in SHARES:
        raise PageError("Please choose whether to share with your name or anonymously.", "share")
    values = (("text", fields.get("text", "")), ("share", share))
    return "checkin.reply", f"{checkin_id}:{kind}", values


def win_share(fields: Mapping[str, str]) -> CoreForm:
    share = fields.get("share", "")
    if share not in SHARES:
        raise PageError("Please choose whether to share with your name or anonymously.", "share")
    return "win.share", "", (("text", fields.get("text", "")), ("share", share))


def ballot(poll: PollView, pairs: Sequence[tuple[str, str]]) -> CoreForm:
    """A vote from the poll page, as the choices a voter would type ('3 1 2', '1=2 3=1')."""
    numbers = {str(o.number) for o in poll.options}
    if poll.method == "single":
        chosen = [v for k, v in pairs if k == "choice"]
        if len(chosen) != 1 or chosen[0] not in numbers:
            raise PageError("Please choose one option.", "choice")
        choices = chosen[0]
    elif poll.method == "approval":
        chosen = sorted({v for k, v in pairs if k == "choice" and v in numbers}, key=int)
        if not chosen:
            raise PageError("Please tick at least one option.", "choice")
        choices = " ".join(chosen)
    elif poll.method == "dots":
        placed = []
        for number in sorted(numbers, key=int):
            count = _count(pairs, f"dots.{number}", poll.dots)
            if count:
                placed.append(f"{number}={count}")
        if not placed:
            raise PageError(f"Please place at least one of your {poll.dots} dots.", "dots")
        choices = " ".join(placed)
    else:  # ranked: a number beside each option, 1 for the favourite
        ranks: dict[int, str] = {}
        for number in sorted(numbers, key=int):
            rank = _count(pairs, f"rank.{number}", len(numbers))
            if rank == 0:
                continue
            if rank in ranks:
                raise PageError(
                    f"Two options have rank {rank}: please give each rank to one option.", "rank"
                )
            ranks[rank] = number
        if not ranks:
            raise PageError("Please rank at least one option (1 for your favourite).", "rank")
        choices = " ".join(ranks[r] for r in sorted(ranks))
    return "poll.ballot", str(poll.id), (("choices", choices),)


def _count(pairs: Sequence[tuple[str, str]], name: str, most: int) -> int:
    text = next((v for k, v in pairs if k == name), "").strip()
    if text in ("", "0", "-"):
        return 0
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= most:
        raise PageError("Please use the numbers offered.", name.split(".")[0])
    return int(text)


def settings(fields: Mapping[str, str], zones: Sequence[str]) -> CoreForm:
    zone = fields.get("timezone", "")
    if zone not in zones:
        raise PageError("Please choose a timezone from the list.", "timezone")
    if fields.get("quiet") == "off":
        quiet = "off"
    else:
        start, end = fields.get("quiet_start", ""), fields.get("quiet_end", "")
        if not start or not end:
            raise PageError("Please give both times, or choose no quiet hours.", "quiet")
        quiet = f"{start}-{end}"
    reminders = fields.get("reminders", "")
    if reminders not in ("on", "off"):
        raise PageError("Please choose whether check-in reminders are on or off.", "reminders")
    values = (("timezone", zone), ("quiet", quiet), ("reminders", reminders))
    return "me.settings", "", values


def digest(fields: Mapping[str, str]) -> str | None:
    """How often the channel's posts should come by email (None: the page didn't ask)."""
    choice = fields.get("digest")
    if choice is None:
        return None
    if choice not in DIGESTS:
        raise PageError("Please choose how often the community's posts come by email.", "digest")
    return choice
