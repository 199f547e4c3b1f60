"""The community's library: links and tips members share, found again by word or #tag.

`/cop share <link or text> [#tag…]` adds one (with the member's name, in the channel);
`/cop library [word|#tag]` finds them; `/cop share withdraw <n>` takes back your own;
conveners tidy tags (`/cop library retag #old #new`). New resources appear in the
newsletter, and the close recap and the keepers' export include them. copbot never opens a
link: a resource is described by the member's own words, or shown as its link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot import commands as c
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain.text import clean_text, plural, read_number, web_link
from bot.errors import UserError
from bot.features.base import Feature, Verb, usage_error
from bot.messages import OutMessage, Response, Section, say
from bot.storage.tables import Member
from bot.storage.tables_library import Resource

MAX_TAGS = 5
MAX_SHOWN = 15
_TAG = re.compile(r"#([a-z0-9][a-z0-9-]{0,29})", re.ASCII)

# ---- commands --------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareResource(c.Command):
    link: str | None
    text: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class WithdrawResource(c.Command):
    resource_id: int


@dataclass(frozen=True)
class FindResources(c.Command):
    """A word, a '#tag', or nothing (the latest)."""

    query: str = ""


@dataclass(frozen=True)
class RetagResources(c.Command):
    """Conveners: rename a tag everywhere (or remove it: new is None)."""

    old: str
    new: str | None


# ---- queries other features use --------------------------------------------------------


def resources_between(
    session: Session, community_id: int, start: datetime, end: datetime
) -> list[Resource]:
    """Resources shared in [start, end) and not withdrawn, oldest first."""
    return list(
        session.exec(
            select(Resource)
            .where(
                Resource.community_id == community_id,
                col(Resource.withdrawn_at).is_(None),
                col(Resource.shared_at) >= start,
                col(Resource.shared_at) < end,
            )
            .order_by(col(Resource.shared_at), col(Resource.id))
        ).all()
    )


def _live(session: Session, community_id: int) -> list[Resource]:
    return list(
        session.exec(
            select(Resource)
            .where(Resource.community_id == community_id, col(Resource.withdrawn_at).is_(None))
            .order_by(col(Resource.id).desc())
        ).all()
    )


# ---- handlers --------------------------------------------------------------------------


def share(cmd: ShareResource, ctx: Context) -> Response:
    member = ctx.require_member()
    text = clean_text(cmd.text, what="The description", max_length=300) if cmd.text else ""
    resource = Resource(
        community_id=ctx.community_id,
        member_id=member.id,
        link=cmd.link,
        text=text,
        tags=sorted(set(cmd.tags)),
        shared_at=ctx.clock.now(),
    )
    session = ctx.uow.session
    session.add(resource)
    session.flush()
    ctx.record("shared-resource")
    ctx.post(
        f"library:{resource.id}:shared",
        OutMessage(
            title=f"New in our library, from {member.display_name}",
            sections=(Section(text=resource.describe()),),
            footer="Find everything shared with /cop library (a word or a #tag).",
        ),
    )
    return Response(
        message=say(
            f"Added to the library as #{resource.id}. Take it back with /cop share "
            f"withdraw {resource.id}."
        )
    )


def withdraw(cmd: WithdrawResource, ctx: Context) -> Response:
    member = ctx.require_member()
    resource = ctx.uow.session.get(Resource, cmd.resource_id)
    if (
        resource is None
        or resource.community_id != ctx.community_id
        or resource.withdrawn_at is not None
    ):
        raise UserError(f"I can't find resource #{cmd.resource_id} in the library.")
    if resource.member_id != member.id:
        raise UserError("Only the person who shared a resource can take it back.")
    resource.withdrawn_at = ctx.clock.now()
    ctx.uow.session.add(resource)
    return Response(message=say(f"Resource #{resource.id} is taken out of the library."))


def _matches(resource: Resource, query: str) -> bool:
    if query.startswith("#"):
        return query[1:] in resource.tags
    words = query.casefold().split()
    haystack = f"{resource.text} {resource.link or ''} {' '.join(resource.tags)}".casefold()
    return all(word in haystack for word in words)


def find(cmd: FindResources, ctx: Context) -> Response:
    ctx.require_member()
    session = ctx.uow.session
    query = cmd.query.strip()
    found = [r for r in _live(session, ctx.community_id) if not query or _matches(r, query)]
    if not found:
        hint = f" for {query!r}" if query else ""
        return Response(
            message=say(f"Nothing in the library{hint} yet. Add something with /cop share.")
        )
    names = {
        m.id: m.display_name
        for m in session.exec(
            select(Member).where(col(Member.id).in_({r.member_id for r in found}))
        ).all()
    }
    items = tuple(
        f"#{r.id} {r.describe()} ({names.get(r.member_id or 0, 'a former member')})"
        for r in found[:MAX_SHOWN]
    )
    tags = sorted({t for r in _live(session, ctx.community_id) for t in r.tags})
    more = len(found) - len(items)
    return Response(
        message=OutMessage(
            title="Our library" + (f": {query}" if query else ""),
            sections=(
                Section(items=items + ((f"and {more} more",) if more else ())),
                *((Section(heading="Tags", text=" ".join(f"#{t}" for t in tags)),) if tags else ()),
            ),
            footer="Search with /cop library <word> or /cop library #tag.",
        )
    )


def retag(cmd: RetagResources, ctx: Context) -> Response:
    ctx.require_convener("tidy the library's tags")
    changed = 0
    for resource in _live(ctx.uow.session, ctx.community_id):
        if cmd.old in resource.tags:
            tags = {t for t in resource.tags if t != cmd.old} | ({cmd.new} if cmd.new else set())
            resource.tags = sorted(tags)  # reassigned, so the JSON column is saved
            ctx.uow.session.add(resource)
            changed += 1
    if not changed:
        raise UserError(f"No resource has the tag #{cmd.old}.")
    done = f"renamed #{cmd.new}" if cmd.new else "removed"
    return Response(message=say(f"#{cmd.old} {done} on {plural(changed, 'resource')}."))


# ---- parsing ---------------------------------------------------------------------------


def _tag(word: str) -> str:
    found = _TAG.fullmatch(word.lower())
    if found is None:
        raise UserError(
            f"{word[:40]!r} isn't a tag I can keep: tags are # then letters, digits or '-' "
            "(at most 30), e.g. #dressings."
        )
    return found.group(1)


def _parse_share(rest: str, _settings: CommunitySettings) -> c.Command:
    words = rest.split()
    if len(words) == 2 and words[0].lower() == "withdraw":
        number = read_number(words[1])
        if number is None:
            raise usage_error(SHARE)
        return WithdrawResource(number)
    tags = tuple(_tag(w) for w in words if w.startswith("#"))
    if len(tags) > MAX_TAGS:
        raise UserError(f"At most {MAX_TAGS} tags, please.")
    others = [w for w in words if not w.startswith("#")]
    links = [w for w in others if w.lower().startswith(("http://", "https://"))]
    if len(links) > 1:
        raise UserError("One link per resource, please: share each one on its own.")
    if links and not web_link(links[0]):
        raise UserError("That link doesn't look right: it should start with https://.")
    text = " ".join(w for w in others if w not in links)
    if not links and not text:
        raise usage_error(SHARE)
    return ShareResource(links[0] if links else None, text, tags)


def _parse_library(rest: str, _settings: CommunitySettings) -> c.Command:
    words = rest.split()
    if words and words[0].lower() == "retag":
        if len(words) == 3:
            return RetagResources(_tag(words[1]), _tag(words[2]))
        if len(words) == 2:
            return RetagResources(_tag(words[1]), None)
        raise usage_error(LIBRARY)
    if len(rest) > 100:
        raise UserError("Please search for a word or two, or a #tag.")
    return FindResources(rest.strip())


SHARE = Verb(
    "share",
    _parse_share,
    usage="/cop share <link or text> [#tag …] · /cop share withdraw <number>",
    help="add a link or a tip to the community's library, with your name",
)
LIBRARY = Verb(
    "library",
    _parse_library,
    usage="/cop library [word|#tag] · /cop library retag #old [#new]",
    help="find what members shared, by word or #tag",
    convener_help="rename or remove a tag in the library (/cop library retag #old #new)",
)

FEATURE = Feature(
    name="library",
    verbs=(SHARE, LIBRARY),
    handlers={
        ShareResource: share,
        WithdrawResource: withdraw,
        FindResources: find,
        RetagResources: retag,
    },
)
