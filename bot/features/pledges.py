"""Pledges: each member commits to one tangible change in their practice, and is followed up.

A pledge is private (its author alone sees its text) unless they share it. Follow-ups go by
DM at the due date (and at the midpoint if the community wants), with Done / Still working
on it / Need help / Let it go; one gentle reminder 3 days later if there was no answer, then
nothing more. Keepers and conveners see counts, never text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from bot.commands import Command
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain import pledges as rules
from bot.domain import when
from bot.domain.checkins import local_time
from bot.domain.text import clean_text, plural, plural_of, read_number
from bot.errors import UserError
from bot.features import help_requests, meeting_queries
from bot.features.base import ButtonParser, Feature, FormParser, Verb, split_id, usage_error
from bot.features.guard import guard_text
from bot.features.wins import celebrate
from bot.messages import Button, Choice, Form, FormField, OutMessage, Response, Section, say
from bot.scheduling import JobSpec, at
from bot.storage.tables import Community, Member
from bot.storage.tables_wins import Pledge
from bot.storage.uow import UnitOfWork

# ---- commands ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MakePledge(Command):
    text: str
    when: str | None = None


@dataclass(frozen=True)
class ListPledges(Command):
    pass


@dataclass(frozen=True)
class SharePledge(Command):
    pledge_id: int
    text: str | None = None  # new words, after the patient-identifier check asked for an edit
    confirmed: bool = False  # seen the patient-identifier warning (bot.features.guard)


@dataclass(frozen=True)
class EditPledge(Command):
    pledge_id: int
    text: str


@dataclass(frozen=True)
class RenewPledge(Command):
    """A new due date: '/cop pledges renew', or 'Still working on it'."""

    pledge_id: int
    when: str | None = None


@dataclass(frozen=True)
class CancelPledge(Command):
    pledge_id: int


@dataclass(frozen=True)
class FollowUpPledge(Command):
    """A job: the midpoint check, the due-date follow-up or the one reminder."""

    pledge_id: int
    due_at: datetime
    stage: rules.Stage


@dataclass(frozen=True)
class StartAnswer(Command):
    """A follow-up button that opens a form: done, later (new date) or help."""

    pledge_id: int
    answer: str


@dataclass(frozen=True)
class CompletePledge(Command):
    pledge_id: int
    outcome: str
    share_win: bool = False
    story_ok: bool = False
    confirmed: bool = False  # seen the patient-identifier warning (bot.features.guard)


@dataclass(frozen=True)
class AskForHelp(Command):
    pledge_id: int
    text: str
    anonymous: bool = False
    confirmed: bool = False  # seen the patient-identifier warning (bot.features.guard)


@dataclass(frozen=True)
class LetGo(Command):
    pledge_id: int


@dataclass(frozen=True)
class OfferHelp(Command):
    pledge_id: int


# ---- queries -------------------------------------------------------------------------------


def next_meeting(session: Session, community_id: int, now: datetime) -> datetime | None:
    """The start of the next meeting that isn't cancelled, after `now`."""
    found = meeting_queries.next_meeting(session, community_id, now)
    return found.starts_at if found is not None else None


def pledge_counts(session: Session, community_id: int, now: datetime) -> tuple[int, int, int]:
    """(open pledges, due in the next 7 days, past their date): figures only, never text."""
    base = (
        select(func.count())
        .select_from(Pledge)
        .where(Pledge.community_id == community_id, Pledge.status == "open")
    )
    total = session.exec(base).one()
    soon = session.exec(
        base.where(col(Pledge.due_at) > now, col(Pledge.due_at) <= now + timedelta(days=7))
    ).one()
    late = session.exec(base.where(col(Pledge.due_at) <= now)).one()
    return total, soon, late


def open_pledge_holders(session: Session, community_id: int) -> set[int]:
    """Ids of the members holding at least one open pledge (never what they pledged)."""
    return set(
        session.exec(
            select(Pledge.member_id)
            .where(Pledge.community_id == community_id, Pledge.status == "open")
            .distinct()
        ).all()
    )


