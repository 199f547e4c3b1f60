"""Benchmark `fanout`: one convener nudge to every member by DM, through the real Dispatcher,
against a fake platform that enforces a Slack-like rate limit on the real clock.

The platform is a token bucket: `--rate` DMs per second overall, bursts of up to `--burst`;
over the limit it raises `bot.ports.RateLimited(retry_after)`, as an adapter does for an
HTTP 429 with Retry-After (exact fractions, or whole seconds as Slack sends them with
`--whole-seconds`). Each call takes `--latency-ms` (a loopback round trip).

The core runs on a simulated clock up to the nudge's occurrence (the job claims it and
writes one outbox row per member in one transaction: timed); then the Dispatcher's own
loop (`run_forever`, as `copbot run` uses it) delivers on the real clock. Reported: time to
deliver everything against the least the limit allows ((N - burst) / rate), the DMs lost
(never delivered) and duplicated (delivered twice), and how many 429s the platform had to
answer.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, update
from sqlmodel import Session, func, select

from bench.harness import postgres_database, postgres_problem, shown, sqlite_database, table
from bot.bootstrap import build_app
from bot.clock import ManualClock, SystemClock
from bot.commands import Actor, Inbound
from bot.config import parse_settings
from bot.messages import OutMessage
from bot.outbox import Dispatcher
from bot.ports import RateLimited
from bot.storage.database import make_engine
from bot.storage.tables import Community, Member, OutboxMessage

DEFAULT_MEMBERS = 5_000
DEFAULT_RATE = 500.0
DEFAULT_BURST = 50
DEFAULT_LATENCY_MS = 1.0
TARGET_RATIO = 1.1
CHANNEL = "bench-cop"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class LimitedPlatform:
    """A loopback platform with a token bucket, recording every delivery."""

    rate: float
    burst: int
    latency: float
    whole_seconds: bool = False
    declare: bool = True
    name: str = "console"
    delivered: Counter[str] = field(default_factory=Counter)
    refused: int = 0
    first: float | None = None
    last: float | None = None
    _tokens: float = 0.0
    _stamp: float = 0.0

    def __post_init__(self) -> None:
        self._tokens, self._stamp = float(self.burst), time.monotonic()
        if self.declare:  # as an adapter declares its platform's documented limit
            self.rate_limit = (self.rate, self.burst)

    def _take(self) -> None:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens < 1:
            self.refused += 1
            wait = (1 - self._tokens) / self.rate
            raise RateLimited(math.ceil(wait) if self.whole_seconds else wait)
        self._tokens -= 1

    async def post(self, channel_id: str, message: OutMessage, key: str) -> str:
        return await self.dm(channel_id, message, key)

    async def dm(self, user_id: str, message: OutMessage, key: str) -> str:
        await asyncio.sleep(self.latency)
        self._take()
        now = time.monotonic()
        self.first = self.first if self.first is not None else now
        self.last = now
        self.delivered[key] += 1
        return f"m{sum(self.delivered.values())}"


@dataclass(frozen=True)
class FanoutResult:
    backend: str
    members: int
    enqueue_s: float
    deliver_s: float
    minimum_s: float
    unique: int
    duplicates: int
    refused: int
    statuses: dict[str, int]

    @property
    def lost(self) -> int:
        return self.members - self.unique

    @property
    def ratio(self) -> float:
        return self.deliver_s / self.minimum_s if self.minimum_s else float("nan")


def _settings(convener: str) -> object:
    return parse_settings(
        {
            "communities": [
                {
                    "name": "bench-cop",
                    "platform": "console",
                    "channel": CHANNEL,
                    "conveners": [convener],
                    "checkin": {"schedule": "off"},
                    "prompts": {"quiet_for": "off"},
                    "newsletter": {"enabled": False},
                }
            ]
        }
    )


def run_fanout(
    url: str,
    backend: str,
    members: int,
    rate: float,
    burst: int,
    latency_ms: float,
    whole_seconds: bool,
    timeout_s: float,
    declare: bool = True,
) -> FanoutResult:
    """Seed `members`, fire one nudge to everyone, deliver it all; return the figures."""
    real_now = datetime.now(UTC).replace(microsecond=0)
    clock = ManualClock(real_now - timedelta(minutes=10))
    platform = LimitedPlatform(rate, burst, latency_ms / 1000, whole_seconds, declare)
    app = build_app(_settings("m00000"), {}, clock=clock, engine=make_engine(url))
    try:
        with Session(app.engine) as session:
            community_id = session.exec(select(Community.id)).one()
            # The convener named in the settings is a member from start-up.
            existing = set(session.exec(select(Member.platform_user_id)).all())
            session.execute(
                update(Member).values(
                    quiet_start="00:00", quiet_end="00:00", first_seen_at=clock.now()
                )
            )
            rows = [
                {
                    "community_id": community_id,
                    "platform_user_id": f"m{i:05d}",
                    "display_name": f"Member {i}",
                    "timezone": "Europe/London",
                    "quiet_start": "00:00",  # quiet hours off: every DM may go at once
                    "quiet_end": "00:00",
                    "is_convener": i == 0,
                    "joined_at": clock.now(),
                }
                for i in range(members)
                if f"m{i:05d}" not in existing
            ]
            session.execute(insert(Member), rows)
            session.commit()
        convener = Actor("console", "m00000", "Member 0", CHANNEL)
        preview = app.handle(
            Inbound(convener, "text", text="/cop nudge add in 5 minutes to everyone Hello all")
        )
        assert preview.message is not None and preview.message.buttons, preview
        saved = app.handle(
            Inbound(convener, "button", action="nudge.save", value=preview.message.buttons[0].value)
        )
        assert saved.message is not None and "Saved" in saved.message.as_text(), saved
        clock.set(real_now - timedelta(minutes=4))
        started = time.perf_counter()
        report = app.run_due()
        enqueue_s = time.perf_counter() - started
        assert any(label.startswith("nudge:") for label in report.ran), report

        dispatcher = Dispatcher(app.engine, SystemClock(), {"console": platform})
        deliver_s = asyncio.run(_deliver(dispatcher, platform, members, timeout_s))
        with Session(app.engine) as session:
            statuses = dict(
                session.exec(
                    select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                ).all()
            )
    finally:
        app.close()
    unique = len(platform.delivered)
    return FanoutResult(
        backend=backend,
        members=members,
        enqueue_s=enqueue_s,
        deliver_s=deliver_s,
        minimum_s=max(members - burst, 0) / rate,
        unique=unique,
        duplicates=sum(platform.delivered.values()) - unique,
        refused=platform.refused,
        statuses=statuses,
    )


async def _deliver(
    dispatcher: Dispatcher, platform: LimitedPlatform, expected: int, timeout_s: float
) -> float:
    """Run the dispatcher's own loop until every DM arrived (or the time-out); seconds."""
    started = time.perf_counter()
    task = asyncio.create_task(dispatcher.run_forever())
    try:
        while len(platform.delivered) < expected and time.perf_counter() - started < timeout_s:
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.2)  # long enough to see a duplicate that was on its way
    finally:
        task.cancel()
    if platform.first is None or platform.last is None:
        return float("nan")
    return platform.last - started


