"""Quiet-spell prompts: when no member has taken part for a while between meetings, a
conversation starter from a rotating bank; never twice in the same quiet spell.

Members suggest starters (`/cop prompt suggest …`); conveners approve or reject them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from bot import commands as c
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain import momentum as rules
from bot.domain import when
from bot.domain.text import clean_text, read_number, short
from bot.errors import UserError
from bot.features.base import Feature, Verb, usage_error
from bot.features.win_queries import resurface_win
from bot.messages import OutMessage, Response, Section, say
from bot.scheduling import JobSpec
from bot.storage.tables import Activity, CheckIn, CheckInReply, Community, Meeting
from bot.storage.tables_momentum import PromptPost, PromptSuggestion
from bot.storage.uow import UnitOfWork

GRACE = timedelta(hours=12)

# ---- commands --------------------------------------------------------------------------


@dataclass(frozen=True)
class SuggestPrompt(c.Command):
    text: str


@dataclass(frozen=True)
class ListPrompts(c.Command):
    pass


@dataclass(frozen=True)
class ReviewPrompt(c.Command):
    prompt_id: int
    approve: bool


@dataclass(frozen=True)
class PostPrompt(c.Command):
    """A job: the channel has been quiet since `spell_start`."""

    spell_start: datetime


# ---- quiet spells ----------------------------------------------------------------------


def _last_activity(session: Session, community_id: int) -> datetime | None:
    return session.exec(
        select(func.max(Activity.at)).where(Activity.community_id == community_id)
    ).one()


def _meetings(session: Session, community_id: int) -> list[datetime]:
    return list(
        session.exec(
            select(Meeting.starts_at).where(
                Meeting.community_id == community_id, col(Meeting.cancelled).is_(False)
            )
        ).all()
    )


def spell_times(
    last_activity: datetime | None,
    created_at: datetime,
    meetings: list[datetime],
    length: timedelta,
    quiet_for: timedelta,
    prompted: set[datetime],
) -> Callable[[datetime, datetime], list[datetime]]:
    """When a prompt falls due: `quiet_for` after the last activity, or after the end of each
    later meeting, unless a meeting overlaps the spell, or that spell had its prompt already."""
    begin = rules.quiet_spell(last_activity, None, created_at)
    starts = [begin, *sorted(m + length for m in meetings if m + length > begin)]
    due = []
    for spell in starts:
        fire = spell + quiet_for
        interrupted = any(spell < m + length and m <= fire for m in meetings)
        if not interrupted and spell not in prompted:
            due.append(fire)
    return lambda start, end: [t for t in due if start < t <= end]


def _challenges(session: Session, community_id: int) -> list[tuple[int, str]]:
    last = session.exec(
        select(CheckIn.id)
        .where(CheckIn.community_id == community_id, col(CheckIn.closed_at).is_not(None))
        .order_by(col(CheckIn.closed_at).desc())
    ).first()
    if last is None:
        return []
    rows = session.exec(
        select(CheckInReply.id, CheckInReply.text).where(
            CheckInReply.checkin_id == last, CheckInReply.kind == "challenge"
        )
    ).all()
    return sorted(((i, t) for i, t in rows if i is not None), key=lambda row: row[1])


def post_prompt(cmd: PostPrompt, ctx: Context) -> Response:
    session = ctx.uow.session
    last = _last_activity(session, ctx.community_id)
    if last is not None and last > cmd.spell_start:
        return Response()  # someone spoke up meanwhile
    exists = session.exec(
        select(PromptPost.id).where(
            PromptPost.community_id == ctx.community_id, PromptPost.spell_start == cmd.spell_start
        )
    ).first()
    if exists is not None:
        return Response()
    posted = session.exec(
        select(PromptPost.prompt_key)
        .where(PromptPost.community_id == ctx.community_id)
        .order_by(col(PromptPost.id))
    ).all()
    if not (posted and posted[-1].startswith("win:")):  # every other spell: a past win
        win = resurface_win(ctx)  # named wins only, at least four weeks old, once each
        if win is not None:
            session.add(
                PromptPost(
                    community_id=ctx.community_id,
                    spell_start=cmd.spell_start,
                    prompt_key=f"win:{win.id}",
                    posted_at=ctx.clock.now(),
                )
            )
            return Response()
    posted = [key for key in posted if not key.startswith("win:")]
    approved = dict(
        session.exec(
            select(PromptSuggestion.id, PromptSuggestion.text)
            .where(
                PromptSuggestion.community_id == ctx.community_id,
                PromptSuggestion.status == "approved",
            )
            .order_by(col(PromptSuggestion.id))
        ).all()
    )
    resurfaced = {k for k in posted if k.startswith("challenge:")}
    fresh = [
        (i, t)
        for i, t in _challenges(session, ctx.community_id)
        if f"challenge:{i}" not in resurfaced
    ]
    last_key = posted[-1] if posted else None
    if last_key and last_key.startswith("challenge:"):
        last_key = rules.CHALLENGE_SLOT
    bank = rules.prompt_bank(sorted(approved.items()))
    key = rules.next_prompt_key(bank, last_key, set() if fresh else {rules.CHALLENGE_SLOT})
    if key is None:
        return Response()
    if key == rules.CHALLENGE_SLOT:
        reply_id, text = fresh[0]
        key, challenge = f"challenge:{reply_id}", True
    else:
        text, challenge = rules.prompt_text(key, approved) or rules.SEED_PROMPTS[0], False
    now = ctx.clock.now()
    session.add(
        PromptPost(
            community_id=ctx.community_id,
            spell_start=cmd.spell_start,
            prompt_key=key,
            posted_at=now,
        )
    )
    ctx.post(
        f"prompt:{ctx.community_id}:{cmd.spell_start.isoformat()}",
        rules.prompt_message(text, ctx.settings.words, challenge),
    )
    return Response()


# ---- people ----------------------------------------------------------------------------


def suggest(cmd: SuggestPrompt, ctx: Context) -> Response:
    member = ctx.require_member()
    text = clean_text(cmd.text, what="Your question", max_length=500)
    ctx.uow.session.add(
        PromptSuggestion(
            community_id=ctx.community_id,
            suggested_by=member.id,
            text=text,
            created_at=ctx.clock.now(),
        )
    )
    ctx.record("suggested")
    return Response(
        message=say(
            "Thank you! A convener will look at your question; once approved, I'll use it "
            "to get us talking when the channel goes quiet."
        )
    )


def list_prompts(cmd: ListPrompts, ctx: Context) -> Response:
    ctx.require_convener("review suggested questions")
    rows = ctx.uow.session.exec(
        select(PromptSuggestion)
        .where(
            PromptSuggestion.community_id == ctx.community_id,
            col(PromptSuggestion.status).in_(("suggested", "approved")),
        )
        .order_by(col(PromptSuggestion.id))
    ).all()
    waiting = tuple(f"#{r.id} {short(r.text, 200)}" for r in rows if r.status == "suggested")
    approved = tuple(f"#{r.id} {short(r.text, 200)}" for r in rows if r.status == "approved")
    quiet = ctx.settings.prompts.quiet_for
    note = (
        f"After {quiet} with no one taking part, I post one of these in the channel "
        f"(with {len(rules.SEED_PROMPTS)} starters of my own and a {ctx.settings.words.challenge} "
        "from the last check-in), never twice in the same quiet spell."
        if quiet
        else "Quiet-spell questions are off for this community."
    )
    return Response(
        message=OutMessage(
            title="Conversation starters",
            sections=(
                Section(heading="Waiting for a convener", items=waiting or ("none",)),
                Section(heading="Approved", items=approved or ("none yet",)),
                Section(text=note),
            ),
            footer="/cop prompt approve <id> · /cop prompt reject <id>",
        )
    )


def review(cmd: ReviewPrompt, ctx: Context) -> Response:
    ctx.require_convener("approve suggested questions")
    row = ctx.uow.session.get(PromptSuggestion, cmd.prompt_id)
    if row is None or row.community_id != ctx.community_id:
        raise UserError(f"I can't find question #{cmd.prompt_id}. See them with /cop prompt list.")
    row.status = "approved" if cmd.approve else "rejected"
    ctx.uow.session.add(row)
    return Response(message=say(f"Question #{row.id} is {row.status}."))


def _parse(rest: str, _settings: CommunitySettings) -> c.Command:
    action, _, tail = rest.partition(" ")
    action, tail = action.lower(), tail.strip()
    if action == "suggest" and tail:
        return SuggestPrompt(tail)
    if action in ("", "list"):
        return ListPrompts()
    number = read_number(tail)
    if action in ("approve", "reject") and number is not None:
        return ReviewPrompt(number, action == "approve")
    raise usage_error(PROMPT)


# ---- schedules -------------------------------------------------------------------------


def collect_jobs(uow: UnitOfWork, settings_of: object) -> list[JobSpec]:
    """For each open community with prompts on: when its current quiet spell is due one."""
    session = uow.session
    specs = []
    for community in session.exec(select(Community).where(col(Community.closed_at).is_(None))):
        settings: CommunitySettings = settings_of(community)  # type: ignore[operator]
        if not settings.prompts.quiet_for or community.id is None:
            continue
        quiet_for = when.parse_duration(settings.prompts.quiet_for)
        community_id = community.id
        last = _last_activity(session, community_id)
        prompted = set(
            session.exec(
                select(PromptPost.spell_start).where(PromptPost.community_id == community_id)
            ).all()
        )
        specs.append(
            JobSpec(
                key=f"prompt:{community_id}",
                community_id=community_id,
                times=spell_times(
                    last,
                    community.created_at,
                    _meetings(session, community_id),
                    when.parse_duration(settings.meetings.length),
                    quiet_for,
                    prompted,
                ),
                make=lambda t, q=quiet_for: PostPrompt(spell_start=t - q),
                grace=GRACE,
            )
        )
    return specs


PROMPT = Verb(
    "prompt",
    _parse,
    usage="/cop prompt suggest <question> · /cop prompt list · /cop prompt approve|reject <id>",
    help="suggest a question to get us talking when the channel goes quiet",
    convener_help="see suggested questions; approve or reject them",
    aliases=("prompts",),
)

FEATURE = Feature(
    name="prompts",
    verbs=(PROMPT,),
    handlers={
        SuggestPrompt: suggest,
        ListPrompts: list_prompts,
        ReviewPrompt: review,
        PostPrompt: post_prompt,
    },
    jobs=collect_jobs,
)
