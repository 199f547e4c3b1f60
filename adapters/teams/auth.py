"""Who may talk to copbot's Teams endpoint, and copbot's own token for answering.

Inbound: every activity carries a JWT from the Bot Framework. The SDK's JwtTokenValidator
checks its signature (keys from the OpenID metadata's JWKS), expiry, audience (our app id)
and, switched on here, its issuer. Another metadata address (a sovereign cloud, a test fake)
replaces only where the signing keys come from.

Outbound: the Bot Connector wants a token for https://api.botframework.com, obtained with
the OAuth client-credentials grant from the bot's Entra tenant and cached until shortly
before it expires.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import urllib.request
from typing import Any

import aiohttp
from jwt import PyJWK, PyJWKClient
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core.authorization import (
    AgentAuthConfiguration,
    AuthTypes,
    ClaimsIdentity,
)
from microsoft_agents.hosting.core.authorization.jwt import JwtTokenValidator

log = logging.getLogger(__name__)

BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
#: Refresh a cached token this many seconds before it expires.
TOKEN_MARGIN = 300.0
TOKEN_TIMEOUT = 10.0


def token_url(tenant_id: str | None) -> str:
    """Microsoft Entra's token endpoint for the bot's tenant."""
    return f"https://login.microsoftonline.com/{tenant_id or 'botframework.com'}/oauth2/v2.0/token"


def auth_configuration(app_id: str, tenant_id: str | None) -> AgentAuthConfiguration:
    """The SDK's configuration for checking tokens meant for this bot (issuers checked)."""
    return AgentAuthConfiguration(
        AuthTypes.client_secret,
        client_id=app_id,
        tenant_id=tenant_id,
        validate_issuer=True,
        anonymous_allowed=False,
    )


class MetadataKeys:
    """Signing keys from one OpenID metadata document's `jwks_uri` (fetched off the loop,
    cached by PyJWKClient; an unknown key id refetches once)."""

    def __init__(self, metadata_url: str) -> None:
        self.metadata_url = metadata_url
        self._client: PyJWKClient | None = None
        self._lock = threading.Lock()

    def _jwks(self) -> PyJWKClient:
        if self._client is None:
            with urllib.request.urlopen(self.metadata_url, timeout=TOKEN_TIMEOUT) as reply:
                metadata = json.loads(reply.read())
            self._client = PyJWKClient(str(metadata["jwks_uri"]), timeout=int(TOKEN_TIMEOUT))
        return self._client

    async def get_signing_key(self, _jwks_uri: str, header: dict[str, Any]) -> PyJWK:
        def fetch() -> PyJWK:
            with self._lock:
                return self._jwks().get_signing_key(header["kid"])

        return await asyncio.to_thread(fetch)


class TokenCheck:
    """Checks the Authorization header of one inbound request."""

    def __init__(self, app_id: str, tenant_id: str | None, metadata_url: str | None) -> None:
        self.configuration = auth_configuration(app_id, tenant_id)
        self._keys = MetadataKeys(metadata_url) if metadata_url else None

    async def identity(self, header: str | None) -> ClaimsIdentity | None:
        """The token's verified claims, or None if it is missing, forged, expired, not for
        us or not from an issuer we trust."""
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip() or " " in token.strip():
            return None
        validator = JwtTokenValidator(self.configuration)
        if self._keys is not None:
            validator._jwk_client_manager = self._keys  # type: ignore[assignment]
        try:
            return await validator.validate_token(token.strip())
        except Exception as error:  # PyJWT's errors, ValueError, a key fetch that failed
            log.warning("refused a Teams request: %s", type(error).__name__)
            return None


class ClientCredentials:
    """An access token for the Bot Connector (client-credentials grant), cached.

    Implements the SDK's AccessTokenProviderBase and Connections (one connection)."""

    def __init__(self, app_id: str, password: str, url: str) -> None:
        self.app_id = app_id
        self._password = password
        self.url = url
        self._cached: dict[str, tuple[str, float]] = {}
        self._lock = asyncio.Lock()
        self.configuration = AgentAuthConfiguration(
            AuthTypes.client_secret, client_id=app_id, client_secret=None
        )

    # Connections
    def get_connection(self, _name: str) -> ClientCredentials:
        return self

    def get_default_connection(self) -> ClientCredentials:
        return self

    def get_token_provider(self, _identity: ClaimsIdentity, _url: str) -> ClientCredentials:
        return self

    def get_token_provider_from_activity(
        self, _identity: ClaimsIdentity, _activity: Activity
    ) -> ClientCredentials:
        return self

    def get_default_connection_configuration(self) -> AgentAuthConfiguration:
        return self.configuration

    # AccessTokenProviderBase
    def get_token_credential(self) -> Any:
        raise NotImplementedError("copbot uses client credentials only")

    async def get_access_token(
        self, _resource_url: str, scopes: list[str] | None = None, force_refresh: bool = False
    ) -> str:
        scope = (scopes or [BOT_FRAMEWORK_SCOPE])[0] or BOT_FRAMEWORK_SCOPE
        async with self._lock:
            cached = self._cached.get(scope)
            if cached is not None and cached[1] > time.monotonic() and not force_refresh:
                return cached[0]
            token, lifetime = await self._fetch(scope)
            self._cached[scope] = (token, time.monotonic() + max(lifetime - TOKEN_MARGIN, 30.0))
            return token

    async def _fetch(self, scope: str) -> tuple[str, float]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.app_id,
            "client_secret": self._password,
            "scope": scope,
        }
        timeout = aiohttp.ClientTimeout(total=TOKEN_TIMEOUT)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(self.url, data=form) as reply,
        ):
            body = await reply.json(content_type=None)
            if reply.status != 200 or "access_token" not in body:
                error = body.get("error") if isinstance(body, dict) else None
                raise TokenRefused(f"the token endpoint said {error or reply.status}")
            return str(body["access_token"]), float(body.get("expires_in", 3600))


class TokenRefused(Exception):
    """Microsoft Entra would not give copbot a token (wrong app id or secret)."""
