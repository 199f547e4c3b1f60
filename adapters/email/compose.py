"""One outbox message made into one email: a text part and an HTML part (Jinja2, autoescaped),
every button a signed link to the member's web page, their settings page and a one-click
unsubscribe (RFC 8058) on every email, and a Message-ID that is the same each time the same
outbox row is sent (a resend after a crash is recognisably the same email).

Headers go through `email.headerregistry`, and every value a member could have typed (their
name, a title) is made one line first: no text can add a header or a recipient.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from bot.config_email import EmailSettings
from bot.contact import Recipient
from bot.email_words import for_email
from bot.links import Links
from bot.messages import Button, OutMessage

PURPOSE = b"copbot-message-id"
SUBJECT_LIMIT = 150
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
_LEADING_NUMBER = re.compile(r"(?:c[0-9]+\|)?([0-9]{1,18})")

#: Which page of the member's a button leads to (by the button's action prefix).
PAGES: dict[str, str] = {
    "email.confirm": "confirm",
    "email.unsubscribe": "unsubscribe",
    "email.home": "home",
    "checkin.": "checkin",
    "poll.": "poll",
    "pledge.": "pledge",
    "win.": "win",
    "story.": "story",
    "me.": "settings",
    "mydata.forget": "forget",
    "mydata.": "mydata",
    "rsvp.": "rsvp",
    "findtime.": "findtime",
    "trios.": "trios",
    "pulse.": "pulse",
    "plan.volunteer": "plan",
    "help.offer": "help",
}
#: Pages that are about one thing (the button's value starts with its id).
TARGETED = {"checkin", "poll", "pledge", "win", "rsvp", "findtime", "trios", "pulse", "help"}
#: Pages whose link names every answer it offers ("Going / Maybe / Can't make it").
SPELLED_OUT = {"rsvp", "trios"}
#: A meeting ('m12') or an event ('e3'): the rsvp page's target is +12 or -3.
_GATHERING = re.compile(r"(?:c[0-9]+\|)?([me])([0-9]{1,18})")


@dataclass(frozen=True)
class LinkView:
    label: str
    url: str
    primary: bool


def one_line(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """`text` as one header-safe line: line breaks and control characters become spaces."""
    flat = " ".join(_LINE_BREAKS.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def message_id(secret: bytes, key: str, domain: str) -> str:
    """The Message-ID of the outbox row `key`: stable across resends, revealing nothing."""
    mac = hmac.new(hmac.new(secret, PURPOSE, hashlib.sha256).digest(), key.encode(), "sha256")
    return f"<{mac.hexdigest()[:40]}@{domain}>"


def page_for(button: Button) -> tuple[str, int | None]:
    """The link action (and target id) a button in an email opens."""
    page = next(
        (
            page
            for prefix, page in PAGES.items()
            if button.action == prefix
            or (prefix.endswith(".") and button.action.startswith(prefix))
        ),
        None,
    )
    if page is None:
        return "home", None
    if page not in TARGETED:
        return page, None
    if page == "rsvp":
        ref = _GATHERING.match(button.value)
        if ref is None:
            return "home", None
        return page, int(ref.group(2)) * (1 if ref.group(1) == "m" else -1)
    if page == "help":  # 'a<n>': the anonymous request -<n> (its id is random and negative)
        found = _LEADING_NUMBER.match(button.value.removeprefix("a"))
        return (page, int(found.group(1))) if found else ("home", None)
    found = _LEADING_NUMBER.match(button.value)
    return page, int(found.group(1)) if found else None


def button_links(message: OutMessage, links: Links, member_id: int, epoch: int) -> list[LinkView]:
    """Each button as a link to its page: buttons that lead to the same page are one link
    (four pledge answers are one page; Going / Maybe / Can't make it another). "Add to my
    calendar" needs no link when the email carries the calendar file."""
    pages: dict[tuple[str, int | None], list[Button]] = {}
    for button in message.buttons:
        if button.action == "rsvp.calendar" and message.attachment is not None:
            continue
        pages.setdefault(page_for(button), []).append(button)
    views = []
    for (action, target), buttons in pages.items():
        if action == "pledge" and len(buttons) > 1:
            label = "Answer"
        elif action in SPELLED_OUT:
            label = " / ".join(b.label for b in buttons if b.action != "rsvp.calendar")
        else:
            label = buttons[0].label
        url = links.url(member_id, action, target, epoch=epoch)
        primary = any(b.style == "primary" for b in buttons) or not views
        views.append(LinkView(label or buttons[0].label, url, primary))
    return views


@cache
def environment() -> Environment:
    """The HTML template, loaded once (autoescaped: nothing typed becomes markup)."""
    return Environment(
        loader=PackageLoader("adapters.email", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def compose(
    message: OutMessage,
    key: str,
    recipient: Recipient,
    *,
    settings: EmailSettings,
    links: Links,
    secret: bytes,
    now: datetime,
) -> EmailMessage:
    """The email to one member."""
    message = for_email(message)
    epoch = recipient.link_epoch
    buttons = button_links(message, links, recipient.member_id, epoch)
    unsubscribe = links.url(recipient.member_id, "unsubscribe", epoch=epoch)
    settings_url = links.url(recipient.member_id, "settings", epoch=epoch)
    home_url = links.url(recipient.member_id, "home", epoch=epoch)
    email = _headers(message, key, recipient.community, settings=settings, secret=secret, now=now)
    email["To"] = Address(one_line(recipient.name, 80), addr_spec=recipient.address)
    email["List-Unsubscribe"] = f"<{unsubscribe}>"
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    footer = (
        (f"Your page for {one_line(recipient.community, 80)}", home_url),
        ("Your settings (how often, quiet hours, your data)", settings_url),
        ("Unsubscribe: no more email from copbot", unsubscribe),
    )
    if not recipient.confirmed:  # the invitation: no page yet, only "ignore it" or leave
        footer = footer[2:]
    _body(email, message, recipient.community, buttons, footer)
    return email


def compose_for_list(
    message: OutMessage,
    key: str,
    community: str,
    address: str,
    *,
    settings: EmailSettings,
    secret: bytes,
    now: datetime,
) -> EmailMessage:
    """The newsletter to a mailing list: no personal links (the list manages its members)."""
    email = _headers(message, key, community, settings=settings, secret=secret, now=now)
    email["To"] = Address(f"{community} list", addr_spec=address)
    plain = for_email(message).model_copy(update={"buttons": ()})
    _body(email, plain, community, [], ())
    return email


def _headers(
    message: OutMessage,
    key: str,
    community: str,
    *,
    settings: EmailSettings,
    secret: bytes,
    now: datetime,
) -> EmailMessage:
    email = EmailMessage(policy=SMTP)
    email["From"] = Address(one_line(settings.from_name, 80), addr_spec=settings.from_address)
    email["Subject"] = one_line(message.title or f"A message from {community}")
    email["Date"] = format_datetime(now)
    email["Message-ID"] = message_id(secret, key, settings.domain)
    email["List-Id"] = f"{community} <{community}.{settings.domain}>"
    email["Auto-Submitted"] = "auto-generated"
    return email


def _body(
    email: EmailMessage,
    message: OutMessage,
    community: str,
    buttons: list[LinkView],
    footer: tuple[tuple[str, str], ...],
) -> None:
    lines = [message.model_copy(update={"buttons": (), "attachment": None}).as_text(), ""]
    lines += [f"{b.label}: {b.url}" for b in buttons]
    if buttons:
        lines.append("")
    lines += ["--", f"copbot for {community}"]
    lines += [f"{label}: {url}" for label, url in footer]
    email.set_content("\n".join(lines) + "\n")
    html = (
        environment()
        .get_template("message.html")
        .render(message=message, community=community, buttons=buttons, footer=footer)
    )
    email.add_alternative(html, subtype="html")
    attachment = message.attachment
    if attachment is not None:
        main, _, sub = attachment.mime.partition("/")
        email.add_attachment(
            attachment.body,
            maintype=main or "application",
            subtype=sub or "octet-stream",
            filename=one_line(attachment.filename, 100),
        )
