"""The export's files: indented JSON, a zip with one CSV per section, and the command
line's progress bar."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from typing import Any, TextIO

from bot.features.pulse_results import PULSE_COLUMNS

SECTIONS = ("summary", "weeks", "members", "stories", "pledges", "polls", "pulses", "meetings")
#: Progress callback: (weeks done, weeks in all).
Progress = Callable[[int, int], None]


def to_json(data: dict[str, Any]) -> str:
    """The export as indented JSON."""
    return json.dumps(data, indent=2, ensure_ascii=False)


def _rows(section: str, data: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    if section == "summary":
        flat: list[list[Any]] = []
        for key, value in data["summary"].items():
            if isinstance(value, dict):
                flat.extend([f"{key}.{k}", v] for k, v in value.items())
            elif isinstance(value, list):
                flat.append([key, " ".join(map(str, value))])
            else:
                flat.append([key, value])
        return ["figure", "value"], flat
    if section == "members":
        kinds = sorted({k for m in data["members"] for k in m["contributions"]})
        header = ["member", "weeks_active", "total", *kinds]
        return header, [
            [
                m["member"],
                m["weeks_active"],
                m["total"],
                *(m["contributions"].get(k, 0) for k in kinds),
            ]
            for m in data["members"]
        ]
    entries = data[section]
    header = (
        list(entries[0])
        if entries
        else {
            "weeks": ["week_start", "active_members", "contributions", "anonymous_contributions"],
            "stories": ["told_at", "cycle", "what", "difference", "member"],
            "pledges": ["text", "status", "made_at", "due_at"],
            "pulses": list(PULSE_COLUMNS),
            "meetings": ["starts_at", "topic", "going", "maybe", "not_coming"],
            "polls": [
                "question",
                "method",
                "closed_at",
                "options",
                "outcome",
                "winner",
                "ballots",
                "members",
            ],
        }[section]
    )
    return header, [
        [" | ".join(v) if isinstance(v, list) else v for v in (e[h] for h in header)]
        for e in entries
    ]


def to_csv_zip(data: dict[str, Any]) -> bytes:
    """A zip with one CSV per section (summary, weeks, members, stories, pledges, polls)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for section in SECTIONS:
            header, rows = _rows(section, data)
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow(header)
            writer.writerows(rows)
            archive.writestr(f"{section}.csv", text.getvalue())
    return out.getvalue()


def progress_bar(stream: TextIO) -> Progress:
    """A textual progress bar on `stream`: redrawn in place on a terminal, else one line
    per tenth (so logs and pipes see it too)."""
    tty = stream.isatty()
    shown: set[int] = set()

    def show(done: int, total: int) -> None:
        filled = 30 * done // max(total, 1)
        line = f"export: [{'#' * filled}{'.' * (30 - filled)}] {done}/{total} weeks"
        if tty:
            stream.write("\r" + line + ("\n" if done == total else ""))
        elif (tenth := 10 * done // max(total, 1)) not in shown or done == total:
            shown.add(tenth)
            stream.write(line + "\n")
        stream.flush()

    return show
