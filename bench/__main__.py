"""`python -m bench <name> [options]`, `python -m bench all`, `python -m bench --help`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from bench import (
    checkin_cycle,
    digest,
    email_fanout,
    fanout,
    identifiers,
    presses,
    restart,
    slack_path,
    startup,
    teams_path,
)

#: name -> entry point taking the benchmark's own command-line options.
BENCHMARKS: dict[str, Callable[[Sequence[str]], int]] = {
    "checkin": checkin_cycle.main,
    "digest": digest.main,
    "identifiers": identifiers.main,
    "slack": slack_path.main,
    "teams": teams_path.main,
    "fanout": fanout.main,
    "email": email_fanout.main,
    "startup": startup.main,
    "restart": restart.main,
    "presses": presses.main,
}


def usage() -> str:
    lines = [
        "usage: python -m bench <name> [options]   (python -m bench <name> --help for options)",
        "       python -m bench all                (every benchmark, with its defaults)",
        "",
        "Benchmarks print figures; they never fail on speed.",
        "",
        "benchmarks:",
    ]
    width = max(map(len, BENCHMARKS))
    for name, run in BENCHMARKS.items():
        summary = (run.__doc__ or "").strip().splitlines()[0] if run.__doc__ else ""
        lines.append(f"  {name.ljust(width)}  {summary}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name == "all":
        if rest:
            print("python -m bench all takes no options; run one benchmark to pass them.")
            return 2
        status = 0
        for index, run in enumerate(BENCHMARKS.values()):
            if index:
                print()
            status = max(status, run([]))
        return status
    run = BENCHMARKS.get(name)
    if run is None:
        print(f"no benchmark called {name!r}.\n\n{usage()}")
        return 2
    return run(rest)


if __name__ == "__main__":
    sys.exit(main())
