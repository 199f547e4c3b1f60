"""`copbot …`: run the bot, manage the database, check the configuration."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.clock import SystemClock
from bot.config import ConfigError, Settings, load_settings
from bot.errors import UserError
from bot.logs import configure as configure_logging
from bot.storage.database import (
    backup_sqlite,
    current_revision,
    downgrade,
    make_engine,
    upgrade,
)

DEFAULT_CONFIG = "config.toml"
#: What `copbot run` needs to serve each platform (said when it is missing).
NEEDS = {
    "slack": "SLACK_BOT_TOKEN in the environment",
    "discord": "DISCORD_BOT_TOKEN in the environment",
    "teams": "TEAMS_APP_ID and TEAMS_APP_PASSWORD in the environment",
    "email": "an [email] section in the settings",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `copbot` command."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "action", None):
        parser.print_help()
        return 2
    if getattr(args, "without_settings", False):
        return _act(None, args)
    try:
        settings = load_settings(args.config)
    except ConfigError as error:
        text = str(error).removeprefix(f"{args.config}: ")
        print(
            f"copbot: {args.config}: {text}"
            if "\n" not in text
            else f"copbot: {args.config}:\n{text}",
            file=sys.stderr,
        )
        return 2
    configure_logging(settings.log_level)
    return _act(settings, args)


def _act(settings: Settings | None, args: argparse.Namespace) -> int:
    """Run the chosen command; a platform library that is not installed gets one line."""
    try:
        return int(args.action(settings, args) or 0)
    except ModuleNotFoundError as error:
        from adapters.registry import missing_extra, not_installed

        extra = missing_extra(error)
        if extra is None:
            raise
        print(f"copbot: {not_installed(extra)}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="copbot", description=__doc__)
    parser.add_argument(
        "--config", default=DEFAULT_CONFIG, help=f"settings file (default {DEFAULT_CONFIG})"
    )
    parser.add_argument("--version", action="version", version=f"copbot {_version()}")
    sub = parser.add_subparsers(title="commands")

    run = sub.add_parser("run", help="start copbot (the console workspace when no tokens are set)")
    run.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    run.add_argument(
        "--platform",
        choices=("slack", "discord", "teams", "email"),
        help="serve only the communities on this platform (default: every platform)",
    )
    run.add_argument(
        "--http-port",
        type=int,
        help="Slack over HTTP on this port (default: Socket Mode if SLACK_APP_TOKEN is set, "
        "else HTTP on 3000)",
    )
    run.add_argument(
        "--teams-port",
        type=int,
        help="Teams' POST /api/messages on this port (default: --http-port when Slack is not "
        "also served over HTTP, else 3978)",
    )
    run.add_argument("--guild-id", help="Discord: register /cop on this server at once (testing)")
    run.add_argument(
        "--health-port",
        type=int,
        help="answer GET /healthz on this port (0: any free port, logged at start)",
    )
    run.add_argument(
        "--health-host", default="127.0.0.1", help="address for --health-port (default 127.0.0.1)"
    )
    run.set_defaults(action=_run)

    status = sub.add_parser(
        "status", help="say whether the database answers, what waits to be sent, and more"
    )
    status.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    status.add_argument(
        "--health-port", type=int, help="also ask the copbot running on this machine's port"
    )
    status.set_defaults(action=_status)

    slack = sub.add_parser("slack", help="Slack set-up helpers")
    slack_sub = slack.add_subparsers(title="slack commands")
    slack_manifest = slack_sub.add_parser("manifest", help="print the Slack app manifest (YAML)")
    slack_manifest.add_argument(
        "--http-url", help="copbot's public URL for HTTP mode (default: Socket Mode)"
    )
    slack_manifest.set_defaults(action=_slack_manifest, without_settings=True)

    teams = sub.add_parser("teams", help="Microsoft Teams set-up helpers")
    teams_sub = teams.add_subparsers(title="teams commands")
    teams_manifest = teams_sub.add_parser(
        "manifest", help="write the Teams app package (a zip with manifest.json and icons)"
    )
    teams_manifest.add_argument(
        "--app-id", help="the bot's Microsoft App ID (default: TEAMS_APP_ID)"
    )
    teams_manifest.add_argument(
        "--website", required=True, help="your organisation's https:// page about copbot"
    )
    teams_manifest.add_argument("--privacy", help="https:// privacy notice (default: --website)")
    teams_manifest.add_argument("--terms", help="https:// terms of use (default: --website)")
    teams_manifest.add_argument("--developer", default="copbot", help="who provides the app")
    teams_manifest.add_argument(
        "--output", default="copbot-teams.zip", help="the file to write (default copbot-teams.zip)"
    )
    teams_manifest.set_defaults(action=_teams_manifest, without_settings=True)

    doctor = sub.add_parser("doctor", help="check tokens, scopes and channel membership")
    doctor.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    doctor.set_defaults(action=_doctor)

    check = sub.add_parser("check-config", help="validate the settings file and say what it sets")
    check.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    check.set_defaults(action=_check)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(title="db commands")
    up = db_sub.add_parser("upgrade", help="apply the database migrations")
    up.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    up.set_defaults(action=_db_upgrade)
    current = db_sub.add_parser("current", help="print the database's schema revision")
    current.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    current.set_defaults(action=_db_current)
    down = db_sub.add_parser("downgrade", help="take the schema back to a revision")
    down.add_argument("revision", help="e.g. 0009 (what later revisions added is lost)")
    down.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    down.set_defaults(action=_db_downgrade)
    backup = db_sub.add_parser("backup", help="copy a SQLite database safely while running")
    backup.add_argument("path", help="the file to write")
    backup.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    backup.set_defaults(action=_db_backup)

    export = sub.add_parser("export", help="export engagement figures for evaluation")
    export.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    export.add_argument("--community", required=True, help="the community's name")
    export.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    export.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
    export.add_argument("--format", choices=("json", "csv"), default="json")
    export.add_argument("--output", help="file to write (default: JSON to stdout, CSV to a zip)")
    export.set_defaults(action=_export)

    report = sub.add_parser("report", help="write the sponsors' report (HTML, and a PNG)")
    report.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    report.add_argument("--community", required=True, help="the community's name")
    report.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    report.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
    report.add_argument("--output", help="the HTML file (default: copbot-<name>-report-….html)")
    report.add_argument("--png", help="also draw it as this PNG file (needs chromium)")
    report.set_defaults(action=_report)

    discord = sub.add_parser("discord", help="Discord helpers")
    discord_sub = discord.add_subparsers(title="discord commands")
    invite = discord_sub.add_parser("invite-url", help="print the link adding copbot to a server")
    invite.add_argument("--application-id", help="default: DISCORD_APPLICATION_ID")
    invite.add_argument("--guild-id", help="preselect this server (default: DISCORD_GUILD_ID)")
    invite.set_defaults(action=_discord_invite_url, without_settings=True)
    return parser


def _discord_invite_url(_settings: Settings | None, args: argparse.Namespace) -> int:
    from adapters.discord.invite import main as print_invite_url

    return print_invite_url(args)


def _export(settings: Settings, args: argparse.Namespace) -> int:
    """`copbot export --community NAME --from DATE --to DATE --format json|csv [--output]`."""
    from bot.features import export

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
                progress=export.progress_bar(sys.stderr),
            )
    finally:
        engine.dispose()
    if args.format == "json":
        text = export.to_json(data) + "\n"
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    output = Path(args.output or f"copbot-export-{args.community}-{first}-to-{last}.zip")
    output.write_bytes(export.to_csv_zip(data))
    print(f"export written to {output} (one CSV per section)", file=sys.stderr)
    return 0


def _report(settings: Settings, args: argparse.Namespace) -> int:
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


def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    engine = make_engine(settings.database_url)
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    print(f"database at revision {after}" + (f" (was {before})" if before != after else ""))
    engine.dispose()
    return 0


def _db_current(settings: Settings, _args: argparse.Namespace) -> int:
    engine = make_engine(settings.database_url)
    try:
        print(f"database at revision {current_revision(engine) or 'none (never migrated)'}")
    finally:
        engine.dispose()
    return 0


def _db_downgrade(settings: Settings, args: argparse.Namespace) -> int:
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


def _db_backup(settings: Settings, args: argparse.Namespace) -> int:
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


def _check(settings: Settings, _args: argparse.Namespace) -> int:
    for community in settings.communities:
        print(
            f"{community.name}: {community.platform} channel {community.channel}, "
            f"{community.timezone}, check-ins {community.checkin.schedule or 'only when opened'}"
        )
    print("configuration is valid")
    return 0


def _run(settings: Settings, args: argparse.Namespace) -> int:
    ready = settings.platforms_ready()
    needing = sorted({c.platform for c in settings.communities} - {"console"})
    if getattr(args, "platform", None):
        if args.platform not in needing:
            print(f"copbot: no community in the settings is on {args.platform}.", file=sys.stderr)
            return 2
        needing = [args.platform]
    if needing and settings.email is not None and "email" not in needing:
        needing.append("email")  # members of chat communities reached by email
    missing = [p for p in needing if p not in ready]
    if missing:
        print(
            f"copbot: communities on {', '.join(missing)} need "
            + " and ".join(NEEDS.get(p, f"the {p} set-up") for p in missing)
            + ".",
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
    return asyncio.run(run_console(settings, health_port=getattr(args, "health_port", None)))


def _serve_platforms(settings: Settings, args: argparse.Namespace, platforms: list[str]) -> int:
    """Serve every platform the configured communities are on, in one process."""
    from adapters import registry
    from adapters.runtime import AdapterFatal, serve

    try:
        adapters = [registry.make_adapter(name, settings, args) for name in platforms]
    except registry.AdapterUnavailable as error:
        print(f"copbot: {error}", file=sys.stderr)
        return 2
    try:
        asyncio.run(
            serve(
                settings,
                adapters,
                health_port=getattr(args, "health_port", None),
                health_host=getattr(args, "health_host", "127.0.0.1"),
            )
        )
    except AdapterFatal as error:
        logging.getLogger("copbot").error("copbot stopped: %s", error)
        return 1
    return 0


def _status(settings: Settings, args: argparse.Namespace) -> int:
    """`copbot status [--health-port N]`: the database's figures, and what a running copbot
    says on its health port."""
    from bot.health import read_figures

    healthy = True
    engine = make_engine(settings.database_url)
    try:
        revision = current_revision(engine)
        if revision is None:
            print("database: answers, but copbot has not set it up yet (copbot db upgrade)")
            healthy = False
        else:
            figures = read_figures(engine)
            print(f"database: answers (schema revision {revision})")
            print(
                f"outbox: {figures.backlog} waiting to be sent, "
                f"{_plural(figures.dead_letters, 'dead letter')}"
            )
            last = figures.last_job_run
            print(
                f"last scheduled job: {last.isoformat(timespec='seconds')}"
                if last
                else "last scheduled job: none yet"
            )
    except Exception as error:  # a database that cannot be reached: one plain line
        print(f"database: does not answer ({type(error).__name__})")
        healthy = False
    finally:
        engine.dispose()
    port = getattr(args, "health_port", None)
    if port is None:
        print("running copbot: not asked (give --health-port N)")
        return 0 if healthy else 1
    answer = _ask_health(port)
    if answer is None:
        print(f"running copbot: no copbot answers on port {port}")
        return 1
    platforms = ", ".join(f"{name} {state}" for name, state in answer["platforms"].items())
    last_pass = answer.get("last_scheduler_pass") or "none yet"
    print(
        f"running copbot: copbot on port {port}: {answer.get('status', 'unknown')} "
        f"(database {answer.get('database')}; {platforms or 'no platforms'}; "
        f"last scheduler pass {last_pass})"
    )
    return 0 if healthy and answer.get("status") == "ready" else 1


def _ask_health(port: int) -> dict | None:
    """The JSON a copbot on this machine's `port` answers at /healthz (200 or 503), or None."""
    import json
    import urllib.error
    import urllib.request

    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        raw = error.read()
    except (OSError, ValueError):
        return None
    try:
        answer = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(answer, dict) or not isinstance(answer.get("platforms"), dict):
        return None
    return answer


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _slack_manifest(_settings: object, args: argparse.Namespace) -> int:
    from adapters.slack import manifest_yaml
    from adapters.slack.manifest import BadURL, check_http_url

    if args.http_url is not None:
        try:
            check_http_url(args.http_url)
        except BadURL as error:
            print(f"copbot: --http-url {error}", file=sys.stderr)
            return 2
    print(manifest_yaml(args.http_url), end="")
    return 0


