"""A platform that delivers the same event again (a retry) gets it handled once."""

from __future__ import annotations

from datetime import timedelta

from bot.commands import Actor, Inbound
from tests.conftest import START, community, make_settings


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


async def test_a_button_in_a_private_message_finds_its_community(make_app, platform, person):
    settings = make_settings(
        community(),
        community(name="pharmacy", channel="pharmacy", conveners=["cora"]),
    )
    app = make_app(settings)
    cora_there = person(app, "Cora", channel="pharmacy")
    ana_here, ana_there = person(app, "Ana"), person(app, "Ana", channel="pharmacy")
    ana_here.cop("help")
    ana_there.cop("help")
    cora_there.cop("checkin open")  # only the pharmacy community has a check-in
    await app.advance(START + timedelta(days=3, minutes=1))
    [reminder] = platform.dms("ana")
    share = reminder.message.buttons[0]
    in_a_dm = Actor("console", "ana", "Ana", None)  # pressed in the private message
    form = app.handle(Inbound(in_a_dm, "button", action=share.action, value=share.value)).form
    assert form is not None, "the click should open the reply form"
    answer = app.handle(
        Inbound(
            in_a_dm,
            "form",
            form_id=form.form_id,
            metadata=form.metadata,
            values=(("text", "Fewer repeat prescriptions lost"), ("share", "named")),
        )
    )
    assert "saved" in answer.message.as_text()
    assert "Fewer repeat" in ana_there.says("checkin")
    assert "no check-in open" in ana_here.says("checkin")
    # A pinned value can't be used to act in someone else's name or community.
    stranger = Actor("console", "zed", "Zed", None)
    refused = app.handle(Inbound(stranger, "button", action=share.action, value=share.value))
    assert "isn't for you" in refused.message.as_text()


async def test_old_event_records_are_forgotten_but_recent_ones_still_dedupe(
    make_app, clock, platform
):
    app = make_app()
    cora = Actor("console", "cora", "Cora", "wound-care")
    app.handle(Inbound(cora, "text", text="/cop checkin", event_id="EvOld"))
    clock.advance(timedelta(days=8))
    app.handle(Inbound(cora, "text", text="/cop checkin open", event_id="EvNew"))
    assert app.forget_old_events() == 1  # EvOld goes; EvNew stays
    again = app.handle(Inbound(cora, "text", text="/cop checkin open", event_id="EvNew"))
    assert again.message is None  # still recognised as a repeat
    await app.dispatcher.drain()
    assert len(platform.titled("Time for our check-in")) == 1
