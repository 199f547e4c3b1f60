"""A community's settings: its words, check-in rhythm, meetings, welcome, guard, pledges,
pulses, newsletter, digest and prompts, each validated with a clear reason (bot.config
reads the file; these are its `[[communities]]` tables)."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from bot.contact import read_address
from bot.domain import when
from bot.domain.identifiers import KINDS as IDENTIFIER_KINDS
from bot.domain.identifiers import IdentifierKind
from bot.domain.retention import parse_period
from bot.domain.text import web_link

Platform = Literal["console", "slack", "discord", "teams", "email"]
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"'{value}' is not a known timezone (try e.g. 'Europe/London')") from None
    return value


def _duration(value: str) -> str:
    when.parse_duration(value)
    return value


def _clock(value: str) -> str:
    when.parse_clock(value)
    return value


def _quiet(value: str) -> str:
    when.parse_quiet_hours(value)
    return value


def _schedule(value: str | None) -> str | None:
    if value is not None:
        when.parse_schedule(value)
    return value


def _off_is_none(value: object) -> object:
    if isinstance(value, str) and value.strip().lower() in ("off", "never", "none", ""):
        return None
    return value


TimezoneName = Annotated[str, AfterValidator(_timezone)]
Duration = Annotated[str, AfterValidator(_duration)]
ClockTime = Annotated[str, AfterValidator(_clock)]
QuietHours = Annotated[str, AfterValidator(_quiet)]
Schedule = Annotated[str | None, BeforeValidator(_off_is_none), AfterValidator(_schedule)]
OptionalDuration = Annotated[Duration | None, BeforeValidator(_off_is_none)]


class StrictModel(BaseModel):
    """Settings refuse unknown keys (a typo is an error, not a silent default) and never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Words(StrictModel):
    """The community's own vocabulary."""

    checkin: str = Field("check-in", min_length=1, max_length=40)
    checkin_question: str = Field(
        "What has happened for you since we last met? Share a success, a challenge "
        "or something you learned.",
        min_length=1,
        max_length=500,
    )
    success: str = Field("success", min_length=1, max_length=40)
    challenge: str = Field("challenge", min_length=1, max_length=40)
    learning: str = Field("learning", min_length=1, max_length=40)
    win: str = Field("win", min_length=1, max_length=40)
    pledge: str = Field("pledge", min_length=1, max_length=40)
    meeting: str = Field("meeting", min_length=1, max_length=40)


class CheckinSettings(StrictModel):
    """When check-ins open, how long they stay open, when the one reminder goes."""

    schedule: Schedule = "7 days after each meeting at 10:00"
    open_for: Duration = "5 days"
    remind_after: OptionalDuration = "3 days"
    grace: Duration = "6 hours"

    @model_validator(mode="after")
    def _reminder_inside_window(self) -> CheckinSettings:
        if self.remind_after and self.remind_delay >= self.open_duration:
            raise ValueError(
                f"remind_after ({self.remind_after}) must be shorter than "
                f"open_for ({self.open_for})"
            )
        return self

    @property
    def open_duration(self) -> timedelta:
        return when.parse_duration(self.open_for)

    @property
    def remind_delay(self) -> timedelta | None:
        return when.parse_duration(self.remind_after) if self.remind_after else None

    @property
    def grace_period(self) -> timedelta:
        return when.parse_duration(self.grace)


