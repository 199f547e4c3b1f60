"""From a kept pledge to a value story: a member who said "Done" and agreed to be asked is
asked, once and privately, some time later (`pledges.story_after`), whether they would tell
the story of that change. The button opens `/cop story`'s form with what they wrote
already in it; whether it may be quoted is asked again, with no answer chosen for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from bot import commands as c
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain import when
from bot.domain.text import read_number, short
from bot.errors import UserError
from bot.features.base import Feature
from bot.features.stories import story_form
from bot.messages import Button, OutMessage, Response, Section
from bot.scheduling import JobSpec, at
from bot.storage.tables import Community, Member
from bot.storage.tables_wins import Pledge
from bot.storage.uow import UnitOfWork


@dataclass(frozen=True)
class AskPledgeStory(c.Command):
    """A job: invite the pledge's member to tell its story."""

    pledge_id: int


@dataclass(frozen=True)
class StartPledgeStory(c.Command):
    """The invitation's button: the story form, filled in from the pledge."""

    pledge_id: int


def ask(cmd: AskPledgeStory, ctx: Context) -> Response:
    session = ctx.uow.session
    pledge = session.get(Pledge, cmd.pledge_id)
    if pledge is None or pledge.status != "done" or not pledge.story_ok:
        return Response()
    if pledge.story_asked_at is not None:
        return Response()
    member = session.get(Member, pledge.member_id)
    pledge.story_asked_at = ctx.clock.now()
    session.add(pledge)
    if member is None:
        return Response()
    words = ctx.settings.words
    ctx.dm(
        member,
        f"pledge-story:{pledge.id}",
        OutMessage(
            title=f"Would you tell the story of your {words.pledge}?",
            sections=(
                Section(heading=f"Your {words.pledge}", text=short(pledge.text, 300)),
                Section(heading="What you said happened", text=short(pledge.outcome or "", 300)),
                Section(
                    text="When you said it was done, you agreed we could ask. A short story "
                    "(what happened, the difference it made) helps the community see what it "
                    "is worth. You choose again whether it may be quoted; no is fine."
                ),
            ),
            buttons=(
                Button(
                    label="Tell the story",
                    action="story.from_pledge",
                    value=str(pledge.id),
                    style="primary",
                ),
            ),
        ),
    )
    return Response()


def start(cmd: StartPledgeStory, ctx: Context) -> Response:
    member = ctx.require_member()
    pledge = ctx.uow.session.get(Pledge, cmd.pledge_id)
    if pledge is None or pledge.member_id != member.id or pledge.status != "done":
        raise UserError("That button is out of date. Tell a story any time with /cop story.")
    form = story_form(what=pledge.outcome or pledge.text)
    # Consent is asked again: no answer is chosen for them.
    fields = tuple(
        f.model_copy(update={"initial": None}) if f.name == "consent" else f for f in form.fields
    )
    return Response(form=form.model_copy(update={"fields": fields}))


def _button(value: str) -> c.Command:
    number = read_number(value)
    if number is None:
        raise UserError("That button is out of date. Tell a story any time with /cop story.")
    return StartPledgeStory(number)


def collect_jobs(uow: UnitOfWork, settings_of: Any) -> list[JobSpec]:
    """One invitation per done pledge whose member agreed to be asked, `story_after` on."""
    rows = uow.session.exec(
        select(Pledge, Community)
        .join(Community, col(Community.id) == col(Pledge.community_id))
        .where(
            Pledge.status == "done",
            col(Pledge.story_ok).is_(True),
            col(Pledge.story_asked_at).is_(None),
            col(Pledge.closed_at).is_not(None),
            col(Community.closed_at).is_(None),
        )
    ).all()
    specs = []
    for pledge, community in rows:
        settings: CommunitySettings = settings_of(community)
        after = settings.pledges.story_after
        if not after or pledge.id is None or pledge.closed_at is None:
            continue
        pledge_id = pledge.id
        specs.append(
            JobSpec(
                key=f"pledge-story:{pledge_id}",
                community_id=pledge.community_id,
                times=at(pledge.closed_at + when.parse_duration(after)),
                make=lambda _t, i=pledge_id: AskPledgeStory(i),
                catch_up=True,
            )
        )
    return specs


FEATURE = Feature(
    name="pledge-stories",
    buttons={"story.from_pledge": _button},
    handlers={AskPledgeStory: ask, StartPledgeStory: start},
    jobs=collect_jobs,
)
