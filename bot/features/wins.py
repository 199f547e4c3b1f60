"""Wins: celebrate what is working, in the channel, and cheer each other on.

A member posts a win (named, crediting others, or anonymously); others cheer it once each.
Someone else's contribution is posted only after they agree. A named check-in success can
become a win with one click. For other features: `wins_between` (the digest),
`resurface_candidate` / `resurface_win` (quiet spells) and `offer_success_wins` (check-ins).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from bot import anonymity
from bot.commands import Command
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain import wins as rules
from bot.domain.checkins import local_time
from bot.domain.text import clean_text, plural_of, read_number
from bot.errors import FieldError, UserError
from bot.features.base import ButtonParser, Feature, Verb, mention, split_id, usage_error
from bot.features.guard import guard_text
from bot.messages import Button, Form, FormField, OutMessage, Response, Section, say
from bot.storage.tables import CheckIn, CheckInReply, Member
from bot.storage.tables_wins import Win, WinCheer, WinCredit

ANONYMOUS_WORDS = {"anon", "anonymous", "anonymously", "unnamed", "chatham"}
_MENTION_HEAD = re.compile(
    r"\s*(<@[A-Za-z0-9._-]+(?:\|[^>]*)?>)[,:]?(?:\s+(?:and|&)(?=\s))?\s*", re.I
)
RECENT = 10

# ---- commands ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PostWin(Command):
    """Celebrate a win now: named (optionally crediting members) or anonymously."""

    text: str
    credits: tuple[str, ...] = ()
    anonymous: bool = False
    confirmed: bool = False  # seen the patient-identifier warning (bot.features.guard)


@dataclass(frozen=True)
class NominateWin(Command):
    """Celebrate someone else's contribution, once they agree."""

    nominee: str
    text: str
    confirmed: bool = False  # seen the patient-identifier warning (bot.features.guard)


@dataclass(frozen=True)
class AnswerNomination(Command):
    win_id: int
    agree: bool


@dataclass(frozen=True)
class CheerWin(Command):
    win_id: int


@dataclass(frozen=True)
class WithdrawWin(Command):
    win_id: int


@dataclass(frozen=True)
class ListWins(Command):
    pass


@dataclass(frozen=True)
class WinFromReply(Command):
    """Turn one's own named check-in success into a win (the button after a check-in)."""

    reply_id: int


@dataclass(frozen=True)
class WinFromReaction(Command):
    """Someone reacted 🎉 to a member's message: ask its author whether to share a win."""

    author_user_id: str
    message_ref: str  # the platform's reference to the message, to ask only once


@dataclass(frozen=True)
class StartWinForm(Command):
    """Open the 'share a win' form (the button in that private question)."""


# ---- queries for other features ------------------------------------------------------------


def wins_between(session: Session, community_id: int, start: datetime, end: datetime) -> list[Win]:
    """Wins posted in [start, end) and not withdrawn, oldest first (for the weekly digest).

    Anonymous wins are included with `anonymous=True` and `member_id=None`: show their text,
    never a name. `describe_wins` gives each one's line with byline and cheers."""
    return list(
        session.exec(
            select(Win)
            .where(
                Win.community_id == community_id,
                Win.status == "posted",
                col(Win.posted_at) >= start,
                col(Win.posted_at) < end,
            )
            .order_by(col(Win.posted_at), col(Win.id))
        ).all()
    )


def cheer_counts(session: Session, win_ids: Sequence[int]) -> dict[int, int]:
    """How many members cheered each win."""
    if not win_ids:
        return {}
    rows = session.exec(
        select(WinCheer.win_id, func.count())
        .where(col(WinCheer.win_id).in_(list(win_ids)))
        .group_by(col(WinCheer.win_id))
    ).all()
    return {win_id: count for win_id, count in rows}


