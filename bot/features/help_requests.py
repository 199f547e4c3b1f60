"""Anonymous requests for help with a pledge.

A member whose pledge is due may ask the channel for help anonymously. The request is kept
apart from the pledge, the way every anonymous item is (bot.anonymity): no member id, no
pledge id, an author key (so its author cannot ask twice in one cycle; deleted after a week,
bot.features.sealing), a random id and only the day. Nothing is marked on the pledge itself
beyond what its follow-up answer needs.

Offers to help cannot be passed on privately (a private message to the asker would name
them), so an offer is told in the channel: "Ben can help with this: whoever asked, get in
touch with Ben." The button says so before anyone presses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from bot import anonymity
from bot.commands import Command
from bot.context import Context
from bot.domain.text import read_number
from bot.errors import UserError
from bot.features.base import Feature
from bot.messages import Button, OutMessage, Response, Section, say
from bot.storage.tables import Member
from bot.storage.tables_wins import HelpRequest, Pledge

_REQUESTS = HelpRequest.__table__  # type: ignore[attr-defined]
KIND = "help_request"


@dataclass(frozen=True)
class OfferAnonymousHelp(Command):
    """'I can help' on an anonymous request: told in the channel."""

    request_id: int


def _key(ctx: Context, request_id: int, member_id: int) -> str:
    return anonymity.author_key(ctx.secret, KIND, request_id, member_id)


def asked_since(ctx: Context, member: Member, since: datetime) -> bool:
    """Has `member` asked anonymously for help since `since` (their pledge's cycle start)?"""
    assert member.id is not None
    session = ctx.uow.session
    keys = anonymity.member_keys(session, ctx.secret, _REQUESTS, _REQUESTS.c.author_key, member.id)
    if not keys:
        return False
    day = anonymity.coarse(since, ctx.community.timezone)
    found = session.exec(
        select(HelpRequest.id).where(
            col(HelpRequest.community_id) == ctx.community_id,
            col(HelpRequest.author_key).in_(sorted(keys)),
            col(HelpRequest.created_at) >= day,
        )
    ).first()
    return found is not None


def post_request(ctx: Context, member: Member, pledge: Pledge, text: str) -> None:
    """Post `text` in the channel as an anonymous request for help with `pledge`; the
    pledge records only that its follow-up was answered."""
    assert member.id is not None
    session = ctx.uow.session
    now = ctx.clock.now()
    request = HelpRequest(
        id=anonymity.random_id(session, _REQUESTS),
        community_id=ctx.community_id,
        text=text,
        created_at=anonymity.coarse(now, ctx.community.timezone),
    )
    assert request.id is not None
    request.author_key = _key(ctx, request.id, member.id)
    session.add(request)
    # Answered, but at no time of its own: the follow-up's (or the day's), never the post's.
    day = anonymity.coarse(now, ctx.community.timezone)
    pledge.answered_at = max(t for t in (day, pledge.followup_sent_at, pledge.cycle_start) if t)
    session.add(pledge)
    ctx.acted_anonymously = True
    ctx.post(f"help:{request.id}", request_post(request, ctx.settings.words.pledge))


def request_post(request: HelpRequest, pledge_word: str) -> OutMessage:
    """The anonymous request as the channel (and the request's web page) shows it."""
    assert request.id is not None
    return OutMessage(
        title="Can anyone help?",
        sections=(
            Section(text=request.text),
            Section(text=f"— a member (asked anonymously), working on a {pledge_word}"),
        ),
        buttons=(Button(label="I can help", action="help.offer", value=f"a{-request.id}"),),
        footer="Press 'I can help' and I'll say so here, so whoever asked can get in touch.",
    )


def offer(cmd: OfferAnonymousHelp, ctx: Context) -> Response:
    member = ctx.require_member()
    request = ctx.uow.session.get(HelpRequest, cmd.request_id)
    if request is None or request.community_id != ctx.community_id:
        raise UserError("That request isn't open any more. Thank you for offering!")
    assert member.id is not None
    if request.author_key == _key(ctx, cmd.request_id, member.id):
        raise UserError("That's your own request: I'll say here when someone offers.")
    new = ctx.post(
        f"help:{request.id}:offer:{member.id}",
        OutMessage(
            title="An offer of help",
            sections=(
                Section(
                    text=f"{member.display_name} can help with: {request.text}. Whoever "
                    f"asked, get in touch with {member.display_name} whenever suits you."
                ),
            ),
        ),
    )
    if not new:
        raise UserError("You've already offered; it's in the channel. Thank you!")
    ctx.record("offered-help")
    return Response(
        message=say("Thank you! I've said in the channel that you can help, so they can reach you.")
    )


def _offer_button(value: str) -> Command:
    number = read_number(value.removeprefix("a")) if value.startswith("a") else None
    if number is None:
        raise UserError("That button is out of date. Try /cop help.")
    return OfferAnonymousHelp(request_id=-number)


FEATURE = Feature(
    name="help_requests",
    buttons={"help.offer": _offer_button},
    handlers={OfferAnonymousHelp: offer},
)
