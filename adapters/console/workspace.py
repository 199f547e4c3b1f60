"""A terminal workspace: act as members, type /cop commands, press buttons, move time.

/as Sam             act as Sam (a new member the first time)
/cop help           any copbot command, as in Slack or Discord
3                   press button 3 of the latest message with buttons you saw
/clock +2d          move time on 2 days (also +3h, +30m, +1w, 10:00 for the next 10:00,
                    or '2026-12-01 09:00')
/in NAME            switch to another console community
/mail NAME          read the emails of a member reached by email; a number opens a link
/quit               leave (also inside a form; /cancel closes a form, nothing sent)
"""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.bootstrap import App
from bot.clock import ManualClock
from bot.commands import Actor, Inbound
from bot.email_words import for_email
from bot.messages import Button, Form, Response

from .mailbox import ConsoleMailbox
from .platform import ButtonBoard, ConsolePlatform, render

STEP = re.compile(r"^\+([0-9]{1,4})\s*([wdhm])$")
TIME_OF_DAY = re.compile(r"^([0-9]{1,2}):([0-9]{2})$")
UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
MENTION = re.compile(r"(?<![\w<])@([A-Za-z0-9._-]+)")


def user_id(name: str) -> str:
    """The console's stand-in for a platform user id: the name, lower-cased."""
    return re.sub(r"[^a-z0-9._-]+", "-", name.strip().lower()).strip("-") or "someone"


