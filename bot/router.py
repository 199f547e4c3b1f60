"""Routes an interaction to its feature: the same words on every platform."""

from __future__ import annotations

from collections.abc import Sequence

from bot.commands import Command, Inbound, Joined, ShowHelp
from bot.config import CommunitySettings
from bot.context import Context
from bot.errors import UserError
from bot.features.base import Feature, Handler, Verb
from bot.messages import OutMessage, Response, Section, say


class Router:
    """Knows every feature's verbs, buttons, forms and handlers."""

    def __init__(self, features: Sequence[Feature]) -> None:
        self.features = tuple(features)
        self.verbs: dict[str, Verb] = {}
        self.handlers: dict[type[Command], Handler] = {ShowHelp: self.show_help}
        self.buttons = {}
        self.forms = {}
        for feature in self.features:
            for verb in feature.verbs:
                for name in (verb.name, *verb.aliases):
                    if name in self.verbs:
                        raise ValueError(f"two features claim /cop {name}")
                    self.verbs[name] = verb
            self.buttons.update(feature.buttons)
            self.forms.update(feature.forms)
            self.handlers.update(feature.handlers)

    def parse(self, inbound: Inbound, settings: CommunitySettings) -> Command:
        """Translate one interaction into a command, or raise a friendly UserError."""
        if inbound.kind == "join":
            return Joined()
        if inbound.kind == "button":
            parser = self.buttons.get(inbound.action)
            if parser is None:
                raise UserError("I don't recognise that button any more. Try /cop help.")
            return parser(inbound.value)
        if inbound.kind == "form":
            form = self.forms.get(inbound.form_id)
            if form is None:
                raise UserError("I don't recognise that form any more. Try /cop help.")
            return form(inbound.metadata, dict(inbound.values))
        return self.parse_text(inbound.text, settings)

    def parse_text(self, text: str, settings: CommunitySettings) -> Command:
        """Parse `/cop <verb> …`."""
        text = text.strip()
        if text.lower().startswith("/cop"):
            text = text[4:].strip()
        name, _, rest = text.partition(" ")
        name, rest = name.lower(), rest.strip()
        if name in ("", "help"):
            topic = rest.lower() or None
            if topic is not None and topic not in self.verbs:
                raise UserError(f"There's no help on '{rest[:40]}'. Try /cop help.")
            return ShowHelp(topic)
        verb = self.verbs.get(name)
        if verb is None:
            raise UserError(f"I don't know '/cop {name[:40]}'. Try /cop help to see what I can do.")
        return verb.parse(rest, settings)

    def handler(self, command: Command) -> Handler:
        return self.handlers[type(command)]

    def show_help(self, cmd: ShowHelp, ctx: Context) -> Response:
        """/cop help: every verb, with the conveners' extras for conveners."""
        convener = ctx.member is not None and ctx.member.is_convener
        unique = list(dict.fromkeys(self.verbs.values()))
        if cmd.topic:
            verb = self.verbs[cmd.topic]
            text = f"{verb.help}\nUsage: {verb.usage}"
            if convener and verb.convener_help:
                text += f"\nFor conveners: {verb.convener_help}"
            return Response(message=say(text, title=f"/cop {verb.name}"))
        everyone = tuple(f"/cop {v.name} — {v.help}" for v in unique if v.help)
        sections = [Section(items=("/cop help — what I can do (add a verb for more)", *everyone))]
        if convener:
            extras = tuple(f"/cop {v.name} — {v.convener_help}" for v in unique if v.convener_help)
            sections.append(Section(heading="For conveners", items=extras))
        return Response(
            message=OutMessage(
                title=f"copbot helps {ctx.community.name} keep in touch between meetings",
                sections=tuple(sections),
            )
        )
