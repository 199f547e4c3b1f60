"""Mutation testing of named modules against a fast test subset, one score per module.

    make mutation MODULES="bot/domain/when" TESTS="tests/test_when.py tests/test_when_phrases.py"
    .venv/bin/python tools/mutation.py --modules bot/domain/when --tests tests/test_when.py

A folder stands for the Python files in it (a package split into modules).

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


def expand(modules: list[str]) -> list[str]:
    """Folders stand for the Python files in them, in order."""
    found: list[str] = []
    for module in modules:
        folder = ROOT / module
        if folder.is_dir():
            found += sorted(str(p.relative_to(ROOT)) for p in folder.glob("*.py"))
        else:
            found.append(module)
    return found


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
    parser.add_argument("--modules", nargs="+", required=True, help="files to mutate")
    parser.add_argument("--tests", nargs="*", default=[], help="test files or node ids")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested side by side")
    args = parser.parse_args(argv)
    modules = expand([m.removeprefix("./").rstrip("/") for m in args.modules])
    missing = [m for m in modules if not (ROOT / m).is_file()]
    if missing:
        parser.error(f"no such module: {', '.join(missing)}")
    folder = scratch_folder(modules)
    prepare(folder, modules, args.tests)
    run = [sys.executable, "-m", "mutmut", "run", "--max-children", str(args.jobs)]
    log = folder / "mutmut.log"
    print(f"mutating {', '.join(modules)}; progress in {log.relative_to(ROOT)}", flush=True)
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
