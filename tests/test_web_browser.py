"""The web page in a real browser (chromium through Playwright): every form submits, keyboard
alone does a check-in reply, a ranked vote and a pledge answer, axe-core finds no serious or
critical problem on any page, and every page fits a phone (375 px) with no sideways scroll.

Skipped loudly when no chromium is installed; required under CI (CI=true).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, async_playwright
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.bootstrap import App
from bot.storage.tables import CheckInReply
from bot.storage.tables_contact import ContactRoute
from bot.storage.tables_meetings import Rsvp
from bot.storage.tables_polls import Ballot
from bot.storage.tables_wins import Pledge
from tests.browser_helpers import (
    EMAIL_SECTION,
    PHONE,
    Community,
    button,
    fits_a_phone,
    free_port,
    need_chromium,
    served,
    tab_to,
)
from tests.conftest import community, make_settings

SERIOUS = ("serious", "critical")


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """The page's database behaviour is tested on both engines elsewhere; here, the browser."""
    return sqlite_engine


@pytest.fixture
async def place(make_app: Callable[..., App]) -> AsyncIterator[Community]:
    base = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(
        community(welcome={"enabled": True}), email=EMAIL_SECTION, web={"base_url": base}
    )
    async with served(make_app(settings)) as found:
        yield found


@pytest.fixture
async def phone() -> AsyncIterator[Page]:
    executable = need_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox"]
        )
        context = await browser.new_context(viewport=PHONE)  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        try:
            yield await context.new_page()
        finally:
            await browser.close()


def _setup(place: Community) -> dict[str, str]:
    """One of each thing the page shows, and a link to each page."""
    place.cora.cop("checkin open")
    place.cora.cop('poll open "Next topic?" "Falls" "Sores" "Isolation" --ranked')
    place.cora.cop('poll open "Which day?" "Monday" "Friday"')
    place.cora.cop('poll open "What helps?" "Peers" "Time" --method multiple')
    place.cora.cop('poll open "Where first?" "Wards" "Homes" --method dots --dots 3')
    place.cora.cop("win We opened the new clinic")
    place.cora.cop("meeting next 2026-12-10 14:00 Caseload capacity")
    place.say(place.ana, "pledge Ask about falls by 2026-12-20")
    place.cora.cop("goals set Fewer missed visits; Share what works")
    place.cora.cop("pulse goals")
    return {
        "check-in": place.link("checkin", 1),
        "ranked poll": place.link("poll", 1),
        "single poll": place.link("poll", 2),
        "several-choice poll": place.link("poll", 3),
        "dots poll": place.link("poll", 4),
        "a win": place.link("win", 1),
        "share a win": place.link("win"),
        "pledge": place.link("pledge", 1),
        "story": place.link("story"),
        "goals pulse": place.link("pulse", 1),
        "settings": place.link("settings"),
        "my data": place.link("mydata"),
        "forget me": place.link("forget"),
        "community page": place.link("home"),
        "confirm": place.link("confirm", member=place.dee),
        "unsubscribe": place.link("unsubscribe"),
        "refused link": place.link("checkin", 1)[:-5],
        "start page": place.link("home").split("/l/")[0] + "/",
    }


async def _problems(phone: Page) -> list[str]:
    results = await Axe().run(phone)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]


async def test_every_page_passes_axe_and_fits_a_phone(place: Community, phone: Page) -> None:
    pages = _setup(place)
    found: dict[str, list[str]] = {}
    wide: list[str] = []
    for name, url in pages.items():
        await phone.goto(url)
        found[name] = await _problems(phone)
        if not await fits_a_phone(phone):
            wide.append(name)
    # and a page the core answers with: a reply sent, and a refused one (errors shown)
    await phone.goto(pages["check-in"])
    await phone.fill("#text", "Thanks @everyone for this")
    await phone.check("#kind-success")
    await button(phone, "Send").click()
    found["a refused reply"] = await _problems(phone)
    await phone.fill("#text", "Fewer falls on the ward")
    await button(phone, "Send").click()
    found["an answer"] = await _problems(phone)
    assert {name: p for name, p in found.items() if p} == {}
    assert wide == []
    assert len(found) == len(pages) + 2


