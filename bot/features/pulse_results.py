"""What closed pulses found, for the keepers, the digest, the meeting reminder, the close,
the export and the report: the same figures everywhere, groups under 5 never shown."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import true
from sqlmodel import Session, col, select

from bot import anonymity
from bot.domain.pulses import IMPACT_SHOWN, MIN_ANSWERS, Scale, Share, goal_lines, impact_lines
from bot.messages import OutMessage, Section
from bot.storage.tables_value import IMPACT_QUESTIONS, Pulse, PulseAnswer

COMMENT = "comment"


def asked_goals(pulse: Pulse) -> list[tuple[int, str]]:
    """The goals a goals pulse asked about: (goal id, text), as they were then."""
    found = []
    for line in pulse.questions.splitlines():
        number, _, text = line.partition(":")
        if number.isdigit():
            found.append((int(number), text))
    return found


def seal_pulse(session: Session, pulse: Pulse, now: datetime) -> None:
    """Close `pulse`: its answers' keys become random, rewritten in a random order."""
    answers = PulseAnswer.__table__  # type: ignore[attr-defined]
    scope = answers.c.pulse_id == pulse.id
    anonymity.seal(session, answers, scope, key_column="author_key", anonymous=true())
    pulse.closed_at = now
    session.add(pulse)
    session.flush()


def open_pulses(session: Session, community_id: int) -> list[Pulse]:
    return list(
        session.exec(
            select(Pulse).where(Pulse.community_id == community_id, col(Pulse.closed_at).is_(None))
        ).all()
    )


def open_pulse_of(session: Session, community_id: int, kind: str) -> Pulse | None:
    return session.exec(
        select(Pulse).where(
            Pulse.community_id == community_id, Pulse.kind == kind, col(Pulse.closed_at).is_(None)
        )
    ).first()


@dataclass(frozen=True)
class PulseResult:
    """One closed pulse's figures (and, for keepers, its comments)."""

    pulse: Pulse
    answers: int
    goals: tuple[tuple[str, Scale], ...] = ()
    impact: tuple[tuple[str, Share], ...] = ()
    previous: tuple[tuple[str, Share], ...] | None = None
    comments: tuple[str, ...] = ()

    @property
    def reportable(self) -> bool:
        return self.answers >= MIN_ANSWERS

    def lines(self) -> tuple[str, ...]:
        if self.pulse.kind == "goals":
            return goal_lines(self.goals)
        previous = dict(self.previous) if self.previous is not None else None
        return impact_lines(dict(self.impact), previous)

    def figures(self) -> list[dict[str, Any]]:
        """JSON-ready, one row per question: the same numbers the words show (None where
        there were too few answers to report)."""
        assert self.pulse.closed_at is not None
        base = {"kind": self.pulse.kind, "closed_at": self.pulse.closed_at.isoformat()}
        rows: list[dict[str, Any]] = []
        for text, scale in self.goals:
            mean = None if scale.mean is None else round(scale.mean, 1)
            shown = len(scale.values) if scale.reportable else None
            rows.append({**base, "question": text, "answers": shown, "mean": mean} | _NO_SHARE)
        for question, share in self.impact:
            shown = share.whole if share.reportable else None
            rows.append(
                {**base, "question": question, "answers": shown, "mean": None}
                | {"yes": share.part if share.reportable else None, "percent": share.pct}
            )
        return rows


_NO_SHARE: dict[str, Any] = {"yes": None, "percent": None}
PULSE_COLUMNS = ("kind", "closed_at", "question", "answers", "mean", "yes", "percent")


def _answers(session: Session, pulse_id: int) -> list[PulseAnswer]:
    return list(session.exec(select(PulseAnswer).where(PulseAnswer.pulse_id == pulse_id)).all())


