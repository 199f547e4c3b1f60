"""The export's files read back exactly: the JSON, each CSV in the zip (with its header even
when a section is empty), and the progress bar on a terminal and in a log."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

from bot.features.export_files import SECTIONS, progress_bar, to_csv_zip, to_json

EMPTY: dict[str, Any] = {
    "summary": {},
    "weeks": [],
    "members": [],
    "stories": [],
    "pledges": [],
    "polls": [],
    "pulses": [],
    "meetings": [],
}


def csvs(data: dict[str, Any]) -> dict[str, list[list[str]]]:
    archive = zipfile.ZipFile(io.BytesIO(to_csv_zip(data)))
    assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in archive.infolist())
    return {
        name.removesuffix(".csv"): list(csv.reader(io.StringIO(archive.read(name).decode())))
        for name in archive.namelist()
    }


def test_the_json_is_indented_and_keeps_accents_as_they_are():
    text = to_json({"name": "Zoë", "weeks": [1]})
    assert text == '{\n  "name": "Zoë",\n  "weeks": [\n    1\n  ]\n}'
    assert json.loads(text) == {"name": "Zoë", "weeks": [1]}


def test_one_csv_per_section_in_order():
    archive = zipfile.ZipFile(io.BytesIO(to_csv_zip(EMPTY)))
    assert archive.namelist() == [f"{s}.csv" for s in SECTIONS]
    assert SECTIONS == (
        "summary",
        "weeks",
        "members",
        "stories",
        "pledges",
        "polls",
        "pulses",
        "meetings",
    )


def test_empty_sections_still_have_their_headers():
    files = csvs(EMPTY)
    assert files == {
        "summary": [["figure", "value"]],
        "weeks": [["week_start", "active_members", "contributions", "anonymous_contributions"]],
        "members": [["member", "weeks_active", "total"]],
        "stories": [["told_at", "cycle", "what", "difference", "member"]],
        "pledges": [["text", "status", "made_at", "due_at"]],
        "polls": [
            [
                "question",
                "method",
                "closed_at",
                "options",
                "outcome",
                "winner",
                "ballots",
                "members",
            ]
        ],
        "pulses": [["kind", "closed_at", "question", "answers", "mean", "yes", "percent"]],
        "meetings": [["starts_at", "topic", "going", "maybe", "not_coming"]],
    }


def test_the_summary_flattens_figures_lists_and_groups():
    data = EMPTY | {
        "summary": {
            "members": 12,
            "kinds": {"replied": 4, "cheered": 2},
            "weeks": ["2026-11-30", "2026-12-07"],
            "name": "wound-care",
        }
    }
    assert csvs(data)["summary"] == [
        ["figure", "value"],
        ["members", "12"],
        ["kinds.replied", "4"],
        ["kinds.cheered", "2"],
        ["weeks", "2026-11-30 2026-12-07"],
        ["name", "wound-care"],
    ]


def test_members_have_a_column_per_kind_of_contribution_anyone_made():
    data = EMPTY | {
        "members": [
            {
                "member": "m1",
                "weeks_active": 2,
                "total": 3,
                "contributions": {"voted": 1, "cheered": 2},
            },
            {"member": "m2", "weeks_active": 1, "total": 1, "contributions": {"replied": 1}},
        ]
    }
    assert csvs(data)["members"] == [
        ["member", "weeks_active", "total", "cheered", "replied", "voted"],
        ["m1", "2", "3", "2", "0", "1"],
        ["m2", "1", "1", "0", "1", "0"],
    ]


def test_other_sections_take_their_columns_from_the_first_entry_and_join_lists():
    data = EMPTY | {
        "polls": [
            {"question": "Which?", "options": ["Caseloads", "Isolation"], "winner": "Caseloads"},
            {"question": "Next?", "options": [], "winner": None},
        ]
    }
    assert csvs(data)["polls"] == [
        ["question", "options", "winner"],
        ["Which?", "Caseloads | Isolation", "Caseloads"],
        ["Next?", "", ""],
    ]


class Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty
        self.flushes = 0

    def isatty(self) -> bool:
        return self.tty

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


def test_on_a_terminal_the_bar_is_redrawn_in_place_and_ends_with_a_new_line():
    stream = Stream(tty=True)
    show = progress_bar(stream)
    show(0, 3)
    show(1, 3)
    show(3, 3)
    assert stream.getvalue() == (
        "\rexport: [" + "." * 30 + "] 0/3 weeks"
        "\rexport: [" + "#" * 10 + "." * 20 + "] 1/3 weeks"
        "\rexport: [" + "#" * 30 + "] 3/3 weeks\n"
    )
    assert stream.flushes == 3


def test_in_a_log_the_bar_is_one_line_per_tenth_and_the_last():
    stream = Stream(tty=False)
    show = progress_bar(stream)
    for done in range(21):
        show(done, 20)
    lines = stream.getvalue().splitlines()
    assert [line.rsplit("] ", 1)[1] for line in lines] == [
        f"{done}/20 weeks" for done in (0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20)
    ]
    assert lines[1] == "export: [" + "###" + "." * 27 + "] 2/20 weeks"
    assert stream.flushes == 21


def test_the_last_line_is_written_even_when_its_tenth_was_shown():
    stream = Stream(tty=False)
    show = progress_bar(stream)
    show(0, 0)
    show(0, 0)
    assert stream.getvalue().splitlines() == ["export: [" + "." * 30 + "] 0/0 weeks"] * 2
    stream = Stream(tty=True)
    progress_bar(stream)(0, 0)
    assert stream.getvalue() == "\rexport: [" + "." * 30 + "] 0/0 weeks\n"
