"""Pages for the answer buttons of emails about gatherings and groups: coming to a meeting or
an event (Going / Maybe / Can't make it), the times that suit you for a find-a-time poll,
joining or leaving the co-consulting rotation and saying whether your group met.

Each page shows what the core shows the member (a read-only command) with the core's own
buttons, sealed for this link (see page_base.PageBase._reply): pressing one is a POST with the
link's CSRF token, handled by the core like the same button in a chat. No JavaScript.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.web.render import ButtonView
from bot import pages as queries
from bot.messages import Response

if TYPE_CHECKING:
    from adapters.web import translate
    from adapters.web.page_base import Answer, Visit
    from adapters.web.pages import Pages

#: The core buttons each of these link actions may press (prefixes).
ALLOWED: dict[str, tuple[str, ...]] = {
    "rsvp": ("rsvp.answer", "rsvp.who"),
    "findtime": ("findtime.answer", "findtime.open"),
    "trios": ("trios.join", "trios.leave", "trios.met"),
    "plan": ("plan.volunteer",),
    "help": ("help.offer",),
}
#: "Did your group meet?" (bot.features.trio_commands.MET, in the same order).
MET = (("yes", "Yes, we met"), ("not_yet", "Not yet"), ("skip", "Skip this round"))


def gathering_ref(target: int | None) -> str | None:
    """A link's target as the core's gathering reference: meetings are positive ('m12'),
    events negative ('e3')."""
    if target is None or target == 0:
        return None
    return f"m{target}" if target > 0 else f"e{-target}"


def rsvp(pages: Pages, visit: Visit, _problem: translate.PageError | None) -> Answer:
    """Who is coming, with Going / Maybe / Can't make it."""
    ref = gathering_ref(visit.grant.target)
    if ref is None:
        return pages._refuse("gone")
    shown = pages._look(visit, kind="button", action="rsvp.who", value=ref)
    return pages._reply(visit, shown, title="Are you coming?")


def findtime(pages: Pages, visit: Visit, _problem: translate.PageError | None) -> Answer:
    """The candidate times in the member's own time zone, with Yes / If need be / No."""
    if visit.grant.target is None:
        return pages._refuse("gone")
    shown = pages._look(visit, kind="button", action="findtime.open", value=str(visit.grant.target))
    return pages._reply(visit, shown, title="When can you come?")


def trios(pages: Pages, visit: Visit, _problem: translate.PageError | None) -> Answer:
    """Without a target: the rotation (join or leave). With a group: did you meet?"""
    group = visit.grant.target
    if group is None:
        shown = pages._look(visit, kind="text", text="/cop trios")
        return pages._reply(visit, shown)
    buttons = [
        ButtonView(
            label,
            "primary" if answer == "yes" else "default",
            pages.signer.seal(visit.token, {"action": "trios.met", "value": f"{group}:{answer}"}),
            pages._hidden(visit),
        )
        for answer, label in MET
    ]
    return pages._page(
        visit,
        "met.html",
        200,
        title="Did your co-consulting group meet?",
        buttons=buttons,
    )


def plan(pages: Pages, visit: Visit, _problem: translate.PageError | None) -> Answer:
    """The standing invitation to help plan and convene, with "I'd like to help"."""
    invitation = queries.planning_invitation(visit.place.words)
    return pages._reply(visit, Response(message=invitation), title="Help plan our meetings")


def help_offer(pages: Pages, visit: Visit, _problem: translate.PageError | None) -> Answer:
    """A member's anonymous request for help, with "I can help"."""
    number = visit.grant.target
    if number is None:
        return pages._refuse("gone")
    with pages._session() as session:
        request = queries.help_request(
            session, visit.place.community_id, -number, visit.place.words
        )
    if request is None:
        return pages._refuse("gone")
    return pages._reply(visit, Response(message=request), title="Can anyone help?")