def byline(session: Session, win: Win) -> str:
    """'— Ana, with Ben and Dee', '— Ana (nominated by Ben)' or '— shared anonymously'."""
    if win.anonymous or win.member_id is None:
        return rules.byline(win, None, [], None)
    credited = session.exec(
        select(Member.display_name)
        .join(WinCredit, col(WinCredit.member_id) == col(Member.id))
        .where(WinCredit.win_id == win.id)
        .order_by(col(Member.display_name))
    ).all()
    name = _name(session, win.member_id)
    nominator = _name(session, win.nominated_by) if win.nominated_by else None
    return rules.byline(win, name, list(credited), nominator)


def describe_wins(session: Session, wins: Sequence[Win]) -> list[str]:
    """One line per win: '#4 We cut waiting times — Ana · 3 cheers'."""
    counts = cheer_counts(session, [w.id for w in wins if w.id is not None])
    return [rules.win_line(w, byline(session, w), counts.get(w.id or 0, 0)) for w in wins]


def resurface_candidate(session: Session, community_id: int, now: datetime) -> Win | None:
    """A past named win worth bringing back in a quiet spell, or None.

    Only posted, named (never anonymous), not withdrawn wins, at least four weeks old and
    never resurfaced before; the most cheered first, then the oldest."""
    cheers = (
        select(WinCheer.win_id, func.count().label("n")).group_by(col(WinCheer.win_id)).subquery()
    )
    return session.exec(
        select(Win)
        .outerjoin(cheers, cheers.c.win_id == col(Win.id))
        .where(
            Win.community_id == community_id,
            Win.status == "posted",
            col(Win.anonymous).is_(False),
            col(Win.member_id).is_not(None),
            col(Win.resurfaced_at).is_(None),
            col(Win.posted_at) <= now - rules.RESURFACE_AFTER,
        )
        .order_by(func.coalesce(cheers.c.n, 0).desc(), col(Win.posted_at), col(Win.id))
    ).first()


def resurface_win(ctx: Context) -> Win | None:
    """Post `resurface_candidate` ("Three months ago, …") in the channel, once per win.
    For the quiet-spell feature: call it inside its own command; returns the win or None."""
    now = ctx.clock.now()
    session = ctx.uow.session
    win = resurface_candidate(session, ctx.community_id, now)
    if win is None:
        return None
    win.resurfaced_at = now
    session.add(win)
    count = cheer_counts(session, [win.id or 0]).get(win.id or 0, 0)
    message = rules.resurface_message(win, byline(session, win), count, now, ctx.settings.words)
    ctx.post(f"win:{win.id}:resurface", message)
    return win


def offer_success_wins(ctx: Context, replies: Sequence[CheckInReply]) -> None:
    """When a check-in closes: offer each *named* success's author, privately, to celebrate it
    as a win. Anonymous successes are never offered (that would break their anonymity)."""
    named = [r for r in replies if r.kind == "success" and not r.anonymous and r.member_id]
    if not named:
        return
    session = ctx.uow.session
    members = {
        m.id: m
        for m in session.exec(
            select(Member).where(col(Member.id).in_({r.member_id for r in named}))
        ).all()
    }
    now = ctx.clock.now()
    for reply in named:
        member = members.get(reply.member_id)
        if member is None or reply.id is None:
            continue
        ctx.dm(
            member,
            f"win:offer:reply:{reply.id}",
            rules.success_offer(reply.id, reply.text, ctx.settings.words),
            expires_at=now + rules.NOMINATION_WINDOW,
        )


# ---- handlers ------------------------------------------------------------------------------


