"""Setting copbot up on Teams: the app package (`copbot teams manifest`, checked against
Microsoft's manifest schema, vendored in tests/data/teams) and `copbot doctor`."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import jsonschema
import pytest
import pytest_asyncio
from PIL import Image

from adapters.teams import TeamsAdapter
from adapters.teams.doctor import doctor
from bot.bootstrap import build_app
from bot.cli import main
from bot.config import parse_settings
from bot.features import FEATURES
from bot.router import Router
from tests.conftest import community
from tests.teams_fake import APP_ID, CHANNEL_ID, FakeTeams

SCHEMA = Path(__file__).parent / "data" / "teams" / "MicrosoftTeams.v1.19.schema.json"
ASYNC = pytest.mark.asyncio(loop_scope="module")


def schema_errors(document: dict) -> list[str]:
    # The schema says draft-04 but uses draft-06's `const` (manifestVersion): Draft 7 checks it.
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]


def test_the_app_package_validates_against_the_teams_manifest_schema(tmp_path, capsys):
    out = tmp_path / "copbot-teams.zip"
    status = main(
        [
            "teams",
            "manifest",
            "--app-id",
            APP_ID,
            "--website",
            "https://copbot.example.org",
            "--output",
            str(out),
        ]
    )
    assert status == 0 and "wrote" in capsys.readouterr().out
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        document = json.loads(archive.read("manifest.json"))
        colour = Image.open(io.BytesIO(archive.read("color.png")))
        outline = Image.open(io.BytesIO(archive.read("outline.png")))
    assert schema_errors(document) == []
    assert colour.size == (192, 192) and outline.size == (32, 32)
    assert outline.mode == "RGBA" and outline.getpixel((0, 0))[3] == 0  # transparent
    [bot] = document["bots"]
    assert bot["botId"] == APP_ID and sorted(bot["scopes"]) == ["personal", "team"]
    verbs = set(Router(FEATURES).verbs) | {"help"}
    for listed in bot["commandLists"]:
        titles = [c["title"] for c in listed["commands"]]
        assert titles[0] == "help" and set(titles) <= verbs and len(titles) == 10


def test_a_bad_app_id_or_address_is_refused_in_one_line(tmp_path, capsys):
    out = tmp_path / "copbot-teams.zip"
    assert (
        main(
            [
                "teams",
                "manifest",
                "--app-id",
                "not-a-guid",
                "--website",
                "https://copbot.example.org",
                "--output",
                str(out),
            ]
        )
        == 2
    )
    assert "should be a GUID" in capsys.readouterr().err
    assert (
        main(
            [
                "teams",
                "manifest",
                "--app-id",
                APP_ID,
                "--website",
                "http://copbot.example.org",
                "--output",
                str(out),
            ]
        )
        == 2
    )
    assert "must be a web address starting with https://" in capsys.readouterr().err
    assert not out.exists()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fake():
    server = FakeTeams()
    await server.start()
    yield server
    await server.close()


def settings_for(fake: FakeTeams, **env: str):
    raw = {"communities": [community(platform="teams", channel=CHANNEL_ID)]}
    return parse_settings(raw, fake.environment() | env)


@ASYNC
async def test_doctor_passes_when_the_credentials_keys_and_endpoint_work(fake, sqlite_engine):
    config = settings_for(fake)
    adapter = TeamsAdapter(config, http_port=0, http_host="127.0.0.1")
    app = build_app(config, {"teams": adapter.platform}, engine=sqlite_engine)
    await adapter.start(app)
    try:
        endpoint = f"http://127.0.0.1:{adapter.http_port}/api/messages"
        lines: list[str] = []
        assert await doctor(settings_for(fake, TEAMS_ENDPOINT=endpoint), write=lines.append) == 0
    finally:
        await adapter.stop()
        app.close()
    assert all(line.startswith(("Teams", "  ok")) for line in lines), lines
    assert any("copbot answers at" in line for line in lines)


@ASYNC
async def test_doctor_says_precisely_what_is_missing(fake):
    lines: list[str] = []
    wrong = settings_for(fake, TEAMS_APP_PASSWORD="an-expired-secret")
    assert await doctor(wrong, write=lines.append) == 1
    assert any("refused copbot a token" in line and "TEAMS_APP_PASSWORD" in line for line in lines)
    assert any("TEAMS_ENDPOINT is not set" in line for line in lines)

    lines.clear()
    nowhere = settings_for(fake, TEAMS_ENDPOINT="http://127.0.0.1:9/api/messages")
    assert await doctor(nowhere, write=lines.append) == 1
    assert any("nothing answers at http://127.0.0.1:9/api/messages" in line for line in lines)

    lines.clear()
    raw = {"communities": [community(platform="teams", channel=CHANNEL_ID)]}
    assert await doctor(parse_settings(raw, {}), write=lines.append) == 1
    assert any("TEAMS_APP_ID and TEAMS_APP_PASSWORD" in line for line in lines)
