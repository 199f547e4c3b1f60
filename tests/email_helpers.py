"""Copbot wired to a real SMTP server on loopback: settings, the email platform, the links."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from adapters.email import EmailPlatform
from bot.bootstrap import App
from bot.commands import Actor, Inbound
from bot.config import Settings, parse_settings
from bot.links import LinkGrant
from bot.messages import Response
from tests.conftest import community
from tests.smtp_server import Received, SmtpServer, client_tls

BASE_URL = "https://copbot.example.org"
SMTP_USER, SMTP_PASSWORD = "copbot-mailer", "a password only the environment knows"
LINK = re.compile(re.escape(BASE_URL) + r"/l/([A-Za-z0-9_-]+)")


def email_settings(
    server: SmtpServer,
    *communities: dict[str, Any],
    tls: bool = True,
    login: bool = True,
    **email: Any,
) -> Settings:
    section = {
        "smtp_host": server.host,
        "smtp_port": server.port,
        "starttls": tls,
        "from_address": "copbot@example.org",
        "per_second": 1000,
        "timeout": 5,
    } | email
    raw = {
        "communities": list(communities or (community(),)),
        "email": section,
        "web": {"base_url": BASE_URL},
    }
    env = {"COPBOT_SMTP_USER": SMTP_USER, "COPBOT_SMTP_PASSWORD": SMTP_PASSWORD} if login else {}
    return parse_settings(raw, env)


def attach_email(app: App, certificate: Path | None) -> EmailPlatform:
    """The real email platform, delivering for `app` (trusting the test's certificate)."""
    assert app.settings.email is not None
    tls = client_tls(certificate) if certificate is not None else None
    mail = EmailPlatform(app.settings.email, tls=tls)
    app.dispatcher.add_platform(mail)
    mail.bind(app)
    return mail


def links_in(received: Received) -> list[str]:
    """Every link token in the email's text part, in order."""
    return LINK.findall(received.part("plain"))


def grants(app: App, received: Received) -> list[LinkGrant]:
    assert app.links is not None
    return [app.links.read(token) for token in links_in(received)]


def link_for(app: App, received: Received, action: str) -> LinkGrant:
    found = [g for g in grants(app, received) if g.action == action]
    assert found, (action, [g.action for g in grants(app, received)])
    return found[0]


def token_for(app: App, received: Received, action: str) -> str:
    """The token of the email's (first) link for `action`."""
    assert app.links is not None
    for token in links_in(received):
        if app.links.read(token).action == action:
            return token
    raise AssertionError(f"no {action} link in the email")


def as_member(app: App, member_id: int, action: str, value: str = "") -> Response:
    actor = Actor("email", f"member:{member_id}", "", None)
    return app.handle(Inbound(actor, "button", action=action, value=value))