# ---- handlers ------------------------------------------------------------------------------


def make_pledge(cmd: MakePledge, ctx: Context) -> Response:
    member = ctx.require_member()
    words = ctx.settings.words
    text = clean_text(cmd.text, what=f"Your {words.pledge}")
    due = _due(ctx, member, cmd.when, hint=True)
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
    member, pledge = _own_open(ctx, cmd.pledge_id)
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
    _member, pledge = _own_open(ctx, cmd.pledge_id)
    words = ctx.settings.words
    pledge.text = clean_text(cmd.text, what=f"Your {words.pledge}")
    ctx.uow.session.add(pledge)
    note = " (The message already in the channel stays as it was.)" if pledge.shared else ""
    return Response(message=say(f"{words.pledge.capitalize()} #{pledge.id} is updated.{note}"))


def renew_pledge(cmd: RenewPledge, ctx: Context) -> Response:
    member, pledge = _own_open(ctx, cmd.pledge_id)
    words = ctx.settings.words
    due = _due(ctx, member, cmd.when, hint=False)
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
    _member, pledge = _own_open(ctx, cmd.pledge_id)
    _close(ctx, pledge, "cancelled")
    return Response(
        message=say(f"{ctx.settings.words.pledge.capitalize()} #{pledge.id} is cancelled.")
    )


def follow_up(cmd: FollowUpPledge, ctx: Context) -> Response:
    """Send one follow-up, once per stage and due date (the key makes a second run a no-op)."""
    session = ctx.uow.session
    pledge = session.get(Pledge, cmd.pledge_id)
    if pledge is None or pledge.status != "open" or pledge.due_at != cmd.due_at:
        return Response()
    now = ctx.clock.now()
    if cmd.stage == "midpoint":
        if pledge.midpoint_sent_at or pledge.followup_sent_at:
            return Response()
        pledge.midpoint_sent_at = now
    elif cmd.stage == "due":
        if pledge.followup_sent_at:
            return Response()
        pledge.followup_sent_at = now
    else:
        if pledge.followup_sent_at is None or pledge.reminded_at or _answered(pledge):
            return Response()
        pledge.reminded_at = now
    session.add(pledge)
    member = session.get(Member, pledge.member_id)
    if member is None:
        return Response()
    ctx.dm(
        member,
        f"pledge:{pledge.id}:{cmd.stage}:{rules.stamp(pledge.due_at)}",
        rules.follow_up(pledge, cmd.stage, ctx.settings.words, member.timezone),
    )
    return Response()


def start_answer(cmd: StartAnswer, ctx: Context) -> Response:
    _member, pledge = _own_open(ctx, cmd.pledge_id)
    word = ctx.settings.words.pledge
    metadata = str(pledge.id)
    yes_no = (Choice(value="yes", label="yes"), Choice(value="no", label="no"))
    if cmd.answer == "done":
        fields: tuple[FormField, ...] = (
            FormField(name="outcome", label="What happened?", kind="long_text", max_length=2000),
            FormField(
                name="win",
                label=f"Share what happened in the channel as a {ctx.settings.words.win}?",
                kind="choice",
                choices=yes_no,
                initial="no",
            ),
            FormField(
                name="story",
                label="May we ask you later about using it as a story of what our "
                "community makes possible?",
                kind="choice",
                choices=yes_no,
                initial="no",
            ),
        )
        return Response(
            form=Form(
                form_id="pledge.done",
                title=f"{word} done"[:24].capitalize(),
                fields=fields,
                metadata=metadata,
            )
        )
    if cmd.answer == "later":
        field = FormField(
            name="when",
            label="Your new date (e.g. 15 Jan, in 3 weeks, next meeting)",
            initial="next meeting",
        )
        return Response(
            form=Form(
                form_id="pledge.renew", title="A new date", fields=(field,), metadata=metadata
            )
        )
    fields = (
        FormField(
            name="help",
            label="What help would make a difference?",
            kind="long_text",
            max_length=2000,
        ),
        FormField(
            name="share",
            label="Post my request in the channel",
            kind="choice",
            choices=(
                Choice(value="named", label="with my name"),
                Choice(value="anonymous", label="anonymously"),
            ),
            initial="named",
        ),
    )
    return Response(
        form=Form(
            form_id="pledge.help",
            title="Ask for help",
            fields=fields,
            metadata=metadata,
            submit_label="Post it",
        )
    )


