"""The Teams app package: manifest.json (the bot, its team and personal scopes, a command
menu from the core's verbs) and its two icons, zipped ready to upload to Teams or to hand
to a Teams administrator."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import urllib.parse
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from bot.features.base import Verb

MANIFEST_VERSION = "1.19"
SCHEMA = (
    f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}/"
    "MicrosoftTeams.schema.json"
)
ACCENT = "#3B7F6B"
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
#: Teams shows at most 10 commands per scope.
MAX_COMMANDS = 10
#: The verbs offered first in the command menu (others follow, up to MAX_COMMANDS).
FIRST = ("help", "checkin", "reply", "win", "pledge", "vote", "me", "meeting", "mydata")
HELP = "what copbot can do, and how (/cop help <verb> for one)"


class BadManifest(ValueError):
    """Something the package needs is missing or not in a form Teams accepts."""


def check_https(url: str, what: str) -> str:
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme != "https" or not parsed.hostname or " " in url.strip():
        raise BadManifest(f"{what} '{url}' must be a web address starting with https://")
    return url.strip()


def commands(verbs: Iterable[Verb]) -> list[dict[str, str]]:
    """The command menu: member-facing verbs, most used first, at most MAX_COMMANDS."""
    offered = {v.name: v for v in verbs if v.help}
    order = [n for n in FIRST if n in offered or n == "help"]
    order += [n for n in offered if n not in order]
    menu = []
    for name in order[:MAX_COMMANDS]:
        description = HELP if name == "help" else offered[name].help
        menu.append({"title": name[:32], "description": _cut(description, 128)})
    return menu


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def manifest(
    app_id: str,
    verbs: Iterable[Verb],
    *,
    website: str,
    privacy: str | None = None,
    terms: str | None = None,
    developer: str = "copbot",
    version: str = "1.0.0",
) -> dict[str, Any]:
    """manifest.json for copbot's bot `app_id` (its Azure Bot registration's app id)."""
    if not GUID.match(app_id.strip()):
        raise BadManifest(f"the app id '{app_id}' should be a GUID like 7f1c7c0e-…-…")
    website = check_https(website, "the website")
    menu = commands(verbs)
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id.strip(),
        "developer": {
            "name": _cut(developer, 32),
            "websiteUrl": website,
            "privacyUrl": check_https(privacy or website, "the privacy page"),
            "termsOfUseUrl": check_https(terms or website, "the terms page"),
        },
        "name": {"short": "copbot", "full": "copbot: our community of practice, between meetings"},
        "description": {
            "short": "Check-ins, wins, pledges and polls for a community of practice",
            "full": (
                "copbot keeps a community of practice going between its meetings: regular "
                "check-ins (named or under the Chatham House rule), wins to celebrate, "
                "private pledges with a follow-up, polls for the next topic, and a short "
                "newsletter. Type /cop help to the bot, or @mention it in the community's "
                "channel."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        "bots": [
            {
                "botId": app_id.strip(),
                "scopes": ["team", "personal"],
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {"scopes": ["team"], "commands": menu},
                    {"scopes": ["personal"], "commands": menu},
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [urllib.parse.urlsplit(website).hostname],
    }


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def icons() -> dict[str, bytes]:
    """The colour icon (192×192, full colour) and the outline icon (32×32, white on
    transparent), drawn here: two speech bubbles."""
    colour = Image.new("RGBA", (192, 192), ACCENT)
    draw = ImageDraw.Draw(colour)
    draw.rounded_rectangle((36, 48, 132, 116), radius=18, fill="white")
    draw.rounded_rectangle((72, 88, 160, 148), radius=16, fill="#CFE7DF")
    outline = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    line = ImageDraw.Draw(outline)
    line.rounded_rectangle((4, 6, 22, 19), radius=4, outline="white", width=2)
    line.rounded_rectangle((12, 14, 28, 26), radius=4, outline="white", width=2)
    return {"color.png": _png(colour), "outline.png": _png(outline)}


def package(document: dict[str, Any]) -> bytes:
    """The app package: a zip with manifest.json and the icons at its root."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(document, indent=2, ensure_ascii=False))
        for name, data in icons().items():
            archive.writestr(name, data)
    return out.getvalue()


def main(args: argparse.Namespace) -> int:
    """`copbot teams manifest`: write the package; 2 with one clear line if it can't."""
    from bot.features import FEATURES
    from bot.router import Router

    app_id = args.app_id or os.environ.get("TEAMS_APP_ID", "")
    if not app_id:
        print(
            "copbot: give the bot's Microsoft App ID with --app-id (or TEAMS_APP_ID).",
            file=sys.stderr,
        )
        return 2
    try:
        document = manifest(
            app_id,
            Router(FEATURES).verbs.values(),
            website=args.website,
            privacy=args.privacy,
            terms=args.terms,
            developer=args.developer,
        )
    except BadManifest as error:
        print(f"copbot: {error}", file=sys.stderr)
        return 2
    Path(args.output).write_bytes(package(document))
    print(
        f"wrote {args.output}: upload it in Teams (Apps → Manage your apps → Upload an app), "
        "or give it to your Teams administrator."
    )
    return 0
