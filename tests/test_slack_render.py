"""Block Kit rendering and payload translation: within Slack's limits, nothing pings."""

from __future__ import annotations

import pytest

from adapters.slack import translate as t
from adapters.slack.render import (
    escape,
    form_values,
    parse_action_id,
    render_form,
    render_message,
    unpack_metadata,
    view_blocks,
)
from bot.messages import Button, Choice, Form, FormField, OutMessage, Section
from tests.slack_fake import Invalid, blocks_text, validate_blocks, validate_view


def test_user_text_is_escaped_or_plain_so_it_never_pings():
    sneaky = "<!channel> & <@U999> <https://evil.example|click>"
    message = OutMessage(
        title=sneaky,
        sections=(Section(heading=sneaky, text=sneaky, items=(sneaky,)),),
        footer=sneaky,
    )
    [page] = render_message(message)
    validate_blocks(page.blocks, 50)
    assert "<" not in page.text and "&lt;!channel&gt; &amp;" in page.text
    for block in page.blocks:
        for node in (block.get("text"), *block.get("elements", [])):
            if isinstance(node, dict) and node.get("type") == "mrkdwn":
                assert "<" not in node["text"] and ">" not in node["text"]
    assert blocks_text(page.blocks).count(sneaky) == 5  # what people read is what was typed


def test_a_huge_message_is_split_into_pages_slack_accepts():
    items = tuple(f"reply {i}: " + "x" * 1500 for i in range(40))
    message = OutMessage(
        title="Our check-in has closed",
        sections=(Section(heading="Successes", items=items), Section(text="y" * 7000)),
        buttons=(Button(label="Thanks", action="x.y"),),
        footer="small print",
    )
    pages = render_message(message)
    assert len(pages) > 1
    for page in pages:
        validate_blocks(page.blocks, 50)
        assert len(page.text) <= 3000
    read = "\n".join(blocks_text(p.blocks) for p in pages)
    assert "reply 39: " in read and "y" * 2999 in read.replace("\n", "")
    assert "part 2 of" in blocks_text(pages[1].blocks)
    # the buttons and footer close the last page only
    assert [b["type"] for b in pages[-1].blocks][-2:] == ["context", "actions"]
    assert all(b["type"] != "actions" for p in pages[:-1] for b in p.blocks)


def test_an_endless_message_is_cut_with_a_notice():
    items = tuple("z" * 2000 for _ in range(1000))
    pages = render_message(OutMessage(sections=(Section(items=items),)))
    assert len(pages) == 10
    assert "too long for Slack" in blocks_text(pages[-1].blocks)
    for page in pages:
        validate_blocks(page.blocks, 50)


