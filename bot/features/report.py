"""`/cop report [FROM TO]` for keepers and conveners: a report sponsors can read.

Two private messages: the report as one self-contained, printable HTML page
(bot.domain.report_html), and its picture (PNG), drawn by headless chromium when the outbox
sends it (bot.pictures, in a worker thread, outside any transaction). Its figures are the
keepers' export for the same dates (bot.features.export.build_export), and it names no one
except tellers who agreed to be quoted with their name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.clock import SystemClock
from bot.commands import Command
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain.report_html import Quote, report_html
from bot.errors import UserError
from bot.features.base import Feature, Verb, usage_error
from bot.features.export import DEFAULT_WEEKS, build_export, date_range, find_community
from bot.features.stories import stories_between
from bot.messages import Attachment, OutMessage, Response, Section, say
from bot.pictures import NoBrowser, html_to_png
from bot.storage.database import make_engine
from bot.storage.tables import Community, Member

#: The export's pseudonyms never show in the report: a fixed salt keeps it deterministic.
_SALT = b"copbot-report"


@dataclass(frozen=True)
class MakeReport(Command):
    start: date | None = None
    end: date | None = None


def _quotes(session: Session, community_id: int, start: datetime, end: datetime) -> list[Quote]:
    stories = stories_between(session, community_id, start, end)
    ids = {s.member_id for s in stories if s.consent == "named" and s.member_id is not None}
    names = {
        m.id: m.display_name
        for m in session.exec(select(Member).where(col(Member.id).in_(ids))).all()
    }
    return [
        Quote(
            s.what,
            s.difference,
            s.cycle,
            names.get(s.member_id) if s.consent == "named" and s.member_id else None,
        )
        for s in stories
    ]


def build_report(
    session: Session, community: Community, start: datetime, end: datetime, now: datetime
) -> tuple[str, str, str]:
    """(the page, its first day, its last day) for [start, end), as seen at `now`."""
    assert community.id is not None
    zone = ZoneInfo(community.timezone)
    data = build_export(session, community, start, end, now, salt=_SALT)
    first = start.astimezone(zone).date().isoformat()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date().isoformat()
    quotes = _quotes(session, community.id, start, end)
    return report_html(data, quotes, first=first, last=last), first, last


def make_report(cmd: MakeReport, ctx: Context) -> Response:
    member = ctx.require_member()
    if not (member.is_keeper or member.is_convener):
        raise UserError(
            "The report is for the community's keepers and conveners. Ask one of them if a "
            "sponsor needs it."
        )
    now = ctx.clock.now()
    zone = ZoneInfo(ctx.community.timezone)
    if cmd.start is None or cmd.end is None:
        today = now.astimezone(zone).date()
        start, end = date_range(today - timedelta(weeks=DEFAULT_WEEKS, days=-1), today, zone)
    else:
        start, end = date_range(cmd.start, cmd.end, zone)
    end = min(end, now)
    page, first, last = build_report(ctx.uow.session, ctx.community, start, end, now)
    stem = f"copbot-{ctx.community.name}-report-{first}-to-{last}"
    key = f"report:{ctx.community_id}:{member.id}:{now.isoformat()}"
    ctx.dm(
        member,
        f"{key}:html",
        OutMessage(
            title=f"Your report for {ctx.community.name}, {first} to {last}",
            sections=(
                Section(
                    text="A page to open in any browser, print or send on: participation, "
                    "goals and impact pulses, value stories (quoted only with consent), wins, "
                    "pledges and resources. It names no one except people who agreed to be "
                    "quoted with their name."
                ),
            ),
            attachment=Attachment(filename=f"{stem}.html", content=page, mime="text/html"),
        ),
    )
    ctx.dm(
        member,
        f"{key}:png",
        OutMessage(
            title="The same report as a picture",
            attachment=Attachment(
                filename=f"{stem}.png", content=page, mime="image/png", picture_of_html=True
            ),
        ),
    )
    return Response(message=say("Your report is on its way to you in a private message."))


def write_report(
    database_url: str,
    name: str,
    first: date,
    last: date,
    output: str | None = None,
    png: str | None = None,
) -> list[Path]:
    """`copbot report`: the page (and its picture) for [first, last] written to files."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            community = find_community(session, name)
            if community is None:
                raise UserError(f"no community called {name!r}.")
            start, end = date_range(first, last, ZoneInfo(community.timezone))
            page, shown_first, shown_last = build_report(
                session, community, start, end, SystemClock().now()
            )
    finally:
        engine.dispose()
    html = Path(output or f"copbot-{name}-report-{shown_first}-to-{shown_last}.html")
    html.write_text(page, encoding="utf-8")
    written = [html]
    if png:
        try:
            Path(png).write_bytes(html_to_png(page))
        except NoBrowser as error:
            raise UserError(f"{error}; the HTML is written to {html}.") from None
        written.append(Path(png))
    return written


def _parse(rest: str, _settings: CommunitySettings) -> Command:
    words = rest.replace(" to ", " ").split()
    if not words:
        return MakeReport()
    if len(words) != 2:
        raise usage_error(REPORT)
    try:
        start, end = (date.fromisoformat(w) for w in words)
    except ValueError:
        raise UserError("Please give dates like 2026-11-01 2026-11-30.") from None
    return MakeReport(start, end)


REPORT = Verb(
    "report",
    _parse,
    usage="/cop report [YYYY-MM-DD YYYY-MM-DD]",
    help="for keepers and conveners: a report for sponsors (a printable page and its "
    "picture) with charts of participation, goals and impact, and value stories (default: "
    "the last 12 weeks)",
)

FEATURE = Feature(name="report", verbs=(REPORT,), handlers={MakeReport: make_report})