class MeetingSettings(StrictModel):
    """Meeting dates (local time), and/or a recurrence from a first date."""

    dates: tuple[str, ...] = ()
    first: str | None = None
    every: Duration | None = None
    length: Duration = "2 hours"
    remind_before: OptionalDuration = "2 days"
    #: The joining link (video call or venue page) shown with every meeting.
    link: str | None = None
    #: Members see the names of who is going (conveners always do).
    show_going: bool = True

    @field_validator("link")
    @classmethod
    def _link(cls, value: str | None) -> str | None:
        if value is not None and not web_link(value):
            raise ValueError("the joining link must start with https:// (or http://)")
        return value

    @field_validator("dates")
    @classmethod
    def _dates(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            _local_datetime(value)
        return values

    @field_validator("first")
    @classmethod
    def _first(cls, value: str | None) -> str | None:
        if value is not None:
            _local_datetime(value)
        return value

    @model_validator(mode="after")
    def _both_or_neither(self) -> MeetingSettings:
        if (self.first is None) != (self.every is None):
            raise ValueError("give both 'first' and 'every' for recurring meetings, or neither")
        return self


DEFAULT_NORMS: tuple[str, ...] = (
    "We follow the Chatham House rule: share what was learned, never who said it.",
    "One member, one voice: every role and every kind of experience counts the same.",
    "Nothing that could identify a patient, or anyone we support, is shared here.",
    "Successes, challenges and failures are all welcome: be kind and curious.",
    "Taking part a little is still taking part; busy weeks happen.",
)


def _norms(values: tuple[str, ...]) -> tuple[str, ...]:
    if len(values) > 20:
        raise ValueError("at most 20 norms, please: keep them short enough to read")
    for value in values:
        if not value.strip() or len(value) > 300:
            raise ValueError(f"each norm needs 1 to 300 characters: {value[:40]!r}")
    return tuple(v.strip() for v in values)


def _period(value: str | None) -> str | None:
    if value is not None:
        parse_period(value)
    return value


Period = Annotated[str | None, BeforeValidator(_off_is_none), AfterValidator(_period)]


class WelcomeSettings(StrictModel):
    """A private welcome for each new member (when they join the channel or first use copbot)."""

    enabled: bool = True


class GuardSettings(StrictModel):
    """Before a member's words are posted, warn about likely patient identifiers."""

    enabled: bool = True
    checks: tuple[IdentifierKind, ...] = IDENTIFIER_KINDS


class PledgeSettings(StrictModel):
    """Pledge follow-ups: a check at the midpoint (off by default) besides the due date."""

    midpoint_check: bool = False
    #: How long after a member says "Done" (and agreed to be asked) copbot asks them whether
    #: they would tell the story of that change; `off` never asks.
    story_after: OptionalDuration = "14 days"


class PulseSettings(StrictModel):
    """Anonymous pulses: after every `goals_every`-th meeting members are asked how far the
    community got towards its goals, after every `impact_every`-th what taking part changed
    for them (0: never by itself; conveners can ask any time with /cop pulse)."""

    goals_every: int = Field(2, ge=0, le=52)
    impact_every: int = Field(4, ge=0, le=52)
    open_for: Duration = "7 days"
    #: The impact questions in the community's own words (any of knowledge, skills,
    #: confidence, motivation, practice; the others keep copbot's words).
    ask: dict[Literal["knowledge", "skills", "confidence", "motivation", "practice"], str] = Field(
        default_factory=dict
    )

    @field_validator("ask")
    @classmethod
    def _short_questions(cls, asked: dict[str, str]) -> dict[str, str]:
        for name, text in asked.items():
            if not 1 <= len(text.strip()) <= 150:
                raise ValueError(f"the {name} question must be 1 to 150 characters")
        return {name: text.strip() for name, text in asked.items()}


class NewsletterSettings(StrictModel):
    """The between-meetings recap, posted midway between two meetings (local time `at`)."""

    enabled: bool = True
    title: str = Field("Between meetings", min_length=1, max_length=150)
    intro: str = Field("A short look at what has happened since we last met.", max_length=1000)
    at: ClockTime = "10:00"


class DigestSettings(StrictModel):
    """The keepers' weekly digest, by DM on `weekday` at `at` in each keeper's own timezone."""

    enabled: bool = True
    weekday: Literal[
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    ] = "monday"
    at: ClockTime = "09:00"


class PromptSettings(StrictModel):
    """Conversation starters when the channel has been quiet for `quiet_for` ("off": never)."""

    quiet_for: OptionalDuration = "7 days"


def _local_datetime(value: str) -> datetime:
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise ValueError(f"'{value}' is not a date and time like '2026-12-03 14:00'") from None


class CommunitySettings(StrictModel):
    """One community, bound to one channel on one platform."""

    name: str
    platform: Platform = "console"
    #: Not needed for an email-only community (platform "email"): it has no channel.
    channel: str = Field(min_length=1, max_length=100)
    timezone: TimezoneName = "Europe/London"
    about: str = Field("", max_length=1000)
    conveners: tuple[str, ...] = ()
    keepers: tuple[str, ...] = ()
    quiet_hours: QuietHours = "20:00-08:00"
    words: Words = Words()
    checkin: CheckinSettings = CheckinSettings()
    meetings: MeetingSettings = MeetingSettings()
    newsletter: NewsletterSettings = NewsletterSettings()
    digest: DigestSettings = DigestSettings()
    prompts: PromptSettings = PromptSettings()
    retention: Duration = "90 days"
    pledges: PledgeSettings = PledgeSettings()
    pulses: PulseSettings = PulseSettings()
    norms: Annotated[tuple[str, ...], AfterValidator(_norms)] = DEFAULT_NORMS
    welcome: WelcomeSettings = WelcomeSettings()
    guard: GuardSettings = GuardSettings()
    personal_data_retention: Period = None
    #: Addresses invited by email when copbot starts (double opt-in: a link confirms).
    invite: tuple[str, ...] = ()
    #: The newsletter also goes to this address (e.g. a groups.io list); by default the
    #: `[email]` section's mailing_list_address.
    mailing_list: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _email_channel(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("platform") == "email" and "channel" not in data:
            data = data | {"channel": str(data.get("name", "email"))}
        return data

    @field_validator("mailing_list")
    @classmethod
    def _mailing_list(cls, value: str | None) -> str | None:
        if value is not None and read_address(value) is None:
            raise ValueError(f"'{value[:80]}' is not an email address like list@groups.io")
        return None if value is None else read_address(value)

    @field_validator("invite")
    @classmethod
    def _invite(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        found = []
        for value in values:
            address = read_address(value)
            if address is None:
                raise ValueError(f"'{value[:80]}' is not an email address like ana@example.org")
            found.append(address)
        return tuple(dict.fromkeys(found))

    @model_validator(mode="after")
    def _email_roles(self) -> CommunitySettings:
        if self.platform != "email":
            return self
        for value in (*self.conveners, *self.keepers):
            if read_address(value) is None:
                raise ValueError(
                    f"in an email-only community conveners and keepers are email addresses: "
                    f"'{value[:80]}' is not one"
                )
        return self

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME_PATTERN.match(value):
            raise ValueError(
                f"'{value}' should be lower-case letters, digits and dashes (e.g. 'wound-care')"
            )
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def quiet_window(self) -> tuple[time, time]:
        return when.parse_quiet_hours(self.quiet_hours)
