"""The real `copbot run`'s log at INFO holds no token, password, key or member's words.

A busy stretch on Slack and Discord — a check-in opened, replies named and anonymous, a
pledge, a win, `/cop mydata`, a malformed request — with the database on PostgreSQL behind
a password. Then the whole log is searched for every secret and every sentence a member
wrote.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bench.harness import postgres_database
from tests.copbot_process import CONFIG, CORA, copbot_run
from tests.discord_fake import CHANNEL_ID as DISCORD_CHANNEL
from tests.discord_fake import user
from tests.slack_fake import CHANNEL as SLACK_CHANNEL
from tests.slack_fake import SECRET

pytestmark = pytest.mark.postgres
PASSWORD = "pw-never-logged-7c1e"
WORDS = (
    "my manager ignores escalation on night shifts",
    "we halved missed insulin doses on ward nine",
    "I will audit every catheter by Friday",
    "our new leaflet for carers went out",
    "families asked for the wound photos first",
)
SECRETS = ("xoxb-test", "fake-token", SECRET, PASSWORD, "a long random test key")


@pytest.fixture
def database_url(postgres_admin_url: str, worker_id: str):
    name = f"copbot_test_logs_{os.getpid()}_{worker_id}"
    with postgres_database(postgres_admin_url, name) as url:
        # trust auth lets any password in: one the log must never show
        yield make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


async def test_an_info_log_keeps_secrets_and_members_words_out(database_url, tmp_path: Path):
    settings = CONFIG.replace('log_level = "WARNING"', 'log_level = "INFO"')
    async with copbot_run(database_url, tmp_path, settings=settings) as copbot:
        side, discord = copbot.side, copbot.discord
        await side.command("UCORA", "checkin open", SLACK_CHANNEL)
        await side.command("UANA", f"reply challenge anonymously {WORDS[0]}", SLACK_CHANNEL)
        await side.command("UBEN", f"reply success {WORDS[1]}", SLACK_CHANNEL)
        await side.command("UANA", f"pledge {WORDS[2]}", SLACK_CHANNEL)
        await side.command("UBEN", f"win {WORDS[3]}", SLACK_CHANNEL)
        await side.command("UANA", "mydata", SLACK_CHANNEL)
        await side.send("{not json", "application/json")  # malformed: refused, logged
        noor = user(1100000000000000777, "Noor")
        await discord.slash(CORA, "checkin open")
        await discord.slash(noor, "reply", f"learning {WORDS[4]}")
        await discord.wait_for_post(DISCORD_CHANNEL)
        await asyncio.sleep(1.5)  # what they caused is delivered (and logged)
        log = "\n".join(copbot.log)
    assert copbot.process.returncode == 0, log
    assert " INFO " in log, "the log was not at INFO: the test would prove nothing"
    leaked = [s for s in (*SECRETS, *WORDS) if s.lower() in log.lower()]
    assert leaked == [], f"in the log: {leaked}\n{log}"
