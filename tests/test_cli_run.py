"""What `copbot run` decides to serve: an email-only community needs no chat token (its
set-up is the [email] section), and a missing set-up is named for every platform."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from bot import cli, cli_service
from bot.config import parse_settings
from tests.conftest import community

EMAIL = {"smtp_host": "127.0.0.1", "from_address": "copbot@example.org"}
WEB = {"base_url": "http://127.0.0.1:8080"}
CARERS = {
    "name": "carers",
    "platform": "email",
    "timezone": "UTC",
    "conveners": ["cora@example.org"],
}


def served(monkeypatch: pytest.MonkeyPatch, settings: Any, platform: str | None = None) -> Any:
    """The platforms `copbot run` would serve (the serving itself is tested elsewhere)."""
    chosen: list[list[str]] = []
    monkeypatch.setattr(
        cli_service, "serve_platforms", lambda _s, _a, found: chosen.append(found) or 0
    )
    status = cli_service.run(settings, argparse.Namespace(platform=platform))
    return status, chosen[0] if chosen else None


def test_an_email_only_community_is_served_by_email_with_no_chat_token(monkeypatch) -> None:
    settings = parse_settings({"communities": [CARERS], "email": EMAIL, "web": WEB}, {})
    assert settings.platforms_with_tokens() == set()
    assert settings.platforms_ready() == {"email"}
    assert served(monkeypatch, settings) == (0, ["email"])
    assert served(monkeypatch, settings, "email") == (0, ["email"])


def test_a_chat_community_without_its_token_is_named_and_email_is_not(monkeypatch, capsys) -> None:
    settings = parse_settings(
        {"communities": [community(platform="slack", channel="C1")], "email": EMAIL, "web": WEB},
        {},
    )
    assert served(monkeypatch, settings) == (2, None)
    said = capsys.readouterr().err
    assert said.strip() == "copbot: communities on slack need SLACK_BOT_TOKEN in the environment."


def test_run_takes_platform_email() -> None:
    args = cli._parser().parse_args(["run", "--platform", "email"])
    assert args.platform == "email"
