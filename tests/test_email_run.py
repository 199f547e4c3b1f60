"""The real `copbot run` for an email-only community, against a real SMTP server on loopback:
an invited address confirms through the link in the email it received, gets the check-in
prompt by email, replies anonymously through the web page, unsubscribes with the one-click
link, and nothing more is sent to it after that."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bench.harness import postgres_database
from bot.email_words import typed
from tests.copbot_process import COPBOT, _read_log, _until
from tests.smtp_server import Received, SmtpServer, free_port, smtp_server
from tests.web_helpers import form, text_of

START_TIMEOUT = 60.0
MAIL_TIMEOUT = 150.0  # the check-in opens on the next whole minute
ANA, CORA = "ana@example.org", "cora@example.org"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of this test's own, on each engine (the process migrates it)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'copbot.db'}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"copbot_test_run_{os.getpid()}_{request.getfixturevalue('worker_id')}"
    with postgres_database(admin_url, name) as url:
        yield url


def config(server: SmtpServer, web_port: int, opens_at: datetime) -> str:
    now = datetime.now(UTC)  # quiet hours far from now: mail goes at once
    quiet = f"{(now + timedelta(hours=6)):%H}:00-{(now + timedelta(hours=7)):%H}:00"
    return f"""\
log_level = "WARNING"

[email]
smtp_host = "127.0.0.1"
smtp_port = {server.port}
starttls = false
from_address = "copbot@example.org"
per_second = 100

[web]
base_url = "http://127.0.0.1:{web_port}"
port = {web_port}

[[communities]]
name = "carers"
platform = "email"
timezone = "UTC"
quiet_hours = "{quiet}"
conveners = ["{CORA}"]
invite = ["{ANA}"]
checkin = {{ schedule = "every day at {opens_at:%H:%M}", remind_after = "1 minute" }}
"""


@asynccontextmanager
async def copbot(config_file: Path, database_url: str) -> AsyncIterator[list[str]]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))},
        "COPBOT_DATABASE_URL": database_url,
        "COPBOT_SECRET_KEY": "a long random test key, not used anywhere else",
    }
    process = await asyncio.create_subprocess_exec(
        COPBOT,
        "run",
        "--config",
        str(config_file),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    lines: list[str] = []
    assert process.stderr is not None
    reader = asyncio.ensure_future(_read_log(process.stderr, lines))
    try:
        deadline = time.monotonic() + START_TIMEOUT
        await _until(process, lines, re.compile("copbot is serving email"), deadline)
        yield lines
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(reader, 5)
    assert process.returncode == 0, "\n".join(lines)
    assert [line for line in lines if "Traceback" in line or " ERROR " in line] == [], lines


async def mail_to(server: SmtpServer, address: str, subject: str, after: int = 0) -> Received:
    """The first email to `address` (after the first `after` of theirs) whose subject has
    `subject`, waiting for it."""
    deadline = time.monotonic() + MAIL_TIMEOUT
    while time.monotonic() < deadline:
        found = [r for r in server.to(address)[after:] if subject in str(r.message["Subject"])]
        if found:
            return found[0]
        await asyncio.sleep(0.1)
    subjects = [str(r.message["Subject"]) for r in server.to(address)]
    raise AssertionError(f"no email {subject!r} to {address}; got {subjects}")


def link(received: Received, label: str) -> str:
    """The address of the email's button `label`, the same in its text and HTML parts."""
    plain = received.part("plain").replace("\r\n", "\n")
    found = re.search(rf"^{re.escape(label)}: (\S+)$", plain, re.MULTILINE)
    assert found, (label, plain)
    assert f'href="{found[1]}"' in received.part("html")
    return found[1]


def one_click_address(received: Received) -> str:
    """The RFC 8058 one-click unsubscribe address the email's headers give a mail client."""
    assert str(received.message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    found = re.fullmatch(r"<(https?://\S+)>", str(received.message["List-Unsubscribe"]))
    assert found, received.message["List-Unsubscribe"]
    return found[1]


async def confirm(http: aiohttp.ClientSession, invitation: Received) -> None:
    """Press the invitation's button, and the page's "yes" (as a person does)."""
    assert invitation.message.get_content_type() == "multipart/alternative"
    assert "Please confirm" in invitation.part("plain")
    assert "Please confirm" in text_of(invitation.part("html"))
    one_click_address(invitation)
    url = link(invitation, "Yes, I'd like to join carers")
    async with http.get(url) as page:
        html = await page.text()
        assert page.status == 200, text_of(html)
    origin = {"Origin": url.split("/l/")[0]}
    async with http.post(url, data=form(html, do="confirm").fields, headers=origin) as answer:
        assert "you're a member of carers" in text_of(await answer.text())


async def test_an_email_only_community_runs_from_invitation_to_unsubscribe(
    tmp_path: Path, engine_url: str
) -> None:
    web_port = free_port()
    origin = {"Origin": f"http://127.0.0.1:{web_port}"}
    # The schedule's next whole minute, at least 20 s away (time to confirm first).
    opens_at = (datetime.now(UTC) + timedelta(seconds=80)).replace(second=0, microsecond=0)
    with smtp_server() as server:
        config_file = tmp_path / "copbot.toml"
        config_file.write_text(config(server, web_port, opens_at), encoding="utf-8")
        async with copbot(config_file, engine_url), aiohttp.ClientSession() as http:
            for address in (CORA, ANA):  # Cora's email shows what Ana no longer gets
                await confirm(http, await mail_to(server, address, "invited to join carers"))
            prompt = await mail_to(server, ANA, "check-in")
            assert datetime.now(UTC) >= opens_at
            assert not typed(prompt.part("plain")) and not typed(prompt.part("html"))
            reply_url = link(prompt, "Share a success")
            async with http.get(reply_url) as page:
                html = await page.text()
                assert page.status == 200, text_of(html)
            reply = form(html, do="reply").fields | {
                "kind": "success",
                "text": "Our drop-in for carers doubled this month",
                "share": "anonymous",
            }
            async with http.post(reply_url, data=reply, headers=origin) as answer:
                shared = text_of(await answer.text())
                assert answer.status == 200, shared
            assert "Your success is saved and will be shared anonymously" in shared

            received_before = len(server.to(ANA))
            async with http.post(
                one_click_address(prompt), data={"List-Unsubscribe": "One-Click"}
            ) as answer:
                assert answer.status == 200
                assert "You're unsubscribed" in text_of(await answer.text())
            # The reminder (a minute after opening) goes to anonymous repliers too: Cora
            # gets hers, Ana (unsubscribed) does not.
            await mail_to(server, CORA, "A gentle nudge about our check-in")
            await asyncio.sleep(2)  # anything still queued for Ana would go meanwhile
        sent_after = server.to(ANA)[received_before:]
        assert [str(r.message["Subject"]) for r in sent_after] == []
