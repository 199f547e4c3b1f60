"""The patient-identifiable text guard: before a member's words are posted, warn about
likely patient identifiers and let them edit, post anyway, or drop it. It never rewrites.

How a feature uses it (call it after clean_text and before changing anything):

    held = guard_text(ctx, text, confirmed=cmd.confirmed, resend=cmd)
    if held is not None:
        return held

`resend` is the command itself: a frozen dataclass handled by some feature, with the
text in field `text` (or name it: `text_field="story"`), a `confirmed: bool = False`
field, and otherwise only JSON-friendly fields (str, int, bool, None). The words are held
as a draft (for a day at most); "Post anyway" re-runs the command with confirmed=True,
"Let me edit" opens a form and re-runs it with the new words (checked again).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import col, delete, func, select

from bot import anonymity
from bot import commands as c
from bot.context import Context
from bot.domain.identifiers import describe, find_identifiers
from bot.errors import UserError
from bot.features.base import Feature, Handler, split_id
from bot.messages import Button, Form, FormField, OutMessage, Response, Section, say
from bot.scheduling import JobSpec, at
from bot.storage.tables_trust import GuardDraft
from bot.storage.uow import UnitOfWork

#: Words held back are let go after this long.
DRAFT_LIFETIME = timedelta(days=1)


@dataclass(frozen=True)
class EditDraft(c.Command):
    """'Let me edit': open the held words in a form."""

    draft_id: int


@dataclass(frozen=True)
class ResubmitDraft(c.Command):
    """The edited words, to be checked again and sent on."""

    draft_id: int
    text: str


@dataclass(frozen=True)
class ConfirmDraft(c.Command):
    """'Post anyway': the member checked and nothing identifies a patient."""

    draft_id: int


@dataclass(frozen=True)
class PurgeDrafts(c.Command):
    """A job: let go of words held for more than a day."""


@dataclass(frozen=True)
class DiscardDraft(c.Command):
    """'Don't post it.'"""

    draft_id: int


def _name(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def _handlers() -> dict[str, tuple[type, Handler]]:
    from bot.features import FEATURES  # here: bot.features imports this module

    return {_name(k): (k, h) for f in FEATURES for k, h in f.handlers.items()}


def guard_text(
    ctx: Context,
    text: str,
    *,
    confirmed: bool,
    resend: c.Command,
    text_field: str = "text",
) -> Response | None:
    """None when `text` may go ahead; otherwise a private warning with "Let me edit" and
    "Post anyway", which the handler returns at once (nothing else has changed)."""
    settings = ctx.settings.guard
    if confirmed or not settings.enabled:
        return None
    today = ctx.clock.now().astimezone(ctx.settings.zone).date()
    findings = find_identifiers(text, settings.checks, today=today)
    if not findings:
        return None
    member = ctx.require_member()
    assert member.id is not None and dataclasses.is_dataclass(resend)
    now = ctx.clock.now()
    session = ctx.uow.session
    args = {
        f.name: getattr(resend, f.name)
        for f in dataclasses.fields(resend)
        if f.name not in (text_field, "confirmed")
    }
    draft = GuardDraft(
        community_id=ctx.community_id,
        member_id=member.id,
        command=_name(type(resend)),
        args=args,
        text_field=text_field,
        text=text,
        created_at=now,
    )
    if args.get("anonymous") is True:  # held like any anonymous item (bot.anonymity)
        table = GuardDraft.__table__  # type: ignore[attr-defined]
        draft.id = anonymity.random_id(session, table)
        draft.member_id = None
        ctx.acted_anonymously = True
        draft.author_key = _key(ctx, draft.id, member.id)
        tomorrow = now + timedelta(days=1)
        draft.created_at = anonymity.coarse(tomorrow, ctx.community.timezone)
    session.add(draft)
    session.flush()
    return Response(message=warning(describe(findings), _value(draft)))


def _key(ctx: Context, draft_id: int, member_id: int) -> str:
    return anonymity.author_key(ctx.secret, "guard_draft", draft_id, member_id)


def _value(draft: GuardDraft) -> str:
    """The buttons' value: the draft's id (an anonymous draft's random id is negative)."""
    assert draft.id is not None
    return f"n{-draft.id}" if draft.id < 0 else str(draft.id)


def warning(found: str, draft: str) -> OutMessage:
    """The private warning: what looks identifying, and the three ways on."""
    return OutMessage(
        title="Before I share this: could it identify a patient?",
        sections=(
            Section(
                text=f"Your words seem to include {found}. Please share nothing that could "
                "identify a patient or anyone you support."
            ),
            Section(
                text="Nothing has been shared yet. Edit your words, or post them as they "
                "are if you're sure they identify no one."
            ),
        ),
        buttons=(
            Button(label="Let me edit", action="guard.edit", value=draft, style="primary"),
            Button(label="Post anyway", action="guard.confirm", value=draft),
            Button(label="Don't post it", action="guard.discard", value=draft),
        ),
        footer="I only check; I never change your words.",
    )


def _draft(ctx: Context, draft_id: int) -> GuardDraft:
    member = ctx.require_member()
    draft = ctx.uow.session.get(GuardDraft, draft_id)
    too_old = draft is not None and draft.created_at < ctx.clock.now() - DRAFT_LIFETIME
    assert member.id is not None
    if draft is not None and draft.member_id is None and draft.id is not None:
        mine = draft.author_key == _key(ctx, draft.id, member.id)
    else:
        mine = draft is not None and draft.member_id == member.id
    if draft is None or not mine or too_old:
        raise UserError(
            "Those words are no longer held (after a day, or once you've chosen): "
            "please send them again."
        )
    return draft


def _resend(ctx: Context, draft: GuardDraft, text: str, *, confirmed: bool) -> Response:
    found = _handlers().get(draft.command)
    if found is None:
        raise UserError("That can't be sent any more. Please start again.")
    kind, handler = found
    ctx.uow.session.delete(draft)
    fields = {f.name for f in dataclasses.fields(kind)}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in draft.args.items()}
    values[draft.text_field] = text  # (JSON keeps tuples as lists: given back as tuples)
    if "confirmed" in fields:
        values["confirmed"] = confirmed
    command = kind(**{k: v for k, v in values.items() if k in fields})
    return handler(command, ctx)


