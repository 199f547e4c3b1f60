"""What a person or a job asks the core to do: frozen dataclasses, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

ReplyKind = Literal["success", "challenge", "learning"]
REPLY_KINDS: tuple[ReplyKind, ...] = ("success", "challenge", "learning")
Role = Literal["convener", "keeper", "member"]


@dataclass(frozen=True)
class Actor:
    """Who acted, where: a platform user, and the channel they acted in (None in a DM)."""

    platform: str
    user_id: str
    display_name: str
    channel_id: str | None = None


class Command:
    """Base for every command."""


# ---- asked by people -------------------------------------------------------------------


@dataclass(frozen=True)
class Joined(Command):
    """Someone joined the community's channel, or used copbot for the first time."""


@dataclass(frozen=True)
class ShowHelp(Command):
    topic: str | None = None


@dataclass(frozen=True)
class OpenCheckIn(Command):
    """Open a check-in now (a convener), or on schedule (a job; `occurrence` set)."""

    community_id: int | None = None
    occurrence: datetime | None = None


@dataclass(frozen=True)
class CloseCheckIn(Command):
    """Close the open check-in and post its summary."""

    community_id: int | None = None
    checkin_id: int | None = None


@dataclass(frozen=True)
class ShowCheckIn(Command):
    """Show the open check-in and your own replies to it."""


@dataclass(frozen=True)
class StartReply(Command):
    """Open the reply form for one kind (a button press)."""

    checkin_id: int
    kind: ReplyKind


@dataclass(frozen=True)
class ReplyToCheckIn(Command):
    """Share (or edit) a success, challenge or learning; anonymous = Chatham House rule."""

    kind: ReplyKind
    text: str
    anonymous: bool = False
    checkin_id: int | None = None
    confirmed: bool = False  # they saw the patient-identifier warning and chose to share


@dataclass(frozen=True)
class WithdrawReply(Command):
    kind: ReplyKind
    checkin_id: int | None = None


@dataclass(frozen=True)
class SkipCheckIn(Command):
    """'Not this time' (no argument), away until a date, or back again ('off')."""

    until: str | None = None
    off: bool = False
    checkin_id: int | None = None


@dataclass(frozen=True)
class ShowProfile(Command):
    pass


@dataclass(frozen=True)
class UpdateProfile(Command):
    timezone: str | None = None
    quiet_hours: str | None = None
    muted: bool | None = None


@dataclass(frozen=True)
class ShowRoles(Command):
    pass


@dataclass(frozen=True)
class SetRole(Command):
    target_user_id: str
    role: Role


@dataclass(frozen=True)
class ShowUndelivered(Command):
    pass


@dataclass(frozen=True)
class RetryUndelivered(Command):
    pass


# ---- asked by jobs ---------------------------------------------------------------------


@dataclass(frozen=True)
class RemindCheckIn(Command):
    checkin_id: int


@dataclass(frozen=True)
class Inbound:
    """One interaction from a person, as an adapter hands it over."""

    actor: Actor
    kind: Literal["text", "button", "form", "join"]  # "join": they joined the channel
    text: str = ""
    action: str = ""
    value: str = ""
    form_id: str = ""
    metadata: str = ""
    values: tuple[tuple[str, str], ...] = ()
    #: The platform's id for this delivery (e.g. Slack's event_id): a repeat is ignored.
    event_id: str | None = None
