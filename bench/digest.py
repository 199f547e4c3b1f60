"""Benchmark `digest`: a keeper's `/cop digest last-week` over a long history.

One community of N members (default 500) with a history of D days (default 730: two years)
of activity rows (default >= 500,000, bulk-inserted: executemany on SQLite, COPY on
PostgreSQL), plus weekly check-ins with replies, wins, pledges and stories. Some members
drift away over time, so there are quiet voices and first-time contributors to find.
The same generator with 30 days of history gives the baseline: the digest's cost must not
grow with history (target: two years within 1.5x of one month; <= 200 ms each).
Each digest is timed through the core (`App.handle`): the first one on its own (it counts
the finished chart weeks once and keeps their figures in activity_week), then repeated,
median reported.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select, text, update

from bench.harness import (
    postgres_database,
    postgres_problem,
    shown,
    sqlite_database,
    table,
    timed,
    verdict,
)
from bot.bootstrap import build_app
from bot.clock import ManualClock
from bot.commands import Actor, Inbound
from bot.config import Settings, parse_settings
from bot.storage.database import make_engine
from bot.storage.tables import Activity, CheckIn, CheckInReply, Member
from bot.storage.tables_stories import CYCLES, Story
from bot.storage.tables_wins import Pledge, Win

DEFAULT_MEMBERS = 500
DEFAULT_DAYS = 730
DEFAULT_ROWS = 520_000
BASELINE_DAYS = 30
REPEATS = 15
TARGET_MS = 200.0
TARGET_RATIO = 1.5
DEFAULT_POSTGRES_URL = os.environ.get(
    "COPBOT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
END = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a Monday morning in London
CHANNEL = "bench-digest"
KINDS = ("replied", "cheered", "celebrated", "voted", "pledged", "proposed", "told-story")


@dataclass(frozen=True)
class DigestResult:
    backend: str
    days: int
    members: int
    activity_rows: int
    load_s: float
    first_ns: int
    digest_ns: tuple[int, ...]
    headline: str

    @property
    def median_ms(self) -> float:
        return statistics.median(self.digest_ns) / 1e6

    @property
    def max_ms(self) -> float:
        return max(self.digest_ns) / 1e6


def bench_settings(members: int) -> Settings:
    return parse_settings(
        {
            "communities": [
                {
                    "name": "bench-digest",
                    "platform": "console",
                    "channel": CHANNEL,
                    "timezone": "Europe/London",
                    "conveners": ["m00000"],
                    "keepers": ["m00000"],
                    "checkin": {"schedule": "off"},
                    "welcome": {"enabled": False},
                    "newsletter": {"enabled": False},
                    "prompts": {"quiet_for": "off"},
                    "digest": {"enabled": False},
                }
            ]
        }
    )


def _activity(members: int, days: int, rows: int, seed: int) -> Iterator[tuple[Any, ...]]:
    """(community, member or None, kind, at) rows, spread evenly over `days` before END.
    Each member has a 'tenure': joins at some point, leaves at some point (or stays)."""
    rng = random.Random(seed)
    start = END - timedelta(days=days)
    span = (END - start).total_seconds()
    tenure = []
    for _ in range(members):
        first = rng.random() * 0.9
        last = 1.0 if rng.random() < 0.7 else first + rng.random() * (1 - first)
        tenure.append((first, last))
    produced = 0
    found: list[tuple[Any, ...]] = []
    while produced < rows:
        member = rng.randrange(members)
        first, last = tenure[member]
        where = rng.random()
        if not first <= where <= last:
            continue
        anonymous = rng.random() < 0.08
        at = start + timedelta(seconds=where * span)
        produced += 1
        found.append((1, None if anonymous else member + 1, rng.choice(KINDS), at))
    found.sort(key=lambda row: row[3])  # written as it happens: in time order
    yield from found


def load(engine: Engine, members: int, days: int, rows: int) -> int:
    """Members, activity and a little of everything else; returns activity rows written."""
    joined = END - timedelta(days=days + 1)
    with engine.begin() as connection:
        # The keeper named in the settings is a member from start-up: they joined with the rest.
        existing = set(connection.execute(select(Member.platform_user_id)).scalars())
        connection.execute(update(Member).values(joined_at=joined, first_seen_at=joined))
        connection.execute(
            insert(Member),
            [
                {
                    "community_id": 1,
                    "platform_user_id": f"m{i:05d}",
                    "display_name": f"Member {i:05d}",
                    "timezone": "Europe/London",
                    "quiet_start": "20:00",
                    "quiet_end": "08:00",
                    "is_convener": i == 0,
                    "is_keeper": i == 0,
                    "muted_checkins": False,
                    "joined_at": joined,
                    "first_seen_at": joined,
                }
                for i in range(members)
                if f"m{i:05d}" not in existing
            ],
        )
    generated = _activity(members, days, rows, seed=days)
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            with cursor.copy(
                "COPY activity (community_id, member_id, kind, at) FROM STDIN"
            ) as copy:  # type: ignore[attr-defined]
                for row in generated:
                    copy.write_row(row)
            cursor.close()
            raw.commit()
        finally:
            raw.close()
    else:
        statement = insert(Activity)
        batch: list[dict[str, Any]] = []
        with engine.begin() as connection:
            for community_id, member_id, kind, at in generated:
                batch.append(
                    {"community_id": community_id, "member_id": member_id, "kind": kind, "at": at}
                )
                if len(batch) == 50_000:
                    connection.execute(statement, batch)
                    batch = []
            if batch:
                connection.execute(statement, batch)
    _extras(engine, members, days)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
        return int(connection.execute(text("SELECT COUNT(*) FROM activity")).scalar_one())


def _extras(engine: Engine, members: int, days: int) -> None:
    """Weekly check-ins with 40 replies, 2 wins, 3 pledges and a story a week."""
    rng = random.Random(days + 1)
    weeks = max(days // 7, 1)
    with engine.begin() as connection:
        for week in range(weeks):
            opened = END - timedelta(days=7 * (weeks - week)) + timedelta(hours=1)
            checkin_id = connection.execute(
                insert(CheckIn).returning(CheckIn.id),  # type: ignore[arg-type]
                {
                    "community_id": 1,
                    "question": "What has happened?",
                    "opened_at": opened,
                    "closes_at": opened + timedelta(days=3),
                    "closed_at": opened + timedelta(days=3),
                },
            ).scalar_one()
            connection.execute(
                insert(CheckInReply),
                [
                    {
                        "checkin_id": checkin_id,
                        "author_key": f"k{n}",
                        "member_id": n + 1,
                        "kind": ("success", "challenge", "learning")[n % 3],
                        "text": f"Reply {n} in week {week}",
                        "anonymous": False,
                    }
                    for n in rng.sample(range(members), min(40, members))
                ],
            )
            when = opened + timedelta(days=1)
            connection.execute(
                insert(Win),
                [
                    {
                        "community_id": 1,
                        "member_id": rng.randrange(members) + 1,
                        "text": f"Win {week}-{n}",
                        "status": "posted",
                        "created_at": when,
                        "posted_at": when,
                        "anonymous": False,
                    }
                    for n in range(2)
                ],
            )
            connection.execute(
                insert(Pledge),
                [
                    {
                        "community_id": 1,
                        "member_id": rng.randrange(members) + 1,
                        "text": f"Pledge {week}-{n}",
                        "status": "open",
                        "shared": False,
                        "created_at": when,
                        "cycle_start": when,
                        "due_at": when + timedelta(days=14),
                    }
                    for n in range(3)
                ],
            )
            connection.execute(
                insert(Story),
                {
                    "community_id": 1,
                    "member_id": rng.randrange(members) + 1,
                    "what": f"Story {week}",
                    "difference": "It helped",
                    "cycle": rng.choice(CYCLES),
                    "consent": "anonymous",
                    "created_at": when,
                },
            )


def run_digest(url: str, backend: str, members: int, days: int, rows: int) -> DigestResult:
    """Load the history at `url`, then time `/cop digest last-week` REPEATS times."""
    engine = make_engine(url)
    app = build_app(bench_settings(members), {}, clock=ManualClock(END), engine=engine)
    try:
        (written, load_ns) = timed(lambda: load(engine, members, days, rows))
        keeper = Actor("console", "m00000", "Member 00000", CHANNEL)
        inbound = Inbound(keeper, "text", text="/cop digest last-week")
        # The first digest counts the 7 finished chart weeks and keeps them (activity_week).
        _, first_ns = timed(lambda: app.handle(inbound))
        samples = []
        headline = ""
        for _ in range(REPEATS):
            response, elapsed = timed(lambda: app.handle(inbound))
            samples.append(elapsed)
            assert response.message is not None
            headline = response.message.sections[0].text.splitlines()[0]
        return DigestResult(
            backend, days, members, written, load_ns / 1e9, first_ns, tuple(samples), headline
        )
    finally:
        app.close()


def report(results: Sequence[DigestResult]) -> str:
    if not results:
        return "digest: nothing ran."
    rows = [
        [
            f"{r.backend}, {r.days} days",
            f"{r.activity_rows:,}",
            f"{r.load_s:.1f}",
            f"{r.first_ns / 1e6:.1f}",
            f"{r.median_ms:.1f}",
            f"{r.max_ms:.1f}",
        ]
        for r in results
    ]
    lines = [
        f"digest: /cop digest last-week through the core, median of {REPEATS} "
        f"(targets, informational: <= {TARGET_MS:g} ms; 2 years within {TARGET_RATIO}x of "
        "1 month)",
        table(
            ["history", "activity rows", "load (s)", "first (ms)", "median (ms)", "max (ms)"], rows
        ),
    ]
    by_backend: dict[str, list[DigestResult]] = {}
    for r in results:
        by_backend.setdefault(r.backend, []).append(r)
    for backend, found in by_backend.items():
        long = max(found, key=lambda r: r.days)
        lines.append(
            f"{backend}: {long.median_ms:.1f} ms for {long.days} days vs <= {TARGET_MS:g} ms: "
            f"{verdict(long.median_ms <= TARGET_MS)} ({long.headline})"
        )
        short = min(found, key=lambda r: r.days)
        if short is not long:
            ratio = long.median_ms / short.median_ms
            lines.append(
                f"{backend}: {long.days} days / {short.days} days = {ratio:.2f}x vs <= "
                f"{TARGET_RATIO}x: {verdict(ratio <= TARGET_RATIO)}"
            )
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    """The keepers' digest over 2 years of history vs 1 month, on SQLite and PostgreSQL."""
    parser = argparse.ArgumentParser(prog="python -m bench digest", description=main.__doc__)
    parser.add_argument("--members", type=int, default=DEFAULT_MEMBERS)
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="activity rows")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--only", choices=("sqlite", "postgres"), help="run one backend")
    args = parser.parse_args(argv)
    baseline_rows = max(args.rows * BASELINE_DAYS // args.days, 1)
    runs = [(args.days, args.rows), (BASELINE_DAYS, baseline_rows)]
    results: list[DigestResult] = []
    if args.only in (None, "sqlite"):
        for days, rows in runs:
            print(f"digest: SQLite, {days} days, {rows:,} activity rows …", flush=True)
            with sqlite_database() as url:
                results.append(run_digest(url, "sqlite", args.members, days, rows))
    if args.only in (None, "postgres"):
        problem = postgres_problem(args.postgres_url)
        if problem:
            print(f"digest: PostgreSQL at {shown(args.postgres_url)} is unreachable ({problem}).")
        else:
            for days, rows in runs:
                print(f"digest: PostgreSQL, {days} days, {rows:,} activity rows …", flush=True)
                with postgres_database(args.postgres_url) as url:
                    results.append(run_digest(url, "postgres", args.members, days, rows))
    print(report(results))
    return 0 if results else 1
