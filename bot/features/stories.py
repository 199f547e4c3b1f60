"""Value stories: `/cop story` walks a member through a short story of the value the
community created for them (Wenger-Trayner's cycles), and whether it may be quoted.
`/cop stories` lists your own. The keepers' digest counts them per cycle and quotes the
consented ones; the export carries consented ones only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from bot import anonymity
from bot.commands import Command
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain.checkins import local_time
from bot.domain.digest import CYCLE_WORDS, capped
from bot.domain.text import clean_text, short
from bot.errors import UserError
from bot.features.base import Feature, Verb, usage_error
from bot.features.guard import guard_text
from bot.messages import Button, Choice, Form, FormField, OutMessage, Response, Section, say
from bot.storage.tables_stories import CONSENTS, CYCLES, Story

_STORIES = Story.__table__  # type: ignore[attr-defined]
CONSENT_WORDS: dict[str, str] = {
    "named": "Yes, quote it with my name",
    "anonymous": "Yes, quote it without my name",
    "no": "No, just count it",
}
CONSENT_SHORT = {
    "named": "may be quoted with your name",
    "anonymous": "may be quoted anonymously",
    "no": "counted, never quoted",
}


@dataclass(frozen=True)
class InviteStory(Command):
    """`/cop story`: what a story is, with a button opening the form."""


@dataclass(frozen=True)
class StartStory(Command):
    """Open the story form."""


@dataclass(frozen=True)
class TellStory(Command):
    what: str
    difference: str
    cycle: str
    consent: str
    confirmed: bool = False  # they saw the patient-identifier warning and chose to go on


@dataclass(frozen=True)
class ListStories(Command):
    """Your own stories."""


def stories_between(
    session: Session, community_id: int, start: datetime, end: datetime
) -> list[Story]:
    """Stories told in [start, end) whose tellers agreed they may be quoted, oldest first."""
    return list(
        session.exec(
            select(Story)
            .where(
                Story.community_id == community_id,
                col(Story.consent).in_(("named", "anonymous")),
                col(Story.created_at) >= start,
                col(Story.created_at) < end,
            )
            .order_by(col(Story.created_at), col(Story.id))
        ).all()
    )


def invite(cmd: InviteStory, ctx: Context) -> Response:
    ctx.require_member()
    return Response(
        message=OutMessage(
            title="Tell a value story",
            sections=(
                Section(
                    text="What has the community made possible for you? Four short "
                    "questions: what happened, what difference it made, what kind of value it "
                    "was, and whether we may quote it. Stories help the community see (and "
                    "show others) what it is worth."
                ),
                Section(heading="Kinds of value", items=tuple(CYCLE_WORDS.values())),
            ),
            buttons=(Button(label="Tell a story", action="story.start", style="primary"),),
        )
    )


def start_story(cmd: StartStory, ctx: Context) -> Response:
    ctx.require_member()
    return Response(form=story_form())


def story_form(*, what: str | None = None) -> Form:
    """The story form (`what` already filled in, e.g. from a kept pledge)."""
    return Form(
        form_id="story.tell",
        title="Tell a value story",
        submit_label="Save my story",
        fields=(
            FormField(
                name="what",
                label="What happened?",
                kind="long_text",
                max_length=1000,
                initial=what[:1000] if what else None,
            ),
            FormField(
                name="difference",
                label="What difference did it make?",
                kind="long_text",
                max_length=1000,
            ),
            FormField(
                name="cycle",
                label="What kind of value was it?",
                kind="choice",
                choices=tuple(Choice(value=c, label=CYCLE_WORDS[c]) for c in CYCLES),
            ),
            FormField(
                name="consent",
                label="May we quote it?",
                kind="choice",
                choices=tuple(Choice(value=c, label=CONSENT_WORDS[c]) for c in CONSENTS),
                initial="anonymous",
            ),
        ),
    )


def tell_story(cmd: TellStory, ctx: Context) -> Response:
    member = ctx.require_member()
    if cmd.cycle not in CYCLES:
        raise UserError("Please choose what kind of value it was.")
    if cmd.consent not in CONSENTS:
        raise UserError("Please say whether we may quote your story.")
    what = clean_text(cmd.what, what="What happened", max_length=1000)
    difference = clean_text(cmd.difference, what="The difference it made", max_length=1000)
    if cmd.consent != "no":  # it may be quoted: check it identifies no patient first
        for name, text in (("what", what), ("difference", difference)):
            held = guard_text(ctx, text, confirmed=cmd.confirmed, resend=cmd, text_field=name)
            if held is not None:
                return held
    story = Story(
        community_id=ctx.community_id,
        member_id=member.id,
        what=what,
        difference=difference,
        cycle=cmd.cycle,
        consent=cmd.consent,
        created_at=ctx.clock.now(),
    )
    if cmd.consent == "anonymous":  # held like every anonymous item (bot.anonymity)
        assert member.id is not None
        story.id = anonymity.random_id(ctx.uow.session, _STORIES)
        story.member_id = None
        story.author_key = _key(ctx, story.id, member.id)
        day = anonymity.coarse(story.created_at, ctx.community.timezone)
        story.created_at = max(day, ctx.community.created_at)  # not before the community
    ctx.uow.session.add(story)
    ctx.uow.session.flush()
    ctx.record("told-story", anonymous=cmd.consent == "anonymous")
    return Response(
        message=say(
            f"Thank you! Your story is saved ({cmd.cycle} value; {CONSENT_SHORT[cmd.consent]}). "
            "Stories like yours show what the community is worth. /cop stories lists yours."
        )
    )


def _key(ctx: Context, story_id: int, member_id: int) -> str:
    return anonymity.author_key(ctx.secret, "story", story_id, member_id)


def list_stories(cmd: ListStories, ctx: Context) -> Response:
    member = ctx.require_member()
    session = ctx.uow.session
    assert member.id is not None
    keys = anonymity.member_keys(session, ctx.secret, _STORIES, _STORIES.c.author_key, member.id)
    mine = session.exec(
        select(Story)
        .where(
            Story.community_id == ctx.community_id,
            (col(Story.member_id) == member.id) | col(Story.author_key).in_(sorted(keys)),
        )
        .order_by(col(Story.created_at).desc(), col(Story.id).desc())
    ).all()
    if not mine:
        return Response(message=say("You haven't told a story yet. Tell one with /cop story."))
    total = session.exec(
        select(func.count()).select_from(Story).where(Story.community_id == ctx.community_id)
    ).one()
    items = [
        f"{local_time(s.created_at, member.timezone)} · {s.cycle}: {short(s.what, 120)} — "
        f"{short(s.difference, 120)} ({CONSENT_SHORT[s.consent]})"
        for s in mine
    ]
    return Response(
        message=OutMessage(
            title="Your value stories",
            sections=(Section(items=capped(items)),),
            footer=f"{total} told in the community so far. Tell another with /cop story.",
        )
    )


def _parse_story(rest: str, _settings: CommunitySettings) -> Command:
    if rest.strip():
        raise usage_error(STORY)
    return InviteStory()


def _parse_stories(rest: str, _settings: CommunitySettings) -> Command:
    if rest.strip():
        raise usage_error(STORIES)
    return ListStories()


def _story_form(_metadata: str, values: Mapping[str, str]) -> Command:
    return TellStory(
        what=values.get("what", ""),
        difference=values.get("difference", ""),
        cycle=values.get("cycle", ""),
        consent=values.get("consent", ""),
    )


STORY = Verb(
    "story",
    _parse_story,
    usage="/cop story",
    help="tell a short story of what the community made possible for you",
)
STORIES = Verb("stories", _parse_stories, usage="/cop stories", help="see the stories you told")

FEATURE = Feature(
    name="stories",
    verbs=(STORY, STORIES),
    buttons={"story.start": lambda _value: StartStory()},
    forms={"story.tell": _story_form},
    handlers={
        InviteStory: invite,
        StartStory: start_story,
        TellStory: tell_story,
        ListStories: list_stories,
    },
)
