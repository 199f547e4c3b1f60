"""Pledges: each member commits to one tangible change in their practice, and is followed up.

A pledge is private (its author alone sees its text) unless they share it. Follow-ups go by
DM at the due date (and at the midpoint if the community wants), with Done / Still working
on it / Need help / Let it go; one gentle reminder 3 days later if there was no answer, then
nothing more. Keepers and conveners see counts, never text. Commands, parsing, the
follow-ups, the shared reads and the timers are in the pledge_* modules beside this one.
"""

from __future__ import annotations

from sqlmodel import col, select

from bot.context import Context
from bot.domain import pledges as rules
from bot.domain.checkins import local_time
from bot.domain.text import clean_text, plural, plural_of
from bot.errors import UserError
from bot.features.base import Feature
from bot.features.guard import guard_text
from bot.features.pledge_commands import (
    AskForHelp,
    CancelPledge,
    CompletePledge,
    EditPledge,
    FollowUpPledge,
    LetGo,
    ListPledges,
    MakePledge,
    OfferHelp,
    RenewPledge,
    SharePledge,
    StartAnswer,
)
from bot.features.pledge_followups import (
    ask_for_help,
    complete_pledge,
    follow_up,
    let_go,
    offer_help,
    start_answer,
)
from bot.features.pledge_jobs import collect_jobs
from bot.features.pledge_parsing import BUTTONS, FORMS, PLEDGE, PLEDGES
from bot.features.pledge_rows import close_pledge, due_from, own_open, pledge_counts
from bot.messages import Button, OutMessage, Response, Section, say
from bot.storage.tables_wins import Pledge


def make_pledge(cmd: MakePledge, ctx: Context) -> Response:
    member = ctx.require_member()
    words = ctx.settings.words
    text = clean_text(cmd.text, what=f"Your {words.pledge}")
    due = due_from(ctx, member, cmd.when, hint=True)
    now = ctx.clock.now()
    assert member.id is not None
    pledge = Pledge(
        community_id=ctx.community_id,
        member_id=member.id,
        text=text,
        created_at=now,
        cycle_start=now,
        due_at=due,
    )
    ctx.uow.session.add(pledge)
    ctx.uow.session.flush()
    ctx.record("pledged")
    meeting = f" (the next {words.meeting})" if cmd.when is None else ""
    return Response(
        message=OutMessage(
            title=f"Your {words.pledge} is saved (#{pledge.id})",
            sections=(
                Section(text=pledge.text),
                Section(
                    text=f"It's private: only you can see it. I'll ask you how it went on "
                    f"{local_time(due, member.timezone)}{meeting}. Sharing it with the "
                    "community can help you keep it."
                ),
            ),
            buttons=(
                Button(
                    label="Share it with the community", action="pledge.share", value=str(pledge.id)
                ),
            ),
            footer="/cop pledges lists yours (edit, renew or cancel them there).",
        )
    )


def list_pledges(cmd: ListPledges, ctx: Context) -> Response:
    member = ctx.require_member()
    words = ctx.settings.words
    session = ctx.uow.session
    mine = session.exec(
        select(Pledge)
        .where(Pledge.community_id == ctx.community_id, Pledge.member_id == member.id)
        .order_by(col(Pledge.status) != "open", col(Pledge.due_at), col(Pledge.id))
        .limit(20)
    ).all()
    sections = [
        Section(
            heading=f"Your {plural_of(words.pledge)} (only you see them)",
            items=tuple(rules.list_line(p, words, member.timezone) for p in mine),
        )
        if mine
        else Section(
            text=f"You have no {plural_of(words.pledge)} yet. Make one with /cop pledge <text>."
        )
    ]
    if member.is_keeper or member.is_convener:
        total, soon, late = pledge_counts(session, ctx.community_id, ctx.clock.now())
        figures = f"{plural(total, 'open ' + words.pledge)}, {soon} due this week"
        if late:
            figures += f", {late} past {'its' if late == 1 else 'their'} date"
        sections.append(
            Section(
                heading="Across the community",
                text=f"{figures}. {plural_of(words.pledge).capitalize()} are private: "
                "you see how many, "
                "never what they say.",
            )
        )
    return Response(
        message=OutMessage(
            title=f"{plural_of(words.pledge).capitalize()}",
            sections=tuple(sections),
            footer="/cop pledges edit <number> <text> · renew <number> by <when> · "
            "cancel <number> · share <number>",
        )
    )


