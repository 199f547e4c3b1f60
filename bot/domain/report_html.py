"""The sponsors' report: one self-contained, printable HTML page (inline CSS and SVG, no
script, nothing fetched) built from the export's figures for the same window, so every
number equals the export's. Nobody is named except tellers who agreed to be quoted with their
name; pulse groups under 5 read "too few to report". Deterministic (no clock, no random)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from bot.domain.pulses import IMPACT_SAID, IMPACT_SHOWN, TOO_FEW
from bot.domain.report_charts import bar_chart, column_chart
from bot.domain.text import plural

CYCLES = ("immediate", "potential", "applied", "realised", "reframing")
_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;color:#283238;max-width:720px;margin:24px auto;
padding:0 16px;line-height:1.45}
h1{font-size:24px;margin-bottom:4px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid
#d9dee2;padding-bottom:4px}.lead{font-size:16px;background:#f3f6f8;padding:12px 16px;
border-radius:6px}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:4px 8px;
border-bottom:1px solid #e6eaed}td.n{text-align:right}blockquote{margin:8px 0;padding:8px 12px;
border-left:4px solid #3f7aba;background:#f7f9fa}.small{font-size:12px;color:#5a656c}
svg{max-width:100%;height:auto;margin:8px 0}
@media print{h2{break-after:avoid}svg{break-inside:avoid}}
"""


@dataclass(frozen=True)
class Quote:
    """A value story its teller agreed may be quoted; `teller` only if quoted by name."""

    what: str
    difference: str
    cycle: str
    teller: str | None


def _day(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%-d %b %Y")


def _by_kind(members: Sequence[Mapping[str, Any]], anonymous: int) -> list[tuple[str, int]]:
    kinds: Counter[str] = Counter()
    for member in members:
        kinds.update(member["contributions"])
    shown = sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(k.replace("-", " "), n) for k, n in shown] + (
        [("anonymous (any kind)", anonymous)] if anonymous else []
    )


def summary_words(data: Mapping[str, Any]) -> str:
    """The plain-words paragraph at the top."""
    s = data["summary"]
    pledges = s["pledges"]
    stories = sum(s["stories"].values())
    parts = [
        f"{plural(s['members'], 'member')}, of whom {s['active_members']} took part by name",
        f"{plural(s['contributions'], 'contribution')} "
        f"({s['anonymous_contributions']} of them anonymous)",
        plural(s["wins"], "win"),
        f"{plural(pledges['made'], 'pledge')} made and {pledges['done']} done",
        plural(stories, "value story", "value stories"),
        plural(len(data["resources"]), "resource") + " shared",
    ]
    text = "; ".join(parts) + "."
    impact = [p for p in data["pulses"] if p["kind"] == "impact" and p["percent"] is not None]
    if impact:
        last = max(p["closed_at"] for p in impact)
        best = [p for p in impact if p["closed_at"] == last]
        said = ", ".join(
            f"{p['yes']} of {p['answers']} ({p['percent']}%) {IMPACT_SAID[p['question']]}"
            for p in best
        )
        text += f" In the latest impact pulse, {said}."
    return text


def _pulses(pulses: Sequence[Mapping[str, Any]]) -> list[str]:
    out: list[str] = []
    for kind, heading in (("goals", "Goals: how far we got"), ("impact", "Impact on members")):
        rounds = sorted({p["closed_at"] for p in pulses if p["kind"] == kind})
        for index, closed in enumerate(rounds):
            rows = [p for p in pulses if p["kind"] == kind and p["closed_at"] == closed]
            title = f"{heading} (pulse closed {_day(closed)})"
            if kind == "goals":
                labels = [p["question"] for p in rows]
                values = [p["mean"] or 0 for p in rows]
                notes = [
                    TOO_FEW
                    if p["mean"] is None
                    else f"{p['mean']:.1f} of 5 ({p['answers']} answers)"
                    for p in rows
                ]
                chart = bar_chart(
                    title,
                    labels,
                    values,
                    x_axis="average answer (1: not started, 5: we are there)",
                    y_axis="goal",
                    top=5,
                    notes=notes,
                    muted=[p["mean"] is None for p in rows],
                )
            else:
                before = {}
                if index:
                    before = {
                        p["question"]: p["percent"]
                        for p in pulses
                        if p["kind"] == kind and p["closed_at"] == rounds[index - 1]
                    }
                labels = [IMPACT_SHOWN[p["question"]] for p in rows]
                values = [p["percent"] or 0 for p in rows]
                notes = [_impact_note(p, before.get(p["question"])) for p in rows]
                chart = bar_chart(
                    title,
                    labels,
                    values,
                    x_axis="share of members who answered (%)",
                    y_axis="said yes",
                    top=100,
                    suffix="%",
                    notes=notes,
                    muted=[p["percent"] is None for p in rows],
                )
            out.append(chart)
    return out


