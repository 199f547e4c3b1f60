"""Value stories: the form, consent, your own list, and refusals that change nothing."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.storage.tables import Activity, Member
from bot.storage.tables_stories import Story


def _form(who):
    invitation = who.cop("story").message
    assert invitation is not None and "Applied: I used it in my practice" in invitation.as_text()
    [button] = invitation.buttons
    return who.press(button.action, button.value).form


def _tell(who, **values):
    form = _form(who)
    assert form is not None
    return who.submit(form.form_id, form.metadata, **values)


async def test_story_form_consent_and_listing(make_app, person, engine):
    app = make_app()
    ana, ben = person(app, "Ana"), person(app, "Ben")
    form = _form(ana)
    assert form is not None
    assert [f.name for f in form.fields] == ["what", "difference", "cycle", "consent"]
    cycles = {c.value: c.label for c in form.fields[2].choices}
    assert list(cycles) == ["immediate", "potential", "applied", "realised", "reframing"]
    assert cycles["applied"] == "Applied: I used it in my practice"
    assert all(len(label) <= 75 for label in cycles.values())  # Slack option text limit
    assert [c.value for c in form.fields[3].choices] == ["named", "anonymous", "no"]

    answer = _tell(
        ana,
        what="Ben showed me the photo review",
        difference="Reviews take half the time",
        cycle="applied",
        consent="anonymous",
    )
    assert "applied value; may be quoted anonymously" in answer.message.as_text()
    _tell(
        ana,
        what="A contact at the TVN",
        difference="Got advice fast",
        cycle="immediate",
        consent="no",
    )
    listed = ana.says("stories")
    assert "Ben showed me the photo review" in listed and "counted, never quoted" in listed
    assert "2 told in the community so far" in listed
    assert "haven't told a story yet" in ben.says("stories")

    with Session(engine) as session:
        kinds = session.exec(select(Activity.member_id).where(Activity.kind == "told-story")).all()
        ana_id = session.exec(select(Member.id).where(Member.platform_user_id == "ana")).one()
    assert sorted(kinds, key=lambda k: k or 0) == [None, ana_id]  # the anonymous one: no member


async def test_bad_story_changes_nothing(make_app, person, engine):
    app = make_app()
    ana = person(app, "Ana")
    empty = _tell(ana, what="  ", difference="x", cycle="applied", consent="named")
    assert "What happened is empty" in empty.message.as_text()
    wrong = _tell(ana, what="x", difference="y", cycle="cosmic", consent="named")
    assert "what kind of value" in wrong.message.as_text()
    unsure = _tell(ana, what="x", difference="y", cycle="applied", consent="maybe")
    assert "whether we may quote" in unsure.message.as_text()
    assert "Usage: /cop story" in ana.says("story about things")
    with Session(engine) as session:
        assert session.exec(select(Story)).all() == []
        assert session.exec(select(Activity)).all() == []


async def test_a_quotable_story_is_checked_for_patient_identifiers(make_app, person, engine):
    app = make_app()
    ana = person(app, "Ana")
    held = _tell(
        ana,
        what="Mrs Smith, NHS 943 476 5919, healed",
        difference="Fewer visits",
        cycle="realised",
        consent="named",
    )
    assert "could it identify a patient" in held.message.title
    with Session(engine) as session:
        assert session.exec(select(Story)).all() == []
    confirm = next(b for b in held.message.buttons if b.label == "Post anyway")
    assert (
        "Thank you! Your story is saved"
        in ana.press(confirm.action, confirm.value).message.as_text()
    )
    # A story that will never be quoted is only counted: no warning.
    kept = _tell(ana, what="NHS 943 476 5919 again", difference="x", cycle="applied", consent="no")
    assert "Thank you! Your story is saved" in kept.message.as_text()
    with Session(engine) as session:
        assert [s.consent for s in session.exec(select(Story).order_by(Story.id)).all()] == [
            "named",
            "no",
        ]