def _previous(session: Session, pulse: Pulse) -> Pulse | None:
    assert pulse.closed_at is not None
    return session.exec(
        select(Pulse)
        .where(
            Pulse.community_id == pulse.community_id,
            Pulse.kind == pulse.kind,
            col(Pulse.closed_at).is_not(None),
            col(Pulse.closed_at) < pulse.closed_at,
        )
        .order_by(col(Pulse.closed_at).desc())
    ).first()


def _impact(rows: list[PulseAnswer]) -> tuple[tuple[str, Share], ...]:
    yes: dict[str, int] = defaultdict(int)
    of: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.question in IMPACT_SHOWN:
            yes[row.question] += row.value
            of[row.question] += 1
    return tuple((q, Share(yes[q], of[q])) for q in IMPACT_QUESTIONS)


def result_of(session: Session, pulse: Pulse, *, trend: bool = True) -> PulseResult:
    """The figures of a closed pulse."""
    assert pulse.id is not None
    rows = _answers(session, pulse.id)
    per_question: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if row.question != COMMENT:
            per_question[row.question].append(row.value)
    answers = max((len(v) for v in per_question.values()), default=0)
    comments = tuple(sorted(r.comment for r in rows if r.question == COMMENT and r.comment))
    comments = comments if answers >= MIN_ANSWERS else ()
    if pulse.kind == "goals":
        goals = tuple(
            (text, Scale(tuple(sorted(per_question.get(str(goal_id), [])))))
            for goal_id, text in asked_goals(pulse)
        )
        return PulseResult(pulse, answers, goals=goals, comments=comments)
    before = _previous(session, pulse) if trend else None
    previous = None
    if before is not None and before.id is not None:
        previous = _impact(_answers(session, before.id))
    return PulseResult(pulse, answers, impact=_impact(rows), previous=previous, comments=comments)


TITLES = {"goals": "Goals pulse", "impact": "Impact pulse"}


def result_message(session: Session, pulse: Pulse, *, keeper: bool) -> OutMessage:
    """The results in words: comments (anonymous) for keepers only."""
    result = result_of(session, pulse)
    assert pulse.closed_at is not None
    sections = [Section(items=result.lines())]
    if not result.reportable:
        sections.append(
            Section(text=f"Fewer than {MIN_ANSWERS} people answered: too few to report.")
        )
    if keeper and result.comments:
        sections.append(Section(heading="What members added (anonymous)", items=result.comments))
    day = pulse.closed_at.strftime("%-d %b %Y")
    return OutMessage(title=f"{TITLES[pulse.kind]}, closed {day}", sections=tuple(sections))


def latest_closed(session: Session, community_id: int, kind: str) -> Pulse | None:
    return session.exec(
        select(Pulse)
        .where(
            Pulse.community_id == community_id,
            Pulse.kind == kind,
            col(Pulse.closed_at).is_not(None),
        )
        .order_by(col(Pulse.closed_at).desc(), col(Pulse.id).desc())
    ).first()


def latest_sections(
    session: Session, community_id: int, *, keeper: bool, kinds: tuple[str, ...] = ("goals",)
) -> tuple[Section, ...]:
    """The latest closed pulse of each kind, as sections (headed by its title)."""
    sections: list[Section] = []
    for kind in kinds:
        pulse = latest_closed(session, community_id, kind)
        if pulse is not None:
            shown = result_message(session, pulse, keeper=keeper)
            first, *rest = shown.sections
            sections += [first.model_copy(update={"heading": shown.title}), *rest]
    return tuple(sections)


def pulses_between(
    session: Session, community_id: int, start: datetime, end: datetime
) -> list[PulseResult]:
    """Pulses closed in [start, end), oldest first."""
    rows = session.exec(
        select(Pulse)
        .where(
            Pulse.community_id == community_id,
            col(Pulse.closed_at).is_not(None),
            col(Pulse.closed_at) >= start,
            col(Pulse.closed_at) < end,
        )
        .order_by(col(Pulse.closed_at), col(Pulse.id))
    ).all()
    return [result_of(session, p) for p in rows]
