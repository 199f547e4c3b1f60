"""Benchmark `checkin`: one whole check-in cycle for N members, through the core.

A convener opens a check-in; every member looks at it and (90% of them) replies with
`/cop reply …` (kinds rotate, 20% anonymously); 10% of members then edit their reply.
Simulated time moves on a second between interactions, as it would. Each reply's
`App.handle` call is timed on its own. Then simulated time moves past the reminder
(timed, counting the DMs delivered) and past the close (timed: the summary). Runs on a
SQLite file (WAL, as the app configures it) and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, Integer, MetaData, Table, Text, bindparam, event, select

from bench.harness import (
    now_ns,
    percentile,
    postgres_database,
    postgres_problem,
    shown,
    sqlite_database,
    table,
    timed,
    verdict,
)
from bot.bootstrap import App, build_app
from bot.clock import ManualClock
from bot.commands import REPLY_KINDS, Actor, Inbound
from bot.config import Settings, parse_settings
from bot.messages import OutMessage, Response
from bot.storage.database import make_engine

DEFAULT_MEMBERS = 1_000
DEFAULT_POSTGRES_URL = os.environ.get(
    "COPBOT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TARGET_REPLIES_PER_S = 1_000  # stated for SQLite
TARGET_P99_MS = 5.0
TARGET_BARE_RATIO = 3.0  # a reply within 3x of a bare transaction making the same writes
# A reply must also read (its community and member, the open check-in, an earlier reply):
# a second baseline makes the same reads and writes, with no copbot and no ORM, so the
# figure beside it is copbot's own cost over the database work it cannot avoid.

CHANNEL = "bench-cop"
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday, 09:00 in London: not quiet hours
REMIND_AFTER = timedelta(days=3)
OPEN_FOR = timedelta(days=5)
TICK = timedelta(seconds=1)  # simulated time between two interactions


# ---- a platform that only records --------------------------------------------------------


@dataclass
class Sent:
    kind: str  # "post" or "dm"
    target: str
    key: str
    message: OutMessage


@dataclass
class RecordingPlatform:
    """The `ChatPlatform` port, delivering nowhere: it records what it was asked to send."""

    name: str = "console"
    sent: list[Sent] = field(default_factory=list)

    async def post(self, channel_id: str, message: OutMessage, key: str) -> str:
        self.sent.append(Sent("post", channel_id, key, message))
        return f"m{len(self.sent)}"

    async def dm(self, user_id: str, message: OutMessage, key: str) -> str:
        self.sent.append(Sent("dm", user_id, key, message))
        return f"m{len(self.sent)}"


# ---- the result ------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckinResult:
    """What one cycle did, and how long its parts took (nanoseconds)."""

    backend: str
    members: int
    replies: int  # first replies the core confirmed ("… is saved …")
    edits: int  # edits the core confirmed ("… is updated …")
    anonymous: int
    non_repliers: int
    unconfirmed: int  # reply calls answered with anything else (should be 0)
    reply_ns: tuple[int, ...]  # one per reply call, edits included
    reminder_ns: int
    reminder_dms: int
    summary_ns: int
    summary_posted: bool
    summary_headline: str
    writes_per_reply: float = 0.0  # INSERT/UPDATE/DELETE statements a reply makes, on average
    bare_per_s: float = 0.0  # bare transactions of that many inserts, same database, per s
    reads_per_reply: float = 0.0  # SELECT statements a reply makes, on average
    same_work_per_s: float = 0.0  # bare transactions of those reads and writes, per s

    @property
    def replies_per_s(self) -> float:
        """Reply calls (edits included) per second of reply-handling time."""
        return len(self.reply_ns) / (sum(self.reply_ns) / 1e9)

    def reply_ms(self, p: float) -> float:
        """The p-th percentile (nearest rank) of per-reply handling time, in ms."""
        return percentile(self.reply_ns, p) / 1e6


# ---- the cycle -------------------------------------------------------------------------


def member_ids(count: int) -> list[str]:
    """Platform user ids; the first one is the convener."""
    return [f"m{i:05d}" for i in range(count)]


def bench_settings(members: int) -> Settings:
    """One community, no schedule (only the ad-hoc check-in runs), member 0 convenes."""
    return parse_settings(
        {
            "communities": [
                {
                    "name": "bench-cop",
                    "platform": "console",
                    "channel": CHANNEL,
                    "timezone": "Europe/London",
                    "conveners": member_ids(members)[:1],
                    "checkin": {"schedule": "off", "open_for": "5 days", "remind_after": "3 days"},
                }
            ]
        }
    )


def run_checkin(url: str, members: int = DEFAULT_MEMBERS, backend: str = "sqlite") -> CheckinResult:
    """Run one cycle on the (empty) database at `url`."""
    if members < 1:
        raise ValueError("at least one member (the convener) is needed")
    platform = RecordingPlatform()
    app = build_app(
        bench_settings(members),
        {"console": platform},
        clock=ManualClock(START),
        engine=make_engine(url),
    )
    try:
        return asyncio.run(_cycle(app, platform, members, backend))
    finally:
        app.close()


async def _cycle(
    app: App, platform: RecordingPlatform, members: int, backend: str
) -> CheckinResult:
    ids = member_ids(members)
    actors = [Actor("console", uid, f"Member {uid[1:]}", CHANNEL) for uid in ids]
    clock = app.clock
    assert isinstance(clock, ManualClock)
    tick = min(TICK, REMIND_AFTER / (4 * members))  # every interaction before the reminder

    def cop(actor: Actor, text: str) -> Response:
        clock.advance(tick)
        return app.handle(Inbound(actor, "text", text=f"/cop {text}"))

    opened = cop(actors[0], "checkin open")
    if opened.message is None or "opened" not in opened.message.as_text():
        raise RuntimeError(f"the check-in did not open: {opened}")
    await app.dispatcher.drain()

    reply_ns: list[int] = []
    answers: list[str] = []
    writes = _WriteCounter(app)

    def reply(actor: Actor, text: str) -> None:
        clock.advance(tick)  # time moves on, as it would
        inbound = Inbound(actor, "text", text=text)
        with writes.counting():
            response, elapsed = timed(lambda: app.handle(inbound))
        reply_ns.append(elapsed)
        answers.append(response.message.as_text() if response.message else "")

    def reply_text(i: int, edited: bool) -> str:
        kind = REPLY_KINDS[i % 3]
        how = "anonymously " if i % 5 == 1 else ""
        words = f"Member {i} tried a shared rota for home visits; missed visits fell by {i % 40}%"
        return f"/cop reply {kind} {how}{words}{' (edited: it held up)' if edited else ''}"

    def replies(i: int) -> bool:
        return i % 10 != 9  # ~10% of members never reply

    for i, actor in enumerate(actors):
        cop(actor, "checkin")  # first interaction: the bus records the member
        if replies(i):
            reply(actor, reply_text(i, edited=False))
    for i in range(members):
        if replies(i) and i % 10 == 3:  # 10% of members edit their reply
            reply(actors[i], reply_text(i, edited=True))

    sent_before = len(platform.sent)
    reminder_ns = await _timed_advance(app, START + REMIND_AFTER + timedelta(minutes=1))
    reminder_dms = sum(
        1 for s in platform.sent[sent_before:] if s.kind == "dm" and ":remind:" in s.key
    )

    sent_before = len(platform.sent)
    summary_ns = await _timed_advance(app, START + OPEN_FOR + timedelta(minutes=1))
    summaries = [
        s for s in platform.sent[sent_before:] if s.kind == "post" and s.key.endswith(":summary")
    ]
    first = summaries[0].message.sections[0] if summaries else None
    headline = (first.heading or first.text or "") if first else ""

    round_writes = max(round(writes.count / max(len(reply_ns), 1)), 1)
    saved = sum(1 for a in answers if a.startswith("Thank you!") and " is saved " in a)
    updated = sum(1 for a in answers if a.startswith("Thank you!") and " is updated " in a)
    return CheckinResult(
        backend=backend,
        members=members,
        replies=saved,
        edits=updated,
        anonymous=sum(1 for i in range(members) if replies(i) and i % 5 == 1),
        non_repliers=sum(1 for i in range(members) if not replies(i)),
        unconfirmed=len(answers) - saved - updated,
        reply_ns=tuple(reply_ns),
        reminder_ns=reminder_ns,
        reminder_dms=reminder_dms,
        summary_ns=summary_ns,
        summary_posted=len(summaries) == 1,
        summary_headline=headline,
        writes_per_reply=writes.count / max(len(reply_ns), 1),
        bare_per_s=_bare_transactions(app, round_writes, len(reply_ns)),
        reads_per_reply=writes.reads / max(len(reply_ns), 1),
        same_work_per_s=_bare_transactions(
            app, round_writes, len(reply_ns), reads=round(writes.reads / max(len(reply_ns), 1))
        ),
    )


class _WriteCounter:
    """Counts the INSERT/UPDATE/DELETE (`count`) and SELECT (`reads`) statements sent while
    `counting()` is open."""

    def __init__(self, app: App) -> None:
        self.count = 0
        self.reads = 0
        self._on = False
        event.listen(app.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement: str, *_args: object) -> None:
        if not self._on:
            return
        verb = statement.lstrip()[:6].upper()
        if verb in ("INSERT", "UPDATE", "DELETE"):
            self.count += 1
        elif verb == "SELECT":
            self.reads += 1

    @contextlib.contextmanager
    def counting(self) -> Iterator[None]:
        self._on = True
        try:
            yield
        finally:
            self._on = False


def _bare_transactions(app: App, writes: int, transactions: int, reads: int = 0) -> float:
    """The baseline: `transactions` bare transactions (SQLAlchemy Core, no ORM, no copbot)
    of `reads` one-row primary-key reads, then `writes` one-row inserts each, on the same
    database; transactions per second."""
    scratch = Table(
        "bench_bare", MetaData(), Column("id", Integer, primary_key=True), Column("body", Text)
    )
    scratch.create(app.engine, checkfirst=True)
    with app.engine.begin() as connection:  # rows for the reads to find
        connection.execute(scratch.insert(), [{"body": f"seed {n}"} for n in range(100)])
    read = select(scratch.c.body).where(scratch.c.id == bindparam("id"))
    start = now_ns()
    for n in range(transactions):
        with app.engine.begin() as connection:
            for r in range(reads):
                connection.execute(read, {"id": 1 + (n + r) % 100}).first()
            for w in range(writes):
                connection.execute(scratch.insert().values(body=f"bare {n}.{w}: a line of text"))
    elapsed = now_ns() - start
    scratch.drop(app.engine)
    return transactions / (elapsed / 1e9)


async def _timed_advance(app: App, to: datetime) -> int:
    """Move simulated time to `to` (running jobs, delivering messages); nanoseconds taken."""
    start = now_ns()
    await app.advance(to)
    return now_ns() - start


# ---- printing and the command line -------------------------------------------------------


def report(results: Sequence[CheckinResult]) -> str:
    """The aligned table, then one line per targeted figure and backend."""
    if not results:
        return "checkin: nothing ran."

    def row(name: str, fmt: str, pick: Callable[[CheckinResult], float]) -> list[str]:
        return [name, *(format(pick(r), fmt) for r in results)]

    rows = [
        row("members", ",d", lambda r: r.members),
        row("replies", ",d", lambda r: r.replies),
        row("edits", ",d", lambda r: r.edits),
        row("anonymous replies", ",d", lambda r: r.anonymous),
        row("not replying", ",d", lambda r: r.non_repliers),
        row("reply calls timed", ",d", lambda r: len(r.reply_ns)),
        row("replies/s", ",.0f", lambda r: r.replies_per_s),
        row("writes per reply", ".1f", lambda r: r.writes_per_reply),
        row("bare transactions/s", ",.0f", lambda r: r.bare_per_s),
        row("reads per reply", ".1f", lambda r: r.reads_per_reply),
        row("same reads+writes bare/s", ",.0f", lambda r: r.same_work_per_s),
        row("p50 per reply (ms)", ".2f", lambda r: r.reply_ms(50)),
        row("p99 per reply (ms)", ".2f", lambda r: r.reply_ms(99)),
        row("max per reply (ms)", ".2f", lambda r: r.reply_ms(100)),
        row("reminder phase (s)", ".3f", lambda r: r.reminder_ns / 1e9),
        row("reminder DMs sent", ",d", lambda r: r.reminder_dms),
        row("summary phase (ms)", ".1f", lambda r: r.summary_ns / 1e6),
    ]
    lines = [
        "checkin: one check-in cycle through the core "
        f"(targets, informational: >= {TARGET_REPLIES_PER_S:,} replies/s on SQLite, "
        f"p99 <= {TARGET_P99_MS:g} ms)",
        table(["figure", *(r.backend for r in results)], rows),
    ]
    for r in results:
        note = "" if r.backend == "sqlite" else " (the SQLite target, for comparison)"
        lines.append(
            f"{r.backend}: replies/s {r.replies_per_s:,.0f} vs >= {TARGET_REPLIES_PER_S:,}"
            f"{note}: {verdict(r.replies_per_s >= TARGET_REPLIES_PER_S)}"
        )
        ratio = r.bare_per_s / r.replies_per_s if r.replies_per_s else float("inf")
        lines.append(
            f"{r.backend}: a bare transaction of the same {r.writes_per_reply:.0f} writes runs "
            f"{ratio:.1f}x a reply's rate (target <= {TARGET_BARE_RATIO:g}x): "
            f"{verdict(ratio <= TARGET_BARE_RATIO)}"
        )
        same = r.same_work_per_s / r.replies_per_s if r.replies_per_s else float("inf")
        lines.append(
            f"{r.backend}: a bare transaction of the same {r.reads_per_reply:.0f} reads and "
            f"{r.writes_per_reply:.0f} writes runs {same:.1f}x a reply's rate (for comparison: "
            "what copbot adds over the database work a reply cannot avoid)"
        )
        lines.append(
            f"{r.backend}: p99 per reply {r.reply_ms(99):.2f} ms vs <= {TARGET_P99_MS:g} ms: "
            f"{verdict(r.reply_ms(99) <= TARGET_P99_MS)}"
        )
        lines.append(
            f"{r.backend}: reminder phase {r.reminder_ns / 1e9:.3f} s for {r.reminder_dms:,} DMs; "
            f"summary {r.summary_ns / 1e6:.1f} ms ({r.summary_headline or 'NO SUMMARY POSTED'})"
        )
        if r.unconfirmed:
            lines.append(f"{r.backend}: {r.unconfirmed} reply calls were not confirmed!")
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    """A check-in cycle for N members on SQLite and PostgreSQL: reply rate and latency."""
    parser = argparse.ArgumentParser(prog="python -m bench checkin", description=main.__doc__)
    parser.add_argument("--members", type=int, default=DEFAULT_MEMBERS, help="default: 1,000")
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="a server URL; a database copbot_bench is created and dropped there "
        "(default: $COPBOT_BENCH_POSTGRES_URL or postgres@127.0.0.1:5432/test)",
    )
    parser.add_argument("--only", choices=("sqlite", "postgres"), help="run one backend")
    args = parser.parse_args(argv)
    if args.members < 1:
        parser.error("--members must be at least 1")

    results: list[CheckinResult] = []
    if args.only in (None, "sqlite"):
        print(f"checkin: {args.members:,} members on SQLite (a temporary file, WAL) …", flush=True)
        with sqlite_database() as url:
            results.append(run_checkin(url, args.members, "sqlite"))
    if args.only in (None, "postgres"):
        problem = postgres_problem(args.postgres_url)
        if problem:
            print(
                f"checkin: PostgreSQL at {shown(args.postgres_url)} is unreachable ({problem}); "
                + ("nothing to run." if args.only else "continuing with SQLite only."),
                flush=True,
            )
        else:
            print(f"checkin: {args.members:,} members on PostgreSQL …", flush=True)
            with postgres_database(args.postgres_url) as url:
                results.append(run_checkin(url, args.members, "postgres"))
    print(report(results))
    return 0 if results else 1
