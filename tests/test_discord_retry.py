"""Refused Discord forms offered again: for their own person, once, for a while, bounded."""

from __future__ import annotations

from adapters.discord.retry import FORM_LIFETIME, MEMORY, RETRY, FormRetries
from bot.messages import Form, FormField, say

FORM = Form(
    form_id="wins.post",
    title="Share a win",
    fields=(FormField(name="text", label="Your win"), FormField(name="share", label="How")),
    metadata="7",
)


def _token(message) -> str:
    [button] = [b for b in message.buttons if b.action == RETRY]
    return button.value


def test_a_refused_answer_reopens_filled_in_for_its_person_once():
    clock = [0.0]
    retries = FormRetries(now=lambda: clock[0])
    retries.shown("ana", FORM)
    offered = retries.offer("ana", "wins.post", "7", {"text": "Falls down a third"}, say("No"))
    assert offered is not None and offered.as_text().startswith("No")
    token = _token(offered)
    assert retries.take(token, "ben") is None  # someone else's button does nothing
    form = retries.take(token, "ana")
    assert form is not None and form.fields[0].initial == "Falls down a third"
    assert form.fields[1].initial is None  # nothing typed there: left as it was
    assert retries.take(token, "ana") is None  # once


def test_offers_expire_and_memory_stays_bounded():
    clock = [0.0]
    retries = FormRetries(now=lambda: clock[0])
    retries.shown("ana", FORM)
    offered = retries.offer("ana", "wins.post", "7", {"text": "x"}, say("No"))
    clock[0] += FORM_LIFETIME + 1
    assert retries.take(_token(offered), "ana") is None
    assert retries.offer("ana", "wins.post", "7", {"text": "x"}, say("No")) == say("No")
    for n in range(MEMORY + 50):
        retries.shown(f"member-{n}", FORM)
    assert len(retries._shown) == MEMORY
    unknown = retries.offer("nobody", "wins.post", "7", {"text": "x"}, say("No"))
    assert unknown == say("No")  # a form never shown: the refusal alone
