"""Shared fixtures. Storage and flow tests run on real SQLite and real PostgreSQL.

PostgreSQL: COPBOT_TEST_POSTGRES_URL (default postgres@127.0.0.1:5432/test). Under CI
(CI=true) an unreachable server fails the run; locally its tests are skipped, loudly.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import bot.storage.schema  # noqa: F401  (every table, for the resets)
from bot.bootstrap import App, build_app
from bot.clock import ManualClock
from bot.commands import Actor, Inbound
from bot.config import Settings, parse_settings
from bot.messages import Response
from bot.storage.database import make_engine, upgrade
from tests.fakes import FakePlatform

POSTGRES_URL = os.environ.get(
    "COPBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_skipped_postgres: list[str] = []
_no_browser: list[str] = []

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday

# Child processes (`copbot run`, `python -m bot`) import this checkout's code, not whichever
# checkout the virtual environment was installed from.
_CHECKOUT = str(Path(__file__).resolve().parent.parent)
os.environ["PYTHONPATH"] = os.pathsep.join(
    [_CHECKOUT, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
)


@pytest.fixture(autouse=True)
def _key_file_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generated secret key file goes to a per-test folder, never the real ~/.config."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))


def _postgres_reachable() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as error:
        return f"{type(error).__name__}: {str(error).splitlines()[0]}"


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    problem = _postgres_reachable()
    if problem:
        where = make_url(POSTGRES_URL).render_as_string()
        message = f"PostgreSQL at {where} unreachable: {problem}"
        if IN_CI:
            pytest.fail(message + " (CI requires it)", pytrace=False)
        pytest.skip(message)
    return POSTGRES_URL


@pytest.fixture(scope="session")
def postgres_engine(postgres_admin_url: str, worker_id: str) -> Iterator[Engine]:
    """A database of this test worker's own, migrated once."""
    name = f"copbot_test_{os.getpid()}_{worker_id}".replace("-", "_")
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate(engine: Engine) -> None:
    """Empty every table and restart its ids. DELETE plus a sequence reset is ~20x faster
    than TRUNCATE for tables this small."""
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(text(f'DELETE FROM "{table.name}"'))
        sequences = connection.execute(
            text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
        ).scalars()
        for sequence in sequences:
            connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART WITH 1'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Engine]:
    """A migrated, empty database: a SQLite file, or this worker's PostgreSQL database."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'copbot.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()
    else:
        engine = request.getfixturevalue("postgres_engine")
        _truncate(engine)
        yield engine


@pytest.fixture
def sqlite_engine(tmp_path: Any) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'copbot.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def community(**overrides: Any) -> dict[str, Any]:
    """A community's settings as they would appear in the TOML file."""
    base: dict[str, Any] = {
        "name": "wound-care",
        "platform": "console",
        "channel": "wound-care",
        "timezone": "Europe/London",
        "conveners": ["cora"],
        "keepers": ["kit"],
        "checkin": {"schedule": "off", "open_for": "5 days", "remind_after": "3 days"},
        "welcome": {"enabled": False},  # tests/test_welcome.py turns the welcome DM on
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return base


def make_settings(*communities: dict[str, Any], **top: Any) -> Settings:
    return parse_settings({"communities": list(communities or (community(),)), **top})


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def platform() -> FakePlatform:
    return FakePlatform()


@pytest.fixture
def make_app(
    engine: Engine, clock: ManualClock, platform: FakePlatform
) -> Iterator[Callable[..., App]]:
    """Build an App on the test database (call again to simulate a restart)."""
    apps: list[App] = []

    def build(settings: Settings | None = None, **kwargs: Any) -> App:
        app = build_app(
            settings or make_settings(),
            {"console": platform},
            clock=kwargs.pop("clock", clock),
            engine=engine,
            **kwargs,
        )
        apps.append(app)
        return app

    yield build


class Person:
    """Someone typing into a community's channel."""

    def __init__(self, app: App, name: str, channel: str = "wound-care") -> None:
        self.app = app
        self.actor = Actor("console", name.lower(), name, channel)

    def cop(self, text: str) -> Response:
        return self.app.handle(Inbound(self.actor, "text", text=f"/cop {text}"))

    def says(self, text: str) -> str:
        """The text of the private answer to `/cop text`."""
        response = self.cop(text)
        assert response.message is not None, response
        return response.message.as_text()

    def press(self, action: str, value: str = "") -> Response:
        return self.app.handle(Inbound(self.actor, "button", action=action, value=value))

    def submit(self, form_id: str, metadata: str, **values: str) -> Response:
        return self.app.handle(
            Inbound(
                self.actor,
                "form",
                form_id=form_id,
                metadata=metadata,
                values=tuple(values.items()),
            )
        )


@pytest.fixture
def person() -> Callable[[App, str], Person]:
    return Person


def pytest_sessionstart(session: pytest.Session) -> None:
    """Check PostgreSQL once, in the controlling process, so the warning is seen."""
    if not hasattr(session.config, "workerinput"):
        problem = _postgres_reachable()
        if problem:
            _skipped_postgres.append(problem)
        from tests.browser_helpers import CHROMIUM, chromium

        if chromium() is None:
            _no_browser.append(CHROMIUM)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _no_browser:
        terminalreporter.section("BROWSER TESTS SKIPPED", sep="!", red=True, bold=True)
        terminalreporter.line(f"no chromium at {_no_browser[0]}", red=True, bold=True)
        terminalreporter.line(
            "Install it (apt-get install -y chromium) to run them; CI fails without it.",
            red=True,
        )
    if _skipped_postgres:
        terminalreporter.section("POSTGRESQL TESTS SKIPPED", sep="!", red=True, bold=True)
        terminalreporter.line(f"unreachable: {_skipped_postgres[0]}", red=True, bold=True)
        terminalreporter.line(
            "Start PostgreSQL (or set COPBOT_TEST_POSTGRES_URL) to run them; CI fails without it.",
            red=True,
        )