def post_win(cmd: PostWin, ctx: Context) -> Response:
    member = ctx.require_member()
    words = ctx.settings.words
    text = clean_text(cmd.text, what=f"Your {words.win}")
    if cmd.anonymous and cmd.credits:
        raise UserError(
            f"An anonymous {words.win} can't name anyone. Share it with your name to credit "
            "others, or leave the names out."
        )
    credited = {_known(ctx, user_id, "credit").id for user_id in cmd.credits} - {member.id}
    held = guard_text(ctx, text, confirmed=cmd.confirmed, resend=cmd)
    if held is not None:  # it may identify a patient: the member edits or confirms first
        return held
    now = ctx.clock.now()
    win = Win(
        community_id=ctx.community_id,
        member_id=None if cmd.anonymous else member.id,
        anonymous=cmd.anonymous,
        text=text,
        created_at=now,
    )
    ctx.uow.session.add(win)
    ctx.uow.session.flush()
    assert win.id is not None and member.id is not None
    if cmd.anonymous:
        win.author_key = anonymity.author_key(ctx.secret, "win", win.id, member.id)
    for other in sorted(i for i in credited if i is not None):
        ctx.uow.session.add(WinCredit(win_id=win.id, member_id=other))
    _announce(ctx, win)
    ctx.record("celebrated", anonymous=cmd.anonymous)
    how = " anonymously" if cmd.anonymous else ""
    return Response(
        message=say(
            f"Posted{how} in the channel as {words.win} #{win.id}. Well done! "
            f"(/cop win withdraw {win.id} takes it back"
            + (" within a week." if cmd.anonymous else ".")
            + ")"
        )
    )


def nominate_win(cmd: NominateWin, ctx: Context) -> Response:
    member = ctx.require_member()
    words = ctx.settings.words
    text = clean_text(cmd.text, what=f"The {words.win}")
    nominee = _known(ctx, cmd.nominee, "nominate")
    if nominee.id == member.id:
        raise UserError(f"That's you! Use /cop win <text> to celebrate your own {words.win}.")
    held = guard_text(ctx, text, confirmed=cmd.confirmed, resend=cmd)
    if held is not None:  # it may identify a patient: the member edits or confirms first
        return held
    now = ctx.clock.now()
    win = Win(
        community_id=ctx.community_id,
        member_id=nominee.id,
        nominated_by=member.id,
        text=text,
        status="awaiting",
        created_at=now,
    )
    ctx.uow.session.add(win)
    ctx.uow.session.flush()
    closes = now + rules.NOMINATION_WINDOW
    ctx.dm(
        nominee,
        f"win:{win.id}:ask",
        rules.nomination_request(
            win, member.display_name, words, local_time(closes, nominee.timezone)
        ),
        expires_at=closes,
    )
    ctx.record("nominated")
    return Response(
        message=say(
            f"Thank you! I've asked {nominee.display_name} privately. It will be posted only if "
            "they agree."
        )
    )


def answer_nomination(cmd: AnswerNomination, ctx: Context) -> Response:
    member = ctx.require_member()
    words = ctx.settings.words
    win = _win(ctx, cmd.win_id)
    if win.nominated_by is None or win.member_id != member.id:
        raise UserError("That question was for someone else.")
    if win.status == "withdrawn":
        raise UserError("That nomination was withdrawn, so there's nothing to answer.")
    if win.status == "posted":
        raise UserError("You already agreed: it's in the channel.")
    if win.status == "declined":
        raise UserError("You already said no: nothing was posted.")
    now = ctx.clock.now()
    if now > win.created_at + rules.NOMINATION_WINDOW:
        raise UserError("That nomination has lapsed, so nothing was posted.")
    if not cmd.agree:
        win.status = "declined"
        ctx.uow.session.add(win)
        return Response(message=say("Understood: nothing will be posted. Thank you for saying."))
    _announce(ctx, win)
    ctx.record("celebrated")
    nominator = ctx.uow.session.get(Member, win.nominated_by)
    if nominator is not None:
        ctx.dm(
            nominator,
            f"win:{win.id}:agreed",
            say(f"{member.display_name} agreed: the {words.win} you nominated is posted."),
        )
    return Response(message=say(f"Thank you! It's posted in the channel as {words.win} #{win.id}."))


