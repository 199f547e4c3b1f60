"""Slack's 3-second deadlines with a slow database and slow Slack calls."""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import time

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from adapters.runtime import AdapterFatal
from adapters.slack import SlackAdapter, make_adapter
from bot.bootstrap import build_app
from tests.slack_fake import CHANNEL, PEOPLE, FakeSlack, slack_settings, slack_world


async def _timed(work) -> tuple[float, object]:
    started = time.monotonic()
    result = await work
    return time.monotonic() - started, result


async def test_acks_stay_quick_while_the_database_is_locked_and_answers_follow(
    sqlite_engine, clock
):
    async with slack_world(sqlite_engine, clock, core_threads=None) as world:
        await world.cop("UANA", "help")
        await world.cop("UCORA", "help")
        locker = sqlite3.connect(sqlite_engine.url.database, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")  # another process holds the write lock for 3 s
        try:
            acks = [await _timed(world.side.command("UCORA", "checkin open", CHANNEL))]
            acks.append(await _timed(world.side.command("UANA", "me", CHANNEL)))
            health = world.side.endpoint.replace("/slack/events", "/healthz")
            async with world.session.get(health) as reply:
                acks.append(await _timed(reply.json()))
            acks.append(await _timed(world.side.command("UANA", "pledges", CHANNEL)))
            await asyncio.sleep(3.0)  # longer than SQLite's busy timeout
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert [status for _, (status, *_rest) in acks[:2]] == [200, 200]
        assert max(seconds for seconds, _ in acks) < 1.0, acks
        await world.settle()
        assert "opened" in world.fake.private_to("UCORA")[-1].plain  # answered, not dropped
        assert len(world.fake.private_to("UANA")) == 3
        assert len(world.fake.channel_posts(CHANNEL)) == 1


def test_sqlite_gives_up_on_a_lock_well_within_slacks_deadline(sqlite_engine):
    with sqlite_engine.connect() as connection:
        waits_ms = connection.execute(text("PRAGMA busy_timeout")).scalar_one()
    assert 0 < waits_ms <= 2000


def test_copbot_run_gives_the_core_worker_threads(sqlite_engine):
    fake = FakeSlack(users=dict(PEOPLE))
    settings = slack_settings(fake)
    adapter = make_adapter(settings, argparse.Namespace(http_port=0))
    assert adapter.core_threads >= 1


async def test_the_token_is_checked_at_start_not_on_the_first_request(sqlite_engine, clock):
    async with slack_world(sqlite_engine, clock) as world:
        assert world.fake.methods() == ["auth.test"]
        await world.cop("UANA", "help")
        await world.cop("UBEN", "help")
        assert world.fake.methods().count("auth.test") == 1


async def test_a_refused_token_stops_the_start_with_a_clear_reason(sqlite_engine, clock):
    fake = FakeSlack(users=dict(PEOPLE))
    await fake.start()
    settings = slack_settings(fake).model_copy(
        update={"slack_bot_token": SecretStr("revoked-token")}
    )
    adapter = SlackAdapter(settings, mode="http", http_port=0, http_host="127.0.0.1")
    app = build_app(settings, {"slack": adapter.platform}, clock=clock, engine=sqlite_engine)
    try:
        with pytest.raises(AdapterFatal, match="refused the bot token"):
            await adapter.start(app)
    finally:
        await adapter.stop()
        await fake.stop()


async def test_a_form_opens_before_a_slow_name_lookup(engine, clock):
    async with slack_world(engine, clock) as world:
        fake = world.fake
        await world.cop("UCORA", "checkin open")
        [post] = fake.channel_posts(CHANNEL)
        world.adapter._names.clear()  # Ben is new to this copbot process
        fake.delays["users.info"] = 2.5
        started = time.monotonic()
        status, _ = await world.side.press("UBEN", post.button("Share a success"), CHANNEL)
        assert status == 200
        while not fake.views and time.monotonic() - started < 5:
            await asyncio.sleep(0.02)
        assert fake.views, "the form did not open"
        assert time.monotonic() - started < 2.0  # before users.info answered
        await world.settle()


async def test_an_expired_response_url_falls_back_to_an_ephemeral_message(engine, clock):
    async with slack_world(engine, clock) as world:
        world.fake.expired_response_urls = True
        answer = await world.cop("UANA", "help")
        assert answer, "nothing was shown"
        [shown] = [p for p in world.fake.private_to("UANA")]
        assert shown.kind == "ephemeral" and shown.channel == CHANNEL


async def test_a_refused_form_stays_open_with_the_reason_beside_the_field(engine, clock):
    async with slack_world(engine, clock) as world:
        fake = world.fake
        await world.cop("UCORA", "checkin open")
        [post] = fake.channel_posts(CHANNEL)
        await world.press("UANA", post, "Share a success")
        [modal] = fake.views
        before = len(fake.private_to("UANA"))
        status, answer = await world.side.submit("UANA", modal, text="   ", share="named")
        assert status == 200
        refusal = json.loads(answer)
        assert refusal["response_action"] == "errors"
        assert "empty" in refusal["errors"]["text"]
        status, answer = await world.side.submit("UANA", modal, text="@here look", share="named")
        assert "notify everyone" in json.loads(answer)["errors"]["text"]
        await world.settle()
        assert len(fake.private_to("UANA")) == before  # the form said it; nothing else
        thanks = await world.submit("UANA", modal, text="Fewer missed visits", share="named")
        assert "Thank you" in thanks


async def test_a_refusal_that_is_not_about_an_answer_closes_the_form_and_says_why(
    sqlite_engine, clock
):
    async with slack_world(sqlite_engine, clock) as world:
        fake = world.fake
        await world.cop("UCORA", "checkin open")
        [post] = fake.channel_posts(CHANNEL)
        await world.press("UANA", post, "Share a success")
        [modal] = fake.views
        await world.cop("UCORA", "checkin close")
        status, answer = await world.side.submit("UANA", modal, text="Late words", share="named")
        assert (status, answer) == (200, "")
        await world.settle()
        assert "closed" in fake.private_to("UANA")[-1].plain


def test_a_database_error_does_not_carry_members_words(engine):
    words = "my private words about a patient"
    with engine.connect() as connection, pytest.raises(DBAPIError) as error:
        connection.execute(text("SELECT * FROM no_such_table WHERE x = :w"), {"w": words})
    assert words not in str(error.value)
