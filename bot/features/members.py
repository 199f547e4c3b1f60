"""Members and roles: your own settings (/cop me) and who convenes and keeps (/cop role)."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import col, select

from bot import commands as c
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain import checkins as rules
from bot.domain import when
from bot.domain.text import short
from bot.errors import FieldError, UserError
from bot.features.base import Feature, Verb, mention, usage_error
from bot.features.mydata import audit
from bot.messages import OutMessage, Response, Section, say
from bot.storage.tables import Member


def show_profile(cmd: c.ShowProfile, ctx: Context) -> Response:
    member = ctx.require_member()
    roles = [r for r, on in (("convener", member.is_convener), ("keeper", member.is_keeper)) if on]
    away = (
        f"away until {rules.local_time(member.away_until, member.timezone)}"
        if member.away_until and member.away_until > ctx.clock.now()
        else "not away"
    )
    items = (
        f"Name: {member.display_name}",
        f"Role: {', '.join(roles) or 'member'}",
        f"Timezone: {member.timezone}",
        f"Quiet hours: {member.quiet_start}–{member.quiet_end} (no private messages then)",
        f"Check-in reminders: {'muted' if member.muted_checkins else 'on'}",
        f"Right now: {away}",
    )
    return Response(
        message=OutMessage(
            title="Your settings",
            sections=(Section(items=items),),
            footer="Change them with /cop me timezone … · /cop me quiet … · /cop me mute",
        )
    )


def update_profile(cmd: c.UpdateProfile, ctx: Context) -> Response:
    member = ctx.require_member()
    done = []
    if cmd.timezone is not None:
        try:
            ZoneInfo(cmd.timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise UserError(
                f"'{short(cmd.timezone, 60)}' is not a timezone I know. Use a name like "
                "Europe/London or America/New_York."
            ) from None
        member.timezone = cmd.timezone
        done.append(f"timezone is {cmd.timezone}")
    if cmd.quiet_hours is not None:
        if cmd.quiet_hours.strip().lower() == "off":
            member.quiet_start = member.quiet_end = "00:00"
            done.append("quiet hours are off")
        else:
            try:
                start, end = when.parse_quiet_hours(cmd.quiet_hours)
            except when.WhenError as error:
                raise UserError(str(error)) from None
            member.quiet_start, member.quiet_end = start.strftime("%H:%M"), end.strftime("%H:%M")
            done.append(f"quiet hours are {member.quiet_start}–{member.quiet_end}")
    if cmd.muted is not None:
        member.muted_checkins = cmd.muted
        done.append("check-in reminders are " + ("muted" if cmd.muted else "on"))
    ctx.uow.session.add(member)
    return Response(message=say("Done: your " + "; ".join(done) + "."))


def show_roles(cmd: c.ShowRoles, ctx: Context) -> Response:
    members = ctx.uow.session.exec(
        select(Member)
        .where(Member.community_id == ctx.community_id)
        .where(col(Member.is_convener) | col(Member.is_keeper))
        .order_by(col(Member.display_name))
    ).all()
    conveners = tuple(m.display_name for m in members if m.is_convener)
    keepers = tuple(m.display_name for m in members if m.is_keeper)
    return Response(
        message=OutMessage(
            title=f"Who looks after {ctx.community.name}",
            sections=(
                Section(heading="Conveners", items=conveners or ("none yet",)),
                Section(heading="Keepers", items=keepers or ("none yet",)),
            ),
        )
    )


def set_role(cmd: c.SetRole, ctx: Context) -> Response:
    ctx.require_convener("change roles")
    target = ctx.uow.session.exec(
        select(Member).where(
            Member.community_id == ctx.community_id,
            Member.platform_user_id == cmd.target_user_id,
        )
    ).first()
    if target is None:
        raise UserError(
            "I don't know that person yet: they appear here once they have used copbot."
        )
    settings = ctx.settings
    if cmd.role == "member":
        if target.platform_user_id in settings.conveners + settings.keepers:
            raise UserError(
                f"{target.display_name}'s role is set in copbot's configuration file; "
                "ask whoever runs copbot to change it there."
            )
        target.is_convener = target.is_keeper = False
    elif cmd.role == "convener":
        target.is_convener = True
    else:
        target.is_keeper = True
    ctx.uow.session.add(target)
    audit(ctx, f"role: {cmd.role}", target.id)
    return Response(message=say(f"{target.display_name} is now a {cmd.role}."))


def _parse_me(rest: str, _settings: CommunitySettings) -> c.Command:
    setting, _, value = rest.partition(" ")
    setting, value = setting.lower(), value.strip()
    if not setting:
        return c.ShowProfile()
    if setting in ("timezone", "tz") and value:
        return c.UpdateProfile(timezone=value)
    if setting == "quiet" and value:
        return c.UpdateProfile(quiet_hours=value)
    if setting == "mute" and not value:
        return c.UpdateProfile(muted=True)
    if setting == "unmute" and not value:
        return c.UpdateProfile(muted=False)
    raise usage_error(ME)


def _settings_form(_metadata: str, values: Mapping[str, str]) -> c.Command:
    """Your settings in one form (the web page): timezone, quiet hours ('off' or
    'HH:MM-HH:MM'), check-in reminders ('on' or 'off'). A field left out stays as it is."""
    reminders = values.get("reminders")
    if reminders not in (None, "on", "off"):
        raise FieldError("Please choose whether check-in reminders are on or off.", "reminders")
    timezone = values.get("timezone")
    quiet = values.get("quiet")
    return c.UpdateProfile(
        timezone=timezone.strip() if timezone is not None else None,
        quiet_hours=quiet.strip() if quiet is not None else None,
        muted=None if reminders is None else reminders == "off",
    )


def _parse_role(rest: str, _settings: CommunitySettings) -> c.Command:
    if not rest:
        return c.ShowRoles()
    try:
        words = shlex.split(rest)
    except ValueError:
        words = rest.split()
    if len(words) == 2:
        user_id = mention(words[0])
        role = words[1].lower()
        if user_id and role in ("convener", "keeper", "member"):
            return c.SetRole(target_user_id=user_id, role=role)  # type: ignore[arg-type]
    raise usage_error(ROLE)


ME = Verb(
    "me",
    _parse_me,
    usage="/cop me · /cop me timezone <Area/City> · /cop me quiet 21:00-07:00 · "
    "/cop me mute · /cop me unmute",
    help="your timezone, quiet hours, and muting check-in reminders",
)
ROLE = Verb(
    "role",
    _parse_role,
    usage="/cop role · /cop role @someone convener|keeper|member",
    help="see who convenes and keeps this community",
    convener_help="make someone a convener or keeper, or a member again",
)

FEATURE = Feature(
    name="members",
    verbs=(ME, ROLE),
    forms={"me.settings": _settings_form},
    handlers={
        c.ShowProfile: show_profile,
        c.UpdateProfile: update_profile,
        c.ShowRoles: show_roles,
        c.SetRole: set_role,
    },
)
