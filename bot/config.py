"""Settings: a TOML file plus environment variables, validated into one object.

Secrets (tokens, database URL, secret key) come only from the environment. A bad file
stops start-up with one line naming the field and the reason.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.config_email import SMTP_ENVIRONMENT, EmailSettings
from bot.contact import read_address
from bot.domain import when
from bot.domain.identifiers import KINDS as IDENTIFIER_KINDS
from bot.domain.identifiers import IdentifierKind
from bot.domain.retention import parse_period
from bot.domain.text import web_link

Platform = Literal["console", "slack", "discord", "teams", "email"]
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


class ConfigError(Exception):
    """The configuration cannot be used; the message says which field and why."""


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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Words(_Strict):
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


class CheckinSettings(_Strict):
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


class MeetingSettings(_Strict):
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


class WelcomeSettings(_Strict):
    """A private welcome for each new member (when they join the channel or first use copbot)."""

    enabled: bool = True


class GuardSettings(_Strict):
    """Before a member's words are posted, warn about likely patient identifiers."""

    enabled: bool = True
    checks: tuple[IdentifierKind, ...] = IDENTIFIER_KINDS


class PledgeSettings(_Strict):
    """Pledge follow-ups: a check at the midpoint (off by default) besides the due date."""

    midpoint_check: bool = False
    #: How long after a member says "Done" (and agreed to be asked) copbot asks them whether
    #: they would tell the story of that change; `off` never asks.
    story_after: OptionalDuration = "14 days"


class PulseSettings(_Strict):
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


class NewsletterSettings(_Strict):
    """The between-meetings recap, posted midway between two meetings (local time `at`)."""

    enabled: bool = True
    title: str = Field("Between meetings", min_length=1, max_length=150)
    intro: str = Field("A short look at what has happened since we last met.", max_length=1000)
    at: ClockTime = "10:00"


class DigestSettings(_Strict):
    """The keepers' weekly digest, by DM on `weekday` at `at` in each keeper's own timezone."""

    enabled: bool = True
    weekday: Literal[
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    ] = "monday"
    at: ClockTime = "09:00"


class PromptSettings(_Strict):
    """Conversation starters when the channel has been quiet for `quiet_for` ("off": never)."""

    quiet_for: OptionalDuration = "7 days"


def _local_datetime(value: str) -> datetime:
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise ValueError(f"'{value}' is not a date and time like '2026-12-03 14:00'") from None


class CommunitySettings(_Strict):
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


class OutboxSettings(_Strict):
    """How hard the dispatcher tries before a message becomes a dead letter."""

    max_attempts: int = Field(5, ge=1, le=50)
    first_retry: Duration = "1 minute"
    #: How long a claimed message stays a process's own without the process renewing it
    #: (a live process renews it every third of this): after a crash, another process (or
    #: the restarted one) takes it over once this has passed.
    lease_seconds: float = Field(30, ge=1, le=3600)
    #: How long the text of a delivered private message is kept (a `/cop mydata` answer is
    #: personal data); the record that it was sent stays, so it is never sent again.
    keep_sent: Duration = "7 days"


class WebSettings(_Strict):
    """The small web page email buttons lead to: the address members see, and where to listen."""

    base_url: str
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return _web_base_url(value)


def _web_base_url(value: str) -> str:
    """`https://host[:port][/path]` (or `http://` for this machine alone), without a trailing /."""
    found = re.fullmatch(
        r"(https?)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(:[0-9]{1,5})?(/[^\s?#]*)?", value
    )
    if found is None:
        raise ValueError(f"'{value}' is not a web address like https://copbot.example.org")
    scheme, host = found.group(1), found.group(2)
    local = host in ("localhost", "[::1]") or host.startswith("127.")
    if scheme == "http" and not local:
        raise ValueError("use https:// (http:// only for localhost or 127.0.0.1)")
    return value.rstrip("/")


