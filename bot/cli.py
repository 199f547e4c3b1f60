"""`copbot …`: run the bot, manage the database, check the configuration."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot.config import ConfigError, Settings, load_settings
from bot.storage.database import current_revision, make_engine, upgrade

DEFAULT_CONFIG = "config.toml"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `copbot` command."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "action", None):
        parser.print_help()
        return 2
    try:
        settings = load_settings(args.config)
    except ConfigError as error:
        print(
            f"copbot: {args.config}: {error}"
            if "\n" not in str(error)
            else f"copbot: {args.config}:\n{error}",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return int(args.action(settings, args) or 0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="copbot", description=__doc__)
    parser.add_argument(
        "--config", default=DEFAULT_CONFIG, help=f"settings file (default {DEFAULT_CONFIG})"
    )
    sub = parser.add_subparsers(title="commands")

    run = sub.add_parser("run", help="start copbot (the console workspace when no tokens are set)")
    run.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    run.set_defaults(action=_run)

    check = sub.add_parser("check-config", help="validate the settings file and say what it sets")
    check.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    check.set_defaults(action=_check)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(title="db commands")
    up = db_sub.add_parser("upgrade", help="apply the database migrations")
    up.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    up.set_defaults(action=_db_upgrade)
    return parser


def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    engine = make_engine(settings.database_url)
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    print(f"database at revision {after}" + (f" (was {before})" if before != after else ""))
    engine.dispose()
    return 0


def _check(settings: Settings, _args: argparse.Namespace) -> int:
    for community in settings.communities:
        print(
            f"{community.name}: {community.platform} channel {community.channel}, "
            f"{community.timezone}, check-ins {community.checkin.schedule or 'only when opened'}"
        )
    print("configuration is valid")
    return 0


def _run(settings: Settings, args: argparse.Namespace) -> int:
    tokens = settings.platforms_with_tokens()
    needing = sorted({c.platform for c in settings.communities} - {"console"})
    missing = [p for p in needing if p not in tokens]
    if missing:
        variables = {"slack": "SLACK_BOT_TOKEN", "discord": "DISCORD_BOT_TOKEN"}
        print(
            f"copbot: communities on {', '.join(missing)} need "
            + " and ".join(variables[p] for p in missing)
            + " in the environment.",
            file=sys.stderr,
        )
        return 2
    if needing:
        return _serve_platforms(settings, args, needing)
    from adapters.console.main import run_console

    where = "SQLite" if settings.database_url.startswith("sqlite") else "PostgreSQL"
    print(
        f"No Slack or Discord tokens found: running the console workspace on {where} "
        f"({_safe_url(settings.database_url)})."
    )
    return asyncio.run(run_console(settings))


def _serve_platforms(settings: Settings, args: argparse.Namespace, platforms: list[str]) -> int:
    """Serve every platform the configured communities are on, in one process."""
    from adapters import registry
    from adapters.runtime import serve

    try:
        adapters = [registry.make_adapter(name, settings, args) for name in platforms]
    except registry.AdapterUnavailable as error:
        print(f"copbot: {error}", file=sys.stderr)
        return 2
    asyncio.run(serve(settings, adapters))
    return 0


def _safe_url(url: str) -> str:
    """The database URL without a password."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        credentials, _, host = rest.rpartition("@")
        user = credentials.split(":", 1)[0]
        rest = f"{user}:***@{host}" if ":" in credentials else f"{user}@{host}"
    return scheme + sep + rest


if __name__ == "__main__":
    raise SystemExit(main())