def cheer_win(cmd: CheerWin, ctx: Context) -> Response:
    member = ctx.require_member()
    words = ctx.settings.words
    win = _win(ctx, cmd.win_id)
    if win.status != "posted":
        raise UserError(f"That {words.win} isn't there any more.")
    if _is_author(ctx, win, member):
        raise UserError(f"That's your own {words.win}: let the others cheer it!")
    assert win.id is not None and member.id is not None
    count = cheer_counts(ctx.uow.session, [win.id]).get(win.id, 0)
    if ctx.uow.session.get(WinCheer, (win.id, member.id)) is not None:
        raise UserError(f"You've already cheered this one: {rules.cheers(count)} so far.")
    ctx.uow.session.add(WinCheer(win_id=win.id, member_id=member.id, at=ctx.clock.now()))
    ctx.record("cheered")
    return Response(message=say(f"Cheered! That's {rules.cheers(count + 1)} for this {words.win}."))


def withdraw_win(cmd: WithdrawWin, ctx: Context) -> Response:
    member = ctx.require_member()
    words = ctx.settings.words
    win = _win(ctx, cmd.win_id)
    if not (_is_author(ctx, win, member) or win.nominated_by == member.id):
        raise UserError(
            f"That {words.win} isn't yours to withdraw: only the person who shared it can."
        )
    if win.status in ("withdrawn", "declined"):
        raise UserError(f"That {words.win} is already withdrawn.")
    was = win.status
    win.status, win.withdrawn_at = "withdrawn", ctx.clock.now()
    if win.anonymous:  # nothing left to edit: the key that named its author goes
        win.author_key = None
        win.withdrawn_at = anonymity.coarse(win.withdrawn_at, ctx.community.timezone)
    ctx.uow.session.add(win)
    if was == "awaiting":
        return Response(message=say("Withdrawn: it won't be posted."))
    return Response(
        message=say(
            f"Withdrawn: {words.win} #{win.id} won't appear in listings or summaries again. "
            "(The message already in the channel stays.)"
        )
    )


def list_wins(cmd: ListWins, ctx: Context) -> Response:
    member = ctx.require_member()
    words = ctx.settings.words
    session = ctx.uow.session
    wins = session.exec(
        select(Win)
        .where(Win.community_id == ctx.community_id, Win.status == "posted")
        .order_by(col(Win.posted_at).desc(), col(Win.id).desc())
        .limit(RECENT)
    ).all()
    if not wins:
        first = f"No {plural_of(words.win)} yet. Share the first with /cop win <text>."
        return Response(message=say(first))
    counts = cheer_counts(session, [w.id for w in wins if w.id is not None])
    items = tuple(
        rules.win_line(
            w, byline(session, w), counts.get(w.id or 0, 0), mine=_is_author(ctx, w, member)
        )
        for w in wins
    )
    return Response(
        message=OutMessage(
            title=f"Recent {plural_of(words.win)}",
            sections=(Section(items=items),),
            footer="Cheer one with /cop win cheer <number>; share yours with /cop win <text>.",
        )
    )


def win_from_reply(cmd: WinFromReply, ctx: Context) -> Response:
    member = ctx.require_member()
    words = ctx.settings.words
    session = ctx.uow.session
    reply = session.get(CheckInReply, cmd.reply_id)
    checkin = session.get(CheckIn, reply.checkin_id) if reply is not None else None
    if (
        reply is None
        or checkin is None
        or checkin.community_id != ctx.community_id
        or reply.member_id != member.id
        or reply.anonymous
        or reply.kind != "success"
    ):
        raise UserError("That button is out of date. Share a win with /cop win <text>.")
    existing = session.exec(select(Win).where(Win.source_reply_id == reply.id)).first()
    if existing is not None:
        raise UserError(f"You've already celebrated it: it's {words.win} #{existing.id}.")
    win = Win(
        community_id=ctx.community_id,
        member_id=member.id,
        text=reply.text,
        created_at=ctx.clock.now(),
        source_reply_id=reply.id,
    )
    session.add(win)
    session.flush()
    _announce(ctx, win)
    ctx.record("celebrated")
    return Response(message=say(f"Posted in the channel as {words.win} #{win.id}. Well done!"))