class Settings(_Strict):
    """Everything copbot needs to start."""

    #: Not in repr(): a PostgreSQL URL can carry a password (from the environment).
    database_url: str = Field("sqlite:///copbot.db", repr=False)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    outbox: OutboxSettings = OutboxSettings()
    #: The web page (adapters/web), served by `copbot run` when this section is present.
    web: WebSettings | None = None
    #: Mail to members reached by email (adapters/email); needed by email-only communities.
    email: EmailSettings | None = None
    communities: tuple[CommunitySettings, ...] = Field(default=(), validate_default=True)
    #: Secrets: shown as '**********' in repr() and logs; `reveal()` gives the value.
    secret_key: SecretStr | None = None
    #: Where the generated secret key lives when COPBOT_SECRET_KEY is not set (never the
    #: database): by default `~/.config/copbot/secret_key` (see bot.secret_key).
    secret_key_file: str | None = None
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str | None = None
    discord_bot_token: SecretStr | None = None
    discord_api_url: str | None = None
    #: Microsoft Teams: the bot's app (client) id and secret from its Azure Bot registration,
    #: and its Microsoft Entra tenant (a single-tenant bot).
    teams_app_id: str | None = None
    teams_app_password: SecretStr | None = None
    teams_tenant_id: str | None = None
    #: Other addresses for the Bot Framework's OpenID metadata and token endpoint (a
    #: sovereign cloud, a proxy, a test fake). By default Microsoft's public cloud.
    teams_openid_url: str | None = None
    teams_token_url: str | None = None
    #: copbot's public messaging endpoint, as registered in the Azure Bot (for doctor).
    teams_endpoint: str | None = None

    @field_validator("communities")
    @classmethod
    def _at_least_one(cls, value: tuple[CommunitySettings, ...]) -> tuple[CommunitySettings, ...]:
        if not value:
            raise ValueError("add at least one [[communities]] block")
        return value

    @model_validator(mode="after")
    def _unique(self) -> Settings:
        names = [c.name for c in self.communities]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"community names must be unique; repeated: {', '.join(duplicates)}")
        channels = [(c.platform, c.channel) for c in self.communities]
        if len(set(channels)) != len(channels):
            raise ValueError("two communities are bound to the same channel")
        emailing = [
            c.name for c in self.communities if c.platform == "email" or c.invite or c.mailing_list
        ]
        if emailing and self.email is None:
            raise ValueError(
                f"{', '.join(emailing)} reach members by email: add an [email] section "
                "(smtp_host, from_address)"
            )
        if self.email is not None and self.web is None:
            raise ValueError(
                "the [email] section needs a [web] section (base_url): every email links to "
                "the member's own page, to answer, change settings or unsubscribe"
            )
        return self

    def platforms_with_tokens(self) -> set[str]:
        """Platforms whose credentials are present."""
        found: set[str] = set()
        if self.slack_bot_token:
            found.add("slack")
        if self.discord_bot_token:
            found.add("discord")
        if self.teams_app_id and self.teams_app_password:
            found.add("teams")
        return found

    def platforms_ready(self) -> set[str]:
        """Platforms `copbot run` can serve: those with credentials, and email when the
        settings have an `[email]` section (its SMTP login is optional)."""
        return self.platforms_with_tokens() | ({"email"} if self.email is not None else set())


ENVIRONMENT = {
    "COPBOT_DATABASE_URL": "database_url",
    "COPBOT_LOG_LEVEL": "log_level",
    "COPBOT_SECRET_KEY": "secret_key",
    "COPBOT_SECRET_KEY_FILE": "secret_key_file",
    "SLACK_BOT_TOKEN": "slack_bot_token",
    "SLACK_APP_TOKEN": "slack_app_token",
    "SLACK_SIGNING_SECRET": "slack_signing_secret",
    "SLACK_API_URL": "slack_api_url",
    "DISCORD_BOT_TOKEN": "discord_bot_token",
    "DISCORD_API_URL": "discord_api_url",
    "TEAMS_APP_ID": "teams_app_id",
    "TEAMS_APP_PASSWORD": "teams_app_password",
    "TEAMS_TENANT_ID": "teams_tenant_id",
    "TEAMS_OPENID_URL": "teams_openid_url",
    "TEAMS_TOKEN_URL": "teams_token_url",
    "TEAMS_ENDPOINT": "teams_endpoint",
}
SECRET_FIELDS = {
    "secret_key",
    "slack_bot_token",
    "slack_app_token",
    "slack_signing_secret",
    "discord_bot_token",
    "teams_app_password",
}


def load_settings(path: str | Path, env: Mapping[str, str] | None = None) -> Settings:
    """Read the TOML file at `path`, overlay the environment, validate."""
    env = os.environ if env is None else env
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    return parse_settings(raw, env)


def parse_settings(raw: dict[str, Any], env: Mapping[str, str] | None = None) -> Settings:
    """Validate an already-parsed TOML document plus environment."""
    env = {} if env is None else env
    for key in SECRET_FIELDS & raw.keys():
        variable = next(k for k, v in ENVIRONMENT.items() if v == key)
        raise ConfigError(f"{key}: secrets belong in the environment ({variable}), not the file")
    url = raw.get("database_url")
    if isinstance(url, str) and _has_password(url):
        raise ConfigError(
            "database_url: a password belongs in the environment (COPBOT_DATABASE_URL), "
            "not the file"
        )
    data = dict(raw)
    for variable, field in ENVIRONMENT.items():
        if env.get(variable):
            data[field] = env[variable]
    email = raw.get("email")
    if isinstance(email, dict):
        for variable, field in SMTP_ENVIRONMENT.items():
            if field in email:
                raise ConfigError(
                    f"email.{field}: secrets belong in the environment ({variable}), not the file"
                )
        data["email"] = email | {f: env[v] for v, f in SMTP_ENVIRONMENT.items() if env.get(v)}
        default_list = email.get("mailing_list_address")
        if default_list and isinstance(raw.get("communities"), list):
            data["communities"] = [
                {"mailing_list": default_list} | c if isinstance(c, dict) else c
                for c in raw["communities"]
            ]
    try:
        return Settings.model_validate(data)
    except ValidationError as error:
        raise ConfigError(describe(error)) from None


def reveal(secret: SecretStr | None) -> str | None:
    """The value of a secret setting (None if unset), for the one call that needs it."""
    return None if secret is None else secret.get_secret_value()


def _has_password(url: str) -> bool:
    """True for URLs like postgresql://user:secret@host/db."""
    _, _, rest = url.partition("://")
    credentials, at, _ = rest.rpartition("@")
    return bool(at) and ":" in credentials


def describe(error: ValidationError) -> str:
    """One line per problem: `communities[0].timezone: 'Europe/Londn' is not a known timezone`."""
    lines = []
    for problem in error.errors():
        where = ""
        for part in problem["loc"]:
            where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "is not a setting copbot knows (check the spelling)"
        lines.append(f"{where or 'config'}: {message}")
    return "\n".join(lines)
