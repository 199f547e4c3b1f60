"""Engines and migrations: SQLite by default, PostgreSQL to scale."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect, text

MIGRATIONS = Path(__file__).parent / "migrations"
#: How long SQLite waits for another writer's lock before giving up: well under the
#: platforms' 3 s, so a request that cannot be served in time is answered "try again"
#: (or retried by the core) rather than left hanging past its deadline.
SQLITE_BUSY_MS = 2000
#: The PostgreSQL advisory lock held while migrating ("copbot" in ASCII): replicas starting
#: together take turns, and the later ones find the schema already up to date.
MIGRATION_LOCK = 0x636F70626F74


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def make_engine(url: str, **options: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout. Errors never carry
    the statement's parameters (members' words) into logs (`hide_parameters`)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, hide_parameters=True, **options
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            cursor.execute("PRAGMA secure_delete=ON")  # erased text is overwritten, not left
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True, **options)


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that runs the migrations shipped inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """On PostgreSQL, hold the migration advisory lock meanwhile (on a connection of its
    own, for the session); elsewhere nothing (SQLite serves one process)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema up to `revision` (idempotent; every branch head by default). On
    PostgreSQL, replicas upgrading at once take turns (advisory lock)."""
    with migration_lock(engine):
        command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to `revision` (data in what is removed is lost)."""
    with migration_lock(engine):
        command.downgrade(alembic_config(engine), revision)


def backup_sqlite(engine: Engine, target: Path) -> None:
    """Copy a SQLite database to `target` while copbot may be running (SQLite's online
    backup API: a consistent copy, even mid-write)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        raise ValueError("only a SQLite database file can be backed up this way")
    source = sqlite3.connect(database)
    copy = sqlite3.connect(target)
    try:
        with copy:
            source.backup(copy)
    finally:
        copy.close()
        source.close()


def current_revision(engine: Engine) -> str | None:
    """The schema revision(s) the database is at, or None if never migrated."""
    if "alembic_version" not in inspect(engine).get_table_names():
        return None
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars()
        return ",".join(sorted(rows)) or None