async def _send(phone: Page, label: str) -> int:
    async with phone.expect_navigation() as moved:
        await button(phone, label).click()
    response = await moved.value
    assert response is not None
    return response.status


async def _fill_core_form(phone: Page) -> None:
    """Answer every question of a core form (text boxes and first choices)."""
    for box in await phone.locator(".core-form textarea, .core-form input[type=text]").all():
        if not await box.input_value():
            await box.fill("We ran a joint clinic")
    for legend in await phone.locator(".core-form fieldset").all():
        radios = legend.locator("input[type=radio]")
        if await radios.count() and not await legend.locator("input:checked").count():
            await radios.first.check()


async def test_every_form_submits(place: Community, phone: Page) -> None:
    pages = _setup(place)
    done: dict[str, int] = {}

    await phone.goto(pages["check-in"])
    await phone.check("#kind-learning")
    await phone.fill("#text", "Handovers work better in pairs")
    done["check-in reply"] = await _send(phone, "Send")
    await phone.goto(pages["check-in"])
    done["not this time"] = await _send(phone, "Not this time")
    for poll, choose in (
        ("single poll", lambda: phone.check("#choice-1")),
        ("several-choice poll", lambda: phone.check("#choice-2")),
        ("dots poll", lambda: phone.select_option("#dots-1", "2")),
        ("ranked poll", lambda: phone.select_option("#rank-3", "1")),
    ):
        await phone.goto(pages[poll])
        await choose()
        done[poll] = await _send(phone, "Vote")
    await phone.goto(pages["single poll"])
    done["take my vote back"] = await _send(phone, "Take my vote back")
    await phone.goto(pages["a win"])
    done["cheer"] = await _send(phone, "Cheer this win")
    await phone.goto(pages["share a win"])
    await phone.fill("#text", "Our first peer review")
    done["share a win"] = await _send(phone, "Share it")
    await phone.goto(pages["pledge"])
    done["pledge: still working on it"] = await _send(phone, "Still working on it")
    done["pledge: new date"] = await _send(phone, await _submit_label(phone))
    await phone.goto(pages["story"])
    await _fill_core_form(phone)
    done["story"] = await _send(phone, await _submit_label(phone))
    await phone.goto(pages["settings"])
    await phone.select_option("#timezone", "Europe/Paris")
    await phone.check("#digest-day")
    done["settings"] = await _send(phone, "Save my settings")
    await phone.goto(pages["my data"])
    done["my data"] = await _send(phone, "Send me my data")
    await phone.goto(pages["forget me"])
    await phone.check("#choice-cancel")
    done["forget me (cancel)"] = await _send(phone, "Confirm")
    await phone.goto(pages["confirm"])
    done["confirm"] = await _send(phone, "Yes, I'd like to join wound-care")
    await phone.goto(pages["unsubscribe"])
    done["unsubscribe"] = await _send(phone, "Unsubscribe")

    assert {name: status for name, status in done.items() if status != 200} == {}
    with Session(place.app.engine) as session:
        replies = session.exec(select(CheckInReply)).all()
        ballots = session.exec(select(Ballot)).all()
        routes = {r.member_id: r for r in session.exec(select(ContactRoute))}
    assert [r.text for r in replies] == ["Handovers work better in pairs"]
    assert sorted(b.poll_id for b in ballots) == [1, 3, 4]  # poll 2's vote was taken back
    assert routes[place.dee].verified_at is not None
    assert routes[place.ana].unsubscribed_at is not None and routes[place.ana].digest == "day"


async def _submit_label(phone: Page) -> str:
    return (await phone.locator(".core-form button[type=submit]").inner_text()).strip()


