"""Benchmark `identifiers`: precision and recall of the patient-identifiable text guard.

Runs `bot.domain.identifiers.find_identifiers` over the labelled corpus (the part the rules
were tuned on, tests/data/identifier_corpus.py, and the held-out part they never were,
tests/data/identifier_held_out.py) and counts, for each kind, texts where it was rightly found
(true positives), found but not there (false positives) and there but missed (false
negatives). Prints precision and recall per kind and overall for each part and both together,
the examples it got wrong, and the time one check takes beside a bare regular-expression
search over the same texts.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.harness import table, timed
from bot.domain.identifiers import KINDS, find_identifiers
from tests.data.identifier_corpus import TODAY, Example, examples
from tests.data.identifier_held_out import held_out

#: The corpus parts: name -> how to get it.
PARTS = {"tuned on": examples, "held out": held_out}


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
    micros_per_text: float = 0.0


def whole_corpus() -> list[Example]:
    """Both parts of the corpus."""
    return [example for part in PARTS.values() for example in part()]


def evaluate(corpus: Sequence[Example] | None = None) -> Result:
    """Score the guard on the corpus (both parts by default)."""
    corpus = list(whole_corpus() if corpus is None else corpus)
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
    result.micros_per_text = micros_per_text(
        lambda text: find_identifiers(text, today=TODAY), corpus
    )
    return result


#: The baseline: one bare regular expression for digits, an @ or a postcode-like shape.
_BARE = re.compile(r"\d{3}[ -]?\d{3}[ -]?\d{4}|\S+@\S+|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}")


def micros_per_text(check, corpus: Sequence[Example], rounds: int = 20) -> float:
    """Mean microseconds `check` takes on one text of the corpus (best of three runs)."""
    texts = [example.text for example in corpus]
    best = min(
        timed(lambda: [check(text) for _ in range(rounds) for text in texts])[1] for _ in range(3)
    )
    return best / 1e3 / (rounds * len(texts))


def main(argv: Sequence[str]) -> int:
    """Precision and recall of the patient-identifiable text guard on its labelled corpus."""
    parser = argparse.ArgumentParser(prog="python -m bench identifiers", description=__doc__)
    parser.parse_args(list(argv))
    parts = [(name, evaluate(get())) for name, get in PARTS.items()]
    whole = evaluate()
    for name, result in [*parts, ("both parts", whole)]:
        print(
            f"identifier guard, {name}: {result.positives} texts with identifiers, "
            f"{result.negatives} without"
        )
        scores = [*result.per_kind.items(), ("overall", result.overall)]
        rows = [
            [kind, str(s.tp), str(s.fp), str(s.fn), f"{s.precision:.3f}", f"{s.recall:.3f}"]
            for kind, s in scores
        ]
        print(table(["kind", "found", "false alarms", "missed", "precision", "recall"], rows))
        print()
    if whole.wrong:
        print("judged wrongly:")
        for example, found in whole.wrong:
            expected = ", ".join(sorted(example.kinds)) or "nothing"
            got = ", ".join(sorted(found)) or "nothing"
            print(f"  expected {expected}; found {got}: {example.text!r}")
    corpus = whole_corpus()
    baseline = micros_per_text(_BARE.search, corpus)
    mean_length = sum(len(e.text) for e in corpus) / len(corpus)
    print(
        f"time per text ({mean_length:.0f} characters on average): "
        f"{whole.micros_per_text:.1f} µs for the guard, {baseline:.1f} µs for one bare "
        f"regular-expression search ({whole.micros_per_text / baseline:.0f}x)"
    )
    return 0
