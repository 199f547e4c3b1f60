"""The evaluation export: JSON round-trip against the digest, CSV, the CLI and /cop export."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import UTC, datetime

from sqlmodel import Session

from bot import cli
from bot.features.digest_figures import build_digest
from bot.features.export import build_export, find_community
from bot.features.export_files import to_csv_zip, to_json
from bot.storage.tables_polls import Poll, PollOption
from tests.test_digest import END, LONDON, SECRET, WEEK, at, build_history

NOW = datetime(2026, 12, 28, 11, tzinfo=UTC)


def _closed_poll(engine) -> None:
    with Session(engine) as session:
        poll = Poll(
            community_id=1,
            question="Best day to meet?",
            method="single",
            opened_at=at(12, 20),
            closes_at=at(12, 22),
            closed_at=at(12, 22),
            outcome="winner",
            winner=2,
            result={"ballots": 4, "members": 9},
        )
        session.add(poll)
        session.flush()
        session.add(PollOption(poll_id=poll.id, number=1, label="Tuesday"))
        session.add(PollOption(poll_id=poll.id, number=2, label="Thursday"))
        session.commit()


def _export(engine, salt: bytes | None = None) -> dict:
    with Session(engine) as session:
        community = find_community(session, "wound-care")
        return json.loads(to_json(build_export(session, community, WEEK, END, NOW, salt=salt)))


async def test_json_round_trip_matches_the_digest(make_app, person, engine):
    _app, _clock, _people, _ids = await build_history(make_app, person, engine)
    _closed_poll(engine)
    data = _export(engine, salt=b"one")
    with Session(engine) as session:
        digest = build_digest(session, 1, WEEK, END, NOW, "x", LONDON)
    assert data["summary"] == json.loads(json.dumps(digest.figures()))
    assert data["summary"]["active_members"] == 3 and data["summary"]["contributions"] == 10
    assert data["summary"]["pledges"] == {"made": 2, "due": 2, "done": 1, "renewed": 1, "let_go": 1}
    assert data["weeks"] == [
        {
            "week_start": "2026-12-21",
            "active_members": 3,
            "contributions": 10,
            "anonymous_contributions": 2,
        }
    ]
    # Per member, pseudonymous: Ana 5, Cora 2, Hal 1; no names anywhere in the figures.
    assert sorted(m["total"] for m in data["members"]) == [1, 2, 5]
    assert all(re.fullmatch(r"member-[0-9a-f]{8}", m["member"]) for m in data["members"])
    text = to_json(data)
    for name in ("Ana", "Cora", "Hal", "Gus", "Ben"):
        assert f'"{name}' not in text and f" {name}" not in text
    # Stories: consented only; the anonymous one carries no member (and only its day).
    assert sorted((s["cycle"], s["member"] is None) for s in data["stories"]) == [
        ("applied", False),
        ("realised", True),
    ]
    # Pledges: the shared one only; private text never.
    assert [p["text"] for p in data["pledges"]] == ["Share wound photos safely"]
    # The channel saw the shared pledge with its author's name: a pseudonym beside it would
    # name every figure of that pseudonym.
    pseudonyms = {m["member"] for m in data["members"]}
    assert all(not pseudonyms & set(map(str, p.values())) for p in data["pledges"])
    assert SECRET not in text and "Audit dressings" not in text
    assert data["polls"] == [
        {
            "question": "Best day to meet?",
            "method": "single",
            "closed_at": at(12, 22).isoformat(),
            "options": ["Tuesday", "Thursday"],
            "outcome": "winner",
            "winner": "Thursday",
            "ballots": 4,
            "members": 9,
        }
    ]
    # Pseudonyms are stable within one export and unlinkable across two.
    again, other = _export(engine, salt=b"one"), _export(engine)
    assert [m["member"] for m in again["members"]] == [m["member"] for m in data["members"]]
    assert not {m["member"] for m in other["members"]} & {m["member"] for m in data["members"]}

    # CSV: a zip of one parseable file per section.
    archive = zipfile.ZipFile(io.BytesIO(to_csv_zip(data)))
    assert sorted(archive.namelist()) == sorted(
        f"{s}.csv"
        for s in (
            "summary",
            "weeks",
            "members",
            "stories",
            "pledges",
            "polls",
            "pulses",
            "meetings",
        )
    )
    weeks = list(csv.DictReader(io.StringIO(archive.read("weeks.csv").decode())))
    assert weeks == [
        {
            "week_start": "2026-12-21",
            "active_members": "3",
            "contributions": "10",
            "anonymous_contributions": "2",
        }
    ]
    summary = dict(csv.reader(io.StringIO(archive.read("summary.csv").decode())))
    assert summary["pledges.let_go"] == "1" and summary["weekly_active_members"] == (
        "3 2 2 1 2 2 2 3"
    )
    members = list(csv.DictReader(io.StringIO(archive.read("members.csv").decode())))
    assert sorted(int(m["total"]) for m in members) == [1, 2, 5]


async def test_cli_export(make_app, person, engine, tmp_path, capsys):
    _app, _clock, _people, _ids = await build_history(make_app, person, engine)
    url = engine.url.render_as_string(hide_password=False)
    config = tmp_path / "config.toml"
    config.write_text(
        f'database_url = "{url}"\n[[communities]]\nname = "wound-care"\nchannel = "wound-care"\n'
    )
    argv = [
        "--config",
        str(config),
        "export",
        "--community",
        "wound-care",
        "--from",
        "2026-12-21",
        "--to",
        "2026-12-27",
    ]
    assert cli.main([*argv, "--format", "json"]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert (
        data["summary"]["active_members"] == 3 and data["summary"]["anonymous_contributions"] == 2
    )
    assert "export: [##############################] 1/1 weeks" in err
    target = tmp_path / "out.zip"
    assert cli.main([*argv, "--format", "csv", "--output", str(target)]) == 0
    names = zipfile.ZipFile(target).namelist()
    assert "weeks.csv" in names
    assert cli.main([*argv[:4], "nowhere", *argv[5:]]) == 2
    assert "no community called 'nowhere'" in capsys.readouterr().err


async def test_cop_export_is_for_keepers(make_app, person, platform, engine):
    app, clock, people, _ids = await build_history(make_app, person, engine)
    clock.set(NOW)
    assert "for the community's keepers" in people["Ana"].says("export")
    assert "dates like" in people["Kit"].says("export 2026-12-21 soon")
    assert "on its way" in people["Kit"].says("export 2026-12-21 2026-12-27")
    await app.dispatcher.drain()
    [dm] = [d for d in platform.dms("kit") if d.key.startswith("export:")]
    attachment = dm.message.attachment
    assert attachment is not None
    assert attachment.filename == "copbot-wound-care-2026-12-21-to-2026-12-27.json"
    data = json.loads(attachment.content)
    assert data["summary"]["contributions"] == 10 and SECRET not in attachment.content
