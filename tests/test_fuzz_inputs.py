"""Every verb, button and form, fed hostile values, on both databases: never a crash.

Hypothesis picks a verb (or a button action, or a form), who sends it (a convener or a
member) and words made of what breaks naive code: digits that are not 0-9, numbers past
any database's range, NUL bytes, lone surrogates, overlong rules, far-future and far-past
dates, mass mentions. Whatever it sends, copbot answers with words (never "something went
wrong"), and the schedules still run afterwards.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.bus import SORRY
from bot.commands import Inbound
from tests.conftest import START, community, make_settings

HOSTILE = [
    "²",
    "٣",
    "1²",
    "9" * 40,
    str(2**63),
    str(2**31),
    "-1",
    "0",
    "\x00",
    "a\x00b",
    "\ud800",
    "x" * 300,
    "every " + "monday " * 60,
    "9999-12-31",
    "0001-01-01",
    "9999-12-31 22:00",
    "32/13/2026",
    "0/12/2026",
    "tomorrow 25:00",
    "in 99999 days",
    "@everyone",
    "<!channel>",
    "<@U123>",
    "🎉",
    '"',
    '"unclosed',
    "--dots",
    "--ranked",
    "anonymously",
    "#1",
    "NHS 943 476 5919",
    "",
]
WORDS = st.lists(st.sampled_from(HOSTILE) | st.text(max_size=12), max_size=5).map(" ".join)
FIELDS = (
    "text", "share", "when", "what", "help", "story", "win", "question", "options", "deadline",
    "choices", "method", "consent", "cycle", "difference", "outcome", "privacy", "timezone",
    "quiet", "reminders", "anonymous", "dots", "live", "sets_topic", "confirmed", "comment",
)  # fmt: skip
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


_APPS: dict[int, object] = {}


def _app(make_app):
    """One app per test (fixtures are made once for all of a test's examples): the
    community's state grows from example to example, as a real one's would."""
    key = id(make_app)
    if key not in _APPS:
        _APPS.clear()
        _APPS[key] = make_app(make_settings(community(welcome={"enabled": True})), migrate=False)
    return _APPS[key]


def _answered(response) -> str:
    text = response.message.as_text() if response.message is not None else ""
    assert SORRY not in text, f"crashed: {text}"
    return text


def _schedules_still_run(app) -> None:
    report = app.run_due()
    assert report.failed == [], report.failed


@FUZZ
@given(data=st.data())
def test_every_verb_with_hostile_words_is_answered(make_app, person, clock, data):
    app = _app(make_app)
    verbs = sorted(app.bus.router.verbs)
    cora, ana = person(app, "Cora"), person(app, "Ana")
    for _ in range(3):
        who = data.draw(st.sampled_from([cora, ana]), label="who")
        verb = data.draw(st.sampled_from(verbs), label="verb")
        words = data.draw(WORDS, label="words")
        _answered(who.cop(f"{verb} {words}"))
    clock.set(START)
    _schedules_still_run(app)


@FUZZ
@given(data=st.data())
def test_every_button_with_a_hostile_value_is_answered(make_app, person, data):
    app = _app(make_app)
    actions = sorted(app.bus.router.buttons)
    cora, ana = person(app, "Cora"), person(app, "Ana")
    cora.cop("checkin open")
    for _ in range(3):
        who = data.draw(st.sampled_from([cora, ana]), label="who")
        action = data.draw(st.sampled_from(actions), label="action")
        value = data.draw(WORDS | st.sampled_from(HOSTILE), label="value")
        _answered(who.press(action, value))
    _schedules_still_run(app)


@FUZZ
@given(data=st.data())
def test_every_form_with_hostile_fields_is_answered(make_app, person, data):
    app = _app(make_app)
    forms = sorted(app.bus.router.forms)
    cora, ana = person(app, "Cora"), person(app, "Ana")
    cora.cop("checkin open")
    for _ in range(3):
        who = data.draw(st.sampled_from([cora, ana]), label="who")
        form_id = data.draw(st.sampled_from(forms), label="form")
        metadata = data.draw(st.sampled_from(HOSTILE) | st.text(max_size=20), label="metadata")
        names = data.draw(st.lists(st.sampled_from(FIELDS), max_size=5, unique=True))
        values = {name: data.draw(WORDS, label=name) for name in names}
        response = app.handle(
            Inbound(
                who.actor,
                "form",
                form_id=form_id,
                metadata=metadata,
                values=tuple(values.items()),
            )
        )
        _answered(response)
    _schedules_still_run(app)
