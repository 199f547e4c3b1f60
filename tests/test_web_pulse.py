"""A member who reads copbot by email answers a pulse on the web page: the email's button
becomes a signed link to the pulse's questions, and the answer is as anonymous as in chat."""

from __future__ import annotations

from sqlmodel import Session, select

from adapters.web.urls import button_url
from bot.messages import Button
from bot.storage.tables_value import PulseAnswer
from tests.test_web import Site, site  # noqa: F401  (the fixture)
from tests.web_helpers import form, text_of


async def test_a_pulse_answered_on_the_web_page(site: Site) -> None:  # noqa: F811
    site.cora.cop("goals set Fewer missed visits; Share what works")
    assert "I've asked" in site.cora.says("pulse goals")
    assert site.app.links is not None
    link = button_url(
        site.app.links, site.ana_id, 0, Button(label="Answer", action="pulse.start", value="c1|1")
    )
    assert link is not None and "/l/" in link
    html = await site.open(link)
    page = text_of(html)
    assert "anonymous" in page and "Fewer missed visits" in page
    fields = form(html, do="form").names
    goals = sorted({n for n in fields if n.startswith("f.g")})  # radio buttons, 1 to 5
    assert len(goals) == 2 and "f.text" in fields
    values = {goals[0]: "4", goals[1]: "2", "f.text": "Rotas first"}
    answer = text_of(await site.send(link, html, do="form", values=values))
    assert "Thank you" in answer
    with Session(site.app.engine) as session:
        rows = session.exec(select(PulseAnswer)).all()
    assert sorted(r.value for r in rows) == [0, 2, 4]
    assert all(r.id < 0 for r in rows)
