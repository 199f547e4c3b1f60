"""The /cop command group, built from the core's verbs: a new verb appears by itself.

Each verb becomes `/cop <verb> [text]`, one optional free-text option whose autocomplete
offers the verb's usage forms; what the person typed reaches the core as `/cop <verb> <text>`,
exactly as on every other platform. `/cop help [verb]` is always there.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

import discord
from discord import app_commands

from bot.features.base import Verb
from bot.router import Router

log = logging.getLogger(__name__)

#: Receives the interaction and the whole command line ("/cop reply success Fewer falls").
Runner = Callable[[discord.Interaction, str], Awaitable[None]]

SUBCOMMANDS = 25
NAME = re.compile(r"^[-_\w]{1,32}$")
DESCRIPTION = 100
CHOICE = 100
GROUP_DESCRIPTION = "copbot: check-ins and more for this community"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(verb: Verb) -> str:
    """The verb's one-line description for Discord (1-100 characters)."""
    text = verb.help or (f"for conveners: {verb.convener_help}" if verb.convener_help else "")
    text = text or verb.usage
    return _cut(text[:1].upper() + text[1:], DESCRIPTION)


def usage_forms(verb: Verb) -> list[str]:
    """The verb's usage forms without the leading `/cop <verb>`: 'open', '<kind> <text>'…"""
    forms = []
    for form in verb.usage.split("·"):
        form = form.strip()
        for prefix in (f"/cop {verb.name}", *(f"/cop {a}" for a in verb.aliases)):
            if form.lower().startswith(prefix):
                form = form[len(prefix) :].strip()
                break
        if form:
            forms.append(form)
    return forms


def suggestions(verb: Verb, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete: what was typed so far, then the usage forms that fit it."""
    current = current.strip()
    choices: list[app_commands.Choice[str]] = []
    if current:
        choices.append(app_commands.Choice(name=_cut(current, CHOICE), value=current[:CHOICE]))
    for form in usage_forms(verb):
        value = re.split(r"[<\[]", form, maxsplit=1)[0].strip()  # the words to type as they are
        typed, words = current.lower(), value.lower()
        if not value or value == current:
            continue
        if typed and not (words.startswith(typed) or typed.startswith(words)):
            continue
        choices.append(app_commands.Choice(name=_cut(form, CHOICE), value=value[:CHOICE]))
    return choices[:25]


def _verb_command(verb: Verb, run: Runner) -> app_commands.Command[..., None]:
    name = verb.name

    async def callback(interaction: discord.Interaction, text: str | None = None) -> None:
        await run(interaction, f"/cop {name} {text or ''}".strip())

    async def autocomplete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return suggestions(verb, current)

    hint = _cut(f"e.g. {' · '.join(usage_forms(verb)) or verb.name}", DESCRIPTION)
    command = app_commands.Command(
        name=name,
        description=describe(verb),
        callback=app_commands.describe(text=hint)(callback),
    )
    command.autocomplete("text")(autocomplete)
    return command


def _help_command(verbs: list[Verb], run: Runner, name: str = "help") -> app_commands.Command:
    async def callback(interaction: discord.Interaction, text: str | None = None) -> None:
        await run(interaction, f"/cop help {text or ''}".strip())

    async def autocomplete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=v.name, value=v.name)
            for v in verbs
            if v.name.startswith(current.strip().lower())
        ][:25]

    command = app_commands.Command(
        name=name,
        description="What copbot can do; add a command's name for more",
        callback=app_commands.describe(text="a command, e.g. checkin")(callback),
    )
    command.autocomplete("text")(autocomplete)
    return command


def _more_command(verbs: list[Verb], run: Runner) -> app_commands.Command:
    """When there are more verbs than Discord's 25 subcommands: `/cop more <verb> …`."""

    async def callback(interaction: discord.Interaction, text: str) -> None:
        await run(interaction, f"/cop {text}".strip())

    async def autocomplete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=_cut(f"{v.name} — {describe(v)}", CHOICE), value=v.name)
            for v in verbs
            if v.name.startswith(current.strip().lower())
        ][:25]

    command = app_commands.Command(
        name="more",
        description="More copbot commands: type the command's name, then its words",
        callback=app_commands.describe(text="e.g. " + " · ".join(v.name for v in verbs))(callback),
    )
    command.autocomplete("text")(autocomplete)
    return command


def build_group(router: Router, run: Runner) -> app_commands.Group:
    """`/cop` with a subcommand per core verb (aliases are left to the text form)."""
    verbs = [v for v in dict.fromkeys(router.verbs.values()) if NAME.match(v.name)]
    skipped = sorted({v.name for v in router.verbs.values()} - {v.name for v in verbs})
    if skipped:
        log.error("these verbs have names Discord refuses, use /cop help: %s", skipped)
    group = app_commands.Group(name="cop", description=GROUP_DESCRIPTION)
    group.add_command(_help_command(verbs, run))
    room = SUBCOMMANDS - 1
    direct, extra = (verbs, []) if len(verbs) <= room else (verbs[: room - 1], verbs[room - 1 :])
    for verb in direct:
        group.add_command(_verb_command(verb, run))
    if extra:
        log.warning(
            "Discord allows 25 subcommands: %s are under /cop more", [v.name for v in extra]
        )
        group.add_command(_more_command(extra, run))
    return group
