"""What the web page's forms carry, signed: a CSRF token bound to the link, and the core's
buttons and forms exactly as the core offered them.

Keys are derived from the secret key with their own purpose labels, so neither is the key
behind links or anonymous contributions. Every signature covers the link's token: a form
copied from one member's page is worthless on another's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from typing import Any

CSRF_PURPOSE = b"copbot-web-csrf"
SEAL_PURPOSE = b"copbot-web-seal"
MAX_SEALED = 20_000


def _key(secret: bytes, purpose: bytes) -> bytes:
    return hmac.new(secret, purpose, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def nonce() -> str:
    """A fresh random value for one rendered form (it also de-duplicates a repeated submit)."""
    return secrets.token_urlsafe(16)


class Signer:
    """Signs and checks what the page's forms carry."""

    def __init__(self, secret: bytes) -> None:
        self._csrf = _key(secret, CSRF_PURPOSE)
        self._seal = _key(secret, SEAL_PURPOSE)

    def csrf(self, link_token: str, form_nonce: str) -> str:
        """The CSRF token for one form on the page of `link_token`."""
        message = f"{link_token}|{form_nonce}".encode()
        return _b64(hmac.new(self._csrf, message, hashlib.sha256).digest())

    def csrf_ok(self, link_token: str, form_nonce: str, given: str) -> bool:
        if not form_nonce or not given or len(given) > 100 or len(form_nonce) > 100:
            return False
        return hmac.compare_digest(self.csrf(link_token, form_nonce), given)

    def seal(self, link_token: str, data: dict[str, Any]) -> str:
        """`data` as text that only this page can have written (for this link)."""
        body = _b64(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
        mac = hmac.new(self._seal, f"{link_token}|{body}".encode(), hashlib.sha256).digest()
        return f"{body}.{_b64(mac)}"

    def unseal(self, link_token: str, sealed: str) -> dict[str, Any] | None:
        """What `seal` sealed, or None for anything else (tampered, another link's)."""
        if not sealed or len(sealed) > MAX_SEALED:
            return None
        body, dot, mac_text = sealed.partition(".")
        mac = _unb64(mac_text) if dot else None
        expected = hmac.new(self._seal, f"{link_token}|{body}".encode(), hashlib.sha256).digest()
        if mac is None or not hmac.compare_digest(mac, expected):
            return None
        raw = _unb64(body)
        try:
            data = json.loads(raw) if raw is not None else None
        except ValueError:
            return None
        return data if isinstance(data, dict) else None
