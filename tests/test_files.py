"""Files that arrive: a member's data (/cop mydata) and a keeper's export (/cop export) reach
them as files on Slack (files_upload_v2 against the loopback fake), on Discord (an attachment
on the message, through discord.py against its fake) and in the console (a file on disk)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlmodel import Session, select

from adapters.console.platform import ButtonBoard, ConsolePlatform, save_file
from adapters.console.workspace import ConsoleWorkspace
from adapters.discord.adapter import DiscordAdapter
from bot.bootstrap import build_app
from bot.clock import ManualClock
from bot.messages import Attachment, OutMessage
from bot.storage.tables import OutboxMessage
from tests.conftest import START, community, make_settings
from tests.discord_fake import CHANNEL_ID, FakeDiscord, user
from tests.slack_fake import slack_world
from tests.test_mydata import erase

pytestmark = pytest.mark.asyncio(loop_scope="module")

PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + bytes(range(256)) * 4


async def test_a_binary_attachment_survives_the_outbox_json():
    message = OutMessage(
        title="Chart", attachment=Attachment(filename="c.png", data=PNG, mime="image/png")
    )
    again = OutMessage.model_validate_json(message.model_dump_json(exclude_defaults=True))
    assert again.attachment is not None and again.attachment.body == PNG
    assert "Attached: c.png (1,032 bytes)" in again.as_text()


# ---- Slack -------------------------------------------------------------------------------


async def test_mydata_and_export_arrive_as_files_on_slack(engine, clock):
    async with slack_world(engine, clock) as world:
        fake = world.fake
        await world.cop("UANA", "pledge Try the new wound chart by 15 Jan")
        assert "privately" in await world.cop("UANA", "mydata")
        [mine] = [u for u in fake.uploads if u.channel == "DUANA"]
        assert mine.filename == "copbot-wound-care-my-data.json"
        document = json.loads(mine.data)
        assert document["member"] == "Ana"
        assert "Try the new wound chart" in mine.data.decode()

        assert "on its way" in await world.cop("UKIT", "export")
        [export] = [u for u in fake.uploads if u.channel == "DUKIT"]
        assert export.filename.startswith("copbot-wound-care-") and export.filename.endswith(
            ".json"
        )
        assert json.loads(export.data)["summary"]["contributions"] >= 1
        # The three steps of files_upload_v2, each once per file.
        assert fake.methods().count("files.getUploadURLExternal") == 2
        assert [c.method for c in fake.calls].count("upload") == 2
        assert fake.methods().count("files.completeUploadExternal") == 2
        assert fake.rejected == [] and fake.pings == []


async def test_without_files_write_the_file_waits_for_a_retry_not_a_second_message(engine, clock):
    async with slack_world(engine, clock) as world:
        world.fake.scopes = "commands,chat:write,im:write,users:read"
        await world.cop("UANA", "mydata")
        assert world.fake.uploads == []
        # The message arrived; the file could not, and the conveners can see why.
        assert any("Everything copbot holds" in p.plain for p in world.fake.dms("UANA"))
        assert "missing_scope" in await world.cop("UCORA", "undelivered")
        world.fake.scopes = "commands,chat:write,im:write,files:write,users:read"
        await world.cop("UCORA", "undelivered retry")
        await world.app.advance(clock.now() + timedelta(minutes=5))
        assert [u.channel for u in world.fake.uploads] == ["DUANA"]
        first = [p for p in world.fake.dms("UANA") if "Everything copbot holds" in p.plain]
        assert len(first) == 1  # the retry sent the file, not the message again


# ---- Discord -----------------------------------------------------------------------------

ANA = user(1100000000000000501, "Ana")
KIT = user(1100000000000000504, "Kit")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    with pytest.MonkeyPatch.context() as patch:
        server.install(patch)
        yield server
    await server.close()


async def test_mydata_and_export_arrive_as_files_on_discord(fake_discord, engine, clock):
    fake_discord.reset()
    settings = make_settings(
        community(platform="discord", channel=str(CHANNEL_ID), conveners=[], keepers=[KIT["id"]])
    )
    adapter = DiscordAdapter("fake-token")
    app = build_app(settings, {"discord": adapter.platform}, clock=clock, engine=engine)
    await adapter.start(app)
    try:
        await fake_discord.slash(ANA, "pledge", "Try the new wound chart by 15 Jan")
        await adapter.settled()
        await fake_discord.slash(ANA, "mydata")
        await adapter.settled()
        await fake_discord.slash(KIT, "export")
        await adapter.settled()
        await app.dispatcher.drain()
        [(name, data)] = [f for p in fake_discord.dms_to(int(ANA["id"])) for f in p.files]
        assert name == "copbot-wound-care-my-data.json"
        assert json.loads(data)["member"] == "Ana" and b"Try the new wound chart" in data
        [(export_name, export)] = [f for p in fake_discord.dms_to(int(KIT["id"])) for f in p.files]
        assert export_name.endswith(".json") and json.loads(export)["summary"]
        assert fake_discord.rejected == []
    finally:
        await adapter.stop()


# ---- console -----------------------------------------------------------------------------


async def test_mydata_and_export_are_saved_as_files_in_the_console(sqlite_engine, tmp_path):
    lines: list[str] = []
    clock = ManualClock(START)
    board = ButtonBoard()
    folder = tmp_path / "copbot-files"
    platform = ConsolePlatform(lines.append, clock, "Europe/London", board, files_dir=folder)
    app = build_app(make_settings(), {"console": platform}, clock=clock, engine=sqlite_engine)
    workspace = ConsoleWorkspace(app, platform, board, write=lines.append)
    await workspace.start()
    script = ["/as Ana", "/cop pledge Try the new wound chart by 15 Jan", "/cop mydata"]
    await workspace.run([*script, "/as Kit", "/cop export"])
    out = "\n".join(lines)
    saved = [Path(line.split("(file saved: ")[1][:-1]) for line in lines if "saved:" in line]
    assert len(saved) == 2, out
    mine, export = saved
    assert mine == folder / "copbot-wound-care-my-data.json"
    assert json.loads(mine.read_bytes())["member"] == "Ana"
    assert export.parent == folder and json.loads(export.read_bytes())["summary"]


async def test_a_file_name_cannot_leave_the_folder_or_overwrite(tmp_path):
    hostile = Attachment(filename="../../etc/passwd", content="x")
    first = save_file(tmp_path, hostile)
    second = save_file(tmp_path, hostile)
    assert first.parent == tmp_path and second.parent == tmp_path
    assert first != second and first.read_text() == second.read_text() == "x"
    assert save_file(tmp_path, Attachment(filename="..", content="y")).parent == tmp_path


async def test_the_weekly_digest_reaches_a_slack_keeper_with_its_chart_as_a_png(engine, clock):
    async with slack_world(engine, clock) as world:  # Kit is the keeper; he never typed
        await world.cop("UANA", "pledge Try the new wound chart by 15 Jan")
        await world.app.advance(START + timedelta(days=6, hours=1))  # Monday 7 Dec, 10:00
        [chart] = [u for u in world.fake.uploads if u.channel == "DUKIT"]
        assert chart.filename == "copbot-wound-care-digest-2026-11-30.png"
        assert chart.data[:8] == b"\x89PNG\r\n\x1a\n"
        assert any("digest" in p.plain.lower() for p in world.fake.dms("UKIT"))


async def test_forgetting_someone_leaves_a_queued_chart_intact(make_app, person, engine):
    """Erasure scrubs a name from queued messages; base64 bytes are not words to scrub."""
    app = make_app()
    ana = person(app, "Ana")
    ana.cop("help")
    chart = OutMessage(
        title="Ana's chart", attachment=Attachment(filename="c.png", data=b"x", mime="image/png")
    )
    payload = chart.model_dump_json(exclude_defaults=True).replace('"eA=="', '"x-Ana-x"')
    with Session(engine) as session:
        session.add(
            OutboxMessage(
                key="chart",
                community_id=1,
                platform="console",
                user_id="kit",
                payload=payload,
                next_attempt_at=START,
                created_at=START,
            )
        )
        session.commit()
    erase(ana, "Erase everything")
    with Session(engine) as session:
        kept = session.exec(select(OutboxMessage.payload).where(OutboxMessage.key == "chart"))
        stored = kept.one()
    assert "x-Ana-x" in stored and "Ana's chart" not in stored
