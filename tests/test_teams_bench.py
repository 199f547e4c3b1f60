"""The Teams benchmark drives the real SDK path; check what it did, never how fast."""

from __future__ import annotations

from pathlib import Path

from bench.teams_path import report, run_teams_path


async def test_the_teams_benchmark_handles_and_answers_every_activity(tmp_path: Path) -> None:
    result = await run_teams_path(f"sqlite:///{tmp_path / 'bench.db'}", events=40, concurrency=4)
    assert result.unanswered == 0
    assert len(result.bare_ack_ns) == len(result.copbot_ack_ns) == 20
    assert len(result.copbot_whole_ns) == 20  # every measured activity handled and answered
    assert result.answered >= 40 + 40  # warm-up and measured: at least one answer each
    assert result.bare_per_s > 0 and result.copbot_per_s > 0
    printed = report(result, "SQLite")
    assert "ack ratio copbot/bare" in printed and "events/s with 4 in flight" in printed
