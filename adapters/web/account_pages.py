"""The pages of a member's own account: settings, their data, erasing it, the community's
home page (email-only communities), confirming an address and unsubscribing."""

from __future__ import annotations

from typing import Any

from adapters.web import translate
from adapters.web.page_base import Answer, PageBase, Visit, together
from adapters.web.render import (
    buttonless,
)
from bot import pages as queries


class AccountPages(PageBase):
    """Each account page and its own forms."""

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
            response = together(response, chosen)
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
