"""The secret key behind anonymous contributions never sits in the database."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from bot.logs import SDK_LOGGERS
from bot.logs import configure as configure_logging
from bot.storage.database import make_engine, upgrade
from bot.storage.tables import AppSetting

ROOT = Path(__file__).resolve().parents[1]


def _env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DISCORD_", "COPBOT_", "XDG_"))
    }
    return env | {"HOME": str(home)}


def test_copbot_run_with_default_settings_keeps_the_key_out_of_the_database(tmp_path):
    config = tmp_path / "config.toml"
    example = (ROOT / "config.example.toml").read_text()
    database = tmp_path / "c.db"
    config.write_text(
        example.replace(
            'database_url = "sqlite:///copbot.db"', f'database_url = "sqlite:///{database}"'
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--config", str(config)],
        input="/as Sam\n/cop checkin open\n/as Ana\n/cop reply challenge anonymously Hard week\n"
        "/quit\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path),
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    key_file = tmp_path / ".config" / "copbot" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert len(key) == 64
    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT key, value FROM app_setting")).all()
    engine.dispose()
    assert [k for k, _ in stored if k == "secret_key"] == []
    assert all(key not in value for _, value in stored)
    assert key.encode() not in database.read_bytes()


def test_a_key_left_in_the_database_is_never_used_and_is_reported_loudly(
    make_app, engine, caplog, tmp_path
):
    with Session(engine) as session:
        session.add(AppSetting(key="secret_key", value="k" * 64))
        session.commit()
    caplog.set_level(logging.WARNING)
    app = make_app()
    assert app.bus._secret != b"k" * 64
    assert any("SECRET KEY IS STORED IN THE DATABASE" in r.getMessage() for r in caplog.records)


def test_doctor_warns_when_the_key_sits_in_the_database(tmp_path):
    database = tmp_path / "c.db"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    with Session(engine) as session:
        session.add(AppSetting(key="secret_key", value="k" * 64))
        session.commit()
    engine.dispose()
    config = tmp_path / "config.toml"
    config.write_text(
        f'database_url = "sqlite:///{database}"\n[[communities]]\nname = "c"\n'
        'platform = "console"\nchannel = "c"\ntimezone = "Europe/London"\n'
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "doctor", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path),
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert "SECRET KEY IS STORED IN THE DATABASE" in result.stdout


def test_upgrading_deletes_an_old_key_and_seals_what_it_made(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0010")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO app_setting VALUES ('secret_key', :k)"), {"k": "a" * 64}
        )
        connection.execute(
            text(
                "INSERT INTO community (id, name, platform, channel_id, timezone, settings, "
                "created_at) VALUES (1, 'c', 'console', 'c', 'UTC', '{}', '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO checkin (id, community_id, question, opened_at, closes_at) "
                "VALUES (1, 1, 'q', '2026-01-01', '2026-01-05')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO checkin_reply (id, checkin_id, author_key, kind, text, anonymous) "
                "VALUES (1, 1, :k, 'challenge', 'words', 1)"
            ),
            {"k": "b" * 64},
        )
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM app_setting")).scalar() == 0
        key = connection.execute(text("SELECT author_key FROM checkin_reply")).scalar()
    assert key != "b" * 64 and len(key) == 64
    engine.dispose()


def test_sqlite_overwrites_what_is_deleted(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    engine.dispose()


def test_debug_logs_never_carry_the_platform_sdks_request_bodies():
    root = logging.getLogger().level
    configure_logging("DEBUG")
    try:
        assert logging.getLogger("bot.bus").isEnabledFor(logging.DEBUG)
        for name in ("slack_sdk.web.base_client", "slack_bolt.App", "discord.gateway"):
            assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name
            assert logging.getLogger(name).isEnabledFor(logging.INFO), name
    finally:
        logging.getLogger().setLevel(root)
        for name in SDK_LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)
