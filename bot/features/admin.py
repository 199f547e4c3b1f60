"""For conveners: messages copbot could not deliver (dead letters), and retrying them."""

from __future__ import annotations

from sqlmodel import col, select

from bot import commands as c
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain.text import plural, short
from bot.features.base import Feature, Verb, usage_error
from bot.messages import Button, OutMessage, Response, Section, say
from bot.storage.tables import OutboxMessage


def show_undelivered(cmd: c.ShowUndelivered, ctx: Context) -> Response:
    ctx.require_convener("see undelivered messages")
    dead = ctx.uow.session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.community_id == ctx.community_id, OutboxMessage.status == "dead")
        .order_by(col(OutboxMessage.id))
    ).all()
    if not dead:
        return Response(message=say("Every message has been delivered."))
    items = tuple(
        f"{'to the channel' if row.channel_id else 'a private message'}: "
        f"{short(OutMessage.model_validate_json(row.payload).title or '', 60)} "
        f"({row.attempts} tries; {row.last_error or 'unknown error'})"
        for row in dead[:20]
    )
    more = f" and {len(dead) - 20} more" if len(dead) > 20 else ""
    return Response(
        message=OutMessage(
            title=f"{plural(len(dead), 'message')} I could not deliver{more}",
            sections=(Section(items=items),),
            buttons=(Button(label="Try them again", action="outbox.retry"),),
            footer="/cop undelivered retry sends them again.",
        )
    )


def retry_undelivered(cmd: c.RetryUndelivered, ctx: Context) -> Response:
    ctx.require_convener("retry undelivered messages")
    now = ctx.clock.now()
    dead = ctx.uow.session.exec(
        select(OutboxMessage).where(
            OutboxMessage.community_id == ctx.community_id, OutboxMessage.status == "dead"
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
