"""Nominating wicked problems: propose, list, merge, reword, withdraw."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.storage.tables import Activity
from bot.storage.tables_polls import Problem


def problems(app) -> dict[int, Problem]:
    with Session(app.engine) as session:
        return {p.id: p for p in session.exec(select(Problem)).all()}


async def test_members_propose_and_everyone_sees_the_list(make_app, person):
    app = make_app()
    ana, ben = person(app, "Ana"), person(app, "Ben")
    assert "Problem 1 is on the list" in ana.says("propose Caseload capacity")
    assert "Problem 2 is on the list" in ben.says("propose How experts by experience keep a voice")
    listing = ben.says("problems")
    assert "1. Caseload capacity — proposed by Ana" in listing
    assert "2. How experts by experience keep a voice — proposed by Ben" in listing
    assert "merge" not in listing  # conveners' hints are for conveners
    assert "already on the list as problem 1" in ben.says("propose caseload CAPACITY")
    with Session(app.engine) as session:
        kinds = [a.kind for a in session.exec(select(Activity)).all()]
    assert kinds.count("proposed") == 2


async def test_bad_proposals_change_nothing(make_app, person):
    app = make_app()
    ana = person(app, "Ana")
    assert "Usage: /cop propose" in ana.says("propose")
    assert "would notify everyone" in ana.says("propose @everyone read this")
    assert "limit is 300" in ana.says("propose " + "x" * 301)
    assert problems(app) == {}


async def test_conveners_merge_reword_and_withdraw_and_proposers_are_told(
    make_app, platform, person
):
    app = make_app()
    cora, ana, ben = person(app, "Cora"), person(app, "Ana"), person(app, "Ben")
    ana.cop("propose Caseloads are too high")
    ben.cop("propose Caseload capacity")
    ben.cop("propose Isolation between visits")

    assert "Only conveners can merge" in ana.says("problems merge 2 into 1")
    assert "Merged problem 2 into 1" in cora.says("problems merge 2 into 1")
    assert "no longer a candidate (it is merged)" in cora.says("problems merge 2 into 3")
    assert "There's no problem 9" in cora.says("problems reword 9 Something")
    assert "now reads: 'Caseload capacity and safe staffing'" in cora.says(
        "problems reword 1 Caseload capacity and safe staffing"
    )
    listing = ana.says("problems")
    assert "1. Caseload capacity and safe staffing — proposed by Ana, Ben" in listing
    assert "Caseload capacity —" not in listing

    assert "Only conveners, or the person who proposed it" in ana.says("problems withdraw 3")
    assert "withdrawn" in cora.says("problems withdraw 3")
    assert "Isolation" not in ana.says("problems")
    assert "Usage: /cop problems" in cora.says("problems merge one into two")

    await app.dispatcher.drain()
    to_ana = [d.text for d in platform.dms("ana")]
    to_ben = [d.text for d in platform.dms("ben")]
    assert len(to_ana) == 1 and "It was: 'Caseloads are too high'" in to_ana[0]
    assert "now reads: 'Caseload capacity and safe staffing'" in to_ana[0]
    assert len(to_ben) == 2
    assert "merged it into problem 1" in to_ben[0]
    assert "took 'Isolation between visits' off the list" in to_ben[1]
    statuses = {i: p.status for i, p in problems(app).items()}
    assert statuses == {1: "open", 2: "merged", 3: "withdrawn"}


async def test_a_proposer_may_withdraw_their_own(make_app, platform, person):
    app = make_app()
    ana = person(app, "Ana")
    ana.cop("propose Too many forms")
    assert "withdrawn" in ana.says("problems withdraw 1")
    await app.dispatcher.drain()
    assert platform.dms() == []  # no note to herself
