"""The message bus: resolves who and where, runs one handler in one transaction."""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import col, select

from bot import anonymity
from bot import commands as c
from bot.clock import Clock
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain import when
from bot.domain.text import storable
from bot.errors import FieldError, UserError
from bot.mentions import name_mentions, response_with_names
from bot.messages import Response, say
from bot.pinning import pin_response, unpin
from bot.router import Router
from bot.storage.tables import Community, InboundEvent, Member
from bot.storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# Built once: the hot path re-uses them instead of rebuilding each query per interaction.
_COMMUNITY_AND_MEMBER = (
    select(Community, Member)
    .outerjoin(
        Member,
        and_(
            col(Member.community_id) == col(Community.id),
            col(Member.platform_user_id) == bindparam("user"),
        ),
    )
    .where(Community.platform == bindparam("p"), Community.channel_id == bindparam("c"))
)

SORRY = "Sorry, something went wrong on my side and nothing was changed. Please try again soon."
BUSY = "Sorry, I'm very busy right now and nothing was changed. Please try again in a minute."
#: Pauses between tries while the database is locked by another writer (seconds).
BUSY_PAUSES = (0.1, 0.3, 1.0, 2.0, 4.0, 0.0)


#: Members reached outside a chat platform (an email route, the web page) act as
#: Actor(platform="email", user_id="member:<member id>").
ROUTE_PLATFORM = "email"
_ROUTE_USER = re.compile(r"member:([0-9]{1,18})")


def route_member_id(actor: c.Actor) -> int | None:
    """The member id of an actor reached by a contact route, else None."""
    if actor.platform != ROUTE_PLATFORM:
        return None
    found = _ROUTE_USER.fullmatch(actor.user_id)
    return int(found.group(1)) if found else None


class _DatabaseBusy(Exception):
    """The transaction could not get the database's write lock in time."""


