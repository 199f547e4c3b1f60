"""A platform that delivers the same event again (a retry) gets it handled once."""

from __future__ import annotations

from bot.commands import Actor, Inbound


async def test_the_same_event_delivered_four_times_acts_once(make_app, platform):
    app = make_app()
    cora = Actor("console", "cora", "Cora", "wound-care")
    ana = Actor("console", "ana", "Ana", "wound-care")
    app.handle(Inbound(cora, "text", text="/cop checkin open", event_id="Ev1"))
    answers = [
        app.handle(Inbound(ana, "text", text="/cop reply success Got it done", event_id="Ev2"))
        for _ in range(4)
    ]
    app.handle(Inbound(cora, "text", text="/cop checkin open", event_id="Ev1"))  # a late retry
    await app.dispatcher.drain()
    assert answers[0].message is not None and "saved" in answers[0].message.as_text()
    assert all(a.message is None and a.form is None for a in answers[1:])
    assert len(platform.titled("Time for our check-in")) == 1
    assert (
        "no check-in" not in app.handle(Inbound(ana, "text", text="/cop checkin")).message.as_text()
    )


async def test_a_failed_event_can_be_retried(make_app, platform):
    app = make_app()
    ana = Actor("console", "ana", "Ana", "wound-care")
    refused = app.handle(Inbound(ana, "text", text="/cop checkin open", event_id="Ev9"))
    assert "Only conveners" in refused.message.as_text()
    # A refusal changed nothing, not even the record of the event: a retry is answered again.
    again = app.handle(Inbound(ana, "text", text="/cop checkin open", event_id="Ev9"))
    assert again.message is not None and "Only conveners" in again.message.as_text()
