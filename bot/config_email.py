"""The `[email]` section: how copbot sends mail (SMTP with STARTTLS). The SMTP user and
password come only from the environment (COPBOT_SMTP_USER, COPBOT_SMTP_PASSWORD)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from bot.contact import read_address


def _address(value: str | None) -> str | None:
    if value is None:
        return None
    found = read_address(value)
    if found is None:
        raise ValueError(f"'{value[:80]}' is not an email address like copbot@example.org")
    return found


class EmailSettings(BaseModel):
    """Outgoing mail. `per_second` paces sending (most relays limit senders)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    smtp_host: str = Field(min_length=1, max_length=253)
    #: 587 (submission with STARTTLS); 465 is TLS from the first byte.
    smtp_port: int = Field(587, ge=1, le=65535)
    #: Required, except for a mail server on this machine (127.0.0.1, localhost, ::1).
    starttls: bool = True
    from_address: str
    from_name: str = Field("copbot", max_length=80)
    #: The newsletter also goes here (e.g. a groups.io list), when set.
    mailing_list_address: str | None = None
    per_second: float = Field(5.0, gt=0, le=1000)
    timeout: float = Field(30.0, gt=0, le=600)
    smtp_user: SecretStr | None = Field(None, repr=False)
    smtp_password: SecretStr | None = Field(None, repr=False)

    @field_validator("from_address", "mailing_list_address")
    @classmethod
    def _addresses(cls, value: str | None) -> str | None:
        return _address(value)

    @field_validator("from_name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if any(ch in value for ch in "\r\n\0"):
            raise ValueError("the sender's name must be one line")
        return value

    @model_validator(mode="after")
    def _tls_unless_local(self) -> EmailSettings:
        if not self.starttls and self.smtp_port != 465 and not self.local:
            raise ValueError(
                "starttls can be turned off only for a mail server on this machine "
                "(127.0.0.1 or localhost): mail to another server is always encrypted"
            )
        return self

    @property
    def local(self) -> bool:
        """The mail server runs on this machine."""
        host = self.smtp_host.strip("[]").lower()
        return host in ("localhost", "::1") or host.startswith("127.")

    @property
    def domain(self) -> str:
        """The sender's domain (for Message-IDs)."""
        return self.from_address.rpartition("@")[2]


SMTP_ENVIRONMENT = {"COPBOT_SMTP_USER": "smtp_user", "COPBOT_SMTP_PASSWORD": "smtp_password"}
