"""The Slack benchmark drives the real path; check what it did, never how fast."""

from __future__ import annotations

from pathlib import Path

from bench.slack_path import report, run_slack_path


async def test_the_slack_benchmark_handles_and_answers_every_event(tmp_path: Path) -> None:
    result = await run_slack_path(f"sqlite:///{tmp_path / 'bench.db'}", events=40, concurrency=4)
    assert result.by_kind == {"me": 5, "reply": 5, "cheer": 5, "reaction": 5}
    assert len(result.bare_ack_ns) == len(result.copbot_ack_ns) == 20
    assert result.unanswered == 0 and len(result.copbot_whole_ns) == 20
    assert result.answered == 40 + 40  # warm-up and measured: one private answer per event
    assert "ack ratio copbot/bare" in report(result, "SQLite")
