"""Members reached by email, in the core: invited (double opt-in), welcomed once confirmed,
private messages by the route they chose, unsubscribed for good, erased on request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.commands import Actor, Inbound
from bot.contact import current_link_epoch
from bot.storage.tables import Member, OutboxMessage
from bot.storage.tables_contact import ContactRoute
from tests.conftest import START, community, make_settings
from tests.fakes import FakePlatform

EMAIL_SECTION = {"smtp_host": "127.0.0.1", "from_address": "copbot@example.org"}
EMAILING = {"email": EMAIL_SECTION, "web": {"base_url": "http://127.0.0.1:8080"}}


@pytest.fixture
def mail() -> FakePlatform:
    return FakePlatform(name="email")


@pytest.fixture
def app(make_app, mail, platform):
    settings = make_settings(
        community(welcome={"enabled": True}, quiet_hours="22:00-07:00"), **EMAILING
    )
    built = make_app(settings)
    built.dispatcher._platforms["email"] = mail  # the email platform beside the console
    return built


def by_email(app, member_id: int) -> Actor:
    return Actor("email", f"member:{member_id}", "", None)


def press(app, member_id: int, action: str, value: str = ""):
    return app.handle(Inbound(by_email(app, member_id), "button", action=action, value=value))


def invited_id(app, address: str) -> int:
    with Session(app.engine) as session:
        route = session.exec(select(ContactRoute).where(ContactRoute.address == address)).one()
        return route.member_id


async def test_a_convener_invites_and_only_the_invitation_goes_until_confirmed(
    app, mail, platform, person
):
    cora = person(app, "Cora")
    assert "Invitation sent" in cora.says("invite Ana@Example.org Ana Silva")
    ana = invited_id(app, "ana@example.org")
    await app.dispatcher.drain()
    [invitation] = mail.dms()
    assert invitation.target == f"member:{ana}"
    assert "invited you to join wound-care" in (invitation.message.title or "")
    assert [b.action for b in invitation.message.buttons] == ["email.confirm"]

    cora.cop("checkin open")  # before she confirms: no check-in email for her
    await app.dispatcher.drain()
    assert len(mail.dms()) == 1
    assert all("ana" not in d.text.lower() for d in platform.sent)  # no address in the channel


async def test_confirming_sends_the_welcome_with_the_norms_then_private_messages(app, mail, person):
    cora = person(app, "Cora")
    cora.cop("invite ana@example.org Ana")
    ana = invited_id(app, "ana@example.org")
    answer = press(app, ana, "email.confirm")
    assert "you're a member of wound-care" in answer.message.as_text()
    await app.dispatcher.drain()
    welcome = [d for d in mail.dms(f"member:{ana}") if d.key.startswith("welcome:")]
    assert len(welcome) == 1
    assert "Chatham House rule" in welcome[0].text  # the norms
    press(app, ana, "email.confirm")  # twice: no second welcome
    cora.cop("checkin open")
    await app.dispatcher.drain()
    keys = [d.key for d in mail.dms(f"member:{ana}")]
    assert sum(k.startswith("welcome:") for k in keys) == 1
    assert any(k.startswith("checkin") for k in keys), keys
    with Session(app.engine) as session:
        member = session.get(Member, ana)
        assert member.first_seen_at is not None


async def test_private_emails_wait_for_quiet_hours_to_end(app, mail, person, clock):
    cora = person(app, "Cora")
    clock.advance(timedelta(hours=14))  # 23:00 in London: her quiet hours
    cora.cop("invite ana@example.org Ana")
    await app.dispatcher.drain()
    assert mail.dms() == []
    await app.advance(START.replace(day=2, hour=7, minute=0))
    assert len(mail.dms()) == 1


async def test_bad_or_repeated_invitations_change_nothing(app, mail, person):
    cora, ben = person(app, "Cora"), person(app, "Ben")
    assert "Only conveners" in ben.says("invite ana@example.org")
    for bad in ("ana", "ana@", "ana@example", "a b@example.org", "ana@example.org\r\nBcc: x@y.z"):
        assert "doesn't look like an email address" in cora.says(f"invite {bad}"), bad
    assert "Usage" in cora.says("invite")
    cora.cop("invite ana@example.org")
    assert "already invited" in cora.says("invite ANA@example.org Someone")
    with Session(app.engine) as session:
        assert len(session.exec(select(ContactRoute)).all()) == 1
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.platform == "email"))
        assert len(rows.all()) == 1


async def test_unsubscribing_stops_everything_queued_and_revokes_links(app, mail, person, clock):
    cora = person(app, "Cora")
    cora.cop("invite ana@example.org Ana")
    ana = invited_id(app, "ana@example.org")
    press(app, ana, "email.confirm")
    await app.dispatcher.drain()
    with Session(app.engine) as session:
        before = current_link_epoch(session, ana)
    clock.advance(timedelta(hours=14))  # quiet hours: the check-in email waits
    cora.cop("checkin open")
    answer = press(app, ana, "email.unsubscribe")
    assert "unsubscribed" in answer.message.as_text()
    sent = len(mail.dms())
    await app.advance(clock.now() + timedelta(days=8))
    cora.cop("checkin close")
    cora.cop("checkin open")
    await app.advance(clock.now() + timedelta(days=8))
    assert len(mail.dms()) == sent  # nothing after unsubscribing
    with Session(app.engine) as session:
        assert current_link_epoch(session, ana) == before + 1


async def test_forget_me_erases_the_address_and_every_link(app, mail, person):
    cora = person(app, "Cora")
    cora.cop("invite ana@example.org Ana")
    ana = invited_id(app, "ana@example.org")
    press(app, ana, "email.confirm")
    press(app, ana, "mydata.forget", "all")
    with Session(app.engine) as session:
        assert current_link_epoch(session, ana) is None
        assert session.exec(select(ContactRoute)).all() == []
        rows = session.exec(select(OutboxMessage.payload, OutboxMessage.user_id)).all()
    assert all(user != f"member:{ana}" for _, user in rows)
    assert all("ana@example.org" not in payload for payload, _ in rows)


async def test_a_chat_member_invited_by_email_is_a_separate_member_by_their_choice(
    app, mail, platform, person
):
    cora = person(app, "Cora")
    cora.cop("invite dee@example.org Dee")
    dee = invited_id(app, "dee@example.org")
    press(app, dee, "email.confirm")
    assert "Email is the only way" in press_text(app, dee, "private off")
    assert "one email a day" in press_text(app, dee, "digest day")


def press_text(app, member_id: int, rest: str) -> str:
    actor = by_email(app, member_id)
    response = app.handle(Inbound(actor, "text", text=f"/cop email {rest}"))
    return response.message.as_text()


async def test_the_settings_invite_list_is_invited_once_across_restarts(make_app, mail):
    carers = community(
        name="carers",
        platform="email",
        conveners=["Cora@example.org"],
        keepers=["kit@example.org"],
        invite=["ana@example.org", "ben@example.org"],
    )
    del carers["channel"]
    settings = make_settings(carers, **EMAILING)
    assert settings.communities[0].channel == "carers"  # an email-only community needs none
    for _ in range(2):  # a restart invites nobody twice
        app = make_app(settings)
        app.dispatcher._platforms["email"] = mail
        await app.advance(START + timedelta(hours=1))
    invited = sorted(d.target for d in mail.dms() if d.key.startswith("email-invite:"))
    assert len(invited) == len(set(invited)) == 4
    with Session(app.engine) as session:
        roles = {
            r.address: (m.is_convener, m.is_keeper)
            for r, m in session.exec(
                select(ContactRoute, Member).where(ContactRoute.member_id == Member.id)
            )
        }
    assert roles["cora@example.org"] == (True, False)
    assert roles["kit@example.org"] == (False, True)
    assert roles["ana@example.org"] == (False, False)


def test_email_communities_need_an_email_section_and_addresses():
    from bot.config import ConfigError

    plain = {"conveners": [], "keepers": []}
    with pytest.raises(ConfigError, match=r"\[email\] section"):
        make_settings(community(name="carers", platform="email", **plain))
    with pytest.raises(ConfigError, match="conveners and keepers are email addresses"):
        make_settings(community(name="carers", platform="email"), **EMAILING)
    with pytest.raises(ConfigError, match="not an email address"):
        make_settings(community(invite=["nobody"]), **EMAILING)
    with pytest.raises(ConfigError, match="COPBOT_SMTP_PASSWORD"):
        make_settings(email=EMAIL_SECTION | {"smtp_password": "hunter2"})


async def test_channel_posts_arrive_gathered_once_a_day_or_on_mondays(app, mail, person, clock):
    cora = person(app, "Cora")
    cora.cop("invite ana@example.org Ana")
    cora.cop("invite bo@example.org Bo")
    ana, bo = invited_id(app, "ana@example.org"), invited_id(app, "bo@example.org")
    press(app, ana, "email.confirm")
    press(app, bo, "email.confirm")
    press_text(app, ana, "digest day")
    cora.cop("checkin open")
    cora.cop("checkin close")  # the summary: a channel post, gathered
    await app.advance(START + timedelta(days=1, hours=1))  # Wed 07:00 has passed
    gathered = [d for d in mail.dms() if d.key.startswith("email-digest:")]
    assert [d.target for d in gathered] == [f"member:{ana}"]
    assert "the last day" in (gathered[0].message.title or "")
    await app.advance(START + timedelta(days=6, hours=1))  # Monday 07:00
    weekly = [d for d in mail.dms(f"member:{bo}") if d.key.startswith("email-digest:")]
    assert len(weekly) == 1 and "the last week" in (weekly[0].message.title or "")
    assert len([d for d in mail.dms(f"member:{ana}") if d.key.startswith("email-digest:")]) == 1


async def test_inviting_without_email_set_up_is_refused_and_changes_nothing(
    make_app, person, engine
):
    app = make_app(make_settings(community()))  # no [email] section
    answer = person(app, "Cora").says("invite ana@example.org Ana")
    assert "can't send email yet" in answer and "nobody was invited" in answer
    with Session(engine) as session:
        assert session.exec(select(ContactRoute)).all() == []
        assert session.exec(select(OutboxMessage)).all() == []
        assert len(session.exec(select(Member)).all()) == 2  # Cora and Kit, from the settings


async def test_invitees_count_as_members_only_once_they_confirm(app, person, clock):
    cora, kit = person(app, "Cora"), person(app, "Kit")
    kit.cop("help")
    for name in ("ana", "bo", "cy"):
        cora.cop(f"invite {name}@example.org {name.title()}")
    clock.advance(timedelta(hours=1))
    digest = kit.says("digest this-week")
    assert "of 2 members took part" in digest  # Cora and Kit: not the three invited
    assert "Ana" not in digest and "Bo" not in digest
    press(app, invited_id(app, "ana@example.org"), "email.confirm")
    assert "of 3 members took part" in kit.says("digest this-week")


async def test_the_catch_up_counts_members_as_the_summary_did_leaving_invitees_out(
    make_app, mail, platform, person
):
    """An invitation not yet confirmed is not a member: the summary posted at the close held
    the anonymous reply back (two people could have written it), and the catch-up rebuilt
    later holds it back too, however many invitations are waiting."""
    only_three = community(welcome={"enabled": True}, conveners=["cora"], keepers=[])
    app = make_app(make_settings(only_three, **EMAILING))
    app.dispatcher._platforms["email"] = mail
    cora, ana, ben = (person(app, n) for n in ("Cora", "Ana", "Ben"))
    for n in range(4):
        cora.cop(f"invite someone{n}@example.org")
    cora.cop("checkin open")
    ana.cop("reply challenge Discharge letters arrive late")
    ben.cop("reply challenge anonymously My manager ignores escalation")
    cora.cop("checkin close")
    await app.dispatcher.drain()
    [posted] = [d for d in platform.posts() if d.key.endswith(":summary")]
    assert "My manager ignores escalation" not in posted.text
    later = person(app, "Jo").says("catchup")
    assert "Discharge letters arrive late" in later
    assert "My manager ignores escalation" not in later, "the catch-up uncovered it"
