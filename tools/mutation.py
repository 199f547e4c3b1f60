"""Mutation testing of named modules against a fast test subset, one score per module.

    make mutation                                   # every configured module, one at a time
    make mutation MODULES="bot/features/polls.py"   # one module, its tests found for it
    make mutation MODULES="bot/domain/when" TESTS="tests/test_when.py tests/test_when_phrases.py"
    .venv/bin/python tools/mutation.py --modules bot/domain/when --tests tests/test_when.py

A folder stands for the Python files in it (a package split into modules). Without
--modules, the configured set (CONFIGURED: bot/domain, bot/features, bot/outbox.py,
bot/scheduling.py) is mutated module by module: many hours on two cores. Without --tests,
each module is tested by the test files named after it or naming it (`tests_for`).
The scores measured, and the surviving mutants that cannot change behaviour, are kept in
tools/MUTATION.md.

mutmut reads its settings from the working folder's pyproject.toml, so each run gets a
scratch folder of its own (mutants/run-<modules>/) holding a copy of the code and tests
and a pyproject.toml whose [tool.mutmut] names these modules and tests; the rest of
[tool.mutmut] comes from the repository's pyproject.toml. Several runs can go side by
side. Survivors are listed; see one with `cd mutants/run-... && ../../.venv/bin/mutmut show NAME`
(use the venv's absolute path if .venv is a link).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("bot", "adapters", "jobs", "tests", "bench", "tools", "deploy")
COPIED_FILES = ("README.md", "config.example.toml")
KILLED = {"killed", "timeout", "caught by type check"}
#: What `make mutation` mutates when no modules are named.
CONFIGURED = ("bot/domain", "bot/features", "bot/outbox.py", "bot/scheduling.py")
#: Modules whose tests carry another name (by the first word of the module's name).
TESTED_AS = {
    "guard": "identifiers",
    "birth": "identifiers",
    "postcode": "identifiers",
    "person": "identifiers",
    "momentum": "newsletter",
    "pulse": "goals_pulses",
    "erase": "mydata",
    "retention": "mydata",
    "help": "pledges",
    "sealing": "anonymity",
    "member": "welcome",
}


def expand(modules: list[str]) -> list[str]:
    """Folders stand for the Python files in them and in their packages, in order."""
    found: list[str] = []
    for module in modules:
        folder = ROOT / module
        if folder.is_dir():
            found += sorted(str(p.relative_to(ROOT)) for p in folder.rglob("*.py"))
        else:
            found.append(module)
    return found


def tests_for(module: str, tests_folder: Path | None = None) -> list[str]:
    """The test files for `module`: those named after it or its feature (`poll_rows.py`:
    `tests/test_poll*.py`; a module of a package such as `when/`: `tests/test_when*.py`),
    and those that name it (its dotted path, or `import <name>` from its package)."""
    folder = tests_folder or ROOT / "tests"
    path = Path(module)
    stem = path.stem if path.stem != "__init__" else path.parent.name
    dotted = str(path.with_suffix("")).replace("/", ".")
    package = dotted.rpartition(".")[0]
    prefixes = {stem, stem.removesuffix("s"), stem.split("_")[0].removesuffix("s")}
    if path.parent.name not in ("bot", "domain", "features"):  # a package of its own
        prefixes.add(path.parent.name)
    prefixes |= {TESTED_AS[p] for p in list(prefixes) if p in TESTED_AS}
    named = re.compile(
        rf"\b{re.escape(dotted)}\b|from {re.escape(package)} import [^\n]*\b{re.escape(stem)}\b"
    )

    def for_it(test: Path) -> bool:
        name = test.stem.removeprefix("test_")
        by_name = any(name.startswith(p) for p in prefixes if p)
        return by_name or bool(named.search(test.read_text("utf-8", "replace")))

    root = folder.parent
    return sorted(str(t.relative_to(root)) for t in folder.glob("test_*.py") if for_it(t))


def scratch_folder(modules: list[str]) -> Path:
    slug = "-".join(Path(m).stem for m in modules)[:60] or "all"
    return ROOT / "mutants" / f"run-{slug}"


def mutmut_section(modules: list[str], tests: list[str]) -> str:
    """The [tool.mutmut] table for this run: the repository's, with modules and tests."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    table = dict(project.get("tool", {}).get("mutmut", {}))
    table["only_mutate"] = modules
    if tests:
        table["pytest_add_cli_args_test_selection"] = tests
    lines = ["[tool.mutmut]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


def prepare(folder: Path, modules: list[str], tests: list[str]) -> None:
    """A fresh copy of the code and tests, with this run's settings."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    for name in COPIED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, folder / name, ignore=ignore)
    for name in COPIED_FILES:
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, folder / name)
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    text = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", text)
    (folder / "pyproject.toml").write_text(text + "\n" + mutmut_section(modules, tests), "utf-8")


def module_of(mutant: str, modules: list[str]) -> str:
    dotted = {m: m.removesuffix(".py").replace("/", ".") for m in modules}
    best = max((m for m, d in dotted.items() if mutant.startswith(d + ".")), key=len, default="?")
    return best


def scores(folder: Path, modules: list[str]) -> dict[str, Counter[str]]:
    """Each module's count of mutants per status, from `mutmut results --all`."""
    out = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    counts: dict[str, Counter[str]] = {m: Counter() for m in modules}
    survivors: list[str] = []
    for line in out.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if not sep:
            continue
        counts.setdefault(module_of(name, modules), Counter())[status] += 1
        if status not in KILLED:
            survivors.append(f"{status}: {name}")
    for line in sorted(survivors):
        print("   ", line)
    return counts


def report(counts: dict[str, Counter[str]]) -> None:
    print(f"\n{'module':45} {'killed':>7} {'total':>6} {'score':>7}")
    for module, c in counts.items():
        total = sum(v for k, v in c.items() if k != "skipped")
        killed = sum(c[k] for k in KILLED)
        score = f"{100 * killed / total:6.1f}%" if total else "     -"
        print(f"{module:45} {killed:7} {total:6} {score}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--modules", nargs="*", default=[], help="files to mutate (default: the configured set)"
    )
    parser.add_argument(
        "--tests", nargs="*", default=[], help="test files or node ids (default: tests_for)"
    )
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested side by side")
    args = parser.parse_args(argv)
    modules = expand([m.removeprefix("./").rstrip("/") for m in args.modules or CONFIGURED])
    missing = [m for m in modules if not (ROOT / m).is_file()]
    if missing:
        parser.error(f"no such module: {', '.join(missing)}")
    if args.tests:
        return mutate(modules, args.tests, args.jobs)
    worst = 0
    for module in modules:  # each with its own tests: a smaller run, and a score of its own
        worst = max(worst, mutate([module], tests_for(module), args.jobs))
    return worst


def mutate(modules: list[str], tests: list[str], jobs: int) -> int:
    """One mutmut run over `modules` against `tests`; prints survivors and scores."""
    if not tests:  # mutmut would fall back to the repository's own selection: a false score
        print(
            f"{', '.join(modules)}: no test file is named after it or names it; not mutated "
            "(name its tests with TESTS=...)",
            file=sys.stderr,
        )
        return 1
    folder = scratch_folder(modules)
    prepare(folder, modules, tests)
    run = [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs)]
    log = folder / "mutmut.log"
    print(
        f"mutating {', '.join(modules)} against {len(tests) or 'all'} test files; "
        f"progress in {log.relative_to(ROOT)}",
        flush=True,
    )
    with log.open("w") as out:
        code = subprocess.run(run, cwd=folder, stdout=out, stderr=subprocess.STDOUT).returncode
    if code:
        print(log.read_text("utf-8", "replace")[-3000:], file=sys.stderr)
        print(f"mutmut stopped with exit code {code}", file=sys.stderr)
        return code
    report(scores(folder, modules))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
