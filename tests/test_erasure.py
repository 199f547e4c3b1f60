"""Erasing everything erases everything: after a member with a rich history erases, a scan of
every text and JSON column of every table (outbox payloads included) and of the DEBUG logs
finds none of their words, their name or their platform id. "Keep my words, anonymised"
keeps the words with nothing that links them to the member."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import JSON, Engine, String, Text, select
from sqlmodel import SQLModel

import bot.storage.schema  # noqa: F401  (every table on SQLModel.metadata)
from tests.conftest import START, community, make_settings

ZED, QUILL = "Zephyrine", "Quillon"  # names that appear nowhere else
SETTINGS = make_settings(community(welcome={"enabled": True}))

# What Zephyrine writes; each text is unique so a scan can find any trace of it.
REPLY = "ZTXT-REPLY the shared care plans went well"
PROPOSAL = "ZTXT-PROPOSAL caseload capacity on nights"
PROMPT = "ZTXT-PROMPT what made you smile at work"
NOMINATION = "ZTXT-NOMINATION Quillon rebuilt the rota"
WIN = "ZTXT-WIN our team cut missed visits"
ANON_WIN = "ZTXT-ANONWIN the dressing trolley arrived"
PLEDGE = "ZTXT-PLEDGE try the new leaflet"
HELP = "ZTXT-HELP someone to practise the pain scale with"
STORY_WHAT = "ZTXT-STORY the photo review"
STORY_DIFFERENCE = "ZTXT-DIFFERENCE reviews take half the time"
OPEN_REPLY = "ZTXT-OPENREPLY letters arrive late"  # anonymous, in a check-in still open
TEXTS = (
    REPLY,
    PROPOSAL,
    PROMPT,
    NOMINATION,
    WIN,
    ANON_WIN,
    PLEDGE,
    HELP,
    STORY_WHAT,
    STORY_DIFFERENCE,
    OPEN_REPLY,
)


def _holds_text(column: Any) -> bool:
    """Text and JSON columns, including SQLModel's AutoString (a decorated String)."""
    kind = getattr(column.type, "impl", column.type)
    return isinstance(column.type, String | Text | JSON) or isinstance(kind, String | JSON)


def _text_values(engine: Engine) -> list[tuple[str, str]]:
    """(table.column, text) for every text or JSON value stored anywhere."""
    found = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns if _holds_text(c)]
            if not columns:
                continue
            for row in connection.execute(select(*columns)).mappings():
                for column in columns:
                    value = row[column.name]
                    if value is None:
                        continue
                    text = value if isinstance(value, str) else json.dumps(value)
                    found.append((f"{table.name}.{column.name}", text))
    return found


def _leaks(engine: Engine, caplog: Any, needles: tuple[str, ...]) -> list[str]:
    pattern = re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(n) for n in needles) + r")(?!\w)", re.IGNORECASE
    )
    leaks = [
        f"{where}: {found.group(0)}"
        for where, text in _text_values(engine)
        for found in pattern.finditer(text)
    ]
    leaks += [
        f"log: {record.getMessage()[:120]}"
        for record in caplog.records
        if pattern.search(record.getMessage())
    ]
    return leaks


def _press(someone, delivered, label: str):
    [button] = [b for b in delivered.message.buttons if b.label == label]
    return someone.press(button.action, button.value)


def _tell_story(who) -> None:
    invitation = who.cop("story").message
    [button] = invitation.buttons
    form = who.press(button.action, button.value).form
    who.submit(
        form.form_id,
        form.metadata,
        what=STORY_WHAT,
        difference=STORY_DIFFERENCE,
        cycle="applied",
        consent="named",
    )