def report(results: Sequence[FanoutResult], rate: float, burst: int, latency: float) -> str:
    rows = [
        ["members (DMs expected)", *(f"{r.members:,}" for r in results)],
        ["enqueue (job + outbox rows, s)", *(f"{r.enqueue_s:.2f}" for r in results)],
        ["deliver all (s)", *(f"{r.deliver_s:.2f}" for r in results)],
        ["least the limit allows (s)", *(f"{r.minimum_s:.2f}" for r in results)],
        ["ratio (target <= 1.1)", *(f"{r.ratio:.2f}" for r in results)],
        ["delivered, distinct", *(f"{r.unique:,}" for r in results)],
        ["lost", *(f"{r.lost:,}" for r in results)],
        ["duplicates", *(f"{r.duplicates:,}" for r in results)],
        ["429s answered", *(f"{r.refused:,}" for r in results)],
        ["outbox rows by status", *(str(r.statuses) for r in results)],
    ]
    lines = [
        f"fanout: one nudge to every member by DM; platform limit {rate:g}/s, bursts of "
        f"{burst}, {latency * 1000:g} ms per call",
        table(["figure", *(r.backend for r in results)], rows),
    ]
    for r in results:
        ok = r.ratio <= TARGET_RATIO and r.lost == 0 and r.duplicates == 0
        lines.append(
            f"{r.backend}: {r.deliver_s:.2f} s vs least {r.minimum_s:.2f} s "
            f"(x{r.ratio:.2f}, target <= x{TARGET_RATIO}), lost {r.lost}, duplicates "
            f"{r.duplicates}: {'meets target' if ok else 'below target'}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    """One nudge fanned out to N members' DMs under a platform rate limit (real clock)."""
    parser = argparse.ArgumentParser(prog="python -m bench fanout", description=main.__doc__)
    parser.add_argument("--members", type=int, default=DEFAULT_MEMBERS, help="default: 5,000")
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE, help="DMs/s (default 500)")
    parser.add_argument("--burst", type=int, default=DEFAULT_BURST, help="default: 50")
    parser.add_argument("--latency-ms", type=float, default=DEFAULT_LATENCY_MS)
    parser.add_argument(
        "--whole-seconds", action="store_true", help="Retry-After in whole seconds, as Slack"
    )
    parser.add_argument(
        "--undeclared",
        action="store_true",
        help="the platform does not declare its limit: the dispatcher only learns from 429s",
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="give up after (s)")
    parser.add_argument("--only", choices=("sqlite", "postgres"), help="run one backend")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    args = parser.parse_args(argv)
    options = (
        args.members,
        args.rate,
        args.burst,
        args.latency_ms,
        args.whole_seconds,
        args.timeout,
        not args.undeclared,
    )
    results = []
    if args.only in (None, "sqlite"):
        print(f"fanout: {args.members:,} members on SQLite …", flush=True)
        with sqlite_database() as url:
            results.append(run_fanout(url, "sqlite", *options))
    if args.only in (None, "postgres"):
        problem = postgres_problem(args.postgres_url)
        if problem:
            print(f"fanout: PostgreSQL at {shown(args.postgres_url)} unreachable ({problem})")
        else:
            print(f"fanout: {args.members:,} members on PostgreSQL …", flush=True)
            with postgres_database(args.postgres_url, "copbot_bench_fanout") as url:
                results.append(run_fanout(url, "postgres", *options))
    print(report(results, args.rate, args.burst, args.latency_ms / 1000))
    print(
        "fanout: the platform "
        + ("does not declare its limit (429s only)" if args.undeclared else "declares its limit")
        + (", Retry-After in whole seconds" if args.whole_seconds else ", exact Retry-After")
    )
    return 0 if results else 1


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
