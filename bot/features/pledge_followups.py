"""A pledge's follow-ups and their answers: done (with what happened), still working on it
(a new date), need help (named, or anonymously apart from the pledge), let it go, and others'
offers of help."""

from __future__ import annotations

from bot.context import Context
from bot.domain import pledges as rules
from bot.domain.text import clean_text
from bot.errors import UserError
from bot.features import help_requests
from bot.features.guard import guard_text
from bot.features.pledge_commands import (
    AskForHelp,
    CompletePledge,
    FollowUpPledge,
    LetGo,
    OfferHelp,
    StartAnswer,
)
from bot.features.pledge_rows import answered, close_pledge, own_open
from bot.features.wins import celebrate
from bot.messages import Choice, Form, FormField, Response, say
from bot.storage.tables import Member
from bot.storage.tables_wins import Pledge


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
        if pledge.followup_sent_at is None or pledge.reminded_at or answered(pledge):
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
    _member, pledge = own_open(ctx, cmd.pledge_id)
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
    member, pledge = own_open(ctx, cmd.pledge_id)
    words = ctx.settings.words
    outcome = clean_text(cmd.outcome, what="What happened")
    if cmd.share_win or cmd.story_ok:
        held = guard_text(ctx, outcome, confirmed=cmd.confirmed, resend=cmd, text_field="outcome")
        if held is not None:  # it may identify a patient: the member edits or confirms first
            return held
    pledge.outcome, pledge.story_ok = outcome, cmd.story_ok
    close_pledge(ctx, pledge, "done")
    ctx.record("pledge-done")
    text = f"Well done! {words.pledge.capitalize()} #{pledge.id} is done."
    if cmd.share_win:
        win = celebrate(ctx, member, outcome, pledge_id=pledge.id)
        text += f" What happened is posted in the channel as {words.win} #{win.id}."
    if cmd.story_ok:
        text += " Thank you: we'll ask you before using it as a story."
    return Response(message=say(text))


def ask_for_help(cmd: AskForHelp, ctx: Context) -> Response:
    member, pledge = own_open(ctx, cmd.pledge_id)
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
    # Named: the request lives on the pledge, so offers of help reach the member privately.
    pledge.help_text = text
    pledge.help_anonymous, pledge.help_asked_at, pledge.answered_at = False, now, now
    ctx.uow.session.add(pledge)
    ctx.post(
        f"pledge:{pledge.id}:help:{rules.stamp(pledge.due_at)}",
        rules.help_post(pledge, member.display_name, ctx.settings.words),
    )
    ctx.record("pledge-help")
    return Response(
        message=say(
            "Your request is posted in the channel with your name (your "
            f"{ctx.settings.words.pledge} itself stays private). I'll tell you privately if "
            "someone offers to help."
        )
    )


def let_go(cmd: LetGo, ctx: Context) -> Response:
    _member, pledge = own_open(ctx, cmd.pledge_id)
    close_pledge(ctx, pledge, "released")
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
