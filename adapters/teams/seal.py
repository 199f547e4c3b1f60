"""What copbot's Adaptive Cards carry back, signed: a submitted card can only press a
button or send a form that copbot itself put on a card (the Teams client returns the
card's `data` as it was; anything altered or made up is refused)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

PURPOSE = b"copbot-teams-seal"
MAX_SEALED = 8_000


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


class Seal:
    """Signs and checks card data with a key derived from copbot's secret key."""

    def __init__(self, secret: bytes) -> None:
        self._key = hmac.new(secret, PURPOSE, hashlib.sha256).digest()

    def seal(self, data: dict[str, Any]) -> str:
        body = _b64(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
        mac = hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:16]
        return f"{body}.{_b64(mac)}"

    def unseal(self, sealed: object) -> dict[str, Any] | None:
        """What `seal` sealed, or None for anything else."""
        if not isinstance(sealed, str) or not sealed or len(sealed) > MAX_SEALED:
            return None
        body, dot, mac_text = sealed.partition(".")
        mac = _unb64(mac_text) if dot else None
        expected = hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:16]
        if mac is None or not hmac.compare_digest(mac, expected):
            return None
        raw = _unb64(body)
        try:
            data = json.loads(raw) if raw is not None else None
        except ValueError:
            return None
        return data if isinstance(data, dict) else None
