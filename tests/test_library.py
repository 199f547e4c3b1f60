"""The library: members share links and tips with tags, find them by word or #tag, take
back their own; conveners tidy tags; new resources reach the newsletter, the close recap and
the export; copbot never opens a link."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from bot.storage.tables import Activity
from bot.storage.tables_library import Resource
from tests.conftest import community, make_settings


def _resources(app):
    with Session(app.engine) as session:
        return session.exec(select(Resource)).all()


async def test_share_find_by_word_and_tag_and_withdraw(make_app, platform, person):
    app = make_app()
    ana, ben = person(app, "Ana"), person(app, "Ben")
    added = ana.says("share Photo guide for wounds https://example.org/photos #Dressings #photos")
    assert "Added to the library as #1" in added
    ben.cop("share Ask the tissue viability team before changing dressings #dressings")
    ben.cop("share https://example.org/leaflet #leaflets")
    await app.dispatcher.drain()
    [first, *_] = platform.titled("New in our library, from Ana")
    assert "Photo guide for wounds — https://example.org/photos #dressings #photos" in first.text

    tagged = ana.says("library #dressings")
    assert "#1 Photo guide" in tagged and "#2 Ask the tissue" in tagged
    assert "leaflet" not in tagged.split("Tags")[0]
    word = ana.says("library PHOTO")
    assert "#1 Photo guide" in word and "#2" not in word
    both_words = ana.says("library tissue team")
    assert "#2 Ask the tissue" in both_words and "#1" not in both_words
    assert "https://example.org/leaflet #leaflets (Ben)" in ana.says("library")
    assert "Nothing in the library for 'scones'" in ana.says("library scones")

    assert "Only the person who shared" in ana.says("share withdraw 2")
    assert "taken out" in ben.says("share withdraw 2")
    assert "#2" not in ana.says("library #dressings")
    assert "can't find resource #2" in ben.says("share withdraw 2")
    # Sharing is taking part, with a name: it counts in the digest.
    with Session(app.engine) as session:
        kinds = [a.kind for a in session.exec(select(Activity)).all()]
    assert kinds.count("shared-resource") == 3


async def test_bad_shares_change_nothing(make_app, person):
    app = make_app()
    ana = person(app, "Ana")
    assert "Usage" in ana.says("share")
    assert "Usage" in ana.says("share #only-tags")
    assert "One link per resource" in ana.says("share https://a.example https://b.example")
    assert "doesn't look right" in ana.says("share https:// broken")
    assert "isn't a tag" in ana.says("share Useful #no_underscores!")
    assert "At most 5 tags" in ana.says("share x #a #b #c #d #e #f")
    assert "notify everyone" in ana.says("share @here look at this")
    assert "Usage" in ana.says("share withdraw ²")
    assert _resources(app) == []


async def test_conveners_rename_and_remove_tags(make_app, person):
    app = make_app()
    cora, ana = person(app, "Cora"), person(app, "Ana")
    ana.cop("share Leaflet one #leaflet")
    ana.cop("share Leaflet two #leaflet #print")
    assert "Only conveners" in ana.says("library retag #leaflet #leaflets")
    assert "#leaflet renamed #leaflets on 2 resources" in cora.says(
        "library retag #leaflet #leaflets"
    )
    assert "Leaflet two" in ana.says("library #leaflets")
    assert "#print removed on 1 resource" in cora.says("library retag #print")
    assert "No resource has the tag #print" in cora.says("library retag #print")
    assert [r.tags for r in _resources(app)] == [["leaflets"], ["leaflets"]]


async def test_new_resources_reach_the_newsletter_the_close_and_the_export(
    make_app, clock, platform, person
):
    settings = make_settings(
        community(meetings={"dates": ["2026-11-26 14:00", "2026-12-24 14:00"]})
    )
    app = make_app(settings)
    cora, kit, ana = person(app, "Cora"), person(app, "Kit"), person(app, "Ana")
    ana.cop("share Photo guide https://example.org/photos #photos")
    letter = cora.says("newsletter preview")
    assert "New in our library" in letter
    assert "Photo guide — https://example.org/photos #photos" in letter
    assert "Ana" not in letter.split("New in our library")[1].split("\n")[1]

    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    kit.cop("export 2026-11-01 2026-12-31")
    await app.dispatcher.drain()
    [dm] = [d for d in platform.dms("kit") if d.key.startswith("export:")]
    export = dm.message.attachment.content
    assert '"link": "https://example.org/photos"' in export
    assert "Ana" not in export

    clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    ana.cop("share withdraw 1")
    assert "New in our library" not in cora.says("newsletter preview")


async def test_the_close_recap_lists_the_library(make_app, clock, platform, person):
    from tests.test_closing import close

    app = make_app()
    cora, ana = person(app, "Cora"), person(app, "Ana")
    ana.cop("share Photo guide https://example.org/photos #photos")
    clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    assert "is closed" in close(cora)
    await app.dispatcher.drain()
    [recap] = platform.titled("What we made together")
    assert "New in our library" in recap.text and "https://example.org/photos" in recap.text
