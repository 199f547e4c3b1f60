"""The settings file as whoever runs copbot meets it: the example loads, a mistake stops
start-up with one line naming the field and the reason, secrets stay in the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest

from bot import cli
from bot.config import ConfigError, load_settings, reveal

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"
COPBOT = Path(sys.executable).parent / "copbot"

COMMUNITY = """
[[communities]]
name = "wound-care"
channel = "wound-care"
timezone = "Europe/London"
"""

TIMEZONE_TYPO = (
    "communities[0].timezone: 'Europe/Londn' is not a known timezone (try e.g. 'Europe/London')"
)


def write(tmp_path: Path, text: str, name: str = "copbot.toml") -> Path:
    path = tmp_path / name
    path.write_text(dedent(text), encoding="utf-8")
    return path


def refusal(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text), env or {})
    return str(caught.value)


# Each case: a whole settings file, and the line that must explain what is wrong with it.
CASES = [
    pytest.param(COMMUNITY.replace("Europe/London", "Europe/Londn"), TIMEZONE_TYPO, id="timezone"),
    pytest.param(
        'databse_url = "sqlite:///x.db"\n' + COMMUNITY,
        "databse_url: is not a setting copbot knows (check the spelling)",
        id="unknown-top-level-key",
    ),
    pytest.param(
        COMMUNITY + 'chanel = "general"\n',
        "communities[0].chanel: is not a setting copbot knows (check the spelling)",
        id="unknown-community-key",
    ),
    pytest.param(
        COMMUNITY + '[communities.checkin]\nremind_afer = "2 days"\n',
        "communities[0].checkin.remind_afer: is not a setting copbot knows (check the spelling)",
        id="unknown-nested-key",
    ),
    pytest.param(
        COMMUNITY.replace('name = "wound-care"', 'name = "Wound Care"'),
        "communities[0].name: 'Wound Care' should be lower-case letters, digits and dashes "
        "(e.g. 'wound-care')",
        id="community-name",
    ),
    pytest.param(
        COMMUNITY + COMMUNITY.replace('channel = "wound-care"', 'channel = "other"'),
        "config: community names must be unique; repeated: wound-care",
        id="duplicate-names",
    ),
    pytest.param(
        COMMUNITY + COMMUNITY.replace('name = "wound-care"', 'name = "other"'),
        "config: two communities are bound to the same channel",
        id="duplicate-channels",
    ),
    pytest.param(
        COMMUNITY + '[communities.checkin]\nopen_for = "fortnightish"\n',
        "communities[0].checkin.open_for: I couldn't read 'fortnightish' as a length of time. "
        "Try '3 days', '2 weeks', '36 hours' or '90 minutes'.",
        id="duration",
    ),
    pytest.param(
        COMMUNITY + '[communities.checkin]\nschedule = "whenever"\n',
        "communities[0].checkin.schedule: I couldn't read 'whenever' as a schedule. "
        "Try 'every monday 09:30' or '2 days after each meeting at 10:00'.",
        id="schedule",
    ),
    pytest.param(
        COMMUNITY + 'quiet_hours = "25:00-07:00"\n',
        "communities[0].quiet_hours: I couldn't read the time in '25:00-07:00': hours only go "
        "up to 23. Try '09:30', '9:30am' or '2pm'.",
        id="quiet-hours",
    ),
    pytest.param(
        COMMUNITY + '[communities.meetings]\ndates = ["2026-02-31 14:00"]\n',
        "communities[0].meetings.dates: '2026-02-31 14:00' is not a date and time like "
        "'2026-12-03 14:00'",
        id="meeting-date",
    ),
    pytest.param(
        COMMUNITY + '[communities.meetings]\nfirst = "2026-12-03 14:00"\n',
        "communities[0].meetings: give both 'first' and 'every' for recurring meetings, or neither",
        id="meeting-first-without-every",
    ),
    pytest.param(
        COMMUNITY + '[communities.checkin]\nopen_for = "3 days"\nremind_after = "3 days"\n',
        "communities[0].checkin: remind_after (3 days) must be shorter than open_for (3 days)",
        id="remind-equals-open",
    ),
    pytest.param(
        COMMUNITY + '[communities.checkin]\nopen_for = "2 days"\nremind_after = "1 week"\n',
        "communities[0].checkin: remind_after (1 week) must be shorter than open_for (2 days)",
        id="remind-after-close",
    ),
    pytest.param(
        COMMUNITY.replace('channel = "wound-care"', 'channel = "wound-care"\nplatform = "matrix"'),
        "communities[0].platform: Input should be "
        "'console', 'slack', 'discord', 'teams' or 'email'",
        id="platform",
    ),
    pytest.param(
        "[outbox]\nmax_attempts = 0\n" + COMMUNITY,
        "outbox.max_attempts: Input should be greater than or equal to 1",
        id="max-attempts",
    ),
    pytest.param(
        '[outbox]\nfirst_retry = "soon"\n' + COMMUNITY,
        "outbox.first_retry: I couldn't read 'soon' as a length of time. "
        "Try '3 days', '2 weeks', '36 hours' or '90 minutes'.",
        id="first-retry",
    ),
    pytest.param(
        'log_level = "LOUD"\n' + COMMUNITY,
        "log_level: Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'",
        id="log-level",
    ),
]


# ---- the example -----------------------------------------------------------------------


def test_the_example_file_loads():
    settings = load_settings(EXAMPLE, {})
    [wound_care] = settings.communities
    assert wound_care.name == "wound-care"
    assert wound_care.timezone == "Europe/London"
    assert wound_care.conveners == ("sam",)
    assert wound_care.checkin.schedule == "7 days after each meeting at 10:00"
    assert wound_care.meetings.every == "4 weeks"
    assert settings.outbox.max_attempts == 5
    assert settings.database_url == "sqlite:///copbot.db"
    assert settings.secret_key is None
    assert settings.platforms_with_tokens() == set()


# ---- one line, naming the field --------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_a_bad_setting_stops_with_one_line_naming_it(tmp_path, text, expected):
    assert refusal(tmp_path, text) == expected


def test_two_mistakes_are_both_reported_one_per_line(tmp_path):
    text = 'log_level = "LOUD"\n[outbox]\nmax_attempts = 0\n' + COMMUNITY
    assert refusal(tmp_path, text).splitlines() == [
        "log_level: Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'",
        "outbox.max_attempts: Input should be greater than or equal to 1",
    ]


@pytest.mark.parametrize("text", ["", "communities = []\n"], ids=["no-communities", "empty-list"])
def test_a_file_without_communities_is_refused(tmp_path, text):
    assert refusal(tmp_path, text) == "communities: add at least one [[communities]] block"


def test_a_toml_syntax_error_names_the_file_and_the_line(tmp_path):
    path = write(tmp_path, '[[communities]\nname = "wound-care"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {})
    message = str(caught.value)
    assert message.startswith(f"{path}: not valid TOML (")
    assert "line 1" in message
    assert "\n" not in message


def test_a_missing_file_is_named(tmp_path):
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError) as caught:
        load_settings(missing, {})
    assert str(caught.value) == f"{missing}: file not found"


def test_an_absurdly_long_timezone_is_named_not_a_crash(tmp_path):
    text = COMMUNITY.replace("Europe/London", "z" * 300)
    first = refusal(tmp_path, text).splitlines()[0]
    assert first.startswith("communities[0].timezone: ")
    assert "is not a known timezone" in first


# ---- secrets ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "variable"),
    [
        ("secret_key", "COPBOT_SECRET_KEY"),
        ("slack_bot_token", "SLACK_BOT_TOKEN"),
        ("slack_app_token", "SLACK_APP_TOKEN"),
        ("slack_signing_secret", "SLACK_SIGNING_SECRET"),
        ("discord_bot_token", "DISCORD_BOT_TOKEN"),
    ],
)
def test_a_secret_in_the_file_is_refused_pointing_at_the_environment(tmp_path, field, variable):
    text = f'{field} = "s3cr3t-value"\n' + COMMUNITY
    message = refusal(tmp_path, text, env={variable: "from-the-environment"})
    assert message == f"{field}: secrets belong in the environment ({variable}), not the file"
    assert "s3cr3t-value" not in message


def test_a_database_password_in_the_file_is_refused(tmp_path):
    text = 'database_url = "postgresql://copbot:hunter2@db.example.org/copbot"\n' + COMMUNITY
    message = refusal(tmp_path, text)
    assert message == (
        "database_url: a password belongs in the environment (COPBOT_DATABASE_URL), not the file"
    )
    assert "hunter2" not in message


def test_a_database_url_without_a_password_may_stay_in_the_file(tmp_path):
    text = 'database_url = "postgresql://copbot@db.example.org/copbot"\n' + COMMUNITY
    settings = load_settings(write(tmp_path, text), {})
    assert settings.database_url == "postgresql://copbot@db.example.org/copbot"


# ---- the environment -------------------------------------------------------------------


def test_the_environment_overrides_the_file():
    env = {
        "COPBOT_DATABASE_URL": "postgresql://copbot@db.example.org/copbot",
        "COPBOT_LOG_LEVEL": "DEBUG",
        "COPBOT_SECRET_KEY": "a-long-random-string",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_APP_TOKEN": "xapp-test",
        "SLACK_SIGNING_SECRET": "signing",
        "DISCORD_BOT_TOKEN": "discord-test",
    }
    settings = load_settings(EXAMPLE, env)
    assert settings.database_url == "postgresql://copbot@db.example.org/copbot"
    assert settings.log_level == "DEBUG"
    assert reveal(settings.secret_key) == "a-long-random-string"
    assert reveal(settings.slack_app_token) == "xapp-test"
    assert reveal(settings.slack_signing_secret) == "signing"
    assert settings.platforms_with_tokens() == {"slack", "discord"}


def test_settings_never_show_a_token_or_password_when_printed():
    env = {
        "COPBOT_DATABASE_URL": "postgresql://copbot:hunter2@db.example.org/copbot",
        "COPBOT_SECRET_KEY": "a-long-random-string",
        "SLACK_BOT_TOKEN": "xoxb-test-123",
        "SLACK_APP_TOKEN": "xapp-test-456",
        "SLACK_SIGNING_SECRET": "signing-789",
        "DISCORD_BOT_TOKEN": "discord-test-000",
    }
    settings = load_settings(EXAMPLE, env)
    shown = repr(settings) + str(settings) + f"{settings!r}"
    for secret in env.values():
        assert secret not in shown
    assert "hunter2" not in shown
    assert reveal(settings.slack_bot_token) == "xoxb-test-123"  # still there when needed


def test_an_empty_environment_variable_leaves_the_file_value():
    settings = load_settings(EXAMPLE, {"COPBOT_DATABASE_URL": "", "COPBOT_LOG_LEVEL": ""})
    assert settings.database_url == "sqlite:///copbot.db"
    assert settings.log_level == "WARNING"


def test_a_bad_value_in_the_environment_is_refused_naming_the_setting():
    with pytest.raises(ConfigError) as caught:
        load_settings(EXAMPLE, {"COPBOT_LOG_LEVEL": "CHATTY"})
    assert str(caught.value).startswith("log_level: ")


# ---- the real command ------------------------------------------------------------------


def _clean_environment() -> dict[str, str]:
    prefixes = ("COPBOT_", "SLACK_", "DISCORD_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def copbot(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(COPBOT), *args],
        cwd=cwd,
        env=_clean_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("command", ["check-config", "run"])
def test_the_command_stops_on_a_bad_file_with_one_line(tmp_path, command):
    bad = write(tmp_path, COMMUNITY.replace("Europe/London", "Europe/Londn"))
    done = copbot("--config", str(bad), command, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == f"copbot: {bad}: {TIMEZONE_TYPO}\n"
    assert done.stdout == ""
    assert not (tmp_path / "copbot.db").exists(), "touched the database despite a bad file"


def test_check_config_accepts_the_example(tmp_path):
    done = copbot("--config", str(EXAMPLE), "check-config", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "wound-care: console channel wound-care, Europe/London" in done.stdout
    assert done.stdout.rstrip().endswith("configuration is valid")
    assert done.stderr == ""


@pytest.fixture
def no_secrets_in_environment(monkeypatch):
    for name in list(os.environ):
        if name.startswith(("COPBOT_", "SLACK_", "DISCORD_")):
            monkeypatch.delenv(name)


def test_the_command_reports_two_mistakes_one_per_line(tmp_path, capsys, no_secrets_in_environment):
    bad = write(tmp_path, 'log_level = "LOUD"\n' + COMMUNITY.replace("London", "Londn"))
    assert cli.main(["--config", str(bad), "check-config"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"copbot: {bad}:",
        "log_level: Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'",
        TIMEZONE_TYPO,
    ]


@pytest.mark.parametrize("text", [None, "[[communities]\n"], ids=["missing", "not-toml"])
def test_the_command_names_a_missing_or_broken_file_once(
    tmp_path, capsys, no_secrets_in_environment, text
):
    path = tmp_path / "copbot.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    assert cli.main(["--config", str(path), "check-config"]) == 2
    err = capsys.readouterr().err
    assert err.count(str(path)) == 1, err
    assert len(err.splitlines()) == 1


def test_run_refuses_a_slack_community_without_its_token(
    tmp_path, capsys, monkeypatch, no_secrets_in_environment
):
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, COMMUNITY + 'platform = "slack"\n')
    assert cli.main(["--config", str(path), "run"]) == 2
    assert "SLACK_BOT_TOKEN" in capsys.readouterr().err
    assert not (tmp_path / "copbot.db").exists()