def _is_busy(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    return "locked" in text or "busy" in text or "lock timeout" in text


@dataclass(frozen=True)
class Roles:
    """Roles given in the configuration file, by platform user id."""

    conveners: frozenset[str] = frozenset()
    keepers: frozenset[str] = frozenset()


def _storable(inbound: c.Inbound) -> c.Inbound:
    """The interaction without the characters nothing can store (NUL, lone surrogates)."""
    actor = inbound.actor
    return dataclasses.replace(
        inbound,
        actor=dataclasses.replace(
            actor,
            user_id=storable(actor.user_id),
            display_name=storable(actor.display_name),
            channel_id=None if actor.channel_id is None else storable(actor.channel_id),
        ),
        text=storable(inbound.text),
        action=storable(inbound.action),
        value=storable(inbound.value),
        form_id=storable(inbound.form_id),
        metadata=storable(inbound.metadata),
        values=tuple((storable(k), storable(v)) for k, v in inbound.values),
        event_id=None if inbound.event_id is None else storable(inbound.event_id),
    )


class Bus:
    """Entry point of the core for people (`handle`) and for jobs (`run_job`)."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        secret: bytes,
        router: Router,
        *,
        email: bool = False,
    ) -> None:
        self.router = router
        #: Whether copbot can send email (the settings have an [email] section).
        self.email = email
        self._uow_factory = uow_factory
        self._clock = clock
        self._secret = secret
        self._settings: dict[int, tuple[dict[str, object], CommunitySettings]] = {}

    # ---- people ----------------------------------------------------------------------

    def handle(self, inbound: c.Inbound) -> Response:
        """Handle one interaction; always answers, never raises for a person's mistake.

        A database busy with another writer (SQLite's lock wait ran out) is tried again a
        few times: the transaction was rolled back, so nothing happened twice. Called from
        worker threads, never on the event loop, so the waits block no one else.
        """
        inbound = _storable(inbound)
        for pause in BUSY_PAUSES:
            try:
                return self._handle_once(inbound)
            except _DatabaseBusy:
                log.warning("the database is busy; trying a %s interaction again", inbound.kind)
                time.sleep(pause)
        return Response(message=say(BUSY))

    def _handle_once(self, inbound: c.Inbound) -> Response:
        with self._uow_factory() as uow:
            try:
                if inbound.event_id is not None and not self._first_delivery(uow, inbound):
                    return Response()
                inbound, hint = unpin(inbound)
                community, member = self._community_for(uow, inbound.actor, hint)
                settings = self.settings_of(community)
                command = self.router.parse(inbound, settings)
                new = member is None or member.first_seen_at is None
                if member is None:
                    member = self._new_member(uow, community, settings, inbound.actor)
                elif member.first_seen_at is None:  # named in the settings file, first use
                    self._first_seen(uow, community, member, inbound.actor)
                ctx = Context(
                    uow,
                    self._clock,
                    self._secret,
                    community,
                    settings,
                    member,
                    can_email=self.email,
                )
                response = self.router.handler(command)(command, ctx)
                if new and not isinstance(command, c.Joined) and c.Joined in self.router.handlers:
                    # A first use is a join; welcomed after it, so the welcome can tell
                    # whether that first act was anonymous (and then not pin its time).
                    self.router.handlers[c.Joined](c.Joined(), ctx)
                response = response_with_names(uow.session, ctx.community_id, response)
                uow.commit()
                log.debug("handled %s", type(command).__name__)
                if inbound.actor.channel_id is None:  # a DM: later clicks must find the way back
                    response = pin_response(response, ctx.community_id)
                return response
            except FieldError as error:
                uow.rollback()
                problem = str(error)
                return Response(
                    message=name_mentions(say(problem), {}),
                    field_error=problem,
                    field=error.field,
                )
            except UserError as error:
                uow.rollback()
                return Response(message=name_mentions(say(str(error)), {}))
            except IntegrityError:
                uow.rollback()
                log.warning("a concurrent change won: %s", inbound.kind)
                return Response(message=say("That was just changed by someone else. Try again?"))
            except OperationalError as error:
                uow.rollback()
                if _is_busy(error):
                    raise _DatabaseBusy from None
                log.error(
                    "could not handle a %s interaction: %s", inbound.kind, type(error).__name__
                )
                return Response(message=say(SORRY))
            except Exception:
                uow.rollback()
                log.exception("could not handle a %s interaction", inbound.kind)
                return Response(message=say(SORRY))

    def _first_delivery(self, uow: UnitOfWork, inbound: c.Inbound) -> bool:
        """Record the platform's event id; False if it was handled before (a retry)."""
        assert inbound.event_id is not None
        uow.session.add(
            InboundEvent(
                source=inbound.actor.platform,
                event_id=inbound.event_id[:200],
                received_at=self._clock.now(),
            )
        )
        try:
            with uow.session.begin_nested():
                uow.session.flush()
        except IntegrityError:
            log.info("ignored a repeated %s event", inbound.actor.platform)
            return False
        return True

    def _community_for(
        self, uow: UnitOfWork, actor: c.Actor, hint: int | None = None
    ) -> tuple[Community, Member | None]:
        """The community the actor is acting in, and their member record if they have one.
        In a DM, `hint` (from a pinned button or form) names the community."""
        session = uow.session
        by_route = route_member_id(actor)
        if by_route is not None:
            found = session.exec(
                select(Community, Member)
                .join(Member, col(Member.community_id) == col(Community.id))
                .where(col(Member.id) == by_route)
            ).first()
            if found is None or (hint is not None and found[0].id != hint):
                raise UserError("That link isn't for you, or it is out of date.")
            community, member = found
        elif actor.channel_id is None and hint is not None:
            found = session.exec(
                select(Community, Member)
                .join(Member, col(Member.community_id) == col(Community.id))
                .where(
                    col(Community.id) == hint,
                    Community.platform == actor.platform,
                    Member.platform_user_id == actor.user_id,
                )
            ).first()
            if found is None:
                raise UserError("That button isn't for you, or it is out of date.")
            community, member = found
        elif actor.channel_id is not None:
            row = session.exec(
                _COMMUNITY_AND_MEMBER,
                params={"p": actor.platform, "c": actor.channel_id, "user": actor.user_id},
            ).first()
            if row is None:
                raise UserError(
                    "copbot isn't set up for this channel. Use /cop in your community's channel."
                )
            community, member = row
        else:
            found = session.exec(
                select(Community, Member)
                .join(Member, col(Member.community_id) == col(Community.id))
                .where(
                    Community.platform == actor.platform,
                    Member.platform_user_id == actor.user_id,
                )
            ).all()
            if len(found) != 1:
                raise UserError(
                    "Please use /cop in your community's channel, so I know which community "
                    "you mean."
                )
            community, member = found[0]
        if community.closed_at is not None:
            raise UserError(f"{community.name} has closed. Thank you for being part of it.")
        return community, member

    def _new_member(
        self, uow: UnitOfWork, community: Community, settings: CommunitySettings, actor: c.Actor
    ) -> Member:
        """Record someone on their first interaction, with the community's defaults."""
        start, end = when.parse_quiet_hours(settings.quiet_hours)
        assert community.id is not None
        member = Member(
            community_id=community.id,
            platform_user_id=actor.user_id,
            display_name=actor.display_name[:100] or actor.user_id,
            timezone=community.timezone,
            quiet_start=start.strftime("%H:%M"),
            quiet_end=end.strftime("%H:%M"),
            is_convener=actor.user_id in settings.conveners,
            is_keeper=actor.user_id in settings.keepers,
            # The day only: a first action that is anonymous must not be pinned by it.
            joined_at=self._today(community),
            first_seen_at=self._today(community),
        )
        uow.session.add(member)
        uow.session.flush()
        return member

    def _today(self, community: Community) -> datetime:
        """The start of the community's local day: all a member row says about when."""
        return anonymity.coarse(self._clock.now(), community.timezone)

    def _first_seen(
        self, uow: UnitOfWork, community: Community, member: Member, actor: c.Actor
    ) -> None:
        """A convener or keeper recorded from the settings file uses copbot for the first
        time: they get their own display name (and, as the caller runs it, the welcome)."""
        if route_member_id(actor) is None:
            member.display_name = actor.display_name[:100] or member.display_name
        member.first_seen_at = self._today(community)
        uow.session.add(member)
        uow.session.flush()

    # ---- jobs ------------------------------------------------------------------------

    def run_job(self, uow: UnitOfWork, community_id: int, command: c.Command) -> None:
        """Run a job's command inside the caller's transaction (the one holding its claim)."""
        community = uow.session.get(Community, community_id)
        if community is None:
            return
        if community.closed_at is not None and not getattr(command, "after_close", False):
            return  # a closed community's jobs stop (bar erasing its data, later)
        ctx = Context(
            uow,
            self._clock,
            self._secret,
            community,
            self.settings_of(community),
            can_email=self.email,
        )
        self.router.handler(command)(command, ctx)

    # ---- settings --------------------------------------------------------------------

    def settings_of(self, community: Community) -> CommunitySettings:
        """The community's validated settings (cached while unchanged)."""
        assert community.id is not None
        cached = self._settings.get(community.id)
        if cached is None or cached[0] != community.settings:
            parsed = CommunitySettings.model_validate(community.settings)
            cached = (dict(community.settings), parsed)
            self._settings[community.id] = cached
        return cached[1]
