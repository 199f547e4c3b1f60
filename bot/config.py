"""Settings: a TOML file plus environment variables, validated into one object.

Secrets (tokens, database URL, secret key) come only from the environment. A bad file
stops start-up with one line naming the field and the reason.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.config_community import (
    CheckinSettings,
    CommunitySettings,
    Duration,
    StrictModel,
    Words,
)
from bot.config_email import SMTP_ENVIRONMENT, EmailSettings

__all__ = [
    "CheckinSettings",
    "CommunitySettings",
    "ConfigError",
    "Settings",
    "Words",
    "load_settings",
    "parse_settings",
    "reveal",
]


class ConfigError(Exception):
    """The configuration cannot be used; the message says which field and why."""


class OutboxSettings(StrictModel):
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


class WebSettings(StrictModel):
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


class Settings(StrictModel):
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
