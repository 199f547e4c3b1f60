"""`copbot export`, `report` and `db …`: a community's data out, and the database's schema
and backups."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.clock import SystemClock
from bot.config import Settings
from bot.errors import UserError
from bot.storage.database import (
    backup_sqlite,
    current_revision,
    downgrade,
    make_engine,
    upgrade,
)


def export(settings: Settings, args: argparse.Namespace) -> int:
    """`copbot export --community NAME --from DATE --to DATE --format json|csv [--output]`."""
    from bot.features import export, export_files

    try:
        first, last = date.fromisoformat(args.start), date.fromisoformat(args.end)
    except ValueError:
        print("copbot: --from and --to take dates like 2026-11-30.", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            community = export.find_community(session, args.community)
            if community is None:
                print(f"copbot: no community called {args.community!r}.", file=sys.stderr)
                return 2
            try:
                start, end = export.date_range(first, last, ZoneInfo(community.timezone))
            except UserError as error:
                print(f"copbot: {error}", file=sys.stderr)
                return 2
            data = export.build_export(
                session,
                community,
                start,
                end,
                SystemClock().now(),
                progress=export_files.progress_bar(sys.stderr),
            )
    finally:
        engine.dispose()
    if args.format == "json":
        text = export_files.to_json(data) + "\n"
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    output = Path(args.output or f"copbot-export-{args.community}-{first}-to-{last}.zip")
    output.write_bytes(export_files.to_csv_zip(data))
    print(f"export written to {output} (one CSV per section)", file=sys.stderr)
    return 0


def report(settings: Settings, args: argparse.Namespace) -> int:
    """`copbot report --community NAME --from DATE --to DATE [--output F.html] [--png F.png]`."""
    from bot.features.report import write_report

    try:
        first, last = date.fromisoformat(args.start), date.fromisoformat(args.end)
    except ValueError:
        print("copbot: --from and --to take dates like 2026-11-30.", file=sys.stderr)
        return 2
    try:
        written = write_report(
            settings.database_url, args.community, first, last, args.output, args.png
        )
    except UserError as error:
        print(f"copbot: {error}", file=sys.stderr)
        return 2
    print("report written to " + " and ".join(str(p) for p in written), file=sys.stderr)
    return 0


def db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    engine = make_engine(settings.database_url)
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    print(f"database at revision {after}" + (f" (was {before})" if before != after else ""))
    engine.dispose()
    return 0


def db_current(settings: Settings, _args: argparse.Namespace) -> int:
    engine = make_engine(settings.database_url)
    try:
        print(f"database at revision {current_revision(engine) or 'none (never migrated)'}")
    finally:
        engine.dispose()
    return 0


def db_downgrade(settings: Settings, args: argparse.Namespace) -> int:
    from alembic.util import CommandError

    engine = make_engine(settings.database_url)
    try:
        downgrade(engine, args.revision)
    except CommandError as error:
        print(f"copbot: cannot downgrade to {args.revision!r}: {error}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"database at revision {args.revision}")
    return 0


def db_backup(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.database_url.startswith("sqlite"):
        print("copbot: for PostgreSQL use pg_dump (see README).", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        backup_sqlite(engine, Path(args.path))
    except (ValueError, OSError) as error:
        print(f"copbot: backup failed: {error}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"database copied to {args.path}")
    return 0