def _teams_manifest(_settings: object, args: argparse.Namespace) -> int:
    from adapters.teams.manifest import main as write_package

    return write_package(args)


def _doctor(settings: Settings, _args: argparse.Namespace) -> int:
    """Check each platform's set-up and say precisely what is missing."""
    if _secret_key_in_database(settings):
        from bot.secret_key import IN_DATABASE_WARNING

        print(f"WARNING: {IN_DATABASE_WARNING}")
        return 1
    platforms = {c.platform for c in settings.communities} | settings.platforms_with_tokens()
    if not platforms & {"slack", "teams"}:
        print("Nothing to check: no community is on Slack or Teams (the console needs no set-up).")
        return 0
    status = 0
    if "slack" in platforms:
        from adapters.slack import doctor

        status |= asyncio.run(doctor(settings))
    if "teams" in platforms:
        from adapters.teams.doctor import doctor as teams_doctor

        status |= asyncio.run(teams_doctor(settings))
    return status


def _version() -> str:
    """copbot's installed version (from its package metadata)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("copbot")
    except PackageNotFoundError:
        return "unknown"


def _secret_key_in_database(settings: Settings) -> bool:
    """True if an old version left the secret key in the database."""
    from sqlalchemy import inspect

    from bot.secret_key import key_in_database

    engine = make_engine(settings.database_url)
    try:
        if "app_setting" not in inspect(engine).get_table_names():
            return False
        with Session(engine) as session:
            return key_in_database(session)
    finally:
        engine.dispose()


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
