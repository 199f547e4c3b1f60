"""One page per link action, and what its forms send to the core.

A page reads through `bot.pages` and the core's own read-only commands; everything a member
does is an interaction through the bus (platform "email", user "member:<id>"), so every
feature's checks, the patient-identifier guard and the mention rules apply. The page then
shows the core's reply: its message, its buttons and its forms, which carry what the core
offered sealed (see signing.py), so a form can only press what the core put on this link's
page, and only what this link's action allows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
from bot.messages import Form, OutMessage, Response

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


class Pages:
    """Renders each page and carries out what its forms send."""

    def __init__(self, core: App, links: Links, signer: Signer, env: Environment) -> None:
        self.core = core
        self.links = links
        self.signer = signer
        self.env = env
        self.zones = translate.timezones()

    # ---- entry points ------------------------------------------------------------------

    def index(self) -> str:
        return self._render("index.html", None, title="copbot", css="static/site.css")

    def refused(self, reason: str) -> str:
        title, text = REFUSALS.get(reason, REFUSALS["malformed"])
        css = "static/site.css" if reason == "missing" else STATIC
        return self._render("refused.html", None, title=title, text=text, css=css)

    def show(self, visit: Visit) -> Answer:
        shower = _SHOW.get(visit.grant.action)
        if shower is None:
            return self._refuse("wrong")
        return shower(self, visit, None)

    def submit(self, visit: Visit, pairs: Sequence[tuple[str, str]]) -> Answer:
        fields = dict(reversed(pairs))  # the first value of each name
        if visit.grant.action == "unsubscribe" and one_click(pairs):
            return self._unsubscribe_send(visit, pairs, fields, None)
        form_nonce = fields.get("n", "")
        if not self.signer.csrf_ok(visit.token, form_nonce, fields.get("csrf", "")):
            return self._refuse("stale")
        action = visit.grant.action
        do = fields.get("do", "")
        if do in ("button", "form"):
            sealed = self.signer.unseal(visit.token, fields.get("sealed", ""))
            if sealed is None:
                return self._refuse("stale")
            return self._core_submit(visit, do, sealed, fields, form_nonce)
        if do not in OWN_FORMS.get(action, ()):
            return self._refuse("wrong")
        return _OWN[(action, do)](self, visit, pairs, fields, form_nonce)

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

    # ---- pages -------------------------------------------------------------------------

    def _checkin(self, visit: Visit, problem: translate.PageError | None, **typed: Any) -> Answer:
        with self._session() as session:
            view = queries.checkin(session, visit.place.community_id, visit.grant.target)
        if view is None:
            return self._refuse("gone")
        mine = self._look(visit, kind="button", action="checkin.show") if view.open else None
        words = visit.place.words
        kinds = (("success", words.success), ("challenge", words.challenge))
        return self._page(
            visit,
            "checkin.html",
            422 if problem else 200,
            title=f"Your {words.checkin}",
            checkin=view,
            closes=self._when(visit, view.closes_at),
            kinds=(*kinds, ("learning", words.learning)),
            mine=_own_replies(mine, view.question),
            skip=self._hidden(visit),
            error=str(problem) if problem else None,
            error_field=problem.field if problem else None,
            typed=typed.get("typed", {}),
        )

    def _checkin_reply(self, visit, pairs, fields, n):  # type: ignore[no-untyped-def]
        view = self._target_checkin(visit)
        if view is None:
            return self._refuse("gone")
        try:
            form_id, metadata, values = translate.checkin_reply(view.id, fields)
        except translate.PageError as problem:
            return self._checkin(visit, problem, typed=fields)
        inbound = self._inbound(
            visit, n, kind="form", form_id=form_id, metadata=metadata, values=values
        )
        response = self._handle(inbound)
        if response.field_error is not None:
            field = "text" if response.field in (None, "text") else response.field
            problem = translate.PageError(response.field_error, field)
            return self._checkin(visit, problem, typed=fields)
        return self._reply(visit, response)

    def _checkin_skip(self, visit, pairs, fields, n):  # type: ignore[no-untyped-def]
        view = self._target_checkin(visit)
        if view is None:
            return self._refuse("gone")
        inbound = self._inbound(visit, n, kind="button", action="checkin.skip", value=f"{view.id}:")
        return self._reply(visit, self._handle(inbound))

    def _target_checkin(self, visit: Visit) -> queries.CheckInView | None:
        with self._session() as session:
            return queries.checkin(session, visit.place.community_id, visit.grant.target)

    def _poll(self, visit: Visit, problem: translate.PageError | None, **typed: Any) -> Answer:
        view = self._target_poll(visit)
        if view is None:
            return self._refuse("gone")
        current = self._look(visit, kind="text", text=f"/cop poll {view.id}")
        return self._page(
            visit,
            "poll.html",
            422 if problem else 200,
            title=view.question,
            poll=view,
            closes=self._when(visit, view.closes_at),
            current=buttonless(current.message),
            clear=self._hidden(visit),
            error=str(problem) if problem else None,
            error_field=problem.field if problem else None,
            typed=dict(typed.get("typed", {})),
        )

    def _target_poll(self, visit: Visit) -> queries.PollView | None:
        if visit.grant.target is None:
            return None
        with self._session() as session:
            return queries.poll(session, visit.place.community_id, visit.grant.target)

    def _poll_vote(self, visit, pairs, fields, n):  # type: ignore[no-untyped-def]
        view = self._target_poll(visit)
        if view is None:
            return self._refuse("gone")
        try:
            form_id, metadata, values = translate.ballot(view, pairs)
        except translate.PageError as problem:
            return self._poll(visit, problem, typed=pairs)
        response = self._handle(
            self._inbound(visit, n, kind="form", form_id=form_id, metadata=metadata, values=values)
        )
        return self._reply(visit, response)

    def _poll_clear(self, visit, pairs, fields, n):  # type: ignore[no-untyped-def]
        view = self._target_poll(visit)
        if view is None:
            return self._refuse("gone")
        inbound = self._inbound(visit, n, kind="text", text=f"/cop vote {view.id} clear")
        return self._reply(visit, self._handle(inbound))

    def _win(self, visit: Visit, problem: translate.PageError | None, **typed: Any) -> Answer:
        view = None
        if visit.grant.target is not None:
            with self._session() as session:
                view = queries.win(session, visit.place.community_id, visit.grant.target)
            if view is None:
                return self._refuse("gone")
        return self._page(
            visit,
            "win.html",
            422 if problem else 200,
            title=f"Share a {visit.place.words.win}" if view is None else visit.place.words.win,
            win=view,
            when=self._when(visit, view.posted_at) if view else None,
            cheer=self._hidden(visit),
            error=str(problem) if problem else None,
            error_field=problem.field if problem else None,
            typed=typed.get("typed", {}),
        )

    def _win_cheer(self, visit, pairs, fields, n):  # type: ignore[no-untyped-def]
        if visit.grant.target is None:
            return self._refuse("wrong")
        value = str(visit.grant.target)
        return self._reply(
            visit,
            self._handle(self._inbound(visit, n, kind="button", action="win.cheer", value=value)),
        )

    def _win_share(self, visit, pairs, fields, n):  # type: ignore[no-untyped-def]
        try:
            form_id, metadata, values = translate.win_share(fields)
        except translate.PageError as problem:
            return self._win(visit, problem, typed=fields)
        inbound = self._inbound(
            visit, n, kind="form", form_id=form_id, metadata=metadata, values=values
        )
        response = self._handle(inbound)
        if response.field_error is not None:
            field = "text" if response.field in (None, "text") else response.field
            return self._win(visit, translate.PageError(response.field_error, field), typed=fields)
        return self._reply(visit, response)

    def _pledge(self, visit: Visit, problem: translate.PageError | None) -> Answer:
        view = None
        if visit.grant.target is not None:
            with self._session() as session:
                view = queries.pledge(session, visit.place.member_id, visit.grant.target)
        if view is None:
            return self._refuse("gone")
        buttons = []
        if view.open:
            for action, label in (
                ("pledge.done", "Done"),
                ("pledge.later", "Still working on it"),
                ("pledge.help", "I'd like some help"),
                ("pledge.letgo", "Let it go"),
            ):
                sealed = self.signer.seal(visit.token, {"action": action, "value": str(view.id)})
                buttons.append(ButtonView(label, "default", sealed, self._hidden(visit)))
        return self._page(
            visit,
            "pledge.html",
            200,
            title=f"Your {visit.place.words.pledge}",
            pledge=view,
            due=self._when(visit, view.due_at),
            buttons=buttons,
        )

    def _story(self, visit: Visit, problem: translate.PageError | None) -> Answer:
        response = self._look(visit, kind="button", action="story.start")
        view = self._reply_view(visit, response)
        return self._page(
            visit, "story.html", 200, title="Tell a story", reply=view, form=view.form
        )

    def _pulse(self, visit: Visit, problem: translate.PageError | None) -> Answer:
        target = str(visit.grant.target)
        response = self._look(visit, kind="button", action="pulse.start", value=target)
        view = self._reply_view(visit, response)
        title = "An anonymous pulse"
        return self._page(visit, "pulse.html", 200, title=title, reply=view, form=view.form)

    def _settings(self, visit: Visit, problem: translate.PageError | None, **typed: Any) -> Answer:
        profile = self._look(visit, kind="text", text="/cop me")
        with self._session() as session:
            member = queries.settings(session, visit.place.member_id)
            email = queries.email(session, visit.place.member_id)
        if member is None:
            return self._refuse("gone")
        return self._page(
            visit,
            "settings.html",
            422 if problem else 200,
            title="Your settings",
            profile=buttonless(profile.message),
            me=member,
            email=email,
            zones=self.zones,
            error=str(problem) if problem else None,
            error_field=problem.field if problem else None,
            typed=typed.get("typed", {}),
        )

    def _settings_save(self, visit, pairs, fields, n):  # type: ignore[no-untyped-def]
        try:
            form_id, metadata, values = translate.settings(fields, self.zones)
            digest = translate.digest(fields)
        except translate.PageError as problem:
            return self._settings(visit, problem, typed=fields)
        response = self._handle(
            self._inbound(visit, n, kind="form", form_id=form_id, metadata=metadata, values=values)
        )
        if response.field_error is not None:
            problem = translate.PageError(response.field_error, response.field or "quiet")
            return self._settings(visit, problem, typed=fields)
        email = self._email(visit)
        if digest is not None and email is not None and digest != email.digest:
            text = f"/cop email digest {digest}"
            chosen = self._handle(self._inbound(visit, f"{n}:digest", kind="text", text=text))
            response = _together(response, chosen)
        return self._reply(visit, response, title="Your settings")

    def _mydata(self, visit: Visit, problem: translate.PageError | None) -> Answer:
        return self._page(visit, "mydata.html", 200, title="Your data")

    def _mydata_send(self, visit, pairs, fields, n):  # type: ignore[no-untyped-def]
        inbound = self._inbound(visit, n, kind="text", text="/cop mydata")
        return self._reply(visit, self._handle(inbound), title="Your data")

    def _forget(self, visit: Visit, problem: translate.PageError | None) -> Answer:
        return self._page(visit, "forget.html", 200, title="Erase what copbot holds about you")

    def _forget_confirm(self, visit, pairs, fields, n):  # type: ignore[no-untyped-def]
        choice = fields.get("choice", "")
        if choice == "cancel":
            inbound = self._inbound(visit, n, kind="button", action="mydata.cancel")
        elif choice in ("all", "keep"):
            inbound = self._inbound(visit, n, kind="button", action="mydata.forget", value=choice)
        else:
            return self._page(
                visit,
                "forget.html",
                422,
                title="Erase what copbot holds about you",
                error="Please choose what to erase, or cancel.",
                error_field="choice",
            )
        return self._reply(visit, self._handle(inbound), title="Erase what copbot holds about you")

    def _home(self, visit: Visit, problem: translate.PageError | None) -> Answer:
        now = self.core.clock.now()
        with self._session() as session:
            view = queries.home(session, visit.place.community_id, now)
        polls = [
            (p, self._when(visit, p.closes_at), self._link(visit, "poll", p.id)) for p in view.polls
        ]
        wins = [(w, self._link(visit, "win", w.id)) for w in view.wins]
        posts = [(self._when(visit, p.at), p.message) for p in view.posts]
        meeting = self._when(visit, view.next_meeting) if view.next_meeting else None
        checkin = None
        if view.checkin is not None:
            checkin = (
                view.checkin,
                self._when(visit, view.checkin.closes_at),
                self._link(visit, "checkin", view.checkin.id),
            )
        links = {
            name: self._link(visit, name)
            for name in ("settings", "mydata", "forget", "story", "win")
        }
        return self._page(
            visit,
            "home.html",
            200,
            title=visit.place.community,
            polls=polls,
            wins=wins,
            posts=posts,
            meeting=meeting,
            topic=view.next_topic,
            checkin=checkin,
            links=links,
        )

    def _email(self, visit: Visit) -> queries.EmailView | None:
        with self._session() as session:
            return queries.email(session, visit.place.member_id)

    def _confirm(self, visit: Visit, problem: translate.PageError | None) -> Answer:
        email = self._email(visit)
        if email is None:
            return self._refuse("gone")
        links = self._member_links(visit) if email.confirmed else None
        title = f"Join {visit.place.community}"
        return self._page(visit, "confirm.html", 200, title=title, email=email, links=links)

    def _confirm_send(self, visit, pairs, fields, n):  # type: ignore[no-untyped-def]
        response = self._handle(self._inbound(visit, n, kind="button", action="email.confirm"))
        email = self._email(visit)
        if email is None or response.message is None:
            return self._refuse("gone")
        return self._page(
            visit,
            "confirm.html",
            200 if email.confirmed else 409,
            title=f"Join {visit.place.community}",
            email=email,
            reply=buttonless(response.message),
            links=self._member_links(visit) if email.confirmed else None,
        )

    def _member_links(self, visit: Visit) -> dict[str, str | None]:
        home = self._link(visit, "home") if visit.place.email_only else None
        return {"home": home, "settings": self._link(visit, "settings")}

    def _unsubscribe(self, visit: Visit, problem: translate.PageError | None) -> Answer:
        email = self._email(visit)
        if email is None:
            return self._refuse("gone")
        title = "Unsubscribe"
        return self._page(visit, "unsubscribe.html", 200, title=title, already=email.unsubscribed)

    def _unsubscribe_send(self, visit, pairs, fields, n):  # type: ignore[no-untyped-def]
        inbound = self._inbound(visit, n, kind="button", action="email.unsubscribe")
        response = self._handle(inbound)
        if response.message is None:
            return self._refuse("gone")
        return self._page(
            visit, "unsubscribe.html", 200, title="Unsubscribed", reply=buttonless(response.message)
        )

    def unsubscribed_already(self, visit: Visit) -> Answer | None:
        """For an unsubscribe link revoked by unsubscribing: a calm "you're unsubscribed"
        page (mail clients may send the one-click request again); None otherwise."""
        email = self._email(visit)
        if visit.grant.action != "unsubscribe" or email is None or not email.unsubscribed:
            return None
        return self._page(visit, "unsubscribe.html", 200, title="Unsubscribed", already=True)

    def _link(self, visit: Visit, action: str, target: int | None = None) -> str:
        return self.links.url(visit.grant.member_id, action, target, epoch=visit.grant.epoch)


def _own_replies(shown: Response | None, question: str) -> OutMessage | None:
    """The core's view of the open check-in, less what the page already shows."""
    if shown is None or shown.message is None:
        return None
    sections = tuple(s for s in shown.message.sections if s.text != question)
    return OutMessage(sections=sections)


