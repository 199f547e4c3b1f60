"""Welcome and norms: a private welcome for each new member, in the community's own words,
and the community's norms (/cop norms), which conveners can edit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from bot import commands as c
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain.checkins import local_time
from bot.domain.text import clean_text, plural_of, read_number
from bot.errors import UserError
from bot.features.base import Feature, Verb, usage_error
from bot.features.catchup import catch_up_sections
from bot.features.meeting_queries import next_meeting
from bot.features.mydata import audit
from bot.messages import Button, OutMessage, Response, Section
from bot.storage.tables import Member
from bot.storage.tables_trust import CommunityNorms

MAX_NORMS = 20
MAX_NORM_LENGTH = 300


@dataclass(frozen=True)
class ShowNorms(c.Command):
    """Show the community's norms."""


@dataclass(frozen=True)
class EditNorms(c.Command):
    """A convener changes the norms: set number n, add one, remove number n, or reset."""

    action: Literal["set", "add", "remove", "reset"]
    number: int | None = None
    text: str = ""


# ---- norms ------------------------------------------------------------------------------


def current_norms(ctx: Context) -> tuple[str, ...]:
    """The norms as conveners last edited them, else the configuration's."""
    stored = ctx.uow.session.get(CommunityNorms, ctx.community_id)
    return tuple(stored.items) if stored is not None else ctx.settings.norms


def norms_section(norms: tuple[str, ...]) -> Section:
    """The norms as a numbered list."""
    items = tuple(f"{i}. {norm}" for i, norm in enumerate(norms, 1))
    return Section(heading="Our norms", items=items or ("(none written down yet)",))


def show_norms(cmd: ShowNorms, ctx: Context) -> Response:
    footer = "Conveners: /cop norms add <text> · set <n> <text> · remove <n> · reset"
    member = ctx.member
    return Response(
        message=OutMessage(
            title=f"How we work together in {ctx.community.name}",
            sections=(norms_section(current_norms(ctx)),),
            footer=footer if member is not None and member.is_convener else None,
        )
    )


def edit_norms(cmd: EditNorms, ctx: Context) -> Response:
    member = ctx.require_convener("change the norms")
    norms = list(current_norms(ctx))
    if cmd.action == "reset":
        stored = ctx.uow.session.get(CommunityNorms, ctx.community_id)
        if stored is not None:
            ctx.uow.session.delete(stored)
        norms = list(ctx.settings.norms)
        done = "The norms are back to those in copbot's settings."
    elif cmd.action == "add":
        if len(norms) >= MAX_NORMS:
            raise UserError(f"There are already {MAX_NORMS} norms: remove one before adding.")
        norms.append(clean_text(cmd.text, what="The norm", max_length=MAX_NORM_LENGTH))
        done = f"Norm {len(norms)} added."
    else:
        number = cmd.number or 0
        if not 1 <= number <= len(norms):
            raise UserError(
                f"There's no norm {number}: choose a number from 1 to {len(norms)} "
                "(see /cop norms)."
                if norms
                else "There are no norms yet: add one with /cop norms add <text>."
            )
        if cmd.action == "set":
            norms[number - 1] = clean_text(cmd.text, what="The norm", max_length=MAX_NORM_LENGTH)
            done = f"Norm {number} changed."
        else:
            del norms[number - 1]
            done = f"Norm {number} removed."
    if cmd.action != "reset":
        _store(ctx, norms, member)
    audit(ctx, "norms edited")
    return Response(
        message=OutMessage(title=done, sections=(norms_section(tuple(norms)),)),
    )


def _store(ctx: Context, norms: list[str], member: Member) -> None:
    session = ctx.uow.session
    stored = session.get(CommunityNorms, ctx.community_id)
    now = ctx.clock.now()
    if stored is None:
        stored = CommunityNorms(community_id=ctx.community_id, items=norms, updated_at=now)
    stored.items = list(norms)  # reassigned, so the JSON column is saved
    stored.updated_at, stored.updated_by = now, member.id
    session.add(stored)


# ---- welcome ----------------------------------------------------------------------------


#: A member whose first act is anonymous is welcomed this long (plus up to 90 minutes) later.
WELCOME_DELAY = timedelta(minutes=30)


def welcome_key(community_id: int, member_id: int) -> str:
    """The welcome's idempotency key: one welcome per member per community."""
    return f"welcome:{community_id}:{member_id}"


