"""Co-consulting trios between meetings: members opt in, copbot forms small groups every few
weeks (avoiding repeat pairings for as long as possible, never leaving anyone alone),
introduces each group privately with a short guide, later asks whether they met, and tells
keepers only counts. Anyone can leave the rotation at any time. The commands are in
trio_commands, what members type and press in trio_parsing, the timers in trio_jobs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.context import Context
from bot.domain import trios as grouping
from bot.domain.checkins import local_time
from bot.domain.text import plural
from bot.errors import UserError
from bot.features.base import Feature
from bot.features.trio_commands import (
    MET,
    AnswerTrioMet,
    CheckTrioGroup,
    FormTrioRound,
    FormTriosNow,
    JoinTrios,
    LeaveTrios,
    ShowTrios,
    StartTrios,
    StopTrios,
)
from bot.features.trio_jobs import collect_jobs
from bot.features.trio_parsing import TRIOS, met_button
from bot.messages import Button, OutMessage, Response, Section, say
from bot.storage.tables import Member
from bot.storage.tables_meetings import TrioGroup, TrioOptIn, TrioRotation, TrioSeat

OPT_IN_WINDOW = timedelta(days=3)

# ---- reading ---------------------------------------------------------------------------


def _active(ctx: Context) -> TrioRotation | None:
    return ctx.uow.session.exec(
        select(TrioRotation).where(
            TrioRotation.community_id == ctx.community_id, col(TrioRotation.stopped_at).is_(None)
        )
    ).first()


def _noun(size: int) -> str:
    return "trio" if size == 3 else "group"


def _opted_in(ctx: Context, rotation: TrioRotation) -> list[int]:
    return sorted(
        ctx.uow.session.exec(
            select(TrioOptIn.member_id).where(TrioOptIn.rotation_id == rotation.id)
        ).all()
    )


def _history(ctx: Context, rotation: TrioRotation) -> dict[grouping.Pair, tuple[int, int]]:
    """Who has met whom in earlier rounds: (times, last round) per pair."""
    rows = ctx.uow.session.exec(
        select(TrioSeat.group_id, TrioSeat.member_id, TrioGroup.round_number)
        .join(TrioGroup, col(TrioGroup.id) == col(TrioSeat.group_id))
        .where(TrioGroup.rotation_id == rotation.id)
    ).all()
    groups: dict[int, tuple[int, list[int]]] = {}
    for group_id, member_id, round_number in rows:
        groups.setdefault(group_id, (round_number, []))[1].append(member_id)
    met: dict[grouping.Pair, tuple[int, int]] = {}
    for round_number, members in sorted(groups.values()):
        grouping.record(met, [members], round_number)
    return met


def trio_figures(
    session: Session, community_id: int, start: datetime, end: datetime
) -> tuple[int, int]:
    """(groups formed in [start, end), of which at least one member said they met): counts
    only, for keepers."""
    groups = session.exec(
        select(TrioGroup.id)
        .join(TrioRotation, col(TrioRotation.id) == col(TrioGroup.rotation_id))
        .where(
            TrioRotation.community_id == community_id,
            col(TrioGroup.formed_at) >= start,
            col(TrioGroup.formed_at) < end,
        )
    ).all()
    if not groups:
        return 0, 0
    met = set(
        session.exec(
            select(TrioSeat.group_id).where(
                col(TrioSeat.group_id).in_(list(groups)), TrioSeat.met == "yes"
            )
        ).all()
    )
    return len(groups), len(met)


# ---- handlers --------------------------------------------------------------------------


def start_trios(cmd: StartTrios, ctx: Context) -> Response:
    ctx.require_convener("start co-consulting groups")
    if _active(ctx) is not None:
        raise UserError("Co-consulting groups are already running. See them with /cop trios.")
    now = ctx.clock.now()
    rotation = TrioRotation(
        community_id=ctx.community_id,
        size=cmd.size,
        every_days=cmd.every_days,
        started_at=now,
        next_round_at=now + OPT_IN_WINDOW,
    )
    ctx.uow.session.add(rotation)
    ctx.uow.session.flush()
    noun = _noun(cmd.size)
    words = ctx.settings.words
    first = local_time(rotation.next_round_at, ctx.community.timezone)
    ctx.post(
        f"trios:{rotation.id}:start",
        OutMessage(
            title=f"Co-consulting {noun}s: would you like to join?",
            sections=(
                Section(
                    text=f"Every {plural(cmd.every_days // 7, 'week')}, I'll put the people who "
                    f"join into small {noun}s of about {cmd.size}. One of you brings a "
                    f"{words.challenge} from your practice; the others listen and ask "
                    "questions. You arrange a time that suits you."
                ),
                Section(text=f"The first {noun}s are formed on {first}. Leave at any time."),
            ),
            buttons=(
                Button(label="Count me in", action="trios.join", style="primary"),
                Button(label="Leave", action="trios.leave"),
            ),
        ),
        tell=True,
    )
    return Response(
        message=say(
            f"Co-consulting {noun}s started: members can join until {first}, when the first "
            f"{noun}s are formed; then every {plural(cmd.every_days // 7, 'week')}."
        )
    )


def stop_trios(cmd: StopTrios, ctx: Context) -> Response:
    ctx.require_convener("stop co-consulting groups")
    rotation = _active(ctx)
    if rotation is None:
        raise UserError("No co-consulting groups are running.")
    rotation.stopped_at = ctx.clock.now()
    ctx.uow.session.add(rotation)
    return Response(message=say("Co-consulting groups stopped: no new rounds will be formed."))


def join_trios(cmd: JoinTrios, ctx: Context) -> Response:
    member = ctx.require_member()
    rotation = _active(ctx)
    if rotation is None:
        raise UserError("No co-consulting groups are running right now.")
    noun = _noun(rotation.size)
    when = local_time(rotation.next_round_at, member.timezone)
    if member.id in _opted_in(ctx, rotation):
        return Response(message=say(f"You're already in. The next {noun}s are formed on {when}."))
    ctx.uow.session.add(
        TrioOptIn(rotation_id=rotation.id, member_id=member.id, joined_at=ctx.clock.now())  # type: ignore[arg-type]
    )
    return Response(
        message=say(
            f"You're in: the next {noun}s are formed on {when}, and I'll introduce you to "
            "yours privately. Leave any time with /cop trios leave."
        )
    )


def leave_trios(cmd: LeaveTrios, ctx: Context) -> Response:
    member = ctx.require_member()
    rotation = _active(ctx)
    row = (
        ctx.uow.session.exec(
            select(TrioOptIn).where(
                TrioOptIn.rotation_id == rotation.id, TrioOptIn.member_id == member.id
            )
        ).first()
        if rotation is not None
        else None
    )
    if row is None:
        return Response(message=say("You're not in the co-consulting groups."))
    ctx.uow.session.delete(row)
    return Response(message=say("You've left the co-consulting groups. Thank you for taking part."))


def _my_group(ctx: Context, rotation: TrioRotation, member: Member) -> list[str]:
    latest = ctx.uow.session.exec(
        select(TrioGroup.id)
        .join(TrioSeat, col(TrioSeat.group_id) == col(TrioGroup.id))
        .where(TrioGroup.rotation_id == rotation.id, TrioSeat.member_id == member.id)
        .order_by(col(TrioGroup.round_number).desc())
    ).first()
    if latest is None:
        return []
    return sorted(
        ctx.uow.session.exec(
            select(Member.display_name)
            .join(TrioSeat, col(TrioSeat.member_id) == col(Member.id))
            .where(TrioSeat.group_id == latest, TrioSeat.member_id != member.id)
        ).all()
    )


def show_trios(cmd: ShowTrios, ctx: Context) -> Response:
    member = ctx.require_member()
    rotation = _active(ctx)
    if rotation is None:
        hint = " Start them with /cop trios start." if member.is_convener else ""
        return Response(message=say(f"No co-consulting groups are running.{hint}"))
    noun = _noun(rotation.size)
    people = _opted_in(ctx, rotation)
    sections = [
        Section(
            text=f"{plural(len(people), 'member')} in the rotation · "
            f"{plural(rotation.rounds, 'round')} so far · next {noun}s on "
            f"{local_time(rotation.next_round_at, member.timezone)}."
        )
    ]
    if member.id in people:
        others = _my_group(ctx, rotation, member)
        sections.append(
            Section(heading=f"Your {noun}", items=tuple(others))
            if others
            else Section(text=f"You're in: your first {noun} comes with the next round.")
        )
    buttons = (
        (Button(label="Leave", action="trios.leave"),)
        if member.id in people
        else (Button(label="Count me in", action="trios.join", style="primary"),)
    )
    if member.is_convener or member.is_keeper:
        formed, met = trio_figures(
            ctx.uow.session, ctx.community_id, rotation.started_at, ctx.clock.now()
        )
        sections.append(Section(text=f"{plural(formed, noun)} formed; {met} said they met."))
    return Response(
        message=OutMessage(
            title=f"Co-consulting {noun}s", sections=tuple(sections), buttons=buttons
        )
    )


def form_round(cmd: FormTrioRound, ctx: Context) -> Response:
    """Form this round's groups (a job, or a convener's `/cop trios now`)."""
    if ctx.member is not None:
        ctx.require_convener("form the groups now")
    rotation = ctx.uow.session.get(TrioRotation, cmd.rotation_id)
    if rotation is None or rotation.community_id != ctx.community_id or rotation.stopped_at:
        raise UserError("No co-consulting groups are running.")
    now = ctx.clock.now()
    people = _opted_in(ctx, rotation)
    round_number = rotation.rounds + 1
    groups = grouping.form_groups(
        people,
        rotation.size,
        _history(ctx, rotation),
        seed=(rotation.id or 0) * 10_000 + round_number,
    )
    rotation.next_round_at = max(now, rotation.next_round_at) + timedelta(days=rotation.every_days)
    noun = _noun(rotation.size)
    session = ctx.uow.session
    if not groups:
        for member_id in people:  # one person alone: tell them kindly
            member = session.get(Member, member_id)
            if member is not None:
                ctx.dm(
                    member,
                    f"trios:{rotation.id}:{round_number}:alone:{member_id}",
                    say(
                        f"Only you joined the co-consulting {noun}s this time, so there is no "
                        f"{noun} yet. I'll try again on "
                        f"{local_time(rotation.next_round_at, member.timezone)}."
                    ),
                )
        session.add(rotation)
        return Response(message=say(f"Not enough people yet: {plural(len(people), 'member')}."))
    rotation.rounds = round_number
    session.add(rotation)
    check_at = now + timedelta(days=max(1, rotation.every_days // 2))
    names = {
        m.id: m.display_name
        for m in session.exec(select(Member).where(col(Member.id).in_(people))).all()
    }
    for members in groups:
        group = TrioGroup(
            rotation_id=rotation.id,  # type: ignore[arg-type]
            round_number=round_number,
            formed_at=now,
            check_at=check_at,
        )
        session.add(group)
        session.flush()
        for member_id in members:
            session.add(TrioSeat(group_id=group.id, member_id=member_id))  # type: ignore[arg-type]
        for member_id in members:
            member = session.get(Member, member_id)
            if member is None:
                continue
            others = [names.get(m, "someone") for m in members if m != member_id]
            ctx.dm(
                member,
                f"trios:{group.id}:intro:{member_id}",
                _introduction(ctx, others, noun),
            )
    return Response(
        message=say(f"Round {round_number}: {plural(len(groups), noun)} formed and introduced.")
    )


def _introduction(ctx: Context, others: list[str], noun: str) -> OutMessage:
    words = ctx.settings.words
    return OutMessage(
        title=f"Your co-consulting {noun} this round",
        sections=(
            Section(heading="You're with", items=tuple(sorted(others))),
            Section(
                heading="How it works",
                items=(
                    "Find 45 minutes that suit you all, in person or on a call.",
                    f"One of you brings a {words.challenge} from your practice and describes "
                    "it in a few minutes.",
                    "The others ask open questions to understand it, then say what they "
                    "might try. The one who brought it listens, then says what they'll take "
                    "away.",
                    "Take turns across the rounds. What is said stays in the group: "
                    "share the learning, never who said it.",
                ),
            ),
        ),
        buttons=(Button(label="Leave the rotation", action="trios.leave"),),
        footer="Leave the rotation any time with /cop trios leave.",
    )


def check_group(cmd: CheckTrioGroup, ctx: Context) -> Response:
    session = ctx.uow.session
    group = session.get(TrioGroup, cmd.group_id)
    if group is None or group.checked_at is not None:
        return Response()
    group.checked_at = ctx.clock.now()
    session.add(group)
    seats = session.exec(select(TrioSeat).where(TrioSeat.group_id == group.id)).all()
    for seat in seats:
        member = session.get(Member, seat.member_id)
        if member is None or seat.met is not None:
            continue
        ctx.dm(
            member,
            f"trios:{group.id}:check:{seat.member_id}",
            OutMessage(
                title="Did your co-consulting group meet?",
                sections=(Section(text="Only the numbers go to the keepers, never names."),),
                buttons=tuple(
                    Button(label=label, action="trios.met", value=f"{group.id}:{answer}")
                    for answer, label in MET.items()
                ),
            ),
        )
    return Response()


def answer_met(cmd: AnswerTrioMet, ctx: Context) -> Response:
    member = ctx.require_member()
    if cmd.answer not in MET:
        raise UserError("That button is out of date. Try /cop trios.")
    seat = ctx.uow.session.exec(
        select(TrioSeat).where(TrioSeat.group_id == cmd.group_id, TrioSeat.member_id == member.id)
    ).first()
    if seat is None:
        raise UserError("That isn't one of your groups. Try /cop trios.")
    seat.met = cmd.answer
    ctx.uow.session.add(seat)
    thanks = {
        "yes": "Wonderful: thank you for telling me.",
        "not_yet": "Thanks: there's still time before the next round.",
        "skip": "No problem: busy weeks happen.",
    }[cmd.answer]
    return Response(message=say(thanks))


def form_now(cmd: FormTriosNow, ctx: Context) -> Response:
    ctx.require_convener("form the groups now")
    rotation = _active(ctx)
    if rotation is None or rotation.id is None:
        raise UserError("No co-consulting groups are running. Start them with /cop trios start.")
    return form_round(FormTrioRound(rotation.id), ctx)


FEATURE = Feature(
    name="trios",
    verbs=(TRIOS,),
    buttons={
        "trios.join": lambda _value: JoinTrios(),
        "trios.leave": lambda _value: LeaveTrios(),
        "trios.met": met_button,
    },
    handlers={
        StartTrios: start_trios,
        StopTrios: stop_trios,
        JoinTrios: join_trios,
        LeaveTrios: leave_trios,
        ShowTrios: show_trios,
        FormTrioRound: form_round,
        FormTriosNow: form_now,
        CheckTrioGroup: check_group,
        AnswerTrioMet: answer_met,
    },
    jobs=collect_jobs,
)