def win_from_reaction(cmd: WinFromReaction, ctx: Context) -> Response:
    """The author decides (and writes) the win; copbot never reposts their message itself."""
    reactor = ctx.require_member()
    words = ctx.settings.words
    author = ctx.uow.session.exec(
        select(Member).where(
            Member.community_id == ctx.community_id,
            Member.platform_user_id == cmd.author_user_id,
        )
    ).first()
    if author is None or author.id == reactor.id:
        return Response()  # not someone copbot knows, or celebrating oneself: nothing to ask
    ctx.dm(
        author,
        f"win:reaction:{cmd.message_ref}:{author.id}"[:200],
        OutMessage(
            title="Someone celebrated your message with 🎉",
            sections=(
                Section(
                    text=f"Would you like to share it with the community as a {words.win}? "
                    "You choose the words; nothing is posted unless you do."
                ),
            ),
            buttons=(Button(label=f"Share it as a {words.win}", action="win.share"),),
        ),
    )
    return Response(
        message=say(f"I've asked {author.display_name} whether they'd like to share it.")
    )


def start_win_form(cmd: StartWinForm, ctx: Context) -> Response:
    ctx.require_member()
    words = ctx.settings.words
    return Response(
        form=Form(
            form_id="win.share",
            title=f"Share a {words.win}"[:24],
            fields=(
                FormField(
                    name="text", label=f"Your {words.win}", kind="long_text", max_length=2000
                ),
            ),
        )
    )


def celebrate(ctx: Context, member: Member, text: str, *, pledge_id: int | None = None) -> Win:
    """Post a named win for `member` now (used by pledges: 'share it as a win')."""
    win = Win(
        community_id=ctx.community_id,
        member_id=member.id,
        text=text,
        created_at=ctx.clock.now(),
        source_pledge_id=pledge_id,
    )
    ctx.uow.session.add(win)
    ctx.uow.session.flush()
    _announce(ctx, win)
    ctx.record("celebrated")
    return win


# ---- helpers -------------------------------------------------------------------------------


def _announce(ctx: Context, win: Win) -> None:
    win.status, win.posted_at = "posted", ctx.clock.now()
    ctx.uow.session.add(win)
    ctx.uow.session.flush()
    by = byline(ctx.uow.session, win)
    ctx.post(f"win:{win.id}:post", rules.win_post(win, by, ctx.settings.words))


def _win(ctx: Context, win_id: int) -> Win:
    win = ctx.uow.session.get(Win, win_id)
    if win is None or win.community_id != ctx.community_id:
        raise UserError(f"I can't find {ctx.settings.words.win} #{win_id}. /cop wins lists them.")
    return win


def _is_author(ctx: Context, win: Win, member: Member) -> bool:
    if win.anonymous:
        assert win.id is not None and member.id is not None
        return win.author_key is not None and win.author_key == anonymity.author_key(
            ctx.secret, "win", win.id, member.id
        )
    return win.member_id == member.id


def _known(ctx: Context, user_id: str, what: str) -> Member:
    found = ctx.uow.session.exec(
        select(Member).where(
            Member.community_id == ctx.community_id, Member.platform_user_id == user_id
        )
    ).first()
    if found is None:
        raise UserError(
            f"I can't {what} someone I don't know yet: people appear here once they have used "
            "copbot (any /cop command)."
        )
    return found


def _name(session: Session, member_id: int | None) -> str:
    member = session.get(Member, member_id) if member_id is not None else None
    return member.display_name if member else "a member"


# ---- parsing -------------------------------------------------------------------------------


def _number(text: str) -> int | None:
    return read_number(text)


def _leading_mentions(text: str) -> tuple[list[str], str]:
    """'<@ana> and <@ben>: We did it' -> (['ana', 'ben'], 'We did it'); line breaks are kept."""
    found: list[str] = []
    while head := _MENTION_HEAD.match(text):
        user_id = mention(head.group(1))
        assert user_id is not None
        found.append(user_id)
        text = text[head.end() :]
    return found, text.strip()


