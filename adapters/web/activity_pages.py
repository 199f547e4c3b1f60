"""The pages of a member's activity: a check-in, a poll, a win, a pledge, a story, a pulse."""

from __future__ import annotations

from typing import Any

from adapters.web import translate
from adapters.web.page_base import Answer, PageBase, Visit
from adapters.web.render import (
    ButtonView,
    buttonless,
)
from bot import pages as queries
from bot.messages import OutMessage, Response


class ActivityPages(PageBase):
    """Each activity's page and its own forms."""

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


def _own_replies(shown: Response | None, question: str) -> OutMessage | None:
    """The core's view of the open check-in, less what the page already shows."""
    if shown is None or shown.message is None:
        return None
    sections = tuple(s for s in shown.message.sections if s.text != question)
    return OutMessage(sections=sections)
