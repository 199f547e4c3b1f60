"""Members reached by email: invited by address (double opt-in), welcomed with the norms once
they confirm, free to unsubscribe from any email, and choosing how often the channel's posts
arrive (one email a day or a week).

`/cop invite ana@example.org [Name]` (conveners) and the `invite` list in the settings file
(email-only communities: their conveners and keepers are addresses and are invited too).
The address never leaves this module's tables except to the email adapter, at send time.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import col, select

from bot import commands as c
from bot import contact
from bot.clock import Clock
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain import when
from bot.domain.text import clean_text, short
from bot.errors import UserError
from bot.features.base import Feature, Verb, usage_error
from bot.features.email_digest import last_post_id
from bot.features.mydata import audit
from bot.features.welcome import welcome
from bot.messages import Button, OutMessage, Response, Section, say
from bot.storage.tables import Community, Member
from bot.storage.tables_contact import ContactRoute
from bot.storage.uow import UnitOfWorkFactory

if TYPE_CHECKING:
    from bot.bus import Bus

MAX_NAME = 60


@dataclass(frozen=True)
class InviteByEmail(c.Command):
    """A convener invites an address (and names the person, if they like)."""

    address: str
    name: str = ""


@dataclass(frozen=True)
class ConfirmEmail(c.Command):
    """The invited person pressed the confirmation link."""


@dataclass(frozen=True)
class Unsubscribe(c.Command):
    """One-click unsubscribe: no more email, every link revoked."""


@dataclass(frozen=True)
class EmailChoices(c.Command):
    """`/cop email`: show, or choose the digest frequency / where private messages go."""

    digest: str | None = None
    private: bool | None = None


# ---- inviting -----------------------------------------------------------------------------


def invite_address(
    ctx: Context,
    address: str,
    name: str = "",
    *,
    inviter: Member | None = None,
    convener: bool = False,
    keeper: bool = False,
) -> ContactRoute | None:
    """Record an invited member and queue their invitation; None if the address is
    already invited to this community (nothing changes)."""
    session = ctx.uow.session
    taken = session.exec(
        select(ContactRoute.id).where(
            ContactRoute.community_id == ctx.community_id, ContactRoute.address == address
        )
    ).first()
    if taken is not None:
        return None
    now = ctx.clock.now()
    start, end = when.parse_quiet_hours(ctx.settings.quiet_hours)
    member = Member(
        community_id=ctx.community_id,
        platform_user_id=f"invite:{secrets.token_hex(8)}",  # becomes member:<id> below
        display_name=name or "someone invited",
        timezone=ctx.community.timezone,
        quiet_start=start.strftime("%H:%M"),
        quiet_end=end.strftime("%H:%M"),
        is_convener=convener,
        is_keeper=keeper,
        joined_at=now,
        first_seen_at=None,
    )
    session.add(member)
    session.flush()
    assert member.id is not None
    member.platform_user_id = contact.email_user(member.id)
    if not name:
        member.display_name = f"Email member {member.id}"
    route = ContactRoute(
        member_id=member.id,
        community_id=ctx.community_id,
        address=address,
        invited_at=now,
        invited_by=inviter.id if inviter is not None else None,
    )
    session.add_all([member, route])
    session.flush()
    ctx.routes()[member.id] = route
    ctx.email(member, f"email-invite:{route.id}", invitation(ctx, inviter))
    return route


def invitation(ctx: Context, inviter: Member | None) -> OutMessage:
    """The double opt-in email: nothing else is sent until the link is pressed."""
    name = ctx.community.name
    about = ctx.settings.about or "A community of practice: people who share a concern."
    who = f"{inviter.display_name} invited you" if inviter is not None else "You are invited"
    return OutMessage(
        title=f"{who} to join {name}",
        sections=(
            Section(text=about),
            Section(
                heading="What you would get",
                items=(
                    f"A private email when a {ctx.settings.words.checkin} opens, for polls "
                    "and for your own pledges (never during your quiet hours).",
                    "The community's posts gathered into one email a week (or a day, if "
                    "you prefer), and the newsletter.",
                    "A small web page to answer, vote and change your settings: no account "
                    "or app needed.",
                ),
            ),
            Section(
                text="Please confirm with the button below. If you weren't expecting this, "
                "ignore it: nothing more will be sent to you."
            ),
        ),
        buttons=(Button(label=f"Yes, I'd like to join {name}", action="email.confirm"),),
    )


def invite(cmd: InviteByEmail, ctx: Context) -> Response:
    convener = ctx.require_convener("invite people by email")
    if not ctx.can_email:
        raise UserError(
            "copbot can't send email yet, so nobody was invited. Whoever runs copbot can "
            "turn email on (an [email] section in the settings); then try again."
        )
    address = contact.read_address(cmd.address)
    if address is None:
        raise UserError(
            f"'{short(cmd.address, 60)}' doesn't look like an email address. "
            "Try: /cop invite ana@example.org Ana"
        )
    name = clean_text(cmd.name, what="The name", max_length=MAX_NAME) if cmd.name else ""
    route = invite_address(ctx, address, name, inviter=convener)
    if route is None:
        return Response(message=say("That address is already invited here: nothing changed."))
    audit(ctx, "invited by email", route.member_id)
    return Response(
        message=say(
            "Invitation sent. They join once they confirm from the email; until then nothing "
            "else is sent to them."
        )
    )


def invite_from_settings(ctx: Context) -> int:
    """Invite the settings file's addresses (its `invite` list, and in an email-only
    community its conveners and keepers) that are not invited yet. How many were."""
    settings = ctx.settings
    conveners = (
        {a.lower() for a in settings.conveners} if ctx.community.platform == "email" else set()
    )
    keepers = {a.lower() for a in settings.keepers} if ctx.community.platform == "email" else set()
    invited = 0
    for address in dict.fromkeys((*settings.invite, *sorted(conveners), *sorted(keepers))):
        route = invite_address(
            ctx, address, convener=address in conveners, keeper=address in keepers
        )
        invited += route is not None
    return invited


def invite_configured(uow_factory: UnitOfWorkFactory, bus: Bus, clock: Clock, secret: bytes) -> int:
    """At start-up: every community's configured addresses invited (once each)."""
    invited = 0
    with uow_factory() as uow:
        communities = uow.session.exec(
            select(Community).where(col(Community.closed_at).is_(None))
        ).all()
        for community in communities:
            settings = bus.settings_of(community)
            if settings.invite or community.platform == contact.EMAIL:
                invited += invite_from_settings(
                    Context(uow, clock, secret, community, settings, can_email=bus.email)
                )
        uow.commit()
    return invited