def share_pledge(cmd: SharePledge, ctx: Context) -> Response:
    member, pledge = own_open(ctx, cmd.pledge_id)
    words = ctx.settings.words
    if pledge.shared:
        raise UserError(f"{words.pledge.capitalize()} #{pledge.id} is already shared.")
    text = clean_text(cmd.text, what=f"Your {words.pledge}") if cmd.text else pledge.text
    resend = SharePledge(pledge.id or cmd.pledge_id, text=text)
    held = guard_text(ctx, text, confirmed=cmd.confirmed, resend=resend)
    if held is not None:  # it may identify a patient: the member edits or confirms first
        return held
    pledge.text = text
    pledge.shared = True
    ctx.uow.session.add(pledge)
    ctx.post(
        f"pledge:{pledge.id}:shared",
        rules.shared_post(pledge, member.display_name, words, ctx.community.timezone),
    )
    ctx.record("pledge-shared")
    return Response(message=say("Shared in the channel. Good luck with it!"))


def edit_pledge(cmd: EditPledge, ctx: Context) -> Response:
    _member, pledge = own_open(ctx, cmd.pledge_id)
    words = ctx.settings.words
    pledge.text = clean_text(cmd.text, what=f"Your {words.pledge}")
    ctx.uow.session.add(pledge)
    note = " (The message already in the channel stays as it was.)" if pledge.shared else ""
    return Response(message=say(f"{words.pledge.capitalize()} #{pledge.id} is updated.{note}"))


def renew_pledge(cmd: RenewPledge, ctx: Context) -> Response:
    member, pledge = own_open(ctx, cmd.pledge_id)
    words = ctx.settings.words
    due = due_from(ctx, member, cmd.when, hint=False)
    now = ctx.clock.now()
    pledge.previous_due_at = pledge.due_at  # a pledge renewed when due was still due then
    pledge.cycle_start, pledge.due_at = now, due
    pledge.midpoint_sent_at = pledge.followup_sent_at = pledge.reminded_at = None
    pledge.answered_at = None
    ctx.uow.session.add(pledge)
    ctx.record("pledge-renewed")
    return Response(
        message=say(
            f"Keep going! {words.pledge.capitalize()} #{pledge.id} is now due "
            f"{local_time(due, member.timezone)}; I'll ask you then."
        )
    )


def cancel_pledge(cmd: CancelPledge, ctx: Context) -> Response:
    _member, pledge = own_open(ctx, cmd.pledge_id)
    close_pledge(ctx, pledge, "cancelled")
    return Response(
        message=say(f"{ctx.settings.words.pledge.capitalize()} #{pledge.id} is cancelled.")
    )


FEATURE = Feature(
    name="pledges",
    verbs=(PLEDGE, PLEDGES),
    buttons=BUTTONS,
    forms=FORMS,
    handlers={
        MakePledge: make_pledge,
        ListPledges: list_pledges,
        SharePledge: share_pledge,
        EditPledge: edit_pledge,
        RenewPledge: renew_pledge,
        CancelPledge: cancel_pledge,
        FollowUpPledge: follow_up,
        StartAnswer: start_answer,
        CompletePledge: complete_pledge,
        AskForHelp: ask_for_help,
        LetGo: let_go,
        OfferHelp: offer_help,
    },
    jobs=collect_jobs,
)