class ConsoleWorkspace:
    """Reads lines, acts on them, prints what the bot says."""

    def __init__(
        self,
        app: App,
        platform: ConsolePlatform,
        board: ButtonBoard,
        write: Callable[[str], None] = print,
        remember_clock: Callable[[datetime], Awaitable[None]] | None = None,
        mailbox: ConsoleMailbox | None = None,
    ) -> None:
        if not isinstance(app.clock, ManualClock):
            raise TypeError("the console workspace runs on a simulated clock")
        self.app = app
        self.clock: ManualClock = app.clock
        self.platform = platform
        self.board = board
        self.write = write
        self.remember_clock = remember_clock
        self.mailbox = mailbox
        #: The board entry of the mailbox last shown, and whose links it holds.
        self._mail: tuple[int, Actor] | None = None
        self._form_actor: Actor | None = None
        self.channels = [c for c in app.settings.communities if c.platform == "console"]
        if not self.channels:
            raise ValueError("no community in the configuration is on the 'console' platform")
        self.community = self.channels[0]
        self.actor_name = "Sam"
        self._form: Form | None = None
        self._answers: list[tuple[str, str]] = []
        self.done = False

    @property
    def actor(self) -> Actor:
        uid = user_id(self.actor_name)
        self.platform.names[uid] = self.actor_name
        return Actor("console", uid, self.actor_name, self.community.channel)

    def greet(self) -> None:
        self.write(
            f"You are in #{self.community.channel} ({self.community.name}) as "
            f"{self.actor_name}, at {self.platform.stamp()} {self.community.timezone}. "
            "Type /cop help, or /help for the console's own commands."
        )

    async def start(self) -> None:
        """Catch up on anything due and deliver it."""
        self.app.run_due()
        await self.app.dispatcher.drain()

    async def run(self, lines: Iterable[str] | AsyncIterator[str], echo: bool = False) -> None:
        """Act on each line until they run out or someone types /quit."""
        if not isinstance(lines, AsyncIterator):
            lines = _as_async(lines)
        async for line in lines:
            if echo:
                self.write(f"> {line.rstrip()}")
            await self.feed(line)
            if self.done:
                break

    async def feed(self, line: str) -> None:
        """Act on one line of input."""
        line = line.strip()
        if self._form is not None:
            await self._answer(line)
            return
        if not line:
            return
        if line.isascii() and line.isdigit():
            await self._press(int(line))
        elif line.startswith("/cop"):
            text = MENTION.sub(lambda m: f"<@{user_id(m.group(1))}>", line)
            self._form_actor = None
            await self._send(Inbound(self.actor, "text", text=text))
        elif line.startswith("/as"):
            name = line[3:].strip()
            if not name:
                self.write("Usage: /as NAME")
                return
            self.actor_name = name[:60]
            self.write(f"(you are now {self.actor_name})")
        elif line.startswith("/clock"):
            await self._clock(line[6:].strip())
        elif line.startswith("/in"):
            self._switch(line[3:].strip())
        elif line.startswith("/mail"):
            self._read_mail(line[5:].strip())
        elif line in ("/quit", "/exit"):
            self.done = True
        elif line == "/help":
            self.write(__doc__ or "")
        else:
            self.write("(the console reads /cop commands, button numbers and /help)")

    async def _send(self, inbound: Inbound) -> None:
        self._show(self.app.handle(inbound), inbound.actor)
        self.app.run_due()
        await self.app.dispatcher.drain()

    def _show(self, response: Response, actor: Actor | None = None) -> None:
        if response.message is not None:
            by_mail = actor is not None and actor.platform == "email"
            who = self._mail_name(actor) if by_mail and actor else self.actor_name
            self.write(f"(only {who} sees this" + (", on the web page)" if by_mail else ")"))
            for line in render(response.message, self.board, user_id(self.actor_name)):
                self.write(line)
        if response.form is not None:
            self._open(response.form)

    async def _press(self, number: int) -> None:
        entry, buttons = self.board.latest(user_id(self.actor_name))
        button = buttons[number - 1] if 1 <= number <= len(buttons) else None
        if button is None:
            self.write(f"(there's no button {number} on the latest message you saw)")
            return
        actor = self.actor
        if self._mail is not None and self._mail[0] == entry:  # a link in an email
            actor = self._mail[1]
            self.write(f"(the link '{button.label}' opens, as {self._mail_name(actor)})")
        else:
            self.write(f"({self.actor_name} pressed '{button.label}')")
        self._form_actor = actor
        await self._send(Inbound(actor, "button", action=button.action, value=button.value))

    def _read_mail(self, name: str) -> None:
        """Print a member's emails, their links numbered (a number opens one, as them)."""
        if self.mailbox is None or not name:
            self.write("Usage: /mail NAME (a member invited by email)")
            return
        wanted = name.casefold()
        owners = [
            owner
            for owner, mails in self.mailbox.boxes.items()
            if isinstance(owner, int)
            and any(wanted in (m.name.casefold(), m.to.casefold()) for m in mails)
        ]
        if not owners:
            self.write(f"(no emails for '{name}' yet: invite them with /cop invite ADDRESS NAME)")
            return
        owner = owners[0]
        mails = self.mailbox.boxes[owner][-5:]
        self.write(f"({mails[-1].name}'s mailbox, {mails[-1].to}: the last {len(mails)})")
        links: list[Button] = []
        for mail in mails:
            self.write(f"[{self.platform.stamp(mail.at)}] From copbot · {mail.message.title or ''}")
            as_read = for_email(mail.message)  # as the email says it: no typed commands
            for line in render(as_read.model_copy(update={"buttons": ()}), self.board):
                self.write(line)
            numbered = [
                f"[{len(links) + n}] {b.label}" for n, b in enumerate(mail.message.buttons, 1)
            ]
            links.extend(mail.message.buttons)
            if numbered:
                self.write("  links: " + "   ".join(numbered))
        links.append(Button(label="Unsubscribe", action="email.unsubscribe"))
        self.write(f"  [{len(links)}] Unsubscribe (in every email)")
        self.board.show(tuple(links), user_id(self.actor_name))
        entry = self.board.latest(user_id(self.actor_name))[0]
        self._mail = (entry, Actor("email", f"member:{owner}", "", None))

    def _mail_name(self, actor: Actor) -> str:
        assert self.mailbox is not None
        owner = int(actor.user_id.partition(":")[2])
        mails = self.mailbox.boxes.get(owner) or []
        return mails[-1].name if mails else "them"

    def _open(self, form: Form) -> None:
        self._form, self._answers = form, []
        self.write(f"== {form.title} == (answer each question; /cancel to stop)")
        self._prompt()

    def _prompt(self) -> None:
        assert self._form is not None
        field = self._form.fields[len(self._answers)]
        hint = f" [now: {field.initial}]" if field.initial else ""
        self.write(f"  {field.label}{hint}:")
        for index, choice in enumerate(field.choices, 1):
            self.write(f"    {index}. {choice.label}")

    async def _answer(self, line: str) -> None:
        form = self._form
        assert form is not None
        if line in ("/cancel", "/quit", "/exit"):
            self._form = None
            self.write("(form closed, nothing sent)")
            self.done = line != "/cancel"
            return
        field = form.fields[len(self._answers)]
        value = line or (field.initial or "")
        if field.choices:
            if value.isascii() and value.isdigit() and 1 <= int(value) <= len(field.choices):
                value = field.choices[int(value) - 1].value
            elif value not in {c.value for c in field.choices}:
                self.write(f"  (choose a number from 1 to {len(field.choices)})")
                return
        self._answers.append((field.name, value))
        if len(self._answers) < len(form.fields):
            self._prompt()
            return
        self._form = None
        await self._send(
            Inbound(
                self._form_actor or self.actor,
                "form",
                form_id=form.form_id,
                metadata=form.metadata,
                values=tuple(self._answers),
            )
        )

    async def _clock(self, spec: str) -> None:
        if not spec:
            self.write(f"(it is {self.platform.stamp()} {self.community.timezone})")
            return
        target = self._target(spec)
        if target is None:
            self.write("(try /clock +2d, +3h, +30m, +1w, /clock 10:00 or /clock 2026-12-01 09:00)")
            return
        if target <= self.clock.now():
            self.write("(time only moves forward here)")
            return
        await self.app.advance(target)
        if self.remember_clock is not None:
            await self.remember_clock(self.clock.now())
        self.write(f"(it is now {self.platform.stamp()})")

    def _target(self, spec: str) -> datetime | None:
        step = STEP.match(spec.replace(" ", ""))
        if step:
            amount, unit = int(step.group(1)), UNITS[step.group(2)]
            return self.clock.now() + timedelta(**{unit: amount})
        zone = ZoneInfo(self.community.timezone)
        at = TIME_OF_DAY.match(spec)
        if at:  # the next time the community's clocks show HH:MM
            hour, minute = int(at.group(1)), int(at.group(2))
            if hour > 23 or minute > 59:
                return None
            now = self.clock.now().astimezone(zone)
            day = now.date()
            for _ in range(3):
                moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
                if moment > now:
                    return moment
                day += timedelta(days=1)
            return None
        try:
            local = datetime.strptime(spec, "%Y-%m-%d %H:%M")
        except ValueError:
            return None
        return local.replace(tzinfo=zone)

    def _switch(self, name: str) -> None:
        for community in self.channels:
            if community.name == name:
                self.community = community
                self.write(f"(you are now in #{community.channel})")
                return
        names = ", ".join(c.name for c in self.channels)
        self.write(f"(no console community called '{name}'; there is: {names})")


async def _as_async(lines: Iterable[str]) -> AsyncIterator[str]:
    for line in lines:
        yield line


async def stdin_lines() -> AsyncIterator[str]:
    """Lines from standard input, with a prompt when a person is typing.

    Reading waits in a daemon thread, so the event loop keeps answering (`/healthz`,
    the outbox) while nobody types, and a stop never waits on a read that cannot end.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    wanted = threading.Semaphore(0)  # one line is read per line asked for
    interactive = sys.stdin.isatty()

    def read() -> None:
        while True:
            wanted.acquire()
            try:
                line: str | None = input("> ") if interactive else sys.stdin.readline()
            except (EOFError, OSError, ValueError):
                line = None
            if line == "" and not interactive:
                line = None
            try:
                loop.call_soon_threadsafe(queue.put_nowait, line)
            except RuntimeError:  # the loop has closed: nobody is listening any more
                return
            if line is None:
                return

    threading.Thread(target=read, name="console-stdin", daemon=True).start()
    while True:
        wanted.release()
        line = await queue.get()
        if line is None:
            return
        yield line