def _impact_note(row: Mapping[str, Any], before: int | None) -> str:
    if row["percent"] is None:
        return TOO_FEW
    note = f"{row['yes']} of {row['answers']} ({row['percent']}%)"
    if before is not None:
        note += f", was {before}%"
    return note


def report_html(data: Mapping[str, Any], quotes: Sequence[Quote], *, first: str, last: str) -> str:
    """The whole page for the export `data` of [first, last] (local dates, as shown)."""
    s = data["summary"]
    name = escape(data["community"])
    weeks = data["weeks"]
    week_chart = column_chart(
        "Members taking part by name, week by week",
        [datetime.fromisoformat(w["week_start"]).strftime("%-d %b") for w in weeks],
        [w["active_members"] for w in weeks],
        x_axis="week beginning",
        y_axis="members",
    )
    coming = ""
    if data["meetings"]:
        coming = column_chart(
            "Said they were coming, meeting by meeting",
            [datetime.fromisoformat(m["starts_at"]).strftime("%-d %b") for m in data["meetings"]],
            [m["going"] for m in data["meetings"]],
            x_axis="meeting",
            y_axis="members going",
        )
    kinds = _by_kind(data["members"], s["anonymous_contributions"])
    kind_chart = bar_chart(
        "Contributions by kind",
        [k for k, _ in kinds] or ["none yet"],
        [n for _, n in kinds] or [0],
        x_axis="contributions",
        y_axis="kind",
    )
    named = s["contributions"] - s["anonymous_contributions"]
    named_chart = bar_chart(
        "Named and anonymous contributions",
        ["with a name", "anonymous"],
        [named, s["anonymous_contributions"]],
        x_axis="contributions",
        y_axis="shared",
    )
    story_chart = bar_chart(
        "Value stories by cycle",
        list(CYCLES),
        [s["stories"].get(c, 0) for c in CYCLES],
        x_axis="stories told",
        y_axis="kind of value",
    )
    pledges = s["pledges"]
    figures = [
        ("Members", s["members"]),
        ("Took part by name", s["active_members"]),
        ("Contributions", s["contributions"]),
        ("of which anonymous", s["anonymous_contributions"]),
        ("Wins celebrated", s["wins"]),
        ("Pledges made", pledges["made"]),
        ("Pledges done", pledges["done"]),
        ("Value stories", sum(s["stories"].values())),
        ("Resources shared", len(data["resources"])),
    ]
    rows = "".join(f'<tr><td>{escape(k)}</td><td class="n">{v}</td></tr>' for k, v in figures)
    quoted = (
        "".join(
            f"<blockquote><p>{escape(q.what)}</p><p>{escape(q.difference)}</p>"
            f'<p class="small">{escape(q.cycle)} value — '
            f"{escape(q.teller) if q.teller else 'a member (quoted without their name)'}</p>"
            "</blockquote>"
            for q in quotes
        )
        or "<p>No stories may be quoted for this period.</p>"
    )
    pulses = "".join(_pulses(data["pulses"])) or "<p>No pulse closed in this period.</p>"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{name}: report {escape(first)} to {escape(last)}</title>"
        f"<style>{_CSS}</style></head><body>"
        f'<h1>{name}</h1><p class="small">A report for sponsors, {escape(first)} to '
        f"{escape(last)}.</p>"
        f'<p class="lead">{escape(summary_words(data))}</p>'
        f"<h2>Taking part</h2>{week_chart}{named_chart}{kind_chart}{coming}"
        f"<h2>Goals and impact</h2>{pulses}"
        f"<h2>Value created</h2>{story_chart}{quoted}"
        f"<h2>The figures</h2><table>{rows}</table>"
        '<p class="small">Shared under the Chatham House rule: no one is named here except '
        "people who agreed to be quoted with their name. Anonymous answers are counted, never "
        "attributed, and groups of fewer than 5 answers are not reported. Every figure equals "
        "the keepers' export for the same dates.</p>"
        "</body></html>"
    )