def test_buttons_fit_slacks_limits():
    buttons = (
        Button(label="A" * 200, action="checkin.reply", value="1:success", style="primary"),
        Button(label="Same action", action="checkin.reply", value="1:challenge"),
        Button(label="Too big", action="x", value="v" * 2001),
        *(Button(label=f"b{i}", action="many", value=str(i)) for i in range(30)),
    )
    [page] = render_message(OutMessage(title="Buttons", buttons=buttons))
    validate_blocks(page.blocks, 50)
    elements = [e for b in page.blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(elements) == 32  # the oversized one is left out…
    assert "could not be shown" in blocks_text(page.blocks)  # …and said so
    assert elements[0]["text"]["text"].endswith("…") and len(elements[0]["text"]["text"]) == 75
    assert elements[0]["style"] == "primary" and "style" not in elements[1]
    assert [parse_action_id(e["action_id"]) for e in elements[:2]] == ["checkin.reply"] * 2
    assert parse_action_id("someone-elses") is None


def test_the_validator_rejects_what_slack_rejects():
    with pytest.raises(Invalid):
        validate_blocks([{"type": "divider"}] * 51, 50)
    with pytest.raises(Invalid):
        validate_blocks([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], 50)
    with pytest.raises(Invalid):
        validate_view(
            {"type": "modal", "title": {"type": "plain_text", "text": "x" * 25}, "blocks": []}
        )


def test_a_form_becomes_a_modal_and_its_answers_come_back():
    form = Form(
        form_id="checkin.reply",
        title="Share a success with everyone today",
        metadata="17:success",
        submit_label="Send",
        fields=(
            FormField(
                name="text",
                label="Your success",
                kind="long_text",
                max_length=2000,
                initial="Before",
            ),
            FormField(name="title", label="A title", required=False),
            FormField(
                name="share",
                label="Share it",
                kind="choice",
                initial="anonymous",
                choices=(
                    Choice(value="named", label="with my name"),
                    Choice(value="anonymous", label="anonymously"),
                ),
            ),
            FormField(
                name="pick",
                label="Pick",
                kind="choice",
                choices=tuple(Choice(value=str(i), label=f"option {i}") for i in range(8)),
            ),
        ),
    )
    view = render_form(form, "C0COP")
    validate_view(view)
    assert view["title"]["text"] == "Share a success with ev…"
    text, title, share, pick = view["blocks"]
    assert text["element"]["multiline"] and text["element"]["initial_value"] == "Before"
    assert title["optional"] is True and title["element"]["multiline"] is False
    assert share["element"]["type"] == "radio_buttons"
    assert share["element"]["initial_option"]["value"] == "anonymous"
    assert pick["element"]["type"] == "static_select"
    assert unpack_metadata(view["private_metadata"]) == ("17:success", "C0COP")
    state = {
        "text": {"value": {"type": "plain_text_input", "value": "After"}},
        "title": {"value": {"type": "plain_text_input", "value": None}},
        "share": {"value": {"type": "radio_buttons", "selected_option": {"value": "named"}}},
    }
    assert form_values(state) == (("text", "After"), ("title", ""), ("share", "named"))


def test_the_home_view_combines_messages_within_a_views_limits():
    many = OutMessage(
        title="t",
        sections=(Section(items=tuple("i" * 10 for _ in range(10))),),
        buttons=(Button(label="Go", action="a.b"),),
    )
    blocks = view_blocks([many] * 60)
    validate_view({"type": "home", "blocks": blocks})
    assert "more than fits" in blocks_text(blocks)


def test_slack_text_becomes_the_cores_plain_text():
    assert t.neutral_text("<@U123|ana> &amp; <@W9>") == "<@U123> & <@W9>"
    assert t.neutral_text("see <#C1|general> and <https://nhs.uk|NHS>") == (
        "see #general and https://nhs.uk"
    )
    assert t.neutral_text("a &lt;b&gt; <!here>") == "a <b> <!here>"  # the core refuses <!here>
    assert escape("a <b> & c") == "a &lt;b&gt; &amp; c"


def test_payloads_become_inbound_interactions():
    command = t.command_inbound(
        {
            "user_id": "UANA",
            "channel_id": "DUANA",
            "text": " me ",
            "team_id": "T1",
            "trigger_id": "tr1",
        },
        "Ana",
    )
    assert command.text == "/cop me" and command.actor.channel_id is None
    assert command.event_id == "T1:tr1" and command.actor.display_name == "Ana"
    reaction = t.reaction_inbound(
        {
            "team_id": "T1",
            "event_id": "Ev1",
            "event": {
                "type": "reaction_added",
                "user": "UBEN",
                "reaction": "tada",
                "item_user": "UANA",
                "item": {"type": "message", "channel": "C0COP", "ts": "17.5"},
            },
        },
        "Ben",
    )
    assert reaction is not None
    assert (reaction.kind, reaction.action, reaction.value) == (
        "button",
        "win.from_reaction",
        "UANA:C0COP:17.5",
    )
    assert reaction.actor.channel_id == "C0COP" and reaction.event_id == "T1:Ev1"
    other = {"event": {"reaction": "thumbsup", "item": {"type": "message"}}}
    assert t.reaction_inbound(other, "Ben") is None