def _together(first: Response, then: Response) -> Response:
    """Two answers of one form, shown as one message."""
    if first.message is None or then.message is None:
        return then if first.message is None else first
    sections = (*first.message.sections, *then.message.sections)
    return first.model_copy(
        update={"message": first.message.model_copy(update={"sections": sections})}
    )


def one_click(pairs: Sequence[tuple[str, str]]) -> bool:
    """The request is RFC 8058's one-click unsubscribe."""
    return ONE_CLICK in pairs


def _allowed(link_action: str, name: str) -> bool:
    return any(name.startswith(p) for p in ALLOWED.get(link_action, ()))


Shower = Callable[[Pages, Visit, "translate.PageError | None"], Answer]
_SHOW: dict[str, Shower] = {
    "checkin": Pages._checkin,
    "poll": Pages._poll,
    "win": Pages._win,
    "pledge": Pages._pledge,
    "story": Pages._story,
    "pulse": Pages._pulse,
    "settings": Pages._settings,
    "mydata": Pages._mydata,
    "forget": Pages._forget,
    "home": Pages._home,
    "confirm": Pages._confirm,
    "unsubscribe": Pages._unsubscribe,
    "rsvp": answers.rsvp,
    "findtime": answers.findtime,
    "trios": answers.trios,
}
_OWN: dict[tuple[str, str], Callable[..., Answer]] = {
    ("checkin", "reply"): Pages._checkin_reply,
    ("checkin", "skip"): Pages._checkin_skip,
    ("win", "cheer"): Pages._win_cheer,
    ("win", "share"): Pages._win_share,
    ("poll", "vote"): Pages._poll_vote,
    ("poll", "clear"): Pages._poll_clear,
    ("settings", "settings"): Pages._settings_save,
    ("mydata", "mydata"): Pages._mydata_send,
    ("forget", "forget"): Pages._forget_confirm,
    ("confirm", "confirm"): Pages._confirm_send,
    ("unsubscribe", "unsubscribe"): Pages._unsubscribe_send,
}