def complete_pledge(cmd: CompletePledge, ctx: Context) -> Response:
    member, pledge = _own_open(ctx, cmd.pledge_id)
    words = ctx.settings.words
    outcome = clean_text(cmd.outcome, what="What happened")
    if cmd.share_win or cmd.story_ok:
        held = guard_text(ctx, outcome, confirmed=cmd.confirmed, resend=cmd, text_field="outcome")
        if held is not None:  # it may identify a patient: the member edits or confirms first
            return held
    pledge.outcome, pledge.story_ok = outcome, cmd.story_ok
    _close(ctx, pledge, "done")
    ctx.record("pledge-done")
    text = f"Well done! {words.pledge.capitalize()} #{pledge.id} is done."
    if cmd.share_win:
        win = celebrate(ctx, member, outcome, pledge_id=pledge.id)
        text += f" What happened is posted in the channel as {words.win} #{win.id}."
    if cmd.story_ok:
        text += " Thank you: we'll ask you before using it as a story."
    return Response(message=say(text))


def ask_for_help(cmd: AskForHelp, ctx: Context) -> Response:
    member, pledge = _own_open(ctx, cmd.pledge_id)
    asked = pledge.help_asked_at is not None and pledge.help_asked_at >= pledge.cycle_start
    if asked or help_requests.asked_since(ctx, member, pledge.cycle_start):
        raise UserError("You've already asked for help with this one; you'll hear of any offers.")
    now = ctx.clock.now()
    text = clean_text(cmd.text, what="Your request")
    held = guard_text(ctx, text, confirmed=cmd.confirmed, resend=cmd)
    if held is not None:  # it may identify a patient: the member edits or confirms first
        return held
    if cmd.anonymous:  # kept apart from the pledge, like every anonymous item
        help_requests.post_request(ctx, member, pledge, text)
        ctx.record("pledge-help", anonymous=True)
        return Response(
            message=say(
                "Your request is posted in the channel anonymously (your "
                f"{ctx.settings.words.pledge} itself stays private). Anyone who can help will "
                "say so in the channel, so nothing links the request to you."
            )
        )
    pledge.help_text = text
    pledge.help_anonymous, pledge.help_asked_at, pledge.answered_at = cmd.anonymous, now, now
    ctx.uow.session.add(pledge)
    name = None if cmd.anonymous else member.display_name
    ctx.post(
        f"pledge:{pledge.id}:help:{rules.stamp(pledge.due_at)}",
        rules.help_post(pledge, name, ctx.settings.words),
    )
    ctx.record("pledge-help", anonymous=cmd.anonymous)
    how = "anonymously" if cmd.anonymous else "with your name"
    return Response(
        message=say(
            f"Your request is posted in the channel {how} (your {ctx.settings.words.pledge} itself "
            "stays private). I'll tell you privately if someone offers to help."
        )
    )


def let_go(cmd: LetGo, ctx: Context) -> Response:
    _member, pledge = _own_open(ctx, cmd.pledge_id)
    _close(ctx, pledge, "released")
    ctx.record("pledge-let-go")
    return Response(
        message=say(
            "That's fine: letting go is part of learning what works. Thank you for trying. "
            "Make a new one whenever you're ready."
        )
    )


def offer_help(cmd: OfferHelp, ctx: Context) -> Response:
    member = ctx.require_member()
    pledge = ctx.uow.session.get(Pledge, cmd.pledge_id)
    if (
        pledge is None
        or pledge.community_id != ctx.community_id
        or pledge.help_asked_at is None
        or pledge.status != "open"
    ):
        raise UserError("That request isn't open any more. Thank you for offering!")
    if pledge.member_id == member.id:
        raise UserError("That's your own request: I'll tell you when someone offers.")
    owner = ctx.uow.session.get(Member, pledge.member_id)
    assert owner is not None
    new = ctx.dm(
        owner,
        f"pledge:{pledge.id}:offer:{rules.stamp(pledge.help_asked_at)}:{member.id}",
        rules.help_offer(member.display_name, pledge),
    )
    if not new:
        raise UserError("You've already offered; they have your name. Thank you!")
    ctx.record("offered-help")
    return Response(
        message=say("Thank you! I've passed your name on privately; they'll be in touch.")
    )


