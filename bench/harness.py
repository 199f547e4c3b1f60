"""Shared helpers for benchmarks: timing, percentiles, tables and throwaway databases."""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.storage.database import normalise_url

T = TypeVar("T")

now_ns = time.perf_counter_ns


def timed(call: Callable[[], T]) -> tuple[T, int]:
    """Run `call` once; return its result and the elapsed nanoseconds (perf_counter_ns)."""
    start = now_ns()
    result = call()
    return result, now_ns() - start


def percentile(samples: Sequence[int | float], p: float) -> float:
    """The nearest-rank percentile: the smallest sample with at least p% of samples at or
    below it (sorted[ceil(p/100 * n) - 1]). Always an observed value; p=100 is the max."""
    if not samples:
        raise ValueError("no samples")
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    ordered = sorted(samples)
    return ordered[max(math.ceil(p / 100 * len(ordered)), 1) - 1]


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """An aligned plain-text table: the first column left-aligned, the others right."""
    lines = [header, *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
            for i, cell in enumerate(line)
        ).rstrip()
        for line in lines
    )


def verdict(ok: bool) -> str:
    """The plain word printed next to a target (informational only)."""
    return "meets target" if ok else "below target"


def shown(url: str) -> str:
    """A database URL fit to print (no password)."""
    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def sqlite_database() -> Iterator[str]:
    """The URL of a SQLite file in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="copbot-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


def postgres_problem(admin_url: str) -> str | None:
    """Why PostgreSQL at `admin_url` cannot be used, or None if it answers."""
    try:
        engine = create_engine(normalise_url(admin_url), connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except Exception as error:
        first_line = (str(error).splitlines() or [""])[0]
        return f"{type(error).__name__}: {first_line}"
    return None


@contextmanager
def postgres_database(admin_url: str, name: str = "copbot_bench") -> Iterator[str]:
    """A fresh, empty database `name` on the server at `admin_url`, dropped afterwards.
    Yields its URL. Any leftover database of that name is dropped first (WITH (FORCE))."""
    admin_url = normalise_url(admin_url)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    drop = text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    try:
        with admin.connect() as connection:
            connection.execute(drop)
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(drop)
        admin.dispose()
