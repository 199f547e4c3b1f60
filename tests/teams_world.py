"""A running copbot on the fake Teams (tests/teams_fake.py), for the Teams test modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from adapters.teams import TeamsAdapter
from bot.bootstrap import App, build_app
from bot.clock import ManualClock
from bot.config import Settings, parse_settings
from bot.storage.tables import InboundEvent, OutboxMessage
from tests.conftest import community
from tests.teams_fake import CHANNEL_ID, FakeTeams, Sent, person

CORA = person("cora", "Cora")  # a convener
ANA = person("ana", "Ana")
BEN = person("ben", "Ben")
DEE = person("dee", "Dee")


def teams_settings(fake: FakeTeams, **overrides: Any) -> Settings:
    raw = {
        "communities": [
            community(
                platform="teams",
                channel=CHANNEL_ID,
                conveners=[CORA["id"]],
                keepers=[],
                **overrides,
            )
        ]
    }
    return parse_settings(raw, fake.environment())


@dataclass
class World:
    fake: FakeTeams
    adapter: TeamsAdapter
    app: App
    answers: dict[str, int] = field(default_factory=dict)

    async def send(self, activity: dict[str, Any], **kw: Any) -> int:
        status, _ = await self.fake.send(activity, **kw)
        await self.adapter.settle()
        return status

    async def _answered(self, who: dict, activity: dict[str, Any]) -> list[Sent]:
        before = len(self.fake.to_user(who))
        status = await self.send(activity)
        assert status in (200, 202), status
        return self.fake.to_user(who)[before:]

    async def type(self, who: dict, text: str, *, channel: str | None = None) -> list[Sent]:
        """Type `text` to copbot; the private answers it got in their 1:1 chat."""
        return await self._answered(who, self.fake.typed(who, text, channel=channel))

    async def press(
        self, who: dict, card: Sent, title: str, *, channel: str | None = None, **inputs: str
    ) -> list[Sent]:
        """Press a card's button (or submit its form with `inputs`)."""
        if channel is None and card.conversation_id == CHANNEL_ID:
            channel = CHANNEL_ID
        return await self._answered(
            who, self.fake.submit(who, card, title, channel=channel, **inputs)
        )

    async def deliver(self) -> None:
        await self.app.dispatcher.drain()

    def effects(self) -> tuple[int, int]:
        with Session(self.app.engine) as session:
            return (
                len(session.exec(select(OutboxMessage)).all()),
                len(session.exec(select(InboundEvent)).all()),
            )


async def start_world(
    fake: FakeTeams, engine: Engine, clock: ManualClock, settings: Settings | None = None
) -> World:
    config = settings or teams_settings(fake)
    adapter = TeamsAdapter(config, http_port=0, http_host="127.0.0.1", core_threads=1)
    app = build_app(config, {"teams": adapter.platform}, clock=clock, engine=engine)
    await adapter.start(app)
    fake.bot_url = f"http://127.0.0.1:{adapter.http_port}/api/messages"
    return World(fake, adapter, app)


async def stop_world(world: World) -> None:
    await world.adapter.stop()
    world.app.close()