async def test_keyboard_alone_replies_to_a_checkin_anonymously(
    place: Community, phone: Page
) -> None:
    pages = _setup(place)
    await phone.goto(pages["check-in"])
    await tab_to(phone, "#kind-success")  # the first choice of the group
    await phone.keyboard.press("ArrowDown")  # moves to, and chooses, "challenge"
    await tab_to(phone, "#text")
    await phone.keyboard.type("Night shifts leave no time")
    await tab_to(phone, "#share-named")
    await phone.keyboard.press("ArrowDown")  # anonymously
    await tab_to(phone, button(phone, "Send"))
    async with phone.expect_navigation():
        await phone.keyboard.press("Enter")
    assert "shared anonymously" in await phone.inner_text("main")
    with Session(place.app.engine) as session:
        (reply,) = session.exec(select(CheckInReply)).all()
    assert (reply.kind, reply.text, reply.anonymous, reply.member_id) == (
        "challenge",
        "Night shifts leave no time",
        True,
        None,
    )


async def test_keyboard_alone_ranks_a_poll_with_number_selects(
    place: Community, phone: Page
) -> None:
    pages = _setup(place)
    await phone.goto(pages["ranked poll"])
    await tab_to(phone, "#rank-3")
    await phone.keyboard.press("ArrowDown")  # rank 1: Isolation
    await tab_to(phone, "#rank-1")  # Shift-free: Tab wraps round past the page's end
    await phone.keyboard.press("ArrowDown")
    await phone.keyboard.press("ArrowDown")  # rank 2: Falls
    await tab_to(phone, button(phone, "Vote"))
    async with phone.expect_navigation():
        await phone.keyboard.press("Space")
    with Session(place.app.engine) as session:
        (ballot,) = session.exec(select(Ballot).where(Ballot.poll_id == 1)).all()
    assert list(ballot.choices) == [3, 1]


async def test_keyboard_alone_answers_a_pledge_follow_up(place: Community, phone: Page) -> None:
    pages = _setup(place)
    await phone.goto(pages["pledge"])
    await tab_to(phone, button(phone, "Done"))
    async with phone.expect_navigation():
        await phone.keyboard.press("Enter")
    first = phone.locator(".core-form textarea, .core-form input[type=text]").first
    await tab_to(phone, f"#{await first.get_attribute('id')}")
    await phone.keyboard.type("Asked at every handover")
    label = await _submit_label(phone)
    await tab_to(phone, button(phone, label))
    async with phone.expect_navigation():
        await phone.keyboard.press("Enter")
    with Session(place.app.engine) as session:
        (pledge,) = session.exec(select(Pledge)).all()
    assert pledge.status == "done", await phone.inner_text("main")


async def test_keyboard_alone_answers_are_you_coming_and_changes_it(
    place: Community, phone: Page
) -> None:
    place.cora.cop("meeting next 2026-12-10 14:00 Caseload capacity")
    url = place.link("rsvp", 1)  # the meeting email's "Going / Maybe / Can't make it"
    await phone.goto(url)
    assert await _problems(phone) == []
    assert await fits_a_phone(phone)
    await tab_to(phone, button(phone, "Going"))
    async with phone.expect_navigation():
        await phone.keyboard.press("Enter")
    assert "1 going" in await phone.inner_text("main")
    await tab_to(phone, button(phone, "Maybe"))  # the answer page offers a change at once
    async with phone.expect_navigation():
        await phone.keyboard.press("Enter")
    assert await _problems(phone) == []
    with Session(place.app.engine) as session:
        (answer,) = session.exec(select(Rsvp)).all()
    assert (answer.meeting_id, answer.member_id, answer.answer) == (1, place.ana, "maybe")


def test_without_chromium_the_browser_tests_skip_locally_and_fail_under_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tests.browser_helpers as helpers

    monkeypatch.setattr(helpers, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(pytest.skip.Exception, match="no chromium"):
        helpers.need_chromium(in_ci=False)
    with pytest.raises(pytest.fail.Exception, match="CI requires"):
        helpers.need_chromium(in_ci=True)
