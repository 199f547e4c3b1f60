"""Benchmark `email`: a 5,000-member email fan-out through a real SMTP server on loopback.

An email-only community whose settings invite `--members` addresses: copbot queues one
invitation each when it starts, and the real Dispatcher (`run_forever`, as `copbot run`
uses it) delivers them through the real email platform (composed text + HTML with signed
links, SMTP in worker threads, paced at `per_second`) to an aiosmtpd server in this
process. Then every address is confirmed and a convener opens a check-in: one prompt each,
the same road. Beside them, the baseline measured in the same run: bare `smtplib` sending
the same number of small messages over one connection to the same server.

Reported: emails/s for each, the share of the baseline copbot reaches, and the emails lost
(never received) and received twice (by Message-ID).
"""

from __future__ import annotations

import argparse
import asyncio
import smtplib
import socket
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import update
from sqlmodel import Session, select

from adapters.email import EmailPlatform
from bench.harness import sqlite_database, table
from bot.bootstrap import build_app
from bot.commands import Actor, Inbound
from bot.config import parse_settings
from bot.storage.tables_contact import ContactRoute

DEFAULT_MEMBERS = 5_000
PER_SECOND = 1000.0  # the most the settings allow: the bench measures copbot, not pacing
TIMEOUT = 600.0


@dataclass
class Counting:
    """An SMTP handler that keeps only each message's Message-ID (parsing headers only)."""

    ids: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        headers = BytesHeaderParser().parsebytes(envelope.original_content)
        with self.lock:
            self.ids[str(headers.get("Message-ID", ""))] += 1
        return "250 Message accepted"

    def received(self) -> int:
        with self.lock:
            return sum(self.ids.values())

    def reset(self) -> None:
        with self.lock:
            self.ids.clear()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def baseline(port: int, count: int) -> float:
    """Seconds for bare smtplib to send `count` small messages over one connection."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        for n in range(count):
            message = EmailMessage()
            message["From"] = "copbot@example.org"
            message["To"] = f"member{n}@example.org"
            message["Subject"] = "Baseline"
            message["Message-ID"] = f"<baseline-{n}@example.org>"
            message.set_content("A plain message.\n")
            client.send_message(message)
    return time.perf_counter() - started


def _quiet_far_from_now() -> str:
    """Quiet hours that do not hold the emails back during the run."""
    hour = (datetime.now(UTC).hour + 6) % 24
    return f"{hour:02d}:00-{(hour + 1) % 24:02d}:00"


def _settings(database_url: str, port: int, members: int) -> Any:
    invited = [f"member{n:05d}@example.org" for n in range(members)]
    raw = {
        "database_url": database_url,
        "email": {
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "starttls": False,
            "from_address": "copbot@example.org",
            "per_second": PER_SECOND,
        },
        "web": {"base_url": "http://127.0.0.1:8080"},
        "communities": [
            {
                "name": "bench-cop",
                "platform": "email",
                "timezone": "UTC",
                "quiet_hours": _quiet_far_from_now(),
                "conveners": ["cora@example.org"],
                "invite": invited,
                "checkin": {"schedule": "off"},
                "welcome": {"enabled": False},  # the convener's first /cop would bring one
            }
        ],
    }
    return parse_settings(raw, {"COPBOT_SECRET_KEY": "a long random bench key, used only here"})


async def _until(handler: Counting, count: int) -> float:
    started = time.perf_counter()
    while handler.received() < count:
        if time.perf_counter() - started > TIMEOUT:
            break
        await asyncio.sleep(0.01)
    return time.perf_counter() - started


async def run_email_fanout(database_url: str, members: int) -> dict[str, float]:
    """Invitations then check-in prompts to `members` addresses; figures beside the baseline."""
    handler = Counting()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        base = await asyncio.to_thread(baseline, port, members)
        handler.reset()
        started = time.perf_counter()
        app = build_app(_settings(database_url, port, members))
        queued = time.perf_counter() - started
        mail = EmailPlatform(app.settings.email, threads=4)  # type: ignore[arg-type]
        app.dispatcher.add_platform(mail)
        mail.bind(app)
        runner = asyncio.create_task(app.dispatcher.run_forever())
        everyone = members + 1  # and the convener
        try:
            invited = await _until(handler, everyone)
            invitations = Counter(handler.ids)
            with app.engine.begin() as connection:
                connection.execute(update(ContactRoute).values(verified_at=datetime.now(UTC)))
            handler.reset()
            with Session(app.engine) as session:
                cora = session.exec(
                    select(ContactRoute.member_id).where(ContactRoute.address == "cora@example.org")
                ).one()
            actor = Actor("email", f"member:{cora}", "", None)
            app.handle(Inbound(actor, "text", text="/cop checkin open"))
            prompted = await _until(handler, everyone)
            prompts = Counter(handler.ids)
        finally:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
            mail.close()
            app.close()
    finally:
        controller.stop()
    return {
        "members": members,
        "baseline_s": base,
        "queue_s": queued,
        "invitations_s": invited,
        "invitations": len(invitations),
        "invitations_twice": sum(1 for n in invitations.values() if n > 1),
        "prompts_s": prompted,
        "prompts": len(prompts),
        "prompts_twice": sum(1 for n in prompts.values() if n > 1),
        "recipients": everyone,  # the members and the convener
    }


def report(result: dict[str, float]) -> str:
    members = int(result["members"])
    base_rate = members / result["baseline_s"]
    rows = [["bare smtplib, one connection (baseline)", f"{members}", f"{base_rate:,.0f}", "100%"]]
    for label, key, expected in (
        ("copbot invitations (start-up fan-out)", "invitations", result["recipients"]),
        ("copbot check-in prompts", "prompts", result["recipients"]),
    ):
        rate = result[key] / result[f"{key}_s"] if result[f"{key}_s"] else 0.0
        rows.append([label, f"{int(result[key])}", f"{rate:,.0f}", f"{rate / base_rate:.0%}"])
        rows.append(
            [
                f"  lost / received twice ({key})",
                f"{int(expected - result[key])} / {int(result[f'{key}_twice'])}",
                "",
                "",
            ]
        )
    lines = [
        f"email fan-out to {members:,} members through aiosmtpd on loopback "
        f"(per_second = {PER_SECOND:.0f}, 4 sending threads, SQLite)",
        table(["path", "emails", "emails/s", "of baseline"], rows),
        f"queueing {int(result['recipients']):,} invitations at start-up took "
        f"{result['queue_s']:.2f} s",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] = ()) -> int:
    """email: emails/s for a 5,000-member fan-out through a local SMTP server (vs smtplib)."""
    parser = argparse.ArgumentParser(prog="python -m bench email", description=__doc__)
    parser.add_argument("--members", type=int, default=DEFAULT_MEMBERS)
    args = parser.parse_args(list(argv))
    with sqlite_database() as url:
        result = asyncio.run(run_email_fanout(url, args.members))
    print(report(result))
    return 0
