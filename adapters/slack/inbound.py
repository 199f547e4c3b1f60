"""What arrives at POST /slack/events, checked before Bolt sees it.

Bolt parses a request's body before it checks the signature, so a malformed body raised
inside it (HTTP 500 and a traceback), signed or not. Here the signature is checked first,
on the raw bytes; then the body must parse as Slack sends it and carry the fields copbot's
listeners read. Anything else gets a 4xx and one log line: 401 when the request is not
Slack's (unsigned, forged, stale), 400 when it is signed but malformed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

#: Slack refuses to sign anything older than five minutes; so do we.
MAX_AGE = 300
#: Fields that, where present, must be objects (Bolt and copbot call .get on them).
OBJECTS = ("event", "view", "container", "message", "state")
#: Fields that may be an id (a string) or an object with one.
ID_OR_OBJECT = ("team", "user", "channel", "enterprise")
LISTS = ("actions", "authorizations")
INTERACTIVE = ("block_actions", "view_submission", "view_closed")


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: its HTTP status and a short reason (for the log)."""

    status: int
    reason: str


def check_signature(
    raw: bytes,
    headers: Mapping[str, str],
    secret: str,
    now: Callable[[], float] = time.time,
) -> Refusal | None:
    """None if Slack signed `raw` within the last five minutes, else why not."""
    stamp = headers.get("X-Slack-Request-Timestamp")
    signature = headers.get("X-Slack-Signature")
    if not stamp or not signature:
        return Refusal(401, "not signed")
    if not stamp.strip().isdigit() or len(stamp.strip()) > 12:
        return Refusal(400, "the request timestamp is not a number")
    if abs(now() - int(stamp)) > MAX_AGE:
        return Refusal(401, "the signature is stale")
    if not hmac.compare_digest(signature_of(raw, stamp.strip(), secret), signature.encode()):
        return Refusal(401, "the signature does not match")
    return None


def signature_of(raw: bytes, stamp: str, secret: str) -> bytes:
    """Slack's signature of a body (as slack_sdk's SignatureVerifier computes it, but on the
    raw bytes, so a body that is not UTF-8 is refused rather than raising)."""
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + raw, hashlib.sha256)
    return b"v0=" + digest.hexdigest().encode()


def parse_body(raw: bytes, content_type: str | None) -> dict[str, Any] | Refusal:
    """The body as Slack sends it: JSON (events), a form (commands) or a form whose
    `payload` field is JSON (buttons, forms)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Refusal(400, "the body is not UTF-8")
    if not text.strip():
        return Refusal(400, "the body is empty")
    kind = (content_type or "").split(";")[0].strip().lower()
    try:
        if kind == "application/json" or text.startswith("{"):
            body = json.loads(text)
        else:
            fields = dict(
                parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict")
            )
            body = json.loads(fields["payload"]) if "payload" in fields else fields
    except (ValueError, RecursionError):
        return Refusal(400, "the body is not valid JSON or form encoding")
    if not isinstance(body, dict):
        return Refusal(400, "the body is not an object")
    problem = shape_problem(body)
    return Refusal(400, problem) if problem else body


def shape_problem(body: dict[str, Any]) -> str | None:
    """What is missing or of the wrong type in a parsed body, or None."""
    for name in OBJECTS:
        if name in body and not isinstance(body[name], dict):
            return f"'{name}' is not an object"
    for name in ID_OR_OBJECT:
        if name in body and not isinstance(body[name], dict | str):
            return f"'{name}' is neither an id nor an object"
    for name in LISTS:
        if name in body and not (
            isinstance(body[name], list) and all(isinstance(item, dict) for item in body[name])
        ):
            return f"'{name}' is not a list of objects"
    kind = body.get("type")
    if kind is not None and not isinstance(kind, str):
        return "'type' is not a string"
    if "command" in body:
        if not all(isinstance(body.get(name), str) for name in ("command", "user_id")):
            return "a command without its user"
    elif kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return "an event without its type"
        if not isinstance(event.get("item", {}), dict):
            return "an event whose item is not an object"
    elif kind in INTERACTIVE:
        for name in ("team", "channel", "user"):
            if name in body and not isinstance(body[name], dict):
                return f"'{name}' is not an object"
        if not isinstance(body.get("user", {}).get("id"), str):
            return f"a {kind} without its user"
        if kind != "block_actions" and not isinstance(body.get("view"), dict):
            return f"a {kind} without its view"
        state = body.get("view", {}).get("state", {})
        if not isinstance(state, dict) or not isinstance(state.get("values", {}), dict):
            return f"a {kind} with malformed answers"
    elif kind == "url_verification" and not isinstance(body.get("challenge"), str):
        return "a URL verification without its challenge"
    return None
