"""Signed links: one member, one action, until they expire or are revoked."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.links import ACTIONS, LinkRefused, Links, admit

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = b"k" * 40


def _links(secret: bytes = SECRET) -> tuple[Links, ManualClock]:
    clock = ManualClock(START)
    return Links(secret, "https://cop.example.org/", clock), clock


def _token(url: str) -> str:
    prefix = "https://cop.example.org/l/"
    assert url.startswith(prefix)
    return url[len(prefix) :]


def _raw(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def _enc(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize("action", ACTIONS)
def test_a_link_reads_back_as_its_member_action_target_and_epoch(action):
    links, _ = _links()
    grant = links.read(_token(links.url(42, action, 7, epoch=3)))
    assert (grant.member_id, grant.action, grant.target, grant.epoch) == (42, action, 7, 3)
    assert grant.expires_at == START + timedelta(days=14)


def test_a_link_without_a_target_has_none_and_urls_stay_short():
    links, _ = _links()
    url = links.url(5, "home", epoch=0)
    assert links.read(_token(url)).target is None
    assert len(url) < 140
    assert _token(url).isascii() and "=" not in url


def test_links_for_different_members_or_actions_differ():
    links, _ = _links()
    urls = {links.url(m, a, epoch=0) for m in (1, 2) for a in ("poll", "unsubscribe")}
    assert len(urls) == 4


def test_a_link_expires_after_its_time_to_live():
    links, clock = _links()
    token = _token(links.url(1, "checkin", 9, epoch=0, ttl=timedelta(hours=2)))
    clock.advance(timedelta(hours=1, minutes=59))
    assert links.read(token).action == "checkin"
    clock.advance(timedelta(minutes=1))
    with pytest.raises(LinkRefused) as refused:
        links.read(token)
    assert refused.value.reason == "expired"
    assert links.read(token, now=START).member_id == 1  # an explicit time is honoured


def test_a_link_made_with_another_secret_is_forged():
    mine, _ = _links()
    theirs, _ = _links(b"another secret key of forty characters!!")
    with pytest.raises(LinkRefused) as refused:
        mine.read(_token(theirs.url(1, "forget", epoch=0)))
    assert refused.value.reason == "forged"


def test_the_link_key_is_not_the_secret_key_itself():
    """Someone who signs the payload with the raw secret (e.g. the anonymity key) is refused."""
    links, _ = _links()
    raw = _raw(_token(links.url(1, "mydata", epoch=0)))
    payload = raw[:-32]
    forged = _enc(payload + hmac.new(SECRET, payload, hashlib.sha256).digest())
    with pytest.raises(LinkRefused) as refused:
        links.read(forged)
    assert refused.value.reason == "forged"


def _tamper(raw: bytes, offset: int, value: bytes) -> bytes:
    return raw[:offset] + value + raw[offset + len(value) :]


def test_changing_the_member_action_target_expiry_or_epoch_is_forged():
    links, _ = _links()
    raw = _raw(_token(links.url(42, "unsubscribe", 7, epoch=3)))
    changes = {
        "other member": _tamper(raw, 3, struct.pack(">q", 43)),
        "other action": _tamper(raw, 1, bytes([ACTIONS.index("forget")])),
        "other target": _tamper(raw, 19, struct.pack(">q", 8)),
        "later expiry": _tamper(raw, 11, struct.pack(">I", 2**32 - 1)),
        "older epoch": _tamper(raw, 15, struct.pack(">I", 2)),
        "target dropped": _tamper(raw[:19] + raw[27:], 2, b"\x00"),
        "signature bit": raw[:-1] + bytes([raw[-1] ^ 1]),
        "signature cut": raw[:-1],
    }
    for name, changed in changes.items():
        with pytest.raises(LinkRefused) as refused:
            links.read(_enc(changed))
        assert refused.value.reason in {"forged", "malformed"}, name
    assert all(links.read(_enc(raw)).member_id == 42 for _ in range(2))  # the original still reads


BAD_TOKENS = [
    "",
    "a",
    "not a token",
    "../../etc/passwd",
    "%2e%2e",
    "AAAA",
    "A" * 201,
    "A" * 84,
    "====",
    "abc=",
    "abc.def",
    "abc+def/ghi",
    "héllo",
    "\x00" * 10,
    "tok\r\nSet-Cookie: x",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_garbage_is_refused_as_malformed_or_forged(token):
    links, _ = _links()
    with pytest.raises(LinkRefused) as refused:
        links.read(token)
    assert refused.value.reason in {"malformed", "forged"}


def test_a_respelled_token_with_spare_bits_set_is_refused():
    links, _ = _links()
    token = _token(links.url(42, "win", 1, epoch=0))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    respelled = [token[:-1] + c for c in alphabet if c != token[-1]]
    same_bytes = [t for t in respelled if _raw(t) == _raw(token)]
    assert same_bytes  # the payload length leaves spare bits in the last character
    for other in same_bytes:
        with pytest.raises(LinkRefused) as refused:
            links.read(other)
        assert refused.value.reason == "malformed"


def test_non_strings_are_malformed():
    links, _ = _links()
    for token in (None, b"abc", 12):
        with pytest.raises(LinkRefused) as refused:
            links.read(token)  # type: ignore[arg-type]
        assert refused.value.reason == "malformed"


def test_admit_checks_the_action_and_the_current_epoch():
    links, _ = _links()
    grant = links.read(_token(links.url(42, "poll", 5, epoch=2)))
    assert admit(grant, "poll", 2) is grant
    for action, epoch, reason in [
        ("forget", 2, "forged"),
        ("poll", 3, "revoked"),
        ("poll", None, "revoked"),
    ]:
        with pytest.raises(LinkRefused) as refused:
            admit(grant, action, epoch)
        assert refused.value.reason == reason


def test_bad_arguments_make_no_link():
    links, _ = _links()
    for kwargs in [
        {"member_id": 1, "action": "delete"},
        {"member_id": 2**63, "action": "home"},
        {"member_id": 1, "action": "home", "epoch": -1},
        {"member_id": 1, "action": "home", "ttl": timedelta(0)},
    ]:
        with pytest.raises((ValueError, TypeError)):
            links.url(**({"epoch": 0} | kwargs))
    with pytest.raises(ValueError):
        Links(b"", "https://x", ManualClock(START))
