"""Benchmark `identifiers`: precision and recall of the patient-identifiable text guard.

Runs `bot.domain.identifiers.find_identifiers` over the labelled corpus in
tests/data/identifier_corpus.py (at least 50 texts with identifiers, 50 without) and counts,
for each kind, texts where it was rightly found (true positives), found but not there
(false positives) and there but missed (false negatives). Prints precision and recall per
kind and overall, the examples it got wrong, and how many texts a second it checks.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.harness import table, timed
from bot.domain.identifiers import KINDS, find_identifiers
from tests.data.identifier_corpus import TODAY, Example, examples


@dataclass
class Score:
    """True positives, false positives and false negatives, counted per text."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Result:
    """Scores per kind and overall, and the examples judged wrongly."""

    per_kind: dict[str, Score] = field(default_factory=lambda: {k: Score() for k in KINDS})
    overall: Score = field(default_factory=Score)
    wrong: list[tuple[Example, frozenset[str]]] = field(default_factory=list)
    positives: int = 0
    negatives: int = 0
    texts_per_second: float = 0.0


def evaluate(corpus: Sequence[Example] | None = None) -> Result:
    """Score the guard on the corpus (the standard one by default)."""
    corpus = list(examples() if corpus is None else corpus)
    result = Result(
        positives=sum(e.positive for e in corpus), negatives=sum(not e.positive for e in corpus)
    )
    for example in corpus:
        found = frozenset(f.kind for f in find_identifiers(example.text, today=TODAY))
        for kind in KINDS:
            score = result.per_kind[kind]
            expected, got = kind in example.kinds, kind in found
            score.tp += expected and got
            score.fp += got and not expected
            score.fn += expected and not got
        if found != example.kinds:
            result.wrong.append((example, found))
    for score in result.per_kind.values():
        result.overall.tp += score.tp
        result.overall.fp += score.fp
        result.overall.fn += score.fn
    rounds = 20
    _, elapsed = timed(
        lambda: [find_identifiers(e.text, today=TODAY) for _ in range(rounds) for e in corpus]
    )
    result.texts_per_second = rounds * len(corpus) / (elapsed / 1e9)
    return result


def main(argv: Sequence[str]) -> int:
    """Precision and recall of the patient-identifiable text guard on its labelled corpus."""
    parser = argparse.ArgumentParser(prog="python -m bench identifiers", description=__doc__)
    parser.parse_args(list(argv))
    result = evaluate()
    print(
        f"identifier guard: {result.positives} texts with identifiers, "
        f"{result.negatives} without (tests/data/identifier_corpus.py)"
    )
    scores = [*result.per_kind.items(), ("overall", result.overall)]
    rows = [
        [kind, str(s.tp), str(s.fp), str(s.fn), f"{s.precision:.3f}", f"{s.recall:.3f}"]
        for kind, s in scores
    ]
    print(table(["kind", "found", "false alarms", "missed", "precision", "recall"], rows))
    if result.wrong:
        print("judged wrongly:")
        for example, found in result.wrong:
            expected = ", ".join(sorted(example.kinds)) or "nothing"
            got = ", ".join(sorted(found)) or "nothing"
            print(f"  expected {expected}; found {got}: {example.text!r}")
    print(f"speed: {result.texts_per_second:,.0f} texts a second")
    return 0
