"""Benchmark `startup`: how long copbot takes to start, and how much memory it needs, with
N scheduled nudges in the database (10,000 by default), beside the same start-up with none.

The database is seeded first (10 communities; 80% of the nudges repeat weekly at varied
days and times, 20% are one-offs within the next 60 days). Then a fresh Python process
starts as `copbot run` would, and times each step: importing copbot, `build_app` (engine,
migrations already applied, configuration sync, secret) and `JobScheduler.begin()` (the
start-up catch-up over the last 7 days and arming the one timer, which reads every
feature's schedules once). It reports the process's resident memory (RSS now and its
peak, as the kernel counts it). Both start-ups run in the same run, one after the other,
so the ratio compares like with like. Targets: at most 1.5x the empty start-up, peak RSS at
most 120 MiB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.harness import (
    postgres_database,
    postgres_problem,
    shown,
    sqlite_database,
    table,
    verdict,
)

DEFAULT_NUDGES = 10_000
COMMUNITIES = 10
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def settings_data() -> dict[str, Any]:
    """Ten communities, nothing else scheduled (so the nudges dominate)."""
    return {
        "communities": [
            {
                "name": f"cop-{i}",
                "platform": "console",
                "channel": f"cop-{i}",
                "timezone": ("Europe/London", "America/New_York")[i % 2],
                "conveners": ["c0"],
                "checkin": {"schedule": "off"},
            }
            for i in range(COMMUNITIES)
        ]
    }


def seed(url: str, nudges: int) -> None:
    """Create the schema, the communities and `nudges` active nudges."""
    from sqlalchemy import insert
    from sqlmodel import Session, select

    from bot.bootstrap import build_app
    from bot.clock import ManualClock
    from bot.config import parse_settings
    from bot.storage.database import make_engine
    from bot.storage.tables import Community
    from bot.storage.tables_momentum import Nudge

    app = build_app(
        parse_settings(settings_data()), {}, clock=ManualClock(NOW), engine=make_engine(url)
    )
    with Session(app.engine) as session:
        ids = list(session.exec(select(Community.id)).all())
        rows = []
        for i in range(nudges):
            weekly = i % 5 != 0
            phrase = f"every {DAYS[i % 5]} {8 + i % 10:02d}:{(i * 7) % 60:02d}"
            rows.append(
                {
                    "community_id": ids[i % len(ids)],
                    "text": f"Nudge number {i}: how is it going?",
                    "when_text": phrase if weekly else "a date",
                    "recurrence": phrase if weekly else None,
                    "fire_at": None if weekly else NOW + timedelta(hours=1 + i % (60 * 24)),
                    "audience": ("channel", "everyone", "quiet")[i % 3],
                    "status": "active",
                    "created_at": NOW,
                    "active_since": NOW,
                }
            )
        for start in range(0, len(rows), 2_000):
            session.execute(insert(Nudge), rows[start : start + 2_000])
        session.commit()
    app.close()


def measure(url: str) -> dict[str, float]:
    """In this (fresh) process: start copbot on `url` and measure each step."""
    figures: dict[str, float] = {}
    started = time.perf_counter()
    from bot.bootstrap import build_app
    from bot.clock import ManualClock
    from bot.config import parse_settings
    from bot.storage.database import make_engine
    from jobs.scheduler import JobScheduler

    figures["import_s"] = time.perf_counter() - started

    async def start() -> None:
        mark = time.perf_counter()
        app = build_app(
            parse_settings(settings_data()),
            {},
            clock=ManualClock(NOW + timedelta(minutes=1)),
            engine=make_engine(url),
        )
        figures["build_app_s"] = time.perf_counter() - mark
        scheduler = JobScheduler(app)
        mark = time.perf_counter()
        await scheduler.begin()
        figures["begin_s"] = time.perf_counter() - mark
        figures["schedules"] = len(scheduler.jobs()) - 1  # less the resync timer
        figures["timers"] = len(scheduler.armed())
        scheduler.shutdown()
        app.close()

    asyncio.run(start())
    figures["total_s"] = time.perf_counter() - started
    figures["rss_mb"] = _rss_now() / 2**20
    figures["rss_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    return figures


def _rss_now() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return float("nan")


def run_startup(url: str, nudges: int) -> dict[str, float]:
    """Seed, then measure in a child process (so the figures are start-up's alone)."""
    seed(url, nudges)
    child = subprocess.run(
        [sys.executable, "-m", "bench.startup", "--child", url],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    return json.loads(child.stdout.strip().splitlines()[-1])


ROWS = (
    ("schedules known", "schedules", "{:,.0f}"),
    ("APScheduler timers armed", "timers", "{:,.0f}"),
    ("import copbot (s)", "import_s", "{:.2f}"),
    ("build_app (s)", "build_app_s", "{:.2f}"),
    ("catch-up + arm: begin() (s)", "begin_s", "{:.2f}"),
    ("total start-up (s)", "total_s", "{:.2f}"),
    ("RSS after start (MiB)", "rss_mb", "{:.1f}"),
    ("RSS peak (MiB)", "rss_peak_mb", "{:.1f}"),
)
RATIO_TARGET = 1.5
RSS_TARGET_MB = 120.0


def report(results: dict[str, dict[str, float]], nudges: int) -> str:
    names = list(results)
    rows = [[label, *(form.format(results[n][key]) for n in names)] for label, key, form in ROWS]
    lines = [
        f"startup: copbot starting with {nudges:,} scheduled nudges in {COMMUNITIES} "
        "communities, beside the same start-up with none",
        table(["figure", *names], rows),
    ]
    for backend in ("sqlite", "postgres"):
        empty, full = results.get(f"{backend} none"), results.get(f"{backend} {nudges:,}")
        if empty is None or full is None:
            continue
        ratio = full["total_s"] / empty["total_s"]
        peak = full["rss_peak_mb"]
        lines.append(
            f"{backend}: start-up with {nudges:,} nudges is {ratio:.2f}x the empty one "
            f"(target <= {RATIO_TARGET}x: {verdict(ratio <= RATIO_TARGET)}); "
            f"peak RSS {peak:.1f} MiB (target <= {RSS_TARGET_MB:.0f}: "
            f"{verdict(peak <= RSS_TARGET_MB)})"
        )
    return "\n".join(lines)


def _column(backend: str, count: int) -> str:
    return f"{backend} {count:,}" if count else f"{backend} none"


def main(argv: Sequence[str]) -> int:
    """Start-up time and memory with N scheduled nudges (SQLite and PostgreSQL)."""
    parser = argparse.ArgumentParser(prog="python -m bench startup", description=main.__doc__)
    parser.add_argument("--nudges", type=int, default=DEFAULT_NUDGES, help="default: 10,000")
    parser.add_argument("--only", choices=("sqlite", "postgres"), help="run one backend")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child)))
        return 0
    results: dict[str, dict[str, float]] = {}
    counts = (0, args.nudges)
    if args.only in (None, "sqlite"):
        for count in counts:
            print(f"startup: {count:,} nudges on SQLite …", flush=True)
            with sqlite_database() as url:
                results[_column("sqlite", count)] = run_startup(url, count)
    if args.only in (None, "postgres"):
        problem = postgres_problem(args.postgres_url)
        if problem:
            print(f"startup: PostgreSQL at {shown(args.postgres_url)} unreachable ({problem})")
        else:
            for count in counts:
                print(f"startup: {count:,} nudges on PostgreSQL …", flush=True)
                with postgres_database(args.postgres_url, "copbot_bench_startup") as url:
                    results[_column("postgres", count)] = run_startup(url, count)
    print(report(results, args.nudges))
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
