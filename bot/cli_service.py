"""`copbot run`, `status`, `check`, `doctor` and the platforms' manifests: serving, and
telling an operator how things stand."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from sqlmodel import Session

from bot.config import Settings
from bot.storage.database import (
    current_revision,
    make_engine,
)

#: What `copbot run` needs to serve each platform (said when it is missing).
NEEDS = {
    "slack": "SLACK_BOT_TOKEN in the environment",
    "discord": "DISCORD_BOT_TOKEN in the environment",
    "teams": "TEAMS_APP_ID and TEAMS_APP_PASSWORD in the environment",
    "email": "an [email] section in the settings",
}


def check(settings: Settings, _args: argparse.Namespace) -> int:
    for community in settings.communities:
        print(
            f"{community.name}: {community.platform} channel {community.channel}, "
            f"{community.timezone}, check-ins {community.checkin.schedule or 'only when opened'}"
        )
    print("configuration is valid")
    return 0


def run(settings: Settings, args: argparse.Namespace) -> int:
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
        return serve_platforms(settings, args, needing)
    from adapters.console.main import run_console

    where = "SQLite" if settings.database_url.startswith("sqlite") else "PostgreSQL"
    print(
        f"No Slack or Discord tokens found: running the console workspace on {where} "
        f"({safe_url(settings.database_url)})."
    )
    return asyncio.run(run_console(settings, health_port=getattr(args, "health_port", None)))


def serve_platforms(settings: Settings, args: argparse.Namespace, platforms: list[str]) -> int:
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


def status(settings: Settings, args: argparse.Namespace) -> int:
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
                f"{plural(figures.dead_letters, 'dead letter')}"
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
    answer = ask_health(port)
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


def ask_health(port: int) -> dict | None:
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


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def discord_invite_url(_settings: Settings | None, args: argparse.Namespace) -> int:
    """The link that adds the bot to a Discord server, with exactly the permissions it needs."""
    from adapters.discord.invite import main as print_invite_url

    return print_invite_url(args)


def slack_manifest(_settings: object, args: argparse.Namespace) -> int:
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


def teams_manifest(_settings: object, args: argparse.Namespace) -> int:
    from adapters.teams.manifest import main as write_package

    return write_package(args)


def doctor(settings: Settings, _args: argparse.Namespace) -> int:
    """Check each platform's set-up and say precisely what is missing."""
    if secret_key_in_database(settings):
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


def version() -> str:
    """copbot's installed version (from its package metadata)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("copbot")
    except PackageNotFoundError:
        return "unknown"


def secret_key_in_database(settings: Settings) -> bool:
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


def safe_url(url: str) -> str:
    """The database URL without a password."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        credentials, _, host = rest.rpartition("@")
        user = credentials.split(":", 1)[0]
        rest = f"{user}:***@{host}" if ":" in credentials else f"{user}@{host}"
    return scheme + sep + rest
