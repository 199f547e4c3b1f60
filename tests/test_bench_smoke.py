"""The benchmark harness runs a real check-in cycle; check what it did, never how fast."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.__main__ import main as bench_main
from bench.checkin_cycle import run_checkin
from bench.harness import percentile


def test_checkin_cycle_on_sqlite_does_the_whole_cycle(tmp_path: Path) -> None:
    result = run_checkin(f"sqlite:///{tmp_path / 'bench.db'}", members=20)

    assert result.members == 20
    assert result.non_repliers == 2
    assert result.replies == 18  # confirmed by the core as "saved"
    assert result.edits == 2  # confirmed as "updated"
    assert result.unconfirmed == 0
    assert result.anonymous == 4
    assert len(result.reply_ns) == result.replies + result.edits
    # Everyone who hasn't replied with their name is reminded (anonymous repliers too).
    assert result.reminder_dms == result.non_repliers + result.anonymous
    assert result.summary_posted
    assert result.summary_headline.startswith("Success (")
    assert 1 <= result.writes_per_reply <= 5  # counted: a reply writes its row and activity
    assert result.bare_per_s > 0  # the baseline ran beside it
    # A reply reads who is acting, the open check-in and any earlier reply of theirs.
    assert 3 <= result.reads_per_reply <= 6
    assert result.same_work_per_s > 0  # and the baseline making those reads too


def test_percentile_is_nearest_rank() -> None:
    samples = list(range(1, 101))
    assert percentile(samples, 50) == 50
    assert percentile(samples, 99) == 99
    assert percentile(samples, 100) == 100
    assert percentile([7], 99) == 7


def test_help_lists_the_benchmarks(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main(["--help"]) == 0
    assert "checkin" in capsys.readouterr().out


def test_startup_bench_compares_with_an_empty_start(tmp_path: Path) -> None:
    from bench.startup import report, run_startup

    results = {
        "sqlite none": run_startup(f"sqlite:///{tmp_path / 'none.db'}", 0),
        "sqlite 40": run_startup(f"sqlite:///{tmp_path / 'some.db'}", 40),
    }
    assert results["sqlite none"]["schedules"] < results["sqlite 40"]["schedules"]
    assert results["sqlite 40"]["timers"] == 2  # one wake-up timer and the resync
    printed = report(results, 40)
    assert "start-up with 40 nudges is" in printed and "peak RSS" in printed


def test_restart_bench_stops_and_restarts_a_real_fan_out() -> None:
    from bench.restart import report, run_restart

    outcomes = run_restart(slow=0.02, lease=1)
    assert [o.mode for o in outcomes] == ["clean start", "SIGTERM", "kill -9"]
    assert all(o.lost == 0 and o.twice == 0 for o in outcomes), outcomes
    assert outcomes[0].exit_s is None and outcomes[1].exit_s is not None
    printed = report(outcomes)
    assert "kill -9" in printed and "first send s" in printed


def test_email_fanout_bench_delivers_every_email_once(tmp_path: Path) -> None:
    import asyncio

    from bench.email_fanout import report, run_email_fanout

    result = asyncio.run(run_email_fanout(f"sqlite:///{tmp_path / 'mail.db'}", 20))
    assert (result["invitations"], result["invitations_twice"]) == (21, 0)  # and the convener
    assert (result["prompts"], result["prompts_twice"]) == (21, 0)
    assert "bare smtplib, one connection (baseline)" in report(result)
