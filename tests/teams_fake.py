"""A loopback fake of Microsoft Teams' side of a bot, on 127.0.0.1: the Bot Connector
service (v3 conversations), the Entra token endpoint (client credentials) and the Bot
Framework's OpenID metadata with its JWKS, with RSA keys generated here.

`send(activity)` posts an activity to the bot's /api/messages exactly as the Bot Connector
does, with a JWT signed by the fake's key (or a forged, expired, wrongly addressed one).
Everything the bot sends back is recorded; connector calls without the token the fake's
token endpoint issued are refused with 401.

Switches for tests: `rate_limit(conversation, times, retry_after)` (the next sends to that
conversation get 429 with Retry-After), `closed` (users Teams will not open a chat with:
403 on create conversation).
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

APP_ID = "7f1c7c0e-0000-4000-8000-00000000c0b0"
APP_PASSWORD = "fake-client-secret"
TENANT_ID = "0a1b2c3d-0000-4000-8000-000000000001"
ISSUER = "https://api.botframework.com"
BOT_ID = f"28:{APP_ID}"
TEAM_ID = "19:team-general@thread.tacv2"
CHANNEL_ID = "19:wound-care-channel@thread.tacv2"


def person(key: str, name: str) -> dict[str, str]:
    """A Teams user account as activities carry it."""
    return {"id": f"29:{key}", "name": name, "aadObjectId": f"aad-{key}"}


def chat_id(user: dict[str, str]) -> str:
    """The id of a user's 1:1 chat with the bot."""
    return f"a:chat-{user['id'].removeprefix('29:')}"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Sent:
    """One activity the bot sent: where, and its body."""

    conversation_id: str
    body: dict[str, Any]
    reply_to: str | None = None

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            a["content"]
            for a in self.body.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]

    @property
    def text(self) -> str:
        """Every TextRun and TextBlock of the cards, one per line."""
        lines: list[str] = []
        for card in self.cards:
            lines += texts_of(card.get("body") or [])
        return "\n".join(lines)

    @property
    def actions(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for card in self.cards:
            found += actions_of(card.get("body") or [])
        return found

    @property
    def inputs(self) -> list[dict[str, Any]]:
        return [
            e
            for card in self.cards
            for e in card.get("body") or []
            if str(e.get("type", "")).startswith("Input.")
        ]


def texts_of(elements: list[dict[str, Any]]) -> list[str]:
    lines = []
    for element in elements:
        if element.get("type") == "RichTextBlock":
            lines.append("".join(i.get("text", "") for i in element.get("inlines") or []))
        elif element.get("type") == "TextBlock":
            lines.append(str(element.get("text", "")))
    return lines


def actions_of(elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for element in elements:
        if element.get("type") == "ActionSet":
            found += element.get("actions") or []
    return found


@dataclass
class FakeTeams:
    """The fake's state: what was sent, switches, the keys."""

    port: int = 0
    sent: list[Sent] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    closed: set[str] = field(default_factory=set)
    limits: dict[str, list[float]] = field(default_factory=dict)
    limited: list[str] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.key = _key()
        self.kid = "fake-key-" + secrets.token_hex(4)
        self.stranger = _key()  # a key nobody published: forged tokens
        self._tokens: set[str] = set()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.bot_url = ""

    # ---- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/openid", self._openid)
        app.router.add_get("/keys", self._keys)
        app.router.add_post(f"/{TENANT_ID}/oauth2/v2.0/token", self._token)
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{cid}/activities", self._activity)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._activity)
        app.router.add_put("/upload/{name}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._session = aiohttp.ClientSession()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def reset(self) -> None:
        self.sent.clear()
        self.created.clear()
        self.token_requests.clear()
        self.refused.clear()
        self.closed.clear()
        self.limits.clear()
        self.limited.clear()
        self.uploads.clear()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def service_url(self) -> str:
        return self.base + "/"

    def environment(self) -> dict[str, str]:
        """What copbot's settings need to use this fake."""
        return {
            "TEAMS_APP_ID": APP_ID,
            "TEAMS_APP_PASSWORD": APP_PASSWORD,
            "TEAMS_TENANT_ID": TENANT_ID,
            "TEAMS_OPENID_URL": f"{self.base}/openid",
            "TEAMS_TOKEN_URL": f"{self.base}/{TENANT_ID}/oauth2/v2.0/token",
        }

    # ---- switches and views ----------------------------------------------------------

    def rate_limit(
        self, conversation_id: str, times: int = 1, retry_after: float = 2.0, after: int = 0
    ) -> None:
        """The next `times` sends to the conversation (after `after` more go through) get
        429 with Retry-After."""
        self.limits.setdefault(conversation_id, []).extend([0.0] * after + [retry_after] * times)

    def to(self, conversation_id: str) -> list[Sent]:
        return [s for s in self.sent if s.conversation_id == conversation_id]

    def to_user(self, user: dict[str, str]) -> list[Sent]:
        return self.to(chat_id(user))

    def channel_posts(self) -> list[Sent]:
        return self.to(CHANNEL_ID)

    # ---- the bot's side: tokens and activities ---------------------------------------

    def token(self, **overrides: Any) -> str:
        """A Bot Connector token for the bot; `key=` another private key forges it."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": APP_ID,
            "iat": now - 10,
            "nbf": now - 10,
            "exp": now + 3600,
            "serviceurl": self.service_url,
        }
        key = overrides.pop("key", self.key)
        kid = overrides.pop("kid", self.kid)
        claims.update(overrides)
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})

    async def send(
        self, activity: dict[str, Any], *, token: str | None = None, auth: str | None = None
    ) -> tuple[int, str]:
        """POST the activity to the bot as the Bot Connector would; (status, body)."""
        assert self._session is not None and self.bot_url
        header = auth if auth is not None else f"Bearer {token or self.token()}"
        async with self._session.post(
            self.bot_url, json=activity, headers={"Authorization": header}
        ) as reply:
            return reply.status, await reply.text()

    def activity(self, kind: str, user: dict[str, str], **fields: Any) -> dict[str, Any]:
        channel = fields.pop("channel", None)
        number = next(self._ids)
        base: dict[str, Any] = {
            "type": kind,
            "id": f"1700000000{number:06d}",
            "timestamp": "2026-12-01T09:00:00.000Z",
            "serviceUrl": self.service_url,
            "channelId": "msteams",
            "from": user,
            "recipient": {"id": BOT_ID, "name": "copbot"},
            "locale": "en-GB",
        }
        if channel:
            base["conversation"] = {
                "id": f"{channel};messageid={base['id']}",
                "conversationType": "channel",
                "isGroup": True,
                "tenantId": TENANT_ID,
            }
            base["channelData"] = {
                "teamsChannelId": channel,
                "teamsTeamId": TEAM_ID,
                "channel": {"id": channel},
                "team": {"id": TEAM_ID},
                "tenant": {"id": TENANT_ID},
            }
        else:
            base["conversation"] = {
                "id": chat_id(user),
                "conversationType": "personal",
                "tenantId": TENANT_ID,
            }
            base["channelData"] = {"tenant": {"id": TENANT_ID}}
        base.update(fields)
        return base

    def typed(self, user: dict[str, str], text: str, *, channel: str | None = None) -> dict:
        """A message typed to the bot: in a channel, it starts with the bot's @mention."""
        if channel is None:
            return self.activity("message", user, text=text, textFormat="plain")
        mention = {
            "type": "mention",
            "text": "<at>copbot</at>",
            "mentioned": {"id": BOT_ID, "name": "copbot"},
        }
        return self.activity(
            "message",
            user,
            channel=channel,
            text=f"<at>copbot</at> {text}",
            textFormat="plain",
            entities=[mention],
        )

    def submit(
        self,
        user: dict[str, str],
        sent: Sent,
        title: str,
        *,
        channel: str | None = None,
        **inputs: str,
    ) -> dict[str, Any]:
        """Pressing the Action.Submit titled `title` on a card: a message whose value is
        the action's data with the card's inputs (as Teams sends it)."""
        [action] = [x for x in sent.actions if x.get("title") == title]
        value = dict(action.get("data") or {})
        value.update({f"f_{k}": v for k, v in inputs.items()})
        return self.activity("message", user, channel=channel, value=value, replyToId="1")

    def consent(self, user: dict[str, str], sent: Sent, action: str = "accept") -> dict[str, Any]:
        """The person answers a file consent card (Teams' fileConsent/invoke)."""
        [card] = [
            a
            for a in sent.body.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.teams.card.file.consent"
        ]
        name = card["name"]
        context = card["content"]["acceptContext" if action == "accept" else "declineContext"]
        value: dict[str, Any] = {"type": "fileUpload", "action": action, "context": context}
        if action == "accept":
            value["uploadInfo"] = {
                "name": name,
                "uploadUrl": f"{self.base}/upload/{name}",
                "contentUrl": f"https://contoso-my.sharepoint.com/personal/{name}",
                "uniqueId": "file-" + secrets.token_hex(4),
                "fileType": name.rsplit(".", 1)[-1],
            }
        return self.activity("invoke", user, name="fileConsent/invoke", value=value)

    def installed_for(self, user: dict[str, str]) -> dict[str, Any]:
        """The app installed for a person (their 1:1 chat with copbot begins)."""
        return self.activity("conversationUpdate", user, membersAdded=[{"id": BOT_ID}])

    def joined_team(self, user: dict[str, str]) -> dict[str, Any]:
        return self.activity(
            "conversationUpdate",
            person("team-owner", "Owner"),
            channel=TEAM_ID,
            membersAdded=[{"id": user["id"], "aadObjectId": user.get("aadObjectId")}],
        )

    # ---- the fake's endpoints ----------------------------------------------------------

    async def _openid(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": ISSUER,
                "authorization_endpoint": f"{self.base}/authorize",
                "jwks_uri": f"{self.base}/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            }
        )

    async def _keys(self, _request: web.Request) -> web.Response:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256", "endorsements": ["msteams"]})
        return web.json_response({"keys": [jwk]})

    async def _token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.token_requests.append({k: str(v) for k, v in form.items()})
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_id") != APP_ID
            or form.get("client_secret") != APP_PASSWORD
        ):
            return web.json_response({"error": "invalid_client"}, status=401)
        token = "fake-access-" + secrets.token_hex(8)
        self._tokens.add(token)
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3599, "access_token": token}
        )

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        ok = header.startswith("Bearer ") and header[7:] in self._tokens
        if not ok:
            self.refused.append(f"{request.method} {request.path}")
        return ok

    async def _create(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": {"code": "Unauthorized"}}, status=401)
        body = await request.json()
        self.created.append(body)
        [member] = body.get("members") or [{}]
        user_id = str(member.get("id", ""))
        if user_id in self.closed or not body.get("tenantId"):
            return web.json_response(
                {"error": {"code": "Forbidden", "message": "Bot is not installed for the user"}},
                status=403,
            )
        return web.json_response({"id": chat_id({"id": user_id})}, status=201)

    async def _upload(self, request: web.Request) -> web.Response:
        body = await request.read()
        expected = f"bytes 0-{len(body) - 1}/{len(body)}"
        if request.headers.get("Content-Range") != expected:
            return web.json_response({"error": "bad Content-Range"}, status=400)
        self.uploads[request.match_info["name"]] = body
        return web.json_response({"id": "uploaded"}, status=201)

    async def _activity(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": {"code": "Unauthorized"}}, status=401)
        conversation = request.match_info["cid"]
        waits = self.limits.get(conversation.split(";")[0])
        if waits and waits[0] == 0.0:
            waits.pop(0)
        elif waits:
            self.limited.append(conversation)
            return web.json_response(
                {"error": {"code": "TooManyRequests"}},
                status=429,
                headers={"Retry-After": str(waits.pop(0))},
            )
        body = await request.json()
        sent = Sent(conversation.split(";")[0], body, request.match_info.get("aid"))
        self.sent.append(sent)
        return web.json_response({"id": f"sent-{len(self.sent)}"}, status=201)
