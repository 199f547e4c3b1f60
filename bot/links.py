"""Signed, expiring, per-member links: what every button in an email leads to.

A link is `{base_url}/l/{token}`. The token is URL-safe base64 (no padding) of a compact
binary payload — version, action, member, optional target, expiry, epoch — followed by its
HMAC-SHA256 under a key derived from the secret key with the purpose label `copbot-links`
(so a link's key is never the key behind anonymous contributions).

`Links.read` refuses a token with a reason: `malformed` (not a token at all), `forged` (the
signature does not match: made up, or any byte changed), `expired`. Whether a link was revoked
(unsubscribe, forget-me bump the member's `link_epoch`) is the caller's check against
`current_link_epoch`; `admit` does that and the action check in one place.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.clock import Clock

#: Every action a link can carry; the order is part of the token format (append only).
ACTIONS: tuple[str, ...] = (
    "confirm",
    "unsubscribe",
    "home",
    "checkin",
    "win",
    "pledge",
    "poll",
    "story",
    "settings",
    "mydata",
    "forget",
    "pulse",
    "rsvp",
    "findtime",
    "trios",
    "plan",
    "help",
)
REASONS = ("malformed", "forged", "expired", "revoked")
DEFAULT_TTL = timedelta(days=14)
PURPOSE = b"copbot-links"

_VERSION = 1
_HEAD = struct.Struct(">BBBqII")  # version, action, has_target, member, expires, epoch
_TARGET = struct.Struct(">q")
_MAC_SIZE = 32
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_-]{1,200}")
_INT64 = (-(2**63), 2**63 - 1)
_UINT32 = 2**32 - 1


class LinkRefused(Exception):
    """A link that does nothing: `reason` says why, in one word (see REASONS)."""

    def __init__(self, reason: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LinkGrant:
    """What a valid link lets its member do: `action` (on `target`), until `expires_at`."""

    member_id: int
    action: str
    target: int | None
    expires_at: datetime
    epoch: int


class Links:
    """Makes and reads signed links for one secret key and one base URL."""

    def __init__(self, secret: bytes, base_url: str, clock: Clock) -> None:
        if not secret:
            raise ValueError("links need a secret key")
        self._key = hmac.new(secret, PURPOSE, hashlib.sha256).digest()
        self._base_url = base_url.rstrip("/")
        self._clock = clock

    @property
    def base_url(self) -> str:
        return self._base_url

    def url(
        self,
        member_id: int,
        action: str,
        target: int | None = None,
        *,
        epoch: int,
        ttl: timedelta = DEFAULT_TTL,
    ) -> str:
        """The link letting `member_id` do `action` (on `target`) for `ttl` from now."""
        return f"{self._base_url}/l/{self.token(member_id, action, target, epoch=epoch, ttl=ttl)}"

    def token(
        self,
        member_id: int,
        action: str,
        target: int | None = None,
        *,
        epoch: int,
        ttl: timedelta = DEFAULT_TTL,
    ) -> str:
        """The token part of `url`."""
        if action not in ACTIONS:
            raise ValueError(f"unknown link action {action!r}")
        _check_int64(member_id, "member_id")
        if target is not None:
            _check_int64(target, "target")
        if not 0 <= epoch <= _UINT32:
            raise ValueError("epoch out of range")
        if ttl <= timedelta(0):
            raise ValueError("a link must live for some time")
        expires = int((self._clock.now() + ttl).timestamp())
        if expires > _UINT32:
            raise ValueError("expiry out of range")
        payload = _HEAD.pack(
            _VERSION, ACTIONS.index(action), target is not None, member_id, expires, epoch
        )
        if target is not None:
            payload += _TARGET.pack(target)
        return _encode(payload + self._mac(payload))

    def read(self, token: str, *, now: datetime | None = None) -> LinkGrant:
        """The grant `token` carries, or LinkRefused (malformed, forged or expired)."""
        raw = _decode(token)
        payload, mac = raw[:-_MAC_SIZE], raw[-_MAC_SIZE:]
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise LinkRefused("forged")
        version, action, has_target, member_id, expires, epoch = _HEAD.unpack_from(payload)
        size = _HEAD.size + (_TARGET.size if has_target else 0)
        if version != _VERSION or action >= len(ACTIONS) or has_target > 1 or len(payload) != size:
            raise LinkRefused("malformed")  # signed by us, but not in a shape this version reads
        target = _TARGET.unpack_from(payload, _HEAD.size)[0] if has_target else None
        expires_at = datetime.fromtimestamp(expires, UTC)
        if (now or self._clock.now()) >= expires_at:
            raise LinkRefused("expired")
        return LinkGrant(member_id, ACTIONS[action], target, expires_at, epoch)

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()


def admit(grant: LinkGrant, action: str, current_epoch: int | None) -> LinkGrant:
    """`grant`, if it is for `action` and not revoked (`current_epoch` from
    `current_link_epoch`; None when the member has no route left)."""
    if grant.action != action:
        raise LinkRefused("forged")
    if current_epoch is None or grant.epoch != current_epoch:
        raise LinkRefused("revoked")
    return grant


def _check_int64(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int")
    if not _INT64[0] <= value <= _INT64[1]:
        raise ValueError(f"{name} out of range")


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(token: object) -> bytes:
    if not isinstance(token, str) or not _TOKEN_CHARS.fullmatch(token):
        raise LinkRefused("malformed")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise LinkRefused("malformed") from None
    # One token per payload: a re-spelling (spare bits set in the last character) is refused.
    if _encode(raw) != token or len(raw) < _HEAD.size + _MAC_SIZE:
        raise LinkRefused("malformed")
    return raw
