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

from adapters.web import answers, translate
from adapters.web.account_pages import AccountPages
from adapters.web.activity_pages import ActivityPages
from adapters.web.page_base import ONE_CLICK, OWN_FORMS, Answer, Visit


class Pages(ActivityPages, AccountPages):
    """Renders each page and carries out what its forms send."""

    # ---- entry points ------------------------------------------------------------------

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


def one_click(pairs: Sequence[tuple[str, str]]) -> bool:
    """The request is RFC 8058's one-click unsubscribe."""
    return ONE_CLICK in pairs


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
    "plan": answers.plan,
    "help": answers.help_offer,
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
