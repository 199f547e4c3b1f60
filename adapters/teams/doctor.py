"""`copbot doctor` for Teams: do the app id and secret get a token, is the Bot Framework's
key metadata reachable, and does copbot answer at its public messaging endpoint?"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Callable

import aiohttp

from bot.config import Settings, reveal

from .auth import BOT_FRAMEWORK_SCOPE, ClientCredentials, TokenRefused, token_url
from .manifest import GUID

OPENID_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
TIMEOUT = 10.0


async def doctor(settings: Settings, *, write: Callable[[str], None] = print) -> int:
    """Check Teams' side of copbot's set-up; 0 if all is well, 1 if something is missing."""
    problems = 0

    def ok(text: str) -> None:
        write(f"  ok       {text}")

    def problem(text: str) -> None:
        nonlocal problems
        problems += 1
        write(f"  PROBLEM  {text}")

    write("Teams")
    app_id, password = settings.teams_app_id, reveal(settings.teams_app_password)
    if not app_id or not password:
        problem(
            "TEAMS_APP_ID and TEAMS_APP_PASSWORD are not both set: copy the Microsoft App ID "
            "and a client secret from your Azure Bot's Configuration page into the environment."
        )
        return 1
    if not GUID.match(app_id):
        problem(
            f"TEAMS_APP_ID '{app_id}' is not a GUID like 7f1c7c0e-…: check you copied it whole."
        )
    if not settings.teams_tenant_id:
        problem(
            "TEAMS_TENANT_ID is not set: copbot needs your Microsoft Entra tenant (Directory) "
            "id to sign in and to open 1:1 chats."
        )
        return 1
    url = settings.teams_token_url or token_url(settings.teams_tenant_id)
    try:
        await ClientCredentials(app_id, password, url).get_access_token("", [BOT_FRAMEWORK_SCOPE])
        ok("the app id and secret get a token from Microsoft Entra")
    except TokenRefused as error:
        problem(
            f"Microsoft Entra refused copbot a token ({error}): check TEAMS_APP_ID, "
            "TEAMS_APP_PASSWORD (a secret may have expired) and TEAMS_TENANT_ID."
        )
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        problem(f"cannot reach the token endpoint {url} ({type(error).__name__}).")
    metadata = settings.teams_openid_url or OPENID_URL
    try:
        keys = await asyncio.to_thread(_jwks_count, metadata)
        ok(f"the Bot Framework's signing keys are reachable ({keys} keys)")
    except (OSError, ValueError, KeyError) as error:
        problem(
            f"cannot read the Bot Framework's keys from {metadata} ({type(error).__name__}): "
            "copbot could not check who sends it messages."
        )
    await _endpoint(settings, ok, problem)  # counts through problem()
    return 1 if problems else 0


def _jwks_count(metadata_url: str) -> int:
    with urllib.request.urlopen(metadata_url, timeout=TIMEOUT) as reply:
        jwks_uri = json.loads(reply.read())["jwks_uri"]
    with urllib.request.urlopen(jwks_uri, timeout=TIMEOUT) as reply:
        return len(json.loads(reply.read())["keys"])


async def _endpoint(
    settings: Settings, ok: Callable[[str], None], problem: Callable[[str], None]
) -> None:
    """POST to the public endpoint without a token: copbot answers 401 there."""
    endpoint = settings.teams_endpoint
    if not endpoint:
        problem(
            "TEAMS_ENDPOINT is not set: give copbot's public messaging endpoint (the one in "
            "your Azure Bot's Configuration, e.g. https://copbot.example.org/api/messages) "
            "so doctor can check Teams reaches it."
        )
        return
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(endpoint, json={"type": "message"}) as reply,
        ):
            status = reply.status
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        problem(
            f"nothing answers at {endpoint} ({type(error).__name__}): is copbot running with "
            "`copbot run`, and does your proxy pass /api/messages to it?"
        )
        return
    if status == 401:
        ok(f"copbot answers at {endpoint} (and refuses messages without a token)")
    else:
        problem(
            f"{endpoint} answered HTTP {status}, not copbot's 401 for a message without a "
            "token: is the address right, and does it reach copbot?"
        )
