"""Slack and Discord are optional extras: the console and the core import neither, and a
configured platform whose extra is missing gets one plain line, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs `copbot …` with slack_bolt, slack_sdk and discord impossible to import.
WITHOUT_PLATFORMS = """
import sys

BLOCKED = {"slack_bolt", "slack_sdk", "discord"}


class Uninstalled:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, Uninstalled())
import adapters.console.main, adapters.health, adapters.runtime, adapters.web, bot.cli

code = bot.cli.main(sys.argv[1:])
leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
print("leaked:", leaked, file=sys.stderr)
sys.exit(code)
"""


def _copbot(tmp_path: Path, *args: str, stdin: str = "", **env: str):
    script = tmp_path / "without_platforms.py"
    script.write_text(WITHOUT_PLATFORMS, encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    return subprocess.run(
        [sys.executable, str(script), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**clean, "COPBOT_SECRET_KEY": "a long random test key, not used anywhere else", **env},
    )


def _config(tmp_path: Path, platform: str, channel: str) -> str:
    config = tmp_path / f"{platform}.toml"
    config.write_text(
        f'database_url = "sqlite:///{tmp_path / "copbot.db"}"\n'
        f'[[communities]]\nname = "wound-care"\nplatform = "{platform}"\n'
        f'channel = "{channel}"\ntimezone = "Europe/London"\n',
        encoding="utf-8",
    )
    return str(config)


def test_the_console_workspace_runs_without_slack_or_discord_installed(tmp_path):
    config = _config(tmp_path, "console", "wound-care")
    done = _copbot(tmp_path, "--config", config, "run", stdin="/cop help\n/cop checkin open\n")
    assert done.returncode == 0, done.stderr
    assert "console workspace" in done.stdout
    assert "/cop checkin" in done.stdout  # the help answered
    assert "leaked: []" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_platform_without_its_extra_gets_one_plain_line(tmp_path):
    slack = _config(tmp_path, "slack", "C0123ABCD")
    done = _copbot(
        tmp_path, "--config", slack, "run", SLACK_BOT_TOKEN="xoxb-x", SLACK_APP_TOKEN="xapp-x"
    )
    assert done.returncode == 2
    assert "copbot: Slack support is not installed: pip install 'copbot[slack]'" in done.stderr
    assert "Traceback" not in done.stderr
    discord = _config(tmp_path, "discord", "1100000000000000001")
    done = _copbot(tmp_path, "--config", discord, "run", DISCORD_BOT_TOKEN="x")
    assert done.returncode == 2
    assert "Discord support is not installed: pip install 'copbot[discord]'" in done.stderr
    manifest = _copbot(tmp_path, "slack", "manifest")
    assert manifest.returncode == 2
    assert "Slack support is not installed" in manifest.stderr
    assert "Traceback" not in manifest.stderr


def test_the_extras_are_declared_and_dev_keeps_both():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    needed = " ".join(project["dependencies"]).lower()
    assert "slack" not in needed and "discord" not in needed
    extras = project["optional-dependencies"]
    assert any(d.startswith("slack-bolt") for d in extras["slack"])
    assert any(d.startswith("slack-sdk") for d in extras["slack"])
    assert any(d.startswith("discord.py") for d in extras["discord"])
    assert "copbot[slack,discord]" in extras["all"]
    assert "copbot[slack,discord]" in extras["dev"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install 'copbot[slack]'" in readme and "pip install 'copbot[all]'" in readme
    assert "'.[dev]'" in (ROOT / "Makefile").read_text(encoding="utf-8")
