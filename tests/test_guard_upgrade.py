"""Words held by the patient-identifier guard name the command that will send them by its
module path; when commands move to a module of their own (0027w), a draft held across the
upgrade still posts."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from bot.storage.database import downgrade, upgrade
from bot.storage.tables_trust import GuardDraft
from bot.storage.tables_wins import Pledge

NHS_TEXT = "Mrs K (943 476 5919) is walking again"


def _held_win(ana, _engine):
    return ana.cop(f"win {NHS_TEXT}")


def _held_pledge_share(ana, engine):
    ana.cop(f"pledge {NHS_TEXT} by in 2 weeks")  # private: the guard checks it when shared
    with Session(engine) as session:
        [pledge_id] = session.exec(select(Pledge.id)).all()
    return ana.cop(f"pledge share {pledge_id}")


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("hold", "old_command"),
    [
        (_held_win, "bot.features.wins.PostWin"),
        (_held_pledge_share, "bot.features.pledges.SharePledge"),
    ],
    ids=["win", "pledge-share"],
)
async def test_a_draft_held_before_the_upgrade_still_posts_after_it(
    make_app, engine, platform, person, hold, old_command
):
    app = make_app()
    held = hold(person(app, "Ana"), engine)
    assert "an NHS number" in held.message.as_text()
    [post] = [b for b in held.message.buttons if b.label == "Post anyway"]
    app.close()
    # The database as the version before the move left it: the draft under the old path.
    downgrade(engine, "0026v")
    with Session(engine) as session:
        session.execute(update(GuardDraft).values(command=old_command))
        session.commit()
    upgrade(engine)

    app = make_app()
    answer = person(app, "Ana").press(post.action, post.value).message.as_text()
    assert "can't be sent any more" not in answer
    await app.dispatcher.drain()
    assert any("Mrs K" in p.text for p in platform.posts()), answer
