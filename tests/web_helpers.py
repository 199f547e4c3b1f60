"""Drive the web page over real HTTP (aiohttp's test server) and read its forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from adapters.web import WebPage
from bot.bootstrap import App
from bot.storage.tables import Member


@dataclass
class PageForm:
    """One <form> on a page: its hidden and visible fields, and its submit button's text."""

    fields: dict[str, str] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    button: str = ""

    @property
    def do(self) -> str:
        return self.fields.get("do", "")


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[PageForm] = []
        self._in_button = False
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(PageForm())
        elif self.forms and tag in ("input", "textarea", "select") and "name" in a:
            form = self.forms[-1]
            form.names.append(a["name"])
            if a.get("type") == "hidden":
                form.fields[a["name"]] = a.get("value", "")
        elif self.forms and tag == "button":
            self._in_button, self._text = True, []

    def handle_data(self, data: str) -> None:
        if self._in_button:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._in_button:
            self.forms[-1].button = "".join(self._text).strip()
            self._in_button = False


def forms(html: str) -> list[PageForm]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def form(html: str, *, do: str | None = None, button: str | None = None) -> PageForm:
    """The one form on the page that sends `do` (or whose button reads `button`)."""
    found = [
        f
        for f in forms(html)
        if (do is None or f.do == do) and (button is None or f.button == button)
    ]
    assert len(found) == 1, (do, button, [(f.do, f.button) for f in forms(html)])
    return found[0]


def text_of(html: str) -> str:
    """The page's words, without tags (for asserting what a person reads)."""

    class _Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []

        def handle_data(self, data: str) -> None:
            self.parts.append(data)

    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def member_id(engine: Engine, user_id: str) -> int:
    with Session(engine) as session:
        member = session.exec(select(Member).where(Member.platform_user_id == user_id)).first()
    assert member is not None, user_id
    assert member.id is not None
    return member.id


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show that something changed nothing."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            found = connection.execute(table.select()).all()
            rows[table.name] = sorted((tuple(map(repr, r)) for r in found), key=repr)
    return rows


class Browser:
    """A member's visits: GET a link, POST one of the page's forms."""

    def __init__(self, client: TestClient, base_url: str) -> None:
        self.client = client
        self.base_url = base_url

    def path(self, url: str) -> str:
        assert url.startswith(self.base_url), url
        return url[len(self.base_url) :]

    async def get(self, url: str) -> tuple[int, str]:
        response = await self.client.get(self.path(url), allow_redirects=False)
        return response.status, await response.text()

    async def post(
        self, url: str, page_form: PageForm, extra: Any = (), headers: Any = None
    ) -> tuple[int, str]:
        pairs = extra.items() if isinstance(extra, dict) else extra
        data = [*page_form.fields.items(), *pairs]
        response = await self.client.post(
            self.path(url), data=data, headers=headers, allow_redirects=False
        )
        return response.status, await response.text()


class Epochs(dict[int, int]):
    """Each member's link epoch (what the contact routes would say); missing: no route."""

    def __call__(self, _session: Session, member: int) -> int | None:
        return self.get(member)


async def open_page(app: App, epochs: Epochs) -> tuple[WebPage, TestClient]:
    page = WebPage(app, app.links, epochs)  # type: ignore[arg-type]
    client = TestClient(TestServer(page.application()))
    await client.start_server()
    return page, client
