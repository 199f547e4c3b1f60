"""The operations kit: what an operator types first."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from bot import cli
from bot.storage.database import current_revision, downgrade, make_engine, upgrade


def test_copbot_version_and_python_dash_m_bot():
    expected = f"copbot {version('copbot')}"
    copbot = str(Path(sys.executable).with_name("copbot"))
    for command in ([copbot, "--version"], [sys.executable, "-m", "bot", "--version"]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == expected
    manifest = subprocess.run(
        [sys.executable, "-m", "bot", "slack", "manifest"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert manifest.returncode == 0 and "socket_mode_enabled: true" in manifest.stdout


@pytest.fixture
def fresh_database(request, tmp_path):
    """An empty database of its own (migrations go up and down in it)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"copbot_ops_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.parametrize("fresh_database", ["sqlite", "postgres"], indirect=True)
def test_migrations_go_down_past_0010_and_up_again(fresh_database):
    engine = make_engine(fresh_database)
    try:
        upgrade(engine)
        top = current_revision(engine)
        downgrade(engine, "0009")
        assert current_revision(engine) == "0009"
        columns = {c["name"] for c in inspect(engine).get_columns("member")}
        assert "last_active_at" in columns  # 0010's downgrade put it back
        upgrade(engine)
        assert current_revision(engine) == top
    finally:
        engine.dispose()


def test_db_current_downgrade_and_backup_from_the_command_line(tmp_path, capsys):
    database = tmp_path / "copbot.db"
    config = tmp_path / "config.toml"
    config.write_text(
        f'database_url = "sqlite:///{database}"\n'
        '[[communities]]\nname = "wound-care"\nplatform = "console"\nchannel = "cop"\n'
        'timezone = "Europe/London"\n',
        encoding="utf-8",
    )
    assert cli.main(["--config", str(config), "db", "current"]) == 0
    assert "never migrated" in capsys.readouterr().out
    assert cli.main(["--config", str(config), "db", "upgrade"]) == 0
    capsys.readouterr()
    engine = make_engine(f"sqlite:///{database}")
    top = current_revision(engine)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE note (words TEXT)"))
        connection.execute(text("INSERT INTO note VALUES ('kept in the backup')"))
    engine.dispose()
    assert cli.main(["--config", str(config), "db", "current"]) == 0
    assert top in capsys.readouterr().out
    copy = tmp_path / "backup.db"
    assert cli.main(["--config", str(config), "db", "backup", str(copy)]) == 0
    with sqlite3.connect(copy) as backup:
        assert backup.execute("SELECT words FROM note").fetchall() == [("kept in the backup",)]
    assert cli.main(["--config", str(config), "db", "downgrade", "0009"]) == 0
    capsys.readouterr()
    assert cli.main(["--config", str(config), "db", "current"]) == 0
    assert "0009" in capsys.readouterr().out
    assert cli.main(["--config", str(config), "db", "downgrade", "nonsense"]) == 2


def test_the_systemd_unit_and_dockerfile_run_copbot_and_restart_it_on_failure():
    root = Path(__file__).resolve().parent.parent
    unit = (root / "deploy" / "copbot.service").read_text(encoding="utf-8")
    assert "ExecStart=/opt/copbot/.venv/bin/copbot run --config /etc/copbot/config.toml" in unit
    assert "Restart=on-failure" in unit and "EnvironmentFile=" in unit
    dockerfile = (root / "Dockerfile").read_text(encoding="utf-8")
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (root / source).exists(), source
    assert 'ENTRYPOINT ["copbot"' in dockerfile and 'CMD ["run"]' in dockerfile
    assert "USER copbot" in dockerfile
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "deploy/copbot.service" in readme and "docker build" in readme
    assert "pg_dump" in readme


@pytest.mark.parametrize("fresh_database", ["postgres"], indirect=True)
def test_two_replicas_migrating_a_fresh_postgres_database_at_once_both_succeed(fresh_database):
    import threading

    start = threading.Barrier(3)
    failures: list[BaseException] = []

    def replica() -> None:
        engine = make_engine(fresh_database)
        try:
            start.wait()
            upgrade(engine)
        except BaseException as error:
            failures.append(error)
        finally:
            engine.dispose()

    replicas = [threading.Thread(target=replica) for _ in range(3)]
    for thread in replicas:
        thread.start()
    for thread in replicas:
        thread.join(120)
    assert failures == []
    engine = make_engine(fresh_database)
    try:
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version"))
            assert len(versions.all()) == 1  # one history
        assert current_revision(engine) == _head()
    finally:
        engine.dispose()


def _head() -> str:
    from alembic.script import ScriptDirectory

    from bot.storage.database import alembic_config

    engine = make_engine("sqlite://")
    try:
        return ScriptDirectory.from_config(alembic_config(engine)).get_current_head() or ""
    finally:
        engine.dispose()
