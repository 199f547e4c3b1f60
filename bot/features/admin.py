"""For conveners: messages copbot could not deliver (dead letters), and retrying them."""

from __future__ import annotations

from sqlmodel import col, select

from bot import commands as c
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain.text import plural, short
from bot.features.base import Feature, Verb, usage_error
from bot.messages import Button, OutMessage, Response, Section, say
from bot.notices import HELD
from bot.storage.tables import OutboxMessage

HELD_NOTE = (
    "Held private messages go to their person the next time they use copbot; "
    "who they are for is not shown here."
)


def _held_section(ctx: Context) -> Section | None:
    """Private messages the platform would not let copbot deliver (the person is not
    reachable yet), with the reason: never who they are for (a held reminder would tell
    who has not replied)."""
    held = ctx.uow.session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.community_id == ctx.community_id, OutboxMessage.status == HELD)
        .order_by(col(OutboxMessage.id))
    ).all()
    if not held:
        return None
    items = tuple(
        f"{short(OutMessage.model_validate_json(row.payload).title or 'a message', 60)} "
        f"({row.last_error or 'not reachable'})"
        for row in held[:20]
    )
    more = f" and {len(held) - 20} more" if len(held) > 20 else ""
    return Section(heading=f"{plural(len(held), 'private message')} held{more}", items=items)


def show_undelivered(cmd: c.ShowUndelivered, ctx: Context) -> Response:
    ctx.require_convener("see undelivered messages")
    dead = ctx.uow.session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.community_id == ctx.community_id, OutboxMessage.status == "dead")
        .order_by(col(OutboxMessage.id))
    ).all()
    held = _held_section(ctx)
    if not dead and held is None:
        return Response(message=say("Every message has been delivered."))
    sections: tuple[Section, ...] = ()
    title = "Messages waiting for their person"
    if dead:
        items = tuple(
            f"{'to the channel' if row.channel_id else 'a private message'}: "
            f"{short(OutMessage.model_validate_json(row.payload).title or '', 60)} "
            f"({row.attempts} tries; {row.last_error or 'unknown error'})"
            for row in dead[:20]
        )
        more = f" and {len(dead) - 20} more" if len(dead) > 20 else ""
        title = f"{plural(len(dead), 'message')} I could not deliver{more}"
        sections = (Section(items=items),)
    footer = "/cop undelivered retry sends them again."
    if held is not None:
        sections += (held,)
        footer += f" {HELD_NOTE}"
    return Response(
        message=OutMessage(
            title=title,
            sections=sections,
            buttons=(Button(label="Try them again", action="outbox.retry"),),
            footer=footer,
        )
    )


def retry_undelivered(cmd: c.RetryUndelivered, ctx: Context) -> Response:
    ctx.require_convener("retry undelivered messages")
    now = ctx.clock.now()
    dead = ctx.uow.session.exec(
        select(OutboxMessage).where(
            OutboxMessage.community_id == ctx.community_id,
            col(OutboxMessage.status).in_(("dead", HELD)),
        )
    ).all()
    for row in dead:
        row.status, row.attempts, row.next_attempt_at, row.last_error = "pending", 0, now, None
        ctx.uow.session.add(row)
    return Response(message=say(f"Trying {plural(len(dead), 'message')} again."))


def _parse_undelivered(rest: str, _settings: CommunitySettings) -> c.Command:
    match rest.lower():
        case "":
            return c.ShowUndelivered()
        case "retry":
            return c.RetryUndelivered()
    raise usage_error(UNDELIVERED)


UNDELIVERED = Verb(
    "undelivered",
    _parse_undelivered,
    usage="/cop undelivered · /cop undelivered retry",
    help="",
    convener_help="messages I could not deliver, and retrying them",
)

FEATURE = Feature(
    name="admin",
    verbs=(UNDELIVERED,),
    buttons={"outbox.retry": lambda _value: c.RetryUndelivered()},
    handlers={c.ShowUndelivered: show_undelivered, c.RetryUndelivered: retry_undelivered},
)
