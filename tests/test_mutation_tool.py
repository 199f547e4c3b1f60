"""`make mutation`: which modules it mutates and which tests it runs against each."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import mutation


def _tests(folder: Path, files: dict[str, str]) -> Path:
    tests = folder / "tests"
    tests.mkdir()
    for name, text in files.items():
        (tests / name).write_text(text, "utf-8")
    return tests


def test_a_module_is_tested_by_the_files_named_after_it_or_its_feature_or_naming_it(tmp_path):
    tests = _tests(
        tmp_path,
        {
            "test_polls.py": "",
            "test_poll_limits.py": "",
            "test_pollster.py": "",  # a prefix match: named after "poll" too
            "test_digest.py": "from bot.features.poll_rows import labels_of\n",
            "test_export.py": "from bot.features import export, poll_rows\n",
            "test_wins.py": "import bot.features.polls_extra\n",  # another module
        },
    )
    found = mutation.tests_for("bot/features/poll_rows.py", tests)
    assert found == [
        "tests/test_digest.py",
        "tests/test_export.py",
        "tests/test_poll_limits.py",
        "tests/test_polls.py",
        "tests/test_pollster.py",
    ]


def test_a_package_module_and_a_module_tested_under_another_name(tmp_path):
    names = ("test_when_dst.py", "test_identifiers.py", "test_recurrences.py", "test_x.py")
    tests = _tests(tmp_path, dict.fromkeys(names, ""))
    assert mutation.tests_for("bot/domain/when/recurrence.py", tests) == [
        "tests/test_recurrences.py",
        "tests/test_when_dst.py",
    ]
    assert mutation.tests_for("bot/features/guard.py", tests) == ["tests/test_identifiers.py"]
    assert mutation.tests_for("bot/features/admin.py", tests) == []  # then mutmut runs them all


def test_without_modules_it_mutates_the_configured_set_one_module_at_a_time(monkeypatch):
    runs: list[tuple[list[str], list[str]]] = []
    monkeypatch.setattr(mutation, "mutate", lambda m, t, _jobs: runs.append((m, t)) or 0)
    assert mutation.main([]) == 0
    mutated = [m for modules, _ in runs for m in modules]
    assert all(len(modules) == 1 for modules, _ in runs)
    assert "bot/outbox.py" in mutated and "bot/scheduling.py" in mutated
    assert "bot/domain/tally.py" in mutated and "bot/features/polls.py" in mutated
    assert "bot/domain/when/rules.py" in mutated, "a package inside a folder was left out"
    assert not any(m.startswith(("bot/storage", "adapters", "bot/bus")) for m in mutated)
    tally_tests = dict((m[0], t) for m, t in runs)["bot/domain/tally.py"]
    assert {"tests/test_tally.py", "tests/test_tally_oracle.py"} <= set(tally_tests)
    assert "tests/test_when.py" not in tally_tests


def test_named_modules_and_tests_make_one_run(monkeypatch):
    runs: list[tuple[list[str], list[str]]] = []
    monkeypatch.setattr(mutation, "mutate", lambda m, t, _jobs: runs.append((m, t)) or 0)
    mutation.main(["--modules", "bot/domain/tally.py", "--tests", "tests/test_tally.py"])
    assert runs == [(["bot/domain/tally.py"], ["tests/test_tally.py"])]
    with pytest.raises(SystemExit):
        mutation.main(["--modules", "bot/no_such_module.py"])


def test_a_module_no_test_finds_is_reported_not_scored(monkeypatch, capsys):
    ran: list[object] = []
    monkeypatch.setattr(mutation.subprocess, "run", lambda *a, **k: ran.append(a))
    assert mutation.mutate(["bot/features/nowhere.py"], [], 1) == 1
    assert ran == [], "mutmut ran against some other module's tests"
    assert "bot/features/nowhere.py: no test file" in capsys.readouterr().err
