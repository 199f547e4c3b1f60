"""From a kept pledge to a value story: a member who said "Done" and agreed to be asked gets
exactly one invitation, after the configured delay; none without consent; the form comes
filled in from the pledge and asks again whether the story may be quoted."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.storage.tables_stories import Story
from tests.conftest import START, community, make_settings

TITLE = "Would you tell the story of your pledge?"


def _done(person, story: str) -> None:
    assert (
        "Well done"
        in person.submit(
            "pledge.done", "1", outcome="Pain scores are in every visit note", win="no", story=story
        ).message.as_text()
    )


def _invitations(platform, user):
    return [d for d in platform.dms(user) if d.message.title == TITLE]


async def test_one_invitation_after_the_delay_with_the_form_filled_in(make_app, platform, person):
    app = make_app(make_settings(community(pledges={"story_after": "10 days"})))
    ana = person(app, "Ana")
    ana.cop("me quiet off")
    ana.cop("pledge Record pain scores at every visit by friday")
    _done(ana, "yes")
    await app.advance(START + timedelta(days=9, hours=23))
    assert _invitations(platform, "ana") == []
    await app.advance(START + timedelta(days=10, minutes=1))
    await app.advance(START + timedelta(days=40))
    [invitation] = _invitations(platform, "ana")
    assert "Record pain scores at every visit" in invitation.text
    assert "Pain scores are in every visit note" in invitation.text
    app.close()

    app = make_app(make_settings(community(pledges={"story_after": "10 days"})))
    await app.advance(START + timedelta(days=80))  # a restart never asks twice
    assert len(_invitations(platform, "ana")) == 1

    ana = person(app, "Ana")
    button = invitation.message.buttons[0]
    form = ana.press(button.action, button.value).form
    assert form is not None and form.form_id == "story.tell"
    fields = {f.name: f for f in form.fields}
    assert fields["what"].initial == "Pain scores are in every visit note"
    assert fields["consent"].initial is None  # asked again, nothing chosen for her
    saved = ana.submit(
        "story.tell",
        form.metadata,
        what=fields["what"].initial,
        difference="Pain is treated sooner",
        cycle="applied",
        consent="named",
    )
    assert "story" in saved.message.as_text().lower()
    with Session(app.engine) as session:
        [story] = session.exec(select(Story)).all()
    assert (story.consent, story.difference) == ("named", "Pain is treated sooner")


async def test_no_invitation_without_consent_or_when_switched_off(make_app, platform, person):
    app = make_app(make_settings(community(pledges={"story_after": "10 days"})))
    ana, ben = person(app, "Ana"), person(app, "Ben")
    ana.cop("pledge Record pain scores at every visit by friday")
    _done(ana, "no")
    await app.advance(START + timedelta(days=30))
    assert _invitations(platform, "ana") == []

    app = make_app(make_settings(community(pledges={"story_after": "off"})))
    ben = person(app, "Ben")
    ben.cop("pledge Ask families first by friday")
    assert (
        "Well done"
        in ben.submit(
            "pledge.done", "2", outcome="Families feel heard", win="no", story="yes"
        ).message.as_text()
    )
    await app.advance(START + timedelta(days=60))
    assert _invitations(platform, "ben") == []


async def test_someone_elses_story_button_changes_nothing(make_app, platform, person):
    app = make_app(make_settings(community(pledges={"story_after": "1 day"})))
    ana, ben = person(app, "Ana"), person(app, "Ben")
    ana.cop("pledge Record pain scores at every visit by friday")
    _done(ana, "yes")
    assert "out of date" in ben.press("story.from_pledge", "1").message.as_text()
    assert "out of date" in ben.press("story.from_pledge", "²").message.as_text()
