"""Wins: celebrate what is working, in the channel, and cheer each other on.

A member posts a win (named, crediting others, or anonymously); others cheer it once each.
Someone else's contribution is posted only after they agree. A named check-in success can
become a win with one click. What other features read is in win_queries (`wins_between`
for the digest, `resurface_win` for quiet spells, `offer_success_wins` for check-ins); what
members type and press is read in win_parsing; the commands are in win_commands.
"""

from __future__ import annotations

from sqlmodel import col, select

from bot import anonymity
from bot.context import Context
from bot.domain import wins as rules
from bot.domain.checkins import local_time
from bot.domain.text import clean_text, plural_of
from bot.errors import UserError
from bot.features.base import Feature
from bot.features.guard import guard_text
from bot.features.win_commands import (
    AnswerNomination,
    CheerWin,
    ListWins,
    NominateWin,
    PostWin,
    StartWinForm,
    WinFromReaction,
    WinFromReply,
    WithdrawWin,
)
from bot.features.win_parsing import BUTTONS, WIN, WINS, share_form
from bot.features.win_queries import byline, cheer_counts
from bot.messages import Button, Form, FormField, OutMessage, Response, Section, say
from bot.storage.tables import CheckIn, CheckInReply, Member
from bot.storage.tables_wins import Win, WinCheer, WinCredit

RECENT = 10

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


FEATURE = Feature(
    name="wins",
    verbs=(WIN, WINS),
    buttons=BUTTONS,
    forms={"win.share": share_form},
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