def welcome(cmd: c.Joined, ctx: Context) -> Response:
    """Someone joined (or used copbot for the first time): welcome them privately, once."""
    member = ctx.require_member()
    if not ctx.settings.welcome.enabled:
        return Response()
    assert member.id is not None
    later = None
    if ctx.acted_anonymously:  # their first act was anonymous: the welcome must not date it
        later = ctx.clock.now() + WELCOME_DELAY + timedelta(minutes=secrets.randbelow(90))
    key = welcome_key(ctx.community_id, member.id)
    ctx.dm(member, key, welcome_message(ctx, member), later=later)
    return Response()


def welcome_message(ctx: Context, member: Member) -> OutMessage:
    """The welcome: what the community is about, its norms, how to take part, the next
    meeting and how to set your timezone and quiet hours."""
    words, name = ctx.settings.words, ctx.community.name
    about = ctx.settings.about or (
        "A community of practice: people who share a concern, and learn from each other's "
        "successes, challenges and know-how."
    )
    upcoming = next_meeting(ctx.uow.session, ctx.community_id, ctx.clock.now())
    when = (
        f"Our next {words.meeting} is on {local_time(upcoming.starts_at, member.timezone)} "
        f"({member.timezone} time)." + (f" Topic: {upcoming.topic}." if upcoming.topic else "")
        if upcoming is not None
        else f"The next {words.meeting} has no date yet: I'll let everyone know."
    )
    quiet = f"{member.quiet_start}–{member.quiet_end}"
    # Joining after the community has started: what happened lately comes with the welcome.
    history, votes = catch_up_sections(ctx, member, with_next_meeting=False)
    if history:
        history.insert(0, Section(heading="Catching up", text="What has happened lately here."))
    return OutMessage(
        title=f"Welcome to {name}!",
        sections=(
            Section(text=about),
            norms_section(current_norms(ctx)),
            Section(
                heading="How to take part",
                items=(
                    f"When a {words.checkin} opens, share a {words.success}, a "
                    f"{words.challenge} or some {words.learning}: with your name, or "
                    "anonymously (the Chatham House rule).",
                    "Everyone can help plan and convene our "
                    f"{plural_of(words.meeting)}: /cop plan.",
                    "Type /cop help to see everything you can do here.",
                ),
            ),
            Section(heading=f"Next {words.meeting}", text=when),
            Section(
                heading="Your settings",
                text=f"I send private messages only outside your quiet hours ({quiet}, "
                f"{member.timezone}). Change them with /cop me timezone Europe/London and "
                "/cop me quiet 21:00-07:00 (or /cop me quiet off).",
            ),
            *history,
        ),
        buttons=(
            Button(label="What can I do here?", action="welcome.help", style="primary"),
            Button(label="I'd like to help plan", action="plan.volunteer"),
            *votes,
        ),
        footer="Re-read our norms any time with /cop norms. /cop mydata shows what I hold "
        "about you; /cop forget-me erases it.",
    )


# ---- parsing ----------------------------------------------------------------------------


def _parse_norms(rest: str, _settings: CommunitySettings) -> c.Command:
    action, _, tail = rest.partition(" ")
    action, tail = action.lower(), tail.strip()
    if not action:
        return ShowNorms()
    if action == "add" and tail:
        return EditNorms("add", text=tail)
    if action == "reset" and not tail:
        return EditNorms("reset")
    if action in ("set", "edit", "change", "remove", "delete"):
        word, _, text = tail.partition(" ")
        number = read_number(word)
        if number is None:
            raise UserError(f"Please give the norm's number (see /cop norms). {NORMS.usage}")
        if action in ("remove", "delete"):
            if text.strip():
                raise usage_error(NORMS)
            return EditNorms("remove", number=number)
        if not text.strip():
            raise UserError(f"Please write the new wording after the number. {NORMS.usage}")
        return EditNorms("set", number=number, text=text.strip())
    raise usage_error(NORMS)


NORMS = Verb(
    "norms",
    _parse_norms,
    usage="/cop norms · /cop norms add <text> · /cop norms set <n> <text> · "
    "/cop norms remove <n> · /cop norms reset",
    help="how we work together here (the Chatham House rule and more)",
    convener_help="edit the norms (/cop norms add … · set <n> … · remove <n> · reset)",
    aliases=("norm",),
)

FEATURE = Feature(
    name="welcome",
    verbs=(NORMS,),
    buttons={
        "welcome.help": lambda _value: c.ShowHelp(),
        "welcome.norms": lambda _value: ShowNorms(),
    },
    handlers={c.Joined: welcome, ShowNorms: show_norms, EditNorms: edit_norms},
)