def _parse_win(rest: str, _settings: CommunitySettings) -> Command:
    if not rest:
        return ListWins()
    first, _, tail = rest.partition(" ")
    keyword, tail = first.lower().strip(",:"), tail.strip()
    if keyword in ("withdraw", "cheer"):
        number = _number(tail)
        if number is None:
            raise usage_error(WIN)
        return WithdrawWin(number) if keyword == "withdraw" else CheerWin(number)
    if keyword == "for":
        people, text = _leading_mentions(tail)
        if len(people) != 1:
            raise UserError(f"Nominate one person at a time: /cop win for @someone <text>. {_HINT}")
        if not text:
            raise UserError("Please say what you'd like to celebrate, after their name.")
        return NominateWin(nominee=people[0], text=text)
    if keyword == "with":
        people, text = _leading_mentions(tail)
        if not people:
            raise UserError(f"Mention who to credit: /cop win with @ana @ben <text>. {_HINT}")
        if not text:
            raise UserError("Please say what you'd like to celebrate, after the names.")
        return PostWin(text=text, credits=tuple(dict.fromkeys(people)))
    if keyword in ANONYMOUS_WORDS:
        if not tail:
            raise UserError("Please say what you'd like to celebrate, after 'anonymously'.")
        if tail.lower().startswith("with "):
            people, tail = _leading_mentions(tail[5:])
            return PostWin(text=tail, credits=tuple(people), anonymous=True)
        return PostWin(text=tail, anonymous=True)
    return PostWin(text=rest)


def _parse_wins(rest: str, _settings: CommunitySettings) -> Command:
    if rest:
        raise usage_error(WINS)
    return ListWins()


_HINT = "Type @ and pick their name."

WIN = Verb(
    "win",
    _parse_win,
    usage="/cop win <text> · /cop win with @someone … <text> · /cop win for @someone <text> · "
    "/cop win anonymously <text> · /cop win cheer <number> · /cop win withdraw <number>",
    help="celebrate a win in the channel ('with @…' credits others; 'for @…' nominates "
    "someone, posted only if they agree)",
)
WINS = Verb("wins", _parse_wins, usage="/cop wins", help="recent wins and their cheers")

_BUTTONS: Mapping[str, ButtonParser] = {
    "win.cheer": lambda value: CheerWin(split_id(value)[0]),
    "win.agree": lambda value: AnswerNomination(split_id(value)[0], True),
    "win.decline": lambda value: AnswerNomination(split_id(value)[0], False),
    "win.from_reply": lambda value: WinFromReply(split_id(value)[0]),
    "win.from_reaction": lambda value: _reaction(value),
    "win.share": lambda _value: StartWinForm(),
}


def _share_form(_metadata: str, values: Mapping[str, str]) -> Command:
    """The win form: its text, and (where the form asks) named or anonymously."""
    share = values.get("share", "named")
    if share not in ("named", "anonymous"):
        raise FieldError(
            "Please choose whether to share with your name or anonymously.", field="share"
        )
    return PostWin(text=values.get("text", ""), anonymous=share == "anonymous")


def _reaction(value: str) -> Command:
    """'<author user id>:<message reference…>' from an adapter's 🎉 reaction."""
    author, _, ref = value.partition(":")
    if not author or not ref:
        raise UserError("I couldn't tell whose message that was.")
    return WinFromReaction(author_user_id=author, message_ref=ref)


FEATURE = Feature(
    name="wins",
    verbs=(WIN, WINS),
    buttons=_BUTTONS,
    forms={"win.share": _share_form},
    handlers={
        WinFromReaction: win_from_reaction,
        StartWinForm: start_win_form,
        PostWin: post_win,
        NominateWin: nominate_win,
        AnswerNomination: answer_nomination,
        CheerWin: cheer_win,
        WithdrawWin: withdraw_win,
        ListWins: list_wins,
        WinFromReply: win_from_reply,
    },
)