# ---- helpers -------------------------------------------------------------------------------


def _own_open(ctx: Context, pledge_id: int) -> tuple[Member, Pledge]:
    member = ctx.require_member()
    word = ctx.settings.words.pledge
    pledge = ctx.uow.session.get(Pledge, pledge_id)
    if pledge is None or pledge.community_id != ctx.community_id or pledge.member_id != member.id:
        raise UserError(f"I can't find {word} #{pledge_id} among yours. /cop pledges lists them.")
    if pledge.status != "open":
        state = {"done": "done", "released": "let go", "cancelled": "cancelled"}
        raise UserError(
            f"{word.capitalize()} #{pledge_id} is {state.get(pledge.status, 'closed')} already."
        )
    return member, pledge


def _close(ctx: Context, pledge: Pledge, status: str) -> None:
    now = ctx.clock.now()
    pledge.status, pledge.closed_at, pledge.answered_at = status, now, now
    ctx.uow.session.add(pledge)


def _answered(pledge: Pledge) -> bool:
    """Did the member answer since the due-date follow-up went out?"""
    sent, answered = pledge.followup_sent_at, pledge.answered_at
    return answered is not None and sent is not None and answered >= sent


def _due(ctx: Context, member: Member, text: str | None, *, hint: bool) -> datetime:
    words = ctx.settings.words
    now = ctx.clock.now()
    upcoming = next_meeting(ctx.uow.session, ctx.community_id, now)
    if text is None:
        if upcoming is None:
            raise UserError(
                f"By when? There's no next {words.meeting} in the calendar, so please add a "
                f"date: e.g. '/cop pledge … by 15 Jan' or '… by in 3 weeks'."
            )
        return upcoming
    try:
        return when.parse_moment(text, now, ZoneInfo(member.timezone), next_meeting=upcoming)
    except when.WhenError as error:
        extra = ""
        if hint:
            extra = (
                f" (If 'by' is part of your {words.pledge} itself, end it with a date, "
                "e.g. '… by next meeting'.)"
            )
        raise UserError(f"{error}{extra}") from None


# ---- parsing -------------------------------------------------------------------------------


def _number(text: str) -> int | None:
    return read_number(text)


def _parse_pledge(rest: str, _settings: CommunitySettings) -> Command:
    if not rest:
        return ListPledges()
    first, _, tail = rest.partition(" ")
    if first.lower() == "share" and (number := _number(tail)) is not None:
        return SharePledge(number)
    text, moment = rules.split_when(rest)
    if not text:
        raise UserError(f"Please say what you'll do. Usage: {PLEDGE.usage}")
    return MakePledge(text=text, when=moment)


def _parse_pledges(rest: str, _settings: CommunitySettings) -> Command:
    if not rest:
        return ListPledges()
    action, _, tail = rest.partition(" ")
    number_text, _, remainder = tail.strip().partition(" ")
    number = _number(number_text)
    action, remainder = action.lower(), remainder.strip()
    if number is None:
        raise usage_error(PLEDGES)
    if action == "edit" and remainder:
        return EditPledge(number, remainder)
    if action == "renew":
        return RenewPledge(number, remainder or None)
    if action == "cancel" and not remainder:
        return CancelPledge(number)
    if action == "share" and not remainder:
        return SharePledge(number)
    raise usage_error(PLEDGES)


def _id(value: str) -> int:
    return split_id(value)[0]


def _done_form(metadata: str, values: Mapping[str, str]) -> Command:
    return CompletePledge(
        pledge_id=split_id(metadata, "form")[0],
        outcome=values.get("outcome", ""),
        share_win=values.get("win") == "yes",
        story_ok=values.get("story") == "yes",
    )


