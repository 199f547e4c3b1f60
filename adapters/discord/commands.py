"""`/cop`, built from the core's verbs: a new verb appears by itself.

Discord allows a command at most 25 subcommands, and copbot has more verbs than that. So
`/cop` takes one required text, `command`, and a person types exactly what they would type
on any other platform: `/cop digest last-week`, `/cop reply success Fewer falls`. What they
typed reaches the core as `/cop <command>`. While they type, autocomplete offers the verbs
(with a line on each) and then the chosen verb's usage forms.
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

NAME = "cop"
OPTION = "command"
DESCRIPTION = 100
CHOICE = 100
CHOICES = 25
COMMAND_DESCRIPTION = "copbot: check-ins and more for this community (try: help)"
HELP = "what copbot can do; add a command's name for more"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(verb: Verb) -> str:
    """The verb's one-line description (1-100 characters)."""
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
    """What was typed after the verb so far, then the usage forms that fit it (values
    without the verb; see `complete` for whole command lines)."""
    current = current.strip()
    choices: list[app_commands.Choice[str]] = []
    if current:
        choices.append(app_commands.Choice(name=_cut(current, CHOICE), value=current[:CHOICE]))
    for form, value in _typed_words(usage_forms(verb)):
        typed, words = current.lower(), value.lower()
        if not value or value == current:
            continue
        if typed and not (words.startswith(typed) or typed.startswith(words)):
            continue
        choices.append(app_commands.Choice(name=_cut(form, CHOICE), value=value[:CHOICE]))
    return choices[:CHOICES]


def _typed_words(forms: list[str]) -> list[tuple[str, str]]:
    """(form, the words to type as they are) per form; a leading `[a|b]` offers a and b."""
    found = []
    for form in forms:
        options = re.match(r"^\[([-\w]+(?:\|[-\w]+)+)\]", form)
        if options:
            found += [(word, word) for word in options.group(1).split("|")]
            continue
        found.append((form, re.split(r"[<\[]", form, maxsplit=1)[0].strip()))
    return found


def verb_names(router: Router) -> list[str]:
    """Every verb a person can type after /cop, `help` first, in the core's order."""
    return ["help", *dict.fromkeys(v.name for v in router.verbs.values())]


def complete(router: Router, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for the whole command line typed so far."""
    typed = current.lstrip()
    word, space, rest = typed.partition(" ")
    verbs = list(dict.fromkeys(router.verbs.values()))
    if not space:
        prefix = word.lower()
        choices = [app_commands.Choice(name=_cut(f"help — {HELP}", CHOICE), value="help")]
        choices += [
            app_commands.Choice(name=_cut(f"{v.name} — {describe(v)}", CHOICE), value=v.name)
            for v in verbs
        ]
        return [c for c in choices if c.value.startswith(prefix)][:CHOICES]
    verb = router.verbs.get(word.lower())
    if verb is None:
        if word.lower() == "help":
            return [
                app_commands.Choice(name=f"help {v.name}", value=f"help {v.name}")
                for v in verbs
                if v.name.startswith(rest.strip().lower())
            ][:CHOICES]
        return [app_commands.Choice(name=_cut(typed, CHOICE), value=typed[:CHOICE])]
    found = []
    for choice in suggestions(verb, rest):
        line = f"{word} {choice.value}"
        found.append(app_commands.Choice(name=_cut(f"{word} {choice.name}", CHOICE), value=line))
    return found[:CHOICES] or [app_commands.Choice(name=_cut(typed, CHOICE), value=typed[:CHOICE])]


def build_group(router: Router, run: Runner) -> app_commands.Command[..., None]:
    """`/cop <command>`: one text that carries every verb, as on every other platform."""

    async def callback(interaction: discord.Interaction, command: str) -> None:
        await run(interaction, f"/cop {command}".strip())

    async def autocomplete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return complete(router, current)

    hint = _cut("e.g. help · checkin · reply success Fewer falls · digest", DESCRIPTION)
    cop = app_commands.Command(
        name=NAME,
        description=COMMAND_DESCRIPTION,
        callback=app_commands.describe(command=hint)(callback),
    )
    cop.autocomplete(OPTION)(autocomplete)
    return cop
