"""Setting copbot up on Slack: the manifest, `copbot doctor`, choosing Socket Mode or HTTP."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
import yaml

from adapters.registry import AdapterUnavailable
from adapters.slack import doctor, make_adapter, manifest
from adapters.slack.manifest import SCOPES
from bot import cli
from bot.config import parse_settings
from tests.conftest import community
from tests.slack_fake import CHANNEL, FakeSlack, slack_settings


def test_the_manifest_for_socket_mode_needs_no_url(capsys):
    assert cli.main(["slack", "manifest"]) == 0  # needs no settings file
    data = yaml.safe_load(capsys.readouterr().out)
    assert data == manifest()
    assert data["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in data["settings"]["interactivity"]
    [command] = data["features"]["slash_commands"]
    assert command["command"] == "/cop" and command["should_escape"] is True
    assert set(data["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "reaction_added",
        "member_joined_channel",
    }
    assert data["oauth_config"]["scopes"]["bot"] == list(SCOPES)
    assert "files:write" in SCOPES  # files_upload_v2: mydata, exports, the digest's chart
    assert data["features"]["app_home"]["home_tab_enabled"] is True


def test_the_manifest_for_http_points_every_request_at_one_url(capsys):
    cli.main(["slack", "manifest", "--http-url", "https://copbot.example.org/"])
    data = yaml.safe_load(capsys.readouterr().out)
    url = "https://copbot.example.org/slack/events"
    assert data["settings"]["socket_mode_enabled"] is False
    assert data["settings"]["event_subscriptions"]["request_url"] == url
    assert data["settings"]["interactivity"]["request_url"] == url
    assert data["features"]["slash_commands"][0]["url"] == url


def _namespace(**values):
    return argparse.Namespace(**{"http_port": None, **values})


def test_socket_mode_when_there_is_an_app_token_else_http():
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    raw = {"communities": [community(platform="slack", channel=CHANNEL)]}
    with_app_token = parse_settings(raw, {**env, "SLACK_APP_TOKEN": "xapp-1"})
    assert make_adapter(with_app_token, _namespace()).mode == "socket"
    forced = make_adapter(with_app_token, _namespace(http_port=8080))
    assert (forced.mode, forced.http_port) == ("http", 8080)
    plain = make_adapter(parse_settings(raw, env), _namespace())
    assert (plain.mode, plain.http_port) == ("http", 3000)
    with pytest.raises(AdapterUnavailable, match="SLACK_SIGNING_SECRET"):
        make_adapter(parse_settings(raw, {"SLACK_BOT_TOKEN": "xoxb-1"}), _namespace())
    with pytest.raises(AdapterUnavailable, match="SLACK_BOT_TOKEN"):
        make_adapter(parse_settings(raw, {}), _namespace())


def test_slack_api_url_comes_from_the_environment():
    raw = {"communities": [community(platform="slack", channel=CHANNEL)]}
    settings = parse_settings(raw, {"SLACK_API_URL": "http://127.0.0.1:9/api"})
    assert settings.slack_api_url == "http://127.0.0.1:9/api"


def test_run_refuses_a_platform_no_community_uses(tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text('[[communities]]\nname = "a"\nchannel = "a"\n')
    assert cli.main(["--config", str(config), "run", "--platform", "slack"]) == 2
    assert "no community in the settings is on slack" in capsys.readouterr().err


async def test_doctor_says_precisely_what_is_missing():
    fake = FakeSlack(scopes="commands,chat:write,users:read")
    fake.add_channel(CHANNEL, "wound-care", member=False)
    await fake.start()
    try:
        env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_API_URL": fake.api_url}
        raw = {
            "communities": [
                community(platform="slack", channel=CHANNEL),
                community(name="gone", platform="slack", channel="C0MISSING"),
            ]
        }
        lines: list[str] = []
        status = await doctor(parse_settings(raw, env), write=lines.append)
        report = "\n".join(lines)
        assert status == 1
        assert "bot token works: workspace Fake NHS" in report
        for scope in ("im:write", "files:write", "reactions:read", "channels:read", "groups:read"):
            assert f"missing scope {scope}" in report
        assert "missing scope files:write (needed for sending files" in report
        assert "missing scope chat:write" not in report
        assert "SLACK_SIGNING_SECRET is not set" in report
        assert "wound-care: channel C0COP (#wound-care): copbot is not in this channel" in report
        assert "/invite @copbot" in report
        assert "gone: channel C0MISSING was not found" in report

        fake.scopes = ",".join(SCOPES)
        fake.channels[CHANNEL]["members"].add("UBOT")
        good = slack_settings(fake, app_token="xapp-1")
        lines.clear()
        assert await doctor(good, write=lines.append) == 0, lines
        assert "All good." in lines[-1]
        assert any("SLACK_APP_TOKEN works" in line for line in lines)

        bad = parse_settings(raw, {"SLACK_BOT_TOKEN": "nope", "SLACK_API_URL": fake.api_url})
        lines.clear()
        assert await doctor(bad, write=lines.append) == 1
        assert "the bot token was refused (invalid_auth)" in "\n".join(lines)
    finally:
        await fake.stop()


@pytest.mark.parametrize(
    "url",
    [
        "http://copbot.example.org",
        "copbot.example.org",
        "ftp://copbot.example.org",
        "https://",
        "https:///slack",
        "https://copbot example.org",
        "https://copbot.example.org:99999",
        "https://copbot.example.org/?x=1",
        "",
    ],
)
def test_the_manifest_refuses_a_url_slack_cannot_use_in_one_line(url, capsys):
    assert cli.main(["slack", "manifest", "--http-url", url]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("copbot: --http-url")


def test_the_readme_names_exactly_the_scopes_the_manifest_asks_for():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    start = readme.index("It asks for exactly what copbot uses")
    paragraph = readme[start : readme.index("2. **Install it", start)]
    named = set(re.findall(r"`([a-z]+:[a-z]+|commands)`", paragraph))
    assert named == set(SCOPES)