async def _rich_history(app, platform, person):
    """Zephyrine does a bit of everything; every message it causes is delivered."""
    cora, kit, zed, quill = (person(app, n) for n in ("Cora", "Kit", ZED, QUILL))
    for someone in (kit, quill, person(app, "Ben"), person(app, "Dee")):
        someone.cop("help")
    cora.cop("checkin open")
    zed.cop(f"reply success {REPLY}")
    quill.cop("reply learning Ask families first")
    zed.cop(f"propose {PROPOSAL}")
    zed.cop(f"prompt suggest {PROMPT}?")
    zed.cop(f"win for <@{QUILL.lower()}> {NOMINATION}")
    zed.cop(f"win {WIN}")
    zed.cop("plan")
    zed.cop(f"pledge {PLEDGE} by 2026-12-03")
    zed.cop("pledge share 1")
    _tell_story(zed)
    await app.dispatcher.drain()
    [ask] = [d for d in platform.dms(QUILL.lower()) if "would like to celebrate" in d.text]
    _press(quill, ask, "Agree")
    await app.advance(START + timedelta(days=2, hours=1))  # the pledge falls due
    [follow_up] = [d for d in platform.dms(ZED.lower()) if "Need help" in str(d.message.buttons)]
    form = _press(zed, follow_up, "Need help").form
    zed.submit(form.form_id, form.metadata, help=HELP, share="named")
    cora.cop("checkin close")  # the summary quotes her reply with her name
    kit.cop("export")  # the keepers' export carries her story
    cora.cop("checkin open")
    zed.cop(f"reply challenge anonymously {OPEN_REPLY}")
    zed.cop(f"win anonymously {ANON_WIN}")
    zed.cop("mydata")  # a private message holding all of it
    await app.dispatcher.drain()
    return zed


def _erase(someone, label: str) -> str:
    message = someone.cop("forget-me").message
    [button] = [b for b in message.buttons if b.label == label]
    return someone.press(button.action, button.value).message.as_text()


async def test_erase_everything_leaves_none_of_their_words_name_or_id(
    make_app, engine, platform, person, caplog
):
    caplog.set_level(logging.DEBUG)
    app = make_app(SETTINGS)
    zed = await _rich_history(app, platform, person)
    needles = (*TEXTS, ZED, ZED.lower())
    before = {leak.split(": ", 1)[1].lower() for leak in _leaks(engine, caplog, needles)}
    assert {t.lower() for t in TEXTS} <= before  # the scan sees every text before…

    caplog.clear()
    assert "is erased" in _erase(zed, "Erase everything")
    await app.dispatcher.drain()

    leaks = _leaks(engine, caplog, needles)
    assert leaks == [], "\n".join(leaks)  # …and none after


async def test_keep_my_words_keeps_the_texts_and_nothing_that_links_them(
    make_app, engine, platform, person, caplog
):
    caplog.set_level(logging.DEBUG)
    app = make_app(SETTINGS)
    zed = await _rich_history(app, platform, person)
    caplog.clear()
    assert "What you shared stays" in _erase(zed, "Erase me, keep my words anonymously")
    await app.dispatcher.drain()

    stored = " ".join(text for _, text in _text_values(engine))
    kept = [t for t in (REPLY, PROPOSAL, WIN, ANON_WIN, STORY_WHAT) if t in stored]
    assert kept == [REPLY, PROPOSAL, WIN, ANON_WIN, STORY_WHAT]
    assert _leaks(engine, caplog, (ZED, ZED.lower())) == []


NUDGE = "Bring one photo of a dressing you are proud of"


def _schedule_nudge(convener) -> None:
    preview = convener.cop(f'nudge add "every tuesday 09:30" {NUDGE}').message
    saved = convener.press("nudge.save", preview.buttons[0].value).message.as_text()
    assert "saved" in saved.lower() or "nudge" in saved.lower(), saved


async def test_a_conveners_erase_everything_takes_their_nudges_words_too(
    make_app, engine, platform, person, caplog
):
    app = make_app(SETTINGS)
    cora = person(app, "Cora")
    _schedule_nudge(cora)
    await app.dispatcher.drain()
    assert any(NUDGE in text for _, text in _text_values(engine))

    assert "is erased" in _erase(cora, "Erase everything")
    await app.dispatcher.drain()
    assert _leaks(engine, caplog, (NUDGE,)) == []
    await app.advance(START + timedelta(days=14))
    assert not [d for d in platform.sent if NUDGE in d.text], "an erased nudge still went out"


async def test_a_convener_who_keeps_their_words_keeps_their_nudge_unattributed(
    make_app, engine, platform, person, caplog
):
    from sqlmodel import Session

    from bot.storage.tables_momentum import Nudge

    app = make_app(SETTINGS)
    cora = person(app, "Cora")
    _schedule_nudge(cora)
    assert "What you shared stays" in _erase(cora, "Erase me, keep my words anonymously")
    with Session(engine) as session:
        [nudge] = session.exec(select(Nudge)).scalars().all()
    assert nudge.text == NUDGE and nudge.author_id is None
    await app.advance(START + timedelta(days=14))
    assert [d for d in platform.sent if NUDGE in d.text], "the community's nudge stopped"