def _renew_form(metadata: str, values: Mapping[str, str]) -> Command:
    return RenewPledge(split_id(metadata, "form")[0], values.get("when", "").strip() or None)


def _help_form(metadata: str, values: Mapping[str, str]) -> Command:
    share = values.get("share", "named")
    if share not in ("named", "anonymous"):
        raise UserError("Please choose whether to post it with your name or anonymously.")
    return AskForHelp(
        split_id(metadata, "form")[0], values.get("help", ""), anonymous=share == "anonymous"
    )


# ---- schedules -----------------------------------------------------------------------------


def collect_jobs(uow: UnitOfWork, settings_of: Any) -> list[JobSpec]:
    """For each open pledge: its midpoint check (if the community wants one), its due-date
    follow-up, and the one reminder 3 days after the due date if there was no answer."""
    rows = uow.session.exec(
        select(Pledge, Community)
        .join(Community, col(Community.id) == col(Pledge.community_id))
        .where(Pledge.status == "open", col(Community.closed_at).is_(None))
    ).all()
    specs: list[JobSpec] = []
    for pledge, community in rows:
        assert pledge.id is not None
        pledge_id, due = pledge.id, pledge.due_at
        settings: CommunitySettings = settings_of(community)

        def make(stage: rules.Stage, i: int = pledge_id, d: datetime = due) -> Any:
            return lambda _t: FollowUpPledge(pledge_id=i, due_at=d, stage=stage)

        if pledge.followup_sent_at is None:
            specs.append(
                JobSpec(
                    key=f"pledge-due:{pledge_id}",
                    community_id=pledge.community_id,
                    times=at(due),
                    make=make("due"),
                    grace=rules.FOLLOW_UP_GRACE,
                )
            )
            middle = rules.midpoint(pledge)
            if settings.pledges.midpoint_check and middle and pledge.midpoint_sent_at is None:
                specs.append(
                    JobSpec(
                        key=f"pledge-midpoint:{pledge_id}",
                        community_id=pledge.community_id,
                        times=at(middle),
                        make=make("midpoint"),
                        grace=due - middle,
                    )
                )
        elif pledge.reminded_at is None and not _answered(pledge):
            specs.append(
                JobSpec(
                    key=f"pledge-remind:{pledge_id}",
                    community_id=pledge.community_id,
                    times=at(due + rules.REMINDER_AFTER),
                    make=make("reminder"),
                    grace=rules.REMINDER_GRACE,
                )
            )
    return specs


PLEDGE = Verb(
    "pledge",
    _parse_pledge,
    usage="/cop pledge <text> [by <when>] · /cop pledge share <number>",
    help="commit to one change in your practice (private unless you share it); I'll follow "
    "up on the date (default: the next meeting)",
)
PLEDGES = Verb(
    "pledges",
    _parse_pledges,
    usage="/cop pledges · /cop pledges edit <number> <text> · /cop pledges renew <number> "
    "[by <when>] · /cop pledges cancel <number> · /cop pledges share <number>",
    help="your pledges: see, edit, renew, cancel or share them (keepers also see how many are "
    "open, never what they say)",
)

_BUTTONS: Mapping[str, ButtonParser] = {
    "pledge.share": lambda value: SharePledge(_id(value)),
    "pledge.done": lambda value: StartAnswer(_id(value), "done"),
    "pledge.later": lambda value: StartAnswer(_id(value), "later"),
    "pledge.help": lambda value: StartAnswer(_id(value), "help"),
    "pledge.letgo": lambda value: LetGo(_id(value)),
    "pledge.offer": lambda value: OfferHelp(_id(value)),
}
_FORMS: Mapping[str, FormParser] = {
    "pledge.done": _done_form,
    "pledge.renew": _renew_form,
    "pledge.help": _help_form,
}

FEATURE = Feature(
    name="pledges",
    verbs=(PLEDGE, PLEDGES),
    buttons=_BUTTONS,
    forms=_FORMS,
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
