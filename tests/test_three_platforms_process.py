"""One `copbot run` process serves a Slack, a Discord and a Teams community together.

Each platform is a loopback fake; Teams' requests are signed with keys the test made. A
convener opens a check-in on each platform: each post lands in its own community's channel
and nowhere else. Slack over HTTP and Teams each listen on a port of their own.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest

from adapters.registry import AdapterUnavailable
from adapters.teams import teams_port
from bot.config import parse_settings
from tests.conftest import community
from tests.copbot_process import CONFIG, CORA, copbot_run
from tests.discord_fake import CHANNEL_ID as DISCORD_CHANNEL
from tests.discord_fake import FakeDiscord
from tests.slack_fake import CHANNEL as SLACK_CHANNEL
from tests.slack_fake import PEOPLE, FakeSlack
from tests.teams_fake import CHANNEL_ID as TEAMS_CHANNEL
from tests.teams_fake import FakeTeams, person

TEAMS_CORA = person("cora", "Cora")
TEAMS_PORT = re.compile(r"Teams endpoint: POST /api/messages on port (\d+)")
THREE = (
    CONFIG
    + f"""
[[communities]]
name = "falls-prevention"
platform = "teams"
channel = "{TEAMS_CHANNEL}"
timezone = "Europe/London"
conveners = ["{TEAMS_CORA["id"]}"]
checkin = {{ schedule = "off", open_for = "5 days", remind_after = "3 days" }}
welcome = {{ enabled = false }}
"""
)


async def _posted(posts, what: str, seconds: float = 20.0) -> list:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [p for p in posts() if what in str(p)]
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"nothing with {what!r} arrived")


async def test_one_process_serves_slack_discord_and_teams_communities(tmp_path: Path):
    slack = FakeSlack(users=dict(PEOPLE))
    slack.add_channel(SLACK_CHANNEL, "wound-care")
    discord, teams = FakeDiscord(), FakeTeams()
    await slack.start()
    await discord.start()
    await teams.start()
    try:
        async with copbot_run(
            f"sqlite:///{tmp_path / 'copbot.db'}",
            tmp_path,
            ["--teams-port", "0"],
            settings=THREE,
            fakes=(slack, discord),
            extra_env=teams.environment(),
            ready=("slack", "discord", "teams"),
        ) as copbot:
            [port] = [m[1] for line in copbot.log if (m := TEAMS_PORT.search(line))]
            assert int(port) != copbot.port  # Slack's HTTP port is its own
            teams.bot_url = f"http://127.0.0.1:{port}/api/messages"

            status, _ = await teams.send(teams.typed(TEAMS_CORA, "checkin open"))
            assert status in (200, 202)
            await copbot.side.command("UCORA", "checkin open", SLACK_CHANNEL)
            await discord.slash(CORA, "checkin open")

            await _posted(teams.channel_posts, "check-in")
            await _posted(lambda: slack.channel_posts(SLACK_CHANNEL), "check-in")
            await _posted(lambda: discord.posts_to(DISCORD_CHANNEL), "check-in")
            await asyncio.sleep(0.5)
            # Nothing crossed over: one check-in post on each platform.
            assert len([p for p in teams.channel_posts() if "check-in" in str(p)]) == 1
            assert len([p for p in slack.channel_posts() if "check-in" in str(p)]) == 1
            assert len([p for p in discord.posts_to(DISCORD_CHANNEL) if "check-in" in str(p)]) == 1
        assert copbot.process.returncode == 0, "\n".join(copbot.log)
    finally:
        await teams.close()
        await discord.close()
        await slack.stop()


def _settings(*platforms: str, app_token: str | None = None):
    raw = {
        "communities": [
            community(name=f"c-{p}", platform=p, channel=f"C{p}", conveners=[]) for p in platforms
        ]
    }
    env = {"TEAMS_APP_ID": "a", "TEAMS_APP_PASSWORD": "b", "SLACK_BOT_TOKEN": "xoxb-1"}
    if app_token:
        env["SLACK_APP_TOKEN"] = app_token
    return parse_settings(raw, env)


@pytest.mark.parametrize(
    ("platforms", "args", "app_token", "port"),
    [
        (("teams",), {"http_port": 8080}, None, 8080),  # Teams alone: --http-port is its
        (("teams", "slack"), {"http_port": 8080}, None, 3978),  # Slack has 8080
        (("teams", "slack"), {}, "xapp-1", 3978),  # Slack on Socket Mode, no --http-port
        (("teams", "slack"), {"http_port": 8080, "teams_port": 8081}, None, 8081),
        (("teams", "slack"), {"http_port": 8080, "platform": "teams"}, None, 8080),
    ],
)
def test_teams_takes_a_port_slack_is_not_using(platforms, args, app_token, port):
    from argparse import Namespace

    assert teams_port(_settings(*platforms, app_token=app_token), Namespace(**args)) == port


def test_one_port_for_slack_and_teams_is_refused_with_the_way_out():
    from argparse import Namespace

    with pytest.raises(AdapterUnavailable, match="--teams-port"):
        teams_port(_settings("teams", "slack"), Namespace(http_port=8080, teams_port=8080))
