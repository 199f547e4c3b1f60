"""POST /slack/events under hostile and malformed requests: 4xx, one log line, no effect."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.parse

from sqlalchemy import func, select
from sqlmodel import SQLModel

from tests.slack_fake import CHANNEL, SlackSide, slack_world

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def _form(payload: object) -> str:
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def _event(event: object, **extra: object) -> str:
    return json.dumps({"type": "event_callback", "event_id": "Ev1", "event": event, **extra})


#: Signed by Slack's secret, but not something Slack sends: each must get 400.
SIGNED_MALFORMED: list[tuple[str, str | bytes]] = [
    (JSON, "{not json"),
    (JSON, "[]"),
    (JSON, "[1, 2, 3]"),
    (JSON, '"just a string"'),
    (JSON, "null"),
    (JSON, "12345"),
    (JSON, "[" * 50_000 + "]" * 50_000),
    (JSON, _event(None)),
    (JSON, _event([])),
    (JSON, _event("reaction_added")),
    (JSON, _event({"user": "UANA"})),
    (JSON, _event({"type": "reaction_added", "item": "not an object"})),
    (JSON, json.dumps({"type": 5})),
    (JSON, _event({"type": "app_home_opened"}, team=5)),
    (JSON, _event({"type": "app_home_opened"}, authorizations="all")),
    (JSON, json.dumps({"type": "url_verification"})),
    (JSON, "command=%2Fcop&user_id=UANA"),
    (FORM, "payload=not-json"),
    (FORM, "payload=%7B"),
    (FORM, _form([1])),
    (FORM, _form({"type": "block_actions", "user": None})),
    (FORM, _form({"type": "block_actions", "user": {"id": 5}})),
    (FORM, _form({"type": "block_actions", "user": {"id": "U1"}, "team": "T1"})),
    (FORM, _form({"type": "block_actions", "user": {"id": "U1"}, "actions": [1]})),
    (FORM, _form({"type": "view_submission", "user": {"id": "U1"}, "view": None})),
    (FORM, _form({"type": "view_submission", "user": {"id": "U1"}, "view": {"state": []}})),
    (FORM, "a&b&c"),
    (FORM, "%ff%fe=1"),
    (FORM, b"\xff\xfe\x00text"),
    (FORM, ""),
    (FORM, "command=%2Fcop&text=help"),
]


def _count_rows(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        }


async def test_thirty_hostile_requests_get_4xx_no_traceback_and_change_nothing(
    engine, clock, caplog
):
    async with slack_world(engine, clock) as world:
        side, fake = world.side, world.fake
        await world.cop("UANA", "help")  # Ana is known; her community exists
        await world.settle()
        before_rows, before_calls = _count_rows(engine), len(fake.calls)
        genuine = urllib.parse.urlencode(
            SlackSide.command_body(fake, "UCORA", "checkin open", CHANNEL)
        )
        now = int(time.time())
        unauthenticated: list[tuple[str, str | bytes, dict[str, str]]] = [
            (FORM, genuine, {}),
            (FORM, genuine, {"X-Slack-Signature": side.sign(genuine)["X-Slack-Signature"]}),
            (FORM, genuine, {"X-Slack-Request-Timestamp": str(now)}),
            (FORM, genuine, side.sign(genuine + "tampered")),
            (FORM, genuine, side.sign(genuine, timestamp=now - 600)),
            (FORM, genuine, side.sign(genuine, timestamp=now + 600)),
            (FORM, genuine, {**side.sign(genuine), "X-Slack-Signature": "v0=" + "0" * 64}),
            (FORM, genuine, {**side.sign(genuine), "X-Slack-Signature": "é" * 500}),
            (JSON, "[]", {}),
            (JSON, _event(None), {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "x"}),
        ]
        badly_stamped = [
            {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=abc"}
            for stamp in ("not-a-number", "1.5e9", "-1", "9" * 30)
        ]
        caplog.clear()
        caplog.set_level(logging.DEBUG)
        statuses: list[tuple[int, int]] = []
        for content_type, body in SIGNED_MALFORMED:
            status, _ = await _send(side, content_type, body, _signed(side, body))
            statuses.append((status, 400))
        for content_type, body, headers in unauthenticated:
            status, _ = await _send(side, content_type, body, headers)
            stamp = headers.get("X-Slack-Request-Timestamp", "0")
            statuses.append((status, 401 if stamp.isdigit() else 400))
        for headers in badly_stamped:
            status, _ = await _send(side, FORM, genuine, headers)
            statuses.append((status, 400))
        await world.settle()

        assert len(statuses) >= 30
        assert [got for got, _ in statuses if got >= 500] == []
        assert [got for got, _ in statuses] == [want for _, want in statuses]
        assert _count_rows(engine) == before_rows
        assert len(fake.calls) == before_calls
        assert "Traceback" not in caplog.text
        assert [r for r in caplog.records if r.exc_info] == []
        refusals = [r for r in caplog.records if "refused a request" in r.getMessage()]
        assert len(refusals) == len(statuses)  # one line each
        assert len(caplog.records) == len(statuses)
        # The genuine request still works afterwards.
        assert "opened" in await world.cop("UCORA", "checkin open")


def _signed(side: SlackSide, body: str | bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(side.secret.encode(), f"v0:{stamp}:".encode() + raw, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + digest.hexdigest()}


async def _send(
    side: SlackSide, content_type: str, body: str | bytes, headers: dict[str, str]
) -> tuple[int, str]:
    all_headers = {"Content-Type": content_type, **headers}
    data = body.encode() if isinstance(body, str) else body
    async with side.session.post(side.endpoint, data=data, headers=all_headers) as reply:
        return reply.status, await reply.text()


async def test_a_command_mentioning_payload_is_still_a_command(sqlite_engine, clock):
    async with slack_world(sqlite_engine, clock) as world:
        # Bolt reads any form containing the word "payload" as a button press, and loses it.
        await world.cop("UCORA", "win the payload of our audit arrived")
        posts = world.fake.channel_posts(CHANNEL)
        assert posts and "the payload of our audit arrived" in posts[-1].plain
