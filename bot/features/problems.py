"""Wicked problems: members nominate what the community should work on next.

`/cop propose <problem>` at any time; `/cop problems` lists the candidates. Conveners merge
duplicates, reword and withdraw (the proposer is told privately). A poll chooses among them
(bot.features.polls).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from bot.commands import Command
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain.text import clean_text, read_number, short
from bot.errors import UserError
from bot.features.base import Feature, Verb, usage_error
from bot.messages import OutMessage, Response, Section, say
from bot.storage.tables import Member
from bot.storage.tables_polls import Poll, PollOption, Problem

MAX_PROBLEM = 300


@dataclass(frozen=True)
class ProposeProblem(Command):
    text: str


@dataclass(frozen=True)
class ShowProblems(Command):
    pass


@dataclass(frozen=True)
class MergeProblem(Command):
    source: int
    target: int


@dataclass(frozen=True)
class RewordProblem(Command):
    problem_id: int
    text: str


@dataclass(frozen=True)
class WithdrawProblem(Command):
    problem_id: int


# ---- queries ---------------------------------------------------------------------------


def candidates(ctx: Context) -> list[Problem]:
    """The open candidate problems, oldest first."""
    return list(
        ctx.uow.session.exec(
            select(Problem)
            .where(Problem.community_id == ctx.community_id, Problem.status == "open")
            .order_by(col(Problem.id))
        ).all()
    )


def _problem(ctx: Context, problem_id: int) -> Problem:
    problem = ctx.uow.session.get(Problem, problem_id)
    if problem is None or problem.community_id != ctx.community_id:
        raise UserError(f"There's no problem {problem_id}. See the list with /cop problems.")
    return problem


def _open_candidate(ctx: Context, problem_id: int) -> Problem:
    problem = _problem(ctx, problem_id)
    if problem.status != "open":
        raise UserError(f"Problem {problem_id} is no longer a candidate (it is {problem.status}).")
    return problem


def _in_open_poll(ctx: Context, problem_id: int) -> int | None:
    return ctx.uow.session.exec(
        select(Poll.id)
        .join(PollOption, col(PollOption.poll_id) == col(Poll.id))
        .where(PollOption.problem_id == problem_id, col(Poll.closed_at).is_(None))
    ).first()


def _refuse_if_polled(ctx: Context, problem: Problem, what: str) -> None:
    assert problem.id is not None
    poll_id = _in_open_poll(ctx, problem.id)
    if poll_id is not None:
        raise UserError(
            f"Problem {problem.id} is an option in poll {poll_id}, which is still open: "
            f"I can't {what} it until that poll closes."
        )


def _tell_proposer(ctx: Context, problem: Problem, key: str, text: str) -> None:
    """A private note to the person who proposed `problem` (not if they made the change)."""
    if problem.proposer_id is None or (ctx.member and ctx.member.id == problem.proposer_id):
        return
    proposer = ctx.uow.session.get(Member, problem.proposer_id)
    if proposer is None:
        return
    ctx.dm(
        proposer,
        key,
        OutMessage(title="About the problem you proposed", sections=(Section(text=text),)),
    )


# ---- handlers --------------------------------------------------------------------------


def propose(cmd: ProposeProblem, ctx: Context) -> Response:
    member = ctx.require_member()
    text = clean_text(cmd.text, what="Your problem", max_length=MAX_PROBLEM)
    same = next((p for p in candidates(ctx) if p.text.casefold() == text.casefold()), None)
    if same is not None:
        raise UserError(f"That's already on the list as problem {same.id}. Thank you!")
    problem = Problem(
        community_id=ctx.community_id,
        text=text,
        proposer_id=member.id,
        created_at=ctx.clock.now(),
    )
    ctx.uow.session.add(problem)
    ctx.uow.session.flush()
    ctx.record("proposed")
    return Response(
        message=say(
            f"Thank you! Problem {problem.id} is on the list of candidates: '{short(text, 120)}'. "
            "See them all with /cop problems."
        )
    )


def show_problems(cmd: ShowProblems, ctx: Context) -> Response:
    ctx.require_member()
    session = ctx.uow.session
    rows = session.exec(
        select(Problem).where(Problem.community_id == ctx.community_id).order_by(col(Problem.id))
    ).all()
    people = {
        m.id: m.display_name
        for m in session.exec(select(Member).where(Member.community_id == ctx.community_id)).all()
    }
    backers: dict[int, list[str]] = {}
    for problem in rows:
        target = problem.id if problem.status != "merged" else problem.merged_into_id
        if target is not None and problem.proposer_id in people:
            names = backers.setdefault(target, [])
            name = people[problem.proposer_id]
            if name not in names:
                names.append(name)
    open_items = tuple(
        f"{p.id}. {p.text} — proposed by {', '.join(backers.get(p.id or 0, [])) or 'a member'}"
        for p in rows
        if p.status == "open"
    )
    chosen = [p for p in rows if p.status == "chosen"][-5:]
    sections = [
        Section(heading=f"Candidates ({len(open_items)})", items=open_items)
        if open_items
        else Section(text="No candidates yet."),
    ]
    if chosen:
        sections.append(
            Section(heading="Chosen before", items=tuple(f"{p.id}. {p.text}" for p in chosen))
        )
    footer = "Add one with /cop propose <problem>."
    if ctx.member is not None and ctx.member.is_convener:
        footer += (
            " Conveners: /cop problems merge <id> into <id> · reword <id> <text> · "
            "withdraw <id> · /cop poll open from problems."
        )
    return Response(
        message=OutMessage(
            title="Wicked problems we could work on next", sections=tuple(sections), footer=footer
        )
    )


def merge(cmd: MergeProblem, ctx: Context) -> Response:
    ctx.require_convener("merge problems")
    if cmd.source == cmd.target:
        raise UserError("Those are the same problem: give two different numbers.")
    source = _open_candidate(ctx, cmd.source)
    target = _open_candidate(ctx, cmd.target)
    _refuse_if_polled(ctx, source, "merge")
    source.status = "merged"
    source.merged_into_id = target.id
    ctx.uow.session.add(source)
    _tell_proposer(
        ctx,
        source,
        f"problem:{source.id}:merged",
        f"Your proposal '{short(source.text, 120)}' was the same as another one, so the "
        f"conveners merged it into problem {target.id}: '{short(target.text, 120)}'. "
        "It's still on the list.",
    )
    return Response(
        message=say(f"Merged problem {source.id} into {target.id}: '{short(target.text, 120)}'.")
    )


def reword(cmd: RewordProblem, ctx: Context) -> Response:
    ctx.require_convener("reword problems")
    problem = _open_candidate(ctx, cmd.problem_id)
    text = clean_text(cmd.text, what="The new wording", max_length=MAX_PROBLEM)
    before = problem.text
    problem.text = text
    ctx.uow.session.add(problem)
    for option in ctx.uow.session.exec(
        select(PollOption)
        .join(Poll, col(Poll.id) == col(PollOption.poll_id))
        .where(PollOption.problem_id == problem.id, col(Poll.closed_at).is_(None))
    ).all():
        option.label = text
        ctx.uow.session.add(option)
    _tell_proposer(
        ctx,
        problem,
        f"problem:{problem.id}:reworded:{ctx.clock.now().isoformat()}",
        f"The conveners reworded the problem you proposed. It was: '{short(before, 200)}'. "
        f"It now reads: '{short(text, 200)}'. If that misses your point, tell a convener.",
    )
    return Response(message=say(f"Problem {problem.id} now reads: '{short(text, 200)}'."))


def withdraw(cmd: WithdrawProblem, ctx: Context) -> Response:
    member = ctx.require_member()
    problem = _open_candidate(ctx, cmd.problem_id)
    if problem.proposer_id != member.id and not member.is_convener:
        raise UserError("Only conveners, or the person who proposed it, can withdraw a problem.")
    _refuse_if_polled(ctx, problem, "withdraw")
    problem.status = "withdrawn"
    ctx.uow.session.add(problem)
    _tell_proposer(
        ctx,
        problem,
        f"problem:{problem.id}:withdrawn",
        f"The conveners took '{short(problem.text, 120)}' off the list of candidates. "
        "Ask them if you'd like to know why.",
    )
    return Response(message=say(f"Problem {problem.id} is withdrawn from the candidates."))


# ---- parsing ---------------------------------------------------------------------------


def _number(word: str, verb: Verb) -> int:
    number = read_number(word)
    if number is None:
        raise usage_error(verb)
    return number


def _parse_propose(rest: str, _settings: CommunitySettings) -> Command:
    if not rest:
        raise usage_error(PROPOSE)
    return ProposeProblem(rest)


def _parse_problems(rest: str, _settings: CommunitySettings) -> Command:
    action, _, tail = rest.partition(" ")
    tail = tail.strip()
    match action.lower():
        case "" | "list":
            return ShowProblems()
        case "merge":
            words = tail.replace(",", " ").split()
            if len(words) == 3 and words[1].lower() in ("into", "with", "to"):
                return MergeProblem(_number(words[0], PROBLEMS), _number(words[2], PROBLEMS))
            if len(words) == 2:
                return MergeProblem(_number(words[0], PROBLEMS), _number(words[1], PROBLEMS))
        case "reword" | "rename" | "edit":
            number, _, text = tail.partition(" ")
            if text.strip():
                return RewordProblem(_number(number, PROBLEMS), text.strip())
        case "withdraw" | "remove" | "drop":
            if tail:
                return WithdrawProblem(_number(tail, PROBLEMS))
    raise usage_error(PROBLEMS)


PROPOSE = Verb(
    "propose",
    _parse_propose,
    usage="/cop propose <a problem we could work on next>",
    help="propose a problem for a future meeting (see them with /cop problems)",
    aliases=("nominate",),
)
PROBLEMS = Verb(
    "problems",
    _parse_problems,
    usage=(
        "/cop problems · /cop problems merge <id> into <id> · /cop problems reword <id> <text> "
        "· /cop problems withdraw <id>"
    ),
    help="the candidate problems for our next meetings",
    convener_help=(
        "merge, reword or withdraw candidate problems (/cop problems merge 3 into 1 · "
        "reword 2 <text> · withdraw 4)"
    ),
    aliases=("problem",),
)

FEATURE = Feature(
    name="problems",
    verbs=(PROPOSE, PROBLEMS),
    handlers={
        ProposeProblem: propose,
        ShowProblems: show_problems,
        MergeProblem: merge,
        RewordProblem: reword,
        WithdrawProblem: withdraw,
    },
)
