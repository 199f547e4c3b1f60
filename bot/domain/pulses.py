"""Pulse results in plain words: small groups suppressed, shares as "8 of 11 (73%)" and
the trend against the previous pulse. Pure functions (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: Fewer answers than this are never shown as figures: "too few to report".
MIN_ANSWERS = 5
TOO_FEW = "too few to report"

#: The 1 to 5 scale of a goals pulse.
SCALE: tuple[tuple[int, str], ...] = (
    (1, "1 — not started"),
    (2, "2 — a little way"),
    (3, "3 — about halfway"),
    (4, "4 — most of the way"),
    (5, "5 — we are there"),
)
IMPACT_ASKED: dict[str, str] = {
    "knowledge": "Has taking part improved your knowledge?",
    "skills": "Has taking part improved your skills?",
    "confidence": "Has taking part improved your confidence?",
    "motivation": "Has taking part improved your motivation?",
    "practice": "Has it helped you change something in your practice?",
}
IMPACT_SHOWN: dict[str, str] = {
    "knowledge": "More knowledge",
    "skills": "More skills",
    "confidence": "More confidence",
    "motivation": "More motivation",
    "practice": "Changed something in their practice",
}

#: For a sentence: "8 of 11 (73%) gained knowledge".
IMPACT_SAID: dict[str, str] = {
    "knowledge": "gained knowledge",
    "skills": "gained skills",
    "confidence": "grew in confidence",
    "motivation": "felt more motivated",
    "practice": "changed something in their practice",
}


def percent(part: int, whole: int) -> int:
    """`part` of `whole` as a whole percentage, halves rounded up (8 of 11 -> 73)."""
    return (200 * part + whole) // (2 * whole)


@dataclass(frozen=True)
class Share:
    """How many answered yes (`part`) of how many answered (`whole`)."""

    part: int
    whole: int

    @property
    def reportable(self) -> bool:
        return self.whole >= MIN_ANSWERS

    @property
    def pct(self) -> int | None:
        return percent(self.part, self.whole) if self.reportable else None

    def words(self) -> str:
        """'8 of 11 (73%)', or 'too few to report'."""
        if not self.reportable:
            return TOO_FEW
        return f"{self.part} of {self.whole} ({self.pct}%)"


def trend(now: Share, before: Share | None) -> str:
    """' — up from 64% last time', '', … (nothing when either is too small to report)."""
    if before is None or now.pct is None or before.pct is None:
        return ""
    if now.pct == before.pct:
        return f" — the same as last time ({before.pct}%)"
    way = "up" if now.pct > before.pct else "down"
    return f" — {way} from {before.pct}% last time"


def impact_lines(
    now: Mapping[str, Share], before: Mapping[str, Share] | None = None
) -> tuple[str, ...]:
    """One line per impact question: 'More knowledge: 8 of 11 (73%) — up from 64% …'."""
    return tuple(
        f"{IMPACT_SHOWN[q]}: {share.words()}{trend(share, (before or {}).get(q))}"
        for q, share in now.items()
    )


@dataclass(frozen=True)
class Scale:
    """The answers (1 to 5) to 'how far did we get towards <goal>?'."""

    values: tuple[int, ...]

    @property
    def reportable(self) -> bool:
        return len(self.values) >= MIN_ANSWERS

    @property
    def mean(self) -> float | None:
        return sum(self.values) / len(self.values) if self.reportable else None

    def words(self) -> str:
        """'3.6 of 5 (7 answers)', or 'too few to report'."""
        if self.mean is None:
            return TOO_FEW
        return f"{self.mean:.1f} of 5 ({len(self.values)} answers)"


def goal_lines(goals: Sequence[tuple[str, Scale]]) -> tuple[str, ...]:
    """One line per goal: 'Fewer missed visits: 3.6 of 5 (7 answers)'."""
    return tuple(f"{text}: {scale.words()}" for text, scale in goals)
