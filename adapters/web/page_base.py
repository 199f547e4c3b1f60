"""What every web page shares: the admitted link (`Visit`), the answer (`Answer`), which
core buttons and forms each link action may use, talking to the core, and rendering."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment
from sqlmodel import Session

from adapters.web import answers, translate
from adapters.web.render import (
    ButtonView,
    Hidden,
    ReplyView,
    buttonless,
    form_view,
    is_empty,
)
from adapters.web.signing import Signer, nonce
from bot import pages as queries
from bot.bootstrap import App
from bot.bus import ROUTE_PLATFORM
from bot.commands import Actor, Inbound
from bot.domain.checkins import local_time
from bot.email_words import PAGE, for_email
from bot.links import LinkGrant, Links
from bot.messages import Form, Response

#: The core buttons and forms each link action may use (prefixes of their names).
ALLOWED: dict[str, tuple[str, ...]] = {
    "checkin": ("checkin.", "guard.", "win.from_reply", "win.share"),
    "win": ("win.cheer", "win.share", "win.agree", "win.decline", "guard."),
    "pledge": ("pledge.", "guard."),
    "poll": ("poll.vote", "poll.ballot"),
    "story": ("story.", "guard."),
    "pulse": ("pulse.", "guard."),
    "settings": ("me.",),
    "forget": ("mydata.forget", "mydata.cancel"),
    "confirm": ("email.confirm",),
    "unsubscribe": ("email.unsubscribe",),
    **answers.ALLOWED,
}
#: The page's own forms each link action has (see translate.py).
OWN_FORMS: dict[str, tuple[str, ...]] = {
    "checkin": ("reply", "skip"),
    "win": ("cheer", "share"),
    "poll": ("vote", "clear"),
    "settings": ("settings",),
    "mydata": ("mydata",),
    "forget": ("forget",),
    "confirm": ("confirm",),
    "unsubscribe": ("unsubscribe",),
}
#: The body a mail client POSTs to a `List-Unsubscribe` address (RFC 8058). It carries no
#: CSRF token (it can't): the signed link is the authority.
ONE_CLICK = ("List-Unsubscribe", "One-Click")
STATIC = "../static/site.css"

REFUSALS = {
    "malformed": (
        "This link doesn't work",
        "It may have been cut short when it was copied. Nothing was changed. Please use the "
        "link in your newest email from copbot.",
    ),
    "forged": (
        "This link doesn't work",
        "It may have been cut short when it was copied. Nothing was changed. Please use the "
        "link in your newest email from copbot.",
    ),
    "expired": (
        "This link has expired",
        "Links in copbot's emails work for two weeks. Nothing was changed. Your newest email "
        "from copbot has links that work.",
    ),
    "revoked": (
        "This link no longer works",
        "You unsubscribed, or asked copbot to forget you, so the links in older emails stopped "
        "working. Nothing was changed.",
    ),
    "wrong": (
        "This link can't do that",
        "Each link in copbot's emails does one thing. Nothing was changed. Please use the link "
        "for what you want to do.",
    ),
    "stale": (
        "This form is out of date",
        "It didn't come from this page, or it was changed on the way. Nothing was changed. "
        "Please open the link from your email again.",
    ),
    "gone": (
        "There's nothing here any more",
        "What this link was for has been removed. Nothing was changed.",
    ),
    "missing": ("There's no page here", "Please use a link from one of copbot's emails."),
    "broken": (
        "Sorry, something went wrong",
        "Something went wrong on copbot's side and nothing was changed. Please try again soon.",
    ),
}
STATUS = {"wrong": 403, "stale": 403, "gone": 404, "missing": 404, "broken": 500}


@dataclass(frozen=True)
class Visit:
    """An admitted link: its token, what it grants, and whose it is."""

    token: str
    grant: LinkGrant
    place: queries.Place


@dataclass(frozen=True)
class Answer:
    status: int
    html: str


class PageBase:
    """Talks to the core and renders; the pages themselves are in activity_pages.py and
    account_pages.py, put together in pages.py."""

    def __init__(self, core: App, links: Links, signer: Signer, env: Environment) -> None:
        self.core = core
        self.links = links
        self.signer = signer
        self.env = env
        self.zones = translate.timezones()

    # ---- plain pages -------------------------------------------------------------------

    def index(self) -> str:
        return self._render("index.html", None, title="copbot", css="static/site.css")

    def refused(self, reason: str) -> str:
        title, text = REFUSALS.get(reason, REFUSALS["malformed"])
        css = "static/site.css" if reason == "missing" else STATIC
        return self._render("refused.html", None, title=title, text=text, css=css)

    # ---- the core's own buttons and forms ----------------------------------------------

    def _core_submit(
        self,
        visit: Visit,
        do: str,
        sealed: dict[str, Any],
        fields: dict[str, str],
        form_nonce: str,
    ) -> Answer:
        if do == "button":
            name = str(sealed.get("action", ""))
            if not _allowed(visit.grant.action, name):
                return self._refuse("wrong")
            value = str(sealed.get("value", ""))
            inbound = self._inbound(visit, form_nonce, kind="button", action=name, value=value)
            return self._reply(visit, self._handle(inbound))
        form = Form.model_validate(sealed.get("form", {}))
        if not _allowed(visit.grant.action, form.form_id):
            return self._refuse("wrong")
        typed = {f.name: fields.get(f"f.{f.name}", "") for f in form.fields}
        inbound = self._inbound(
            visit,
            form_nonce,
            kind="form",
            form_id=form.form_id,
            metadata=form.metadata,
            values=tuple(typed.items()),
        )
        response = self._handle(inbound)
        if response.field_error is not None:
            retry = form_view(
                form,
                sealed=self.signer.seal(visit.token, {"form": form.model_dump(mode="json")}),
                hidden=self._hidden(visit),
                typed=typed,
                error=response.field_error,
                error_field=response.field,
            )
            return self._page(visit, "reply.html", 422, title=form.title, reply=None, form=retry)
        return self._reply(visit, response)

    def _reply(self, visit: Visit, response: Response, title: str | None = None) -> Answer:
        """The core's answer as a page, with its buttons and form ready to use here."""
        view = self._reply_view(visit, response)
        if is_empty(response):
            view.message = None
        return self._page(
            visit,
            "reply.html",
            200,
            title=title or (response.message.title if response.message else None) or "Done",
            reply=view,
            form=view.form,
            done=is_empty(response),
        )

    def _reply_view(self, visit: Visit, response: Response) -> ReplyView:
        action = visit.grant.action
        offered = [
            b
            for b in (response.message.buttons if response.message else ())
            if _allowed(action, b.action)
        ]
        buttons = [
            ButtonView(
                b.label,
                b.style,
                self.signer.seal(visit.token, {"action": b.action, "value": b.value}),
                self._hidden(visit),
            )
            for b in offered
        ]
        message = response.message
        if message is not None:  # nobody types commands here: the page's buttons instead
            message = for_email(message.model_copy(update={"buttons": tuple(offered)}), PAGE)
        form = None
        if response.form is not None and _allowed(action, response.form.form_id):
            sealed = self.signer.seal(visit.token, {"form": response.form.model_dump(mode="json")})
            form = form_view(response.form, sealed, self._hidden(visit))
        return ReplyView(buttonless(message), buttons, form)

    # ---- talking to the core -----------------------------------------------------------

    def _inbound(self, visit: Visit, form_nonce: str | None, **parts: Any) -> Inbound:
        actor = Actor(ROUTE_PLATFORM, f"member:{visit.grant.member_id}", "", None)
        event = f"web:{form_nonce}" if form_nonce else None
        return Inbound(actor=actor, event_id=event, **parts)

    def _handle(self, inbound: Inbound) -> Response:
        """Something the member does (a repeat of the same form is answered with nothing)."""
        return self.core.handle(inbound)

    def _look(self, visit: Visit, **parts: Any) -> Response:
        """A read-only command (showing something), as the member."""
        return self.core.bus.handle(self._inbound(visit, None, **parts))

    # ---- rendering ---------------------------------------------------------------------

    def _hidden(self, visit: Visit) -> Hidden:
        value = nonce()
        return Hidden(value, self.signer.csrf(visit.token, value))

    def _render(self, template: str, visit: Visit | None, **context: Any) -> str:
        place = visit.place if visit else None
        context.setdefault("css", STATIC)
        return self.env.get_template(template).render(
            place=place, words=place.words if place else None, **context
        )

    def _page(self, visit: Visit, template: str, status: int, **context: Any) -> Answer:
        context.setdefault("hidden", self._hidden(visit))
        context.setdefault("error", None)
        context.setdefault("error_field", None)
        context.setdefault("typed", {})
        context.setdefault("done", False)
        context.setdefault("home", None)
        for name in ("reply", "links", "email"):
            context.setdefault(name, None)
        context.setdefault("already", False)
        return Answer(status, self._render(template, visit, **context))

    def _refuse(self, reason: str) -> Answer:
        return Answer(STATUS.get(reason, 403), self.refused(reason))

    def _when(self, visit: Visit, moment: Any) -> str:
        return local_time(moment, visit.place.timezone)

    def _session(self) -> Session:
        return Session(self.core.engine)

    # ---- links -------------------------------------------------------------------------

    def _link(self, visit: Visit, action: str, target: int | None = None) -> str:
        return self.links.url(visit.grant.member_id, action, target, epoch=visit.grant.epoch)


def together(first: Response, then: Response) -> Response:
    """Two answers of one form, shown as one message."""
    if first.message is None or then.message is None:
        return then if first.message is None else first
    sections = (*first.message.sections, *then.message.sections)
    return first.model_copy(
        update={"message": first.message.model_copy(update={"sections": sections})}
    )


def _allowed(link_action: str, name: str) -> bool:
    return any(name.startswith(p) for p in ALLOWED.get(link_action, ()))
