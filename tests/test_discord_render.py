"""Discord rendering, commands and the invite link, without a network: what the adapter
would send must be within Discord's limits and show members' words exactly as typed."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import discord

from adapters.discord import invite, render
from adapters.discord.client import normalise
from adapters.discord.commands import build_group, complete, suggestions
from bot.cli import main
from bot.features import FEATURES
from bot.messages import Button, Choice, Form, FormField, OutMessage, Section
from bot.router import Router
from tests.discord_fake import command_problems, message_problems, modal_problems


def _payloads(messages: list[OutMessage]) -> list[dict]:
    """What discord.py would send for each rendered Discord message."""
    payloads = []
    for part in render.render(messages):
        view = part.view()
        payloads.append(
            {
                "embeds": [e.to_dict() for e in part.embeds],
                "components": view.to_components() if view else [],
            }
        )
    return payloads


def _text(payloads: list[dict]) -> str:
    return "\n".join(
        f"{e.get('title', '')}\n{e.get('description', '')}" for p in payloads for e in p["embeds"]
    )


def test_a_huge_digest_is_split_into_valid_messages_and_loses_nothing():
    items = tuple(f"Story {n}: " + "shared care plans cut missed visits " * 8 for n in range(120))
    digest = OutMessage(
        title="This week in wound-care",
        sections=(Section(heading="Stories", items=items), Section(text="x" * 5000)),
        buttons=(Button(label="Cheer", action="win.cheer", value="7"),),
        footer="Only keepers see this digest.",
    )
    payloads = _payloads([digest])
    assert len(payloads) > 1
    assert all(message_problems(p) == [] for p in payloads)
    assert all(len(p["embeds"]) <= 10 for p in payloads)
    text = _text(payloads)
    assert all(f"Story {n}:" in text for n in range(120))
    assert text.count("x") >= 5000
    assert "This week in wound-care (continued)" in text
    # The buttons and the footer come once, with the end of the message.
    assert [p["components"] != [] for p in payloads] == [False] * (len(payloads) - 1) + [True]
    assert payloads[-1]["embeds"][-1]["footer"]["text"] == "Only keepers see this digest."


def test_member_text_is_shown_as_typed_never_as_markup_or_a_mention():
    message = OutMessage(
        title="*bold* claim",
        sections=(
            Section(text="**Ana** says <@123456789012345678> and @everyone and [link](http://x)"),
        ),
    )
    [payload] = _payloads([message])
    description = payload["embeds"][0]["description"]
    assert "\\*\\*Ana\\*\\*" in description
    assert "<@123456789012345678>" not in description and "@everyone" not in description
    assert payload["embeds"][0]["title"] == "\\*bold\\* claim"


def test_buttons_encode_action_and_value_and_an_oversized_one_is_disabled(caplog):
    buttons = tuple(
        Button(label=f"Option {n}", action="poll.vote", value=f"12:{n}") for n in range(3)
    )
    too_long = Button(label="Too long", action="poll.vote", value="9" * 120)
    with caplog.at_level(logging.ERROR):
        [payload] = _payloads([OutMessage(title="Vote", buttons=(*buttons, too_long))])
    assert message_problems(payload) == []
    ids = [c["custom_id"] for row in payload["components"] for c in row["components"]]
    assert ids[:3] == ["cop0:poll.vote:12:0", "cop1:poll.vote:12:1", "cop2:poll.vote:12:2"]
    found = render.BUTTON_ID.fullmatch(ids[1])
    assert found is not None and (found["action"], found["value"]) == ("poll.vote", "12:1")
    last = payload["components"][0]["components"][3]
    assert last["disabled"] is True and last["label"] == "Too long"
    assert "custom_id" in caplog.text


def test_more_than_25_buttons_never_make_a_rejected_message():
    buttons = tuple(Button(label=f"B{n}", action="a.b", value=str(n)) for n in range(30))
    payloads = _payloads([OutMessage(title="Many", buttons=buttons)])
    assert all(message_problems(p) == [] for p in payloads)


def test_the_reply_form_becomes_a_modal_with_a_select():
    form = Form(
        form_id="checkin.reply",
        title="Share a success with everyone in the community",
        metadata="17:success",
        fields=(
            FormField(name="text", label="Your success", kind="long_text", max_length=2000),
            FormField(
                name="share",
                label="Share it",
                kind="choice",
                choices=(
                    Choice(value="named", label="with my name"),
                    Choice(value="anonymous", label="anonymously (Chatham House rule)"),
                ),
                initial="anonymous",
            ),
        ),
    )
    dialog = render.modal(form)
    assert dialog is not None
    data = {"custom_id": dialog.custom_id, "title": dialog.title, "components": []}
    data["components"] = dialog.to_components()
    assert modal_problems(data) == []
    assert data["custom_id"] == "copf:checkin.reply:17:success"
    text, share = (c["component"] for c in data["components"])
    assert text["style"] == 2 and text["max_length"] == 2000
    assert share["type"] == 3
    assert [o["value"] for o in share["options"]] == ["named", "anonymous"]
    assert [o.get("default", False) for o in share["options"]] == [False, True]


def test_a_form_discord_cannot_show_is_refused_with_a_log(caplog):
    form = Form(
        form_id="x.y",
        title="T",
        metadata="m" * 120,
        fields=(FormField(name="a", label="A"),),
    )
    with caplog.at_level(logging.ERROR):
        assert render.modal(form) is None
    assert "cannot be shown on Discord" in caplog.text


def test_modal_submissions_are_read_from_labels_and_legacy_rows():
    components = [
        {"type": 18, "component": {"type": 4, "custom_id": "text", "value": "Fewer falls"}},
        {"type": 18, "component": {"type": 3, "custom_id": "share", "values": ["anonymous"]}},
        {"type": 1, "components": [{"type": 4, "custom_id": "old", "value": "row"}]},
    ]
    assert render.submitted_values(components) == [
        ("text", "Fewer falls"),
        ("share", "anonymous"),
        ("old", "row"),
    ]


def test_cop_is_one_valid_command_whose_autocomplete_knows_every_verb():
    router = Router(FEATURES)

    async def run(_interaction: discord.Interaction, _text: str) -> None:
        return None

    cop = build_group(router, run)
    payload = cop.to_dict(
        discord.app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    )
    assert command_problems([payload]) == []
    [option] = payload["options"]
    assert option["required"] is True and option["type"] == 3
    checkin = router.verbs["checkin"]
    assert [c.value for c in suggestions(checkin, "")] == ["open", "close"]
    assert [c.value for c in suggestions(checkin, "cl")] == ["cl", "close"]
    everything = [c.value for c in complete(router, "")]
    assert everything[0] == "help" and len(everything) == 25  # Discord shows at most 25
    for verb in {v.name for v in router.verbs.values()}:
        offered = complete(router, verb)
        assert verb in [c.value for c in offered]
        assert all(1 <= len(c.name) <= 100 and 1 <= len(c.value) <= 100 for c in offered)
    assert [c.value for c in complete(router, "help dig")] == ["help digest"]
    assert [c.value for c in complete(router, "dance a bit")] == ["dance a bit"]


def test_legacy_nickname_mentions_are_normalised():
    assert normalise("/cop role <@!123> convener <@45>") == "/cop role <@123> convener <@45>"


def test_invite_url_has_both_scopes_and_only_the_needed_permissions(capsys, monkeypatch):
    monkeypatch.delenv("DISCORD_APPLICATION_ID", raising=False)
    monkeypatch.delenv("DISCORD_GUILD_ID", raising=False)
    assert main(["discord", "invite-url", "--application-id", "1234567890"]) == 0
    url = urlparse(capsys.readouterr().out.strip())
    query = parse_qs(url.query)
    assert query["client_id"] == ["1234567890"]
    assert query["scope"] == ["bot applications.commands"]
    granted = discord.Permissions(int(query["permissions"][0]))
    assert granted.value == 277025508352 == invite.PERMISSIONS.value
    assert {name for name, on in granted if on} == {
        "read_messages",  # View Channels
        "send_messages",
        "send_messages_in_threads",
        "embed_links",
        "attach_files",
        "read_message_history",
        "use_application_commands",
    }
    assert main(["discord", "invite-url"]) == 2
    assert "DISCORD_APPLICATION_ID" in capsys.readouterr().err
    monkeypatch.setenv("DISCORD_APPLICATION_ID", "42")
    assert invite.main(SimpleNamespace(application_id=None, guild_id=None)) == 0
    assert "client_id=42" in capsys.readouterr().out


def test_thirty_verbs_all_work_as_cop_verb():
    from bot.features.base import Feature, Verb

    def parse(_rest, _settings):
        raise AssertionError("not parsed here")

    verbs = tuple(Verb(f"verb{n}", parse, usage=f"/cop verb{n} go", help="h") for n in range(30))

    async def run(_interaction: discord.Interaction, _text: str) -> None:
        return None

    router = Router([Feature(name="many", verbs=verbs)])
    cop = build_group(router, run)
    tree = discord.app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    assert command_problems([cop.to_dict(tree)]) == []
    assert [c.value for c in complete(router, "verb29")] == ["verb29"]
    assert [c.value for c in complete(router, "verb29 ")] == ["verb29 go"]