# ---- confirming, unsubscribing, choices ---------------------------------------------------


def _route(ctx: Context) -> tuple[Member, ContactRoute]:
    member = ctx.require_member()
    assert member.id is not None
    route = ctx.routes().get(member.id)
    if route is None or route.address is None:
        raise UserError("You have no email address with copbot here.")
    return member, route


def confirm(cmd: ConfirmEmail, ctx: Context) -> Response:
    _member, route = _route(ctx)
    if route.unsubscribed_at is not None:
        raise UserError("You unsubscribed from these emails. Ask a convener to invite you again.")
    if route.verified_at is not None:
        return Response(message=say(f"You're already a member of {ctx.community.name}."))
    route.verified_at = ctx.clock.now()
    route.digested_through = last_post_id(ctx)  # the channel by email from now on
    ctx.uow.session.add(route)
    ctx.uow.session.flush()
    welcome(c.Joined(), ctx)  # now by email: their address is confirmed
    return Response(
        message=say(f"Thank you: you're a member of {ctx.community.name}. A welcome is on its way.")
    )


def unsubscribe(cmd: Unsubscribe, ctx: Context) -> Response:
    member, route = _route(ctx)
    if route.unsubscribed_at is None:
        contact.now_unsubscribed(route, ctx.clock.now())
        ctx.uow.session.add(route)
        assert member.id is not None
        contact.cancel_queued(ctx.uow.session, member.id)
        audit(ctx, "unsubscribed from email", member.id)
    return Response(
        message=say(
            "You're unsubscribed: copbot sends you no more email, and the links in earlier "
            "emails no longer work."
        )
    )


def email_choices(cmd: EmailChoices, ctx: Context) -> Response:
    member, route = _route(ctx)
    done = []
    if cmd.digest is not None:
        if route.digest == "off" and cmd.digest != "off":
            route.digested_through = last_post_id(ctx)  # from now on, not the months missed
        route.digest = cmd.digest
        done.append(digest_words(cmd.digest))
    if cmd.private is not None:
        if contact.email_only(member) and not cmd.private:
            raise UserError("Email is the only way copbot can reach you, so it stays on.")
        route.for_private = cmd.private
        done.append("private messages come by " + ("email" if cmd.private else "chat"))
    ctx.uow.session.add(route)
    if done:
        return Response(message=say("Done: " + "; ".join(done) + "."))
    state = (
        "unsubscribed"
        if route.unsubscribed_at
        else "confirmed"
        if route.verified_at
        else "waiting for you to confirm"
    )
    items = (
        f"Your address: {state} (only you and copbot see it)",
        digest_words(route.digest).capitalize(),
        "Private messages: "
        + ("by email" if route.for_private or contact.email_only(member) else "in chat"),
    )
    return Response(
        message=OutMessage(
            title="Your email settings",
            sections=(Section(items=items),),
            footer="Change them with /cop email digest day|week|off · /cop email private on|off",
        )
    )


def digest_words(choice: str) -> str:
    """How often the channel's posts come, in plain words."""
    if choice == "off":
        return "the channel's posts don't come by email"
    return f"the channel's posts come in one email a {choice}"


# ---- parsing ------------------------------------------------------------------------------


def _parse_invite(rest: str, _settings: CommunitySettings) -> c.Command:
    address, _, name = rest.strip().partition(" ")
    if not address:
        raise usage_error(INVITE)
    return InviteByEmail(address, name.strip())


def _parse_email(rest: str, _settings: CommunitySettings) -> c.Command:
    words = rest.lower().split()
    if not words:
        return EmailChoices()
    if len(words) == 2 and words[0] == "digest" and words[1] in contact.DIGEST_CHOICES:
        return EmailChoices(digest=words[1])
    if len(words) == 2 and words[0] == "private" and words[1] in ("on", "off"):
        return EmailChoices(private=words[1] == "on")
    raise usage_error(EMAIL)


INVITE = Verb(
    "invite",
    _parse_invite,
    usage="/cop invite ana@example.org [Name]",
    help="",
    convener_help="invite someone by email (/cop invite ana@example.org Ana): they confirm "
    "from the email",
)
EMAIL = Verb(
    "email",
    _parse_email,
    usage="/cop email · /cop email digest day|week|off · /cop email private on|off",
    help="your email settings, if copbot reaches you by email",
)

FEATURE = Feature(
    name="email_members",
    verbs=(INVITE, EMAIL),
    buttons={
        "email.confirm": lambda _value: ConfirmEmail(),
        "email.unsubscribe": lambda _value: Unsubscribe(),
    },
    handlers={
        InviteByEmail: invite,
        ConfirmEmail: confirm,
        Unsubscribe: unsubscribe,
        EmailChoices: email_choices,
    },
)