def edit_draft(cmd: EditDraft, ctx: Context) -> Response:
    draft = _draft(ctx, cmd.draft_id)
    return Response(
        form=Form(
            form_id="guard.edit",
            title="Edit before sharing",
            metadata=_value(draft),
            fields=(
                FormField(
                    name="text",
                    label="Your words (leave out anything that identifies someone)",
                    kind="long_text",
                    max_length=2000,
                    initial=draft.text,
                ),
            ),
            submit_label="Share",
        )
    )


def resubmit_draft(cmd: ResubmitDraft, ctx: Context) -> Response:
    draft = _draft(ctx, cmd.draft_id)
    return _resend(ctx, draft, cmd.text, confirmed=False)


def confirm_draft(cmd: ConfirmDraft, ctx: Context) -> Response:
    draft = _draft(ctx, cmd.draft_id)
    return _resend(ctx, draft, draft.text, confirmed=True)


def discard_draft(cmd: DiscardDraft, ctx: Context) -> Response:
    draft = _draft(ctx, cmd.draft_id)
    ctx.uow.session.delete(draft)
    return Response(message=say("Done: nothing was shared, and I've let your words go."))


def purge_drafts(cmd: PurgeDrafts, ctx: Context) -> Response:
    """Let go of words held for longer than a day."""
    ctx.uow.session.execute(
        delete(GuardDraft).where(
            col(GuardDraft.community_id) == ctx.community_id,
            col(GuardDraft.created_at) <= ctx.clock.now() - DRAFT_LIFETIME,
        )
    )
    return Response()


def collect_jobs(uow: UnitOfWork, settings_of: object) -> list[JobSpec]:
    """While words are held, a clean-up when the oldest reaches a day."""
    oldest = uow.session.exec(
        select(GuardDraft.community_id, func.min(GuardDraft.created_at)).group_by(
            col(GuardDraft.community_id)
        )
    ).all()
    return [
        JobSpec(
            key=f"guard-drafts:{community_id}",
            community_id=community_id,
            times=at(first + DRAFT_LIFETIME),
            make=lambda _t: PurgeDrafts(),
        )
        for community_id, first in oldest
    ]


def _draft_id(value: str, what: str = "button") -> int:
    """'17' -> 17; 'n17' -> -17 (an anonymous draft's random id)."""
    negative = value.startswith("n")
    draft_id, _ = split_id(value.removeprefix("n"), what)
    return -draft_id if negative else draft_id


def _edit_form(metadata: str, values: Mapping[str, str]) -> c.Command:
    return ResubmitDraft(draft_id=_draft_id(metadata, "form"), text=values.get("text", ""))


FEATURE = Feature(
    name="guard",
    buttons={
        "guard.edit": lambda v: EditDraft(_draft_id(v)),
        "guard.confirm": lambda v: ConfirmDraft(_draft_id(v)),
        "guard.discard": lambda v: DiscardDraft(_draft_id(v)),
    },
    forms={"guard.edit": _edit_form},
    handlers={
        EditDraft: edit_draft,
        ResubmitDraft: resubmit_draft,
        ConfirmDraft: confirm_draft,
        DiscardDraft: discard_draft,
        PurgeDrafts: purge_drafts,
    },
    jobs=collect_jobs,
)
