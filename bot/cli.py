"""`copbot …`: run the bot, manage the database, check the configuration."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot import cli_data, cli_service
from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure as configure_logging

DEFAULT_CONFIG = "config.toml"


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
    parser.add_argument("--version", action="version", version=f"copbot {cli_service.version()}")
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
    run.set_defaults(action=cli_service.run)

    status = sub.add_parser(
        "status", help="say whether the database answers, what waits to be sent, and more"
    )
    status.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    status.add_argument(
        "--health-port", type=int, help="also ask the copbot running on this machine's port"
    )
    status.set_defaults(action=cli_service.status)

    slack = sub.add_parser("slack", help="Slack set-up helpers")
    slack_sub = slack.add_subparsers(title="slack commands")
    slack_manifest = slack_sub.add_parser("manifest", help="print the Slack app manifest (YAML)")
    slack_manifest.add_argument(
        "--http-url", help="copbot's public URL for HTTP mode (default: Socket Mode)"
    )
    slack_manifest.set_defaults(action=cli_service.slack_manifest, without_settings=True)

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
    teams_manifest.set_defaults(action=cli_service.teams_manifest, without_settings=True)

    doctor = sub.add_parser("doctor", help="check tokens, scopes and channel membership")
    doctor.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    doctor.set_defaults(action=cli_service.doctor)

    check = sub.add_parser("check-config", help="validate the settings file and say what it sets")
    check.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    check.set_defaults(action=cli_service.check)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(title="db commands")
    up = db_sub.add_parser("upgrade", help="apply the database migrations")
    up.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    up.set_defaults(action=cli_data.db_upgrade)
    current = db_sub.add_parser("current", help="print the database's schema revision")
    current.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    current.set_defaults(action=cli_data.db_current)
    down = db_sub.add_parser("downgrade", help="take the schema back to a revision")
    down.add_argument("revision", help="e.g. 0009 (what later revisions added is lost)")
    down.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    down.set_defaults(action=cli_data.db_downgrade)
    backup = db_sub.add_parser("backup", help="copy a SQLite database safely while running")
    backup.add_argument("path", help="the file to write")
    backup.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    backup.set_defaults(action=cli_data.db_backup)

    export = sub.add_parser("export", help="export engagement figures for evaluation")
    export.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    export.add_argument("--community", required=True, help="the community's name")
    export.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    export.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
    export.add_argument("--format", choices=("json", "csv"), default="json")
    export.add_argument("--output", help="file to write (default: JSON to stdout, CSV to a zip)")
    export.set_defaults(action=cli_data.export)

    report = sub.add_parser("report", help="write the sponsors' report (HTML, and a PNG)")
    report.add_argument("--config", default=argparse.SUPPRESS, help="settings file")
    report.add_argument("--community", required=True, help="the community's name")
    report.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    report.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
    report.add_argument("--output", help="the HTML file (default: copbot-<name>-report-….html)")
    report.add_argument("--png", help="also draw it as this PNG file (needs chromium)")
    report.set_defaults(action=cli_data.report)

    discord = sub.add_parser("discord", help="Discord helpers")
    discord_sub = discord.add_subparsers(title="discord commands")
    invite = discord_sub.add_parser("invite-url", help="print the link adding copbot to a server")
    invite.add_argument("--application-id", help="default: DISCORD_APPLICATION_ID")
    invite.add_argument("--guild-id", help="preselect this server (default: DISCORD_GUILD_ID)")
    invite.set_defaults(action=cli_service.discord_invite_url, without_settings=True)
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
