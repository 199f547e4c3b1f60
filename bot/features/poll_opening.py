"""Opening a poll: typed, from the candidate problems, or through the form."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.context import Context
from bot.domain import polls as rules
from bot.domain import tally as counting
from bot.domain.checkins import local_time
from bot.domain.text import clean_text, short
from bot.errors import UserError
from bot.features import poll_parsing
from bot.features.poll_commands import (
    PRIVACY,
    OpenPoll,
    StartPollForm,
)
from bot.features.poll_rows import (
    DEFAULT_DEADLINE,
    MAX_QUESTION,
    PROBLEMS_QUESTION,
    deadline_from,
)
from bot.features.problems import candidates
from bot.messages import Choice, Form, FormField, Response, say
from bot.storage.tables_polls import Poll, PollOption

# ---- opening ---------------------------------------------------------------------------


def _check_options(raw: Sequence[str]) -> list[str]:
    """Cleaned options: 2 to 25, none empty, no duplicates; else a clear refusal."""
    if len(raw) > counting.MAX_OPTIONS:
        raise UserError(
            f"A poll can have at most {counting.MAX_OPTIONS} options; that's {len(raw)}. "
            "Could you combine or drop a few?"
        )
    cleaned: list[str] = []
    seen: dict[str, int] = {}
    for number, text in enumerate(raw, 1):
        option = clean_text(text, what=f"Option {number}", max_length=MAX_QUESTION)
        key = " ".join(option.casefold().split())
        if key in seen:
            raise UserError(
                f"Option {number} ('{short(option, 60)}') is the same as option {seen[key]}: "
                "each option must be different."
            )
        seen[key] = number
        cleaned.append(option)
    if len(cleaned) < 2:
        raise UserError("A poll needs at least two options to choose between.")
    return cleaned


def open_poll(cmd: OpenPoll, ctx: Context) -> Response:
    member = ctx.require_convener("open a poll")
    words = ctx.settings.words
    problem_ids: list[int | None]
    if cmd.from_problems:
        pool = candidates(ctx)
        if cmd.problem_ids:
            by_id = {p.id: p for p in pool}
            missing = [str(i) for i in cmd.problem_ids if i not in by_id]
            if missing:
                raise UserError(
                    f"Problem {', '.join(missing)} isn't a candidate. See /cop problems."
                )
            pool = [by_id[i] for i in dict.fromkeys(cmd.problem_ids)]
        if len(pool) < 2:
            have = "There's only one candidate problem" if pool else "There are no candidates yet"
            raise UserError(
                f"{have}: a poll needs at least two. Members can add one with /cop propose."
            )
        if len(pool) > counting.MAX_OPTIONS:
            raise UserError(
                f"There are {len(pool)} candidates and a poll can hold "
                f"{counting.MAX_OPTIONS}. Merge or withdraw some, or name the ones to include: "
                "/cop poll open from problems 1 4 7 …"
            )
        labels = [p.text for p in pool]
        problem_ids = [p.id for p in pool]
        question = PROBLEMS_QUESTION.format(meeting=words.meeting)
        if cmd.question:
            question = cmd.question
    else:
        if not cmd.question:
            raise UserError(f"Please give a question. Usage: {poll_parsing.POLL_USAGE}")
        labels = _check_options(cmd.options)
        problem_ids = [None] * len(labels)
        question = cmd.question
    question = clean_text(question, what="The question", max_length=MAX_QUESTION)
    if not 1 <= cmd.dots <= counting.MAX_DOTS:
        raise UserError(f"Each member can have 1 to {counting.MAX_DOTS} dots.")
    closes_at = deadline_from(ctx, cmd.deadline)
    poll = create_poll(
        ctx,
        question=question,
        labels=labels,
        problem_ids=problem_ids,
        method=cmd.method,
        dots=cmd.dots,
        anonymous=cmd.anonymous,
        live=cmd.live,
        sets_topic=cmd.from_problems if cmd.sets_topic is None else cmd.sets_topic,
        opened_by=member.id,
        closes_at=closes_at,
    )
    closes = local_time(closes_at, ctx.community.timezone)
    return Response(
        message=say(f"Poll {poll.id} is open and posted in the channel; it closes {closes}.")
    )


def create_poll(
    ctx: Context,
    *,
    question: str,
    labels: Sequence[str],
    problem_ids: Sequence[int | None],
    method: str,
    dots: int,
    anonymous: bool,
    live: bool,
    sets_topic: bool,
    opened_by: int | None,
    closes_at: datetime,
    runoff_of: int | None = None,
) -> Poll:
    now = ctx.clock.now()
    poll = Poll(
        community_id=ctx.community_id,
        question=question,
        method=method,
        dots=dots,
        anonymous=anonymous,
        live=live,
        sets_topic=sets_topic,
        opened_by=opened_by,
        opened_at=now,
        closes_at=closes_at,
        remind_at=rules.remind_time(now, closes_at),
        runoff_of=runoff_of,
    )
    session = ctx.uow.session
    session.add(poll)
    session.flush()
    assert poll.id is not None
    for number, (label, problem_id) in enumerate(zip(labels, problem_ids, strict=True), 1):
        session.add(PollOption(poll_id=poll.id, number=number, label=label, problem_id=problem_id))
    ctx.post(
        f"poll:{poll.id}:post",
        rules.poll_message(poll, labels, ctx.community.timezone),
        tell=True,
    )
    return poll


def start_form(cmd: StartPollForm, ctx: Context) -> Response:
    ctx.require_convener("open a poll")
    question = PROBLEMS_QUESTION.format(meeting=ctx.settings.words.meeting)
    return Response(
        form=Form(
            form_id="poll.open",
            title="Open a poll",
            submit_label="Open the poll",
            fields=(
                FormField(name="question", label="Question", max_length=300, initial=question),
                FormField(
                    name="options",
                    label="Options, one per line (blank: problems)",
                    kind="long_text",
                    required=False,
                    max_length=2000,
                ),
                FormField(
                    name="method",
                    label="How people vote",
                    kind="choice",
                    initial="single",
                    choices=tuple(
                        Choice(value=m, label=rules.METHOD_NAMES[m]) for m in counting.METHODS
                    ),
                ),
                FormField(
                    name="deadline",
                    label="Closes (e.g. in 5 days, friday 17:00)",
                    max_length=100,
                    initial=DEFAULT_DEADLINE,
                ),
                FormField(
                    name="privacy",
                    label="Votes and results",
                    kind="choice",
                    initial="named-hidden",
                    choices=tuple(Choice(value=k, label=v) for k, v in PRIVACY.items()),
                ),
            ),
        )
    )
