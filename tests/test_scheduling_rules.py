"""The timeline's rules, on schedules made up for the test: which occurrences run, in what
order, which are skipped as missed, what is retried and what the timer is told next."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import pytest
from sqlalchemy.engine import Engine

from bot import commands as c
from bot.clock import ManualClock
from bot.features.base import Feature
from bot.scheduling import LOOKAHEAD, JobSpec, RunReport, Timeline, at, each
from bot.storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.bus import Bus

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Ping(c.Command):
    """The made-up command every test schedule issues."""

    key: str
    fire_time: datetime


@dataclass
class FakeBus:
    """Stands in for the bus: the schedules it offers, and the commands it was asked to run."""

    features: list[Feature] = field(default_factory=list)
    ran: list[tuple[int, Ping]] = field(default_factory=list)
    failing: set[datetime] = field(default_factory=set)

    @property
    def router(self) -> FakeBus:
        return self

    def settings_of(self, community: Any) -> None:
        return None

    def run_job(self, uow: UnitOfWork, community_id: int, command: c.Command) -> None:
        assert isinstance(command, Ping)
        if command.fire_time in self.failing:
            raise RuntimeError("the database blinked")
        self.ran.append((community_id, command))

    def offer(self, *specs: JobSpec, name: str = "test") -> None:
        """A feature whose schedules are `specs`."""
        self.features.append(Feature(name, jobs=lambda uow, settings_of: list(specs)))

    def pings(self) -> list[str]:
        return [f"{p.key}@{p.fire_time:%d %H:%M}" for _, p in self.ran]


def job(
    key: str,
    times: Callable[[datetime, datetime], list[datetime]],
    **options: Any,
) -> JobSpec:
    return JobSpec(key, 1, times, lambda fire_time: Ping(key, fire_time), **options)


@pytest.fixture
def bus() -> FakeBus:
    return FakeBus()


@pytest.fixture
def timeline(sqlite_engine: Engine, bus: FakeBus, clock: ManualClock) -> Iterator[Timeline]:
    clock.set(NOON)
    yield Timeline(lambda: UnitOfWork(sqlite_engine), cast("Bus", bus), clock)


# ---- which occurrences a schedule has -------------------------------------------------


def test_occurrences_are_after_the_start_up_to_and_including_the_end() -> None:
    times = [NOON - HOUR, NOON, NOON + HOUR]
    spec = job("a", each(times))
    assert spec.occurrences(NOON - HOUR, NOON + HOUR) == [NOON, NOON + HOUR]
    assert job("b", at(NOON)).occurrences(NOON - HOUR, NOON) == [NOON]
    assert job("b", at(NOON)).occurrences(NOON, NOON + HOUR) == []
    assert at(NOON)(NOON, NOON + HOUR) == [] and at(NOON)(NOON + HOUR, NOON + 2 * HOUR) == []
    assert each([NOON + HOUR, NOON])(NOON, NOON + HOUR) == [NOON + HOUR]
    # A rule that lists whole days, ends included, still gives only (start, end].
    hourly = job("c", lambda start, end: [start, start + HOUR, end, end + HOUR])
    assert hourly.occurrences(NOON - 2 * HOUR, NOON) == [NOON - HOUR, NOON]


def test_a_schedule_has_no_occurrences_before_it_began() -> None:
    spec = job("a", each([NOON - 2 * HOUR, NOON - HOUR, NOON]), since=NOON - HOUR)
    assert spec.occurrences(NOON - 3 * HOUR, NOON) == [NOON]


def test_a_catch_up_job_is_due_however_long_ago_it_fell_due() -> None:
    spec = job("close", at(NOON - timedelta(days=60)), catch_up=True)
    assert spec.occurrences(NOON - HOUR, NOON) == [NOON - timedelta(days=60)]
    assert spec.first(NOON - HOUR, NOON + HOUR) is None  # not "after" the moment asked
    assert spec.first(NOON - timedelta(days=60), NOON + HOUR) is None


def test_first_is_the_earliest_occurrence_after_the_moment() -> None:
    spec = job("a", each([NOON + 3 * HOUR, NOON, NOON + HOUR]))
    assert spec.first(NOON, NOON + timedelta(days=1)) == NOON + HOUR
    assert spec.first(NOON + 3 * HOUR, NOON + timedelta(days=1)) is None


def test_first_finds_an_occurrence_months_ahead_but_not_past_the_horizon() -> None:
    far = NOON + timedelta(days=200)
    spec = job("a", each([far]))
    assert spec.first(NOON, NOON + LOOKAHEAD) == far
    assert spec.first(NOON, far) == far
    assert spec.first(NOON, far - HOUR) is None


def test_first_uses_the_shortcut_from_when_the_schedule_began() -> None:
    asked: list[datetime] = []

    def next_after(moment: datetime) -> datetime:
        asked.append(moment)
        return moment + HOUR

    spec = job("a", each([]), next_after=next_after, since=NOON)
    assert spec.first(NOON - 5 * HOUR, NOON + HOUR) == NOON + HOUR
    assert spec.first(NOON + HOUR, NOON + 2 * HOUR) == NOON + 2 * HOUR
    assert spec.first(NOON + HOUR, NOON + 2 * HOUR - timedelta(seconds=1)) is None
    assert asked == [NOON, NOON + HOUR, NOON + HOUR]
    plain = job("b", each([]), next_after=lambda moment: None)
    assert plain.first(NOON, NOON + HOUR) is None


def test_a_catch_up_job_ignores_the_shortcut() -> None:
    spec = job(
        "close",
        at(NOON + HOUR),
        catch_up=True,
        next_after=lambda moment: moment + timedelta(days=1),
    )
    assert spec.first(NOON, NOON + 2 * HOUR) == NOON + HOUR


def test_an_occurrence_is_named_by_its_utc_second_or_by_its_local_day() -> None:
    fire = datetime(2026, 12, 1, 23, 30, 15, 123456, tzinfo=UTC)
    assert job("a", at(fire)).occurrence_id(fire) == "2026-12-01T23:30:15+00:00"
    daily = job("a", at(fire), once_per_local_day="Pacific/Auckland")
    assert daily.occurrence_id(fire) == "2026-12-02"  # already the 2nd in Auckland


# ---- running what is due ----------------------------------------------------------------


def test_due_occurrences_run_oldest_first_across_schedules(
    timeline: Timeline, bus: FakeBus
) -> None:
    bus.offer(job("late", at(NOON - HOUR)), job("early", at(NOON - 3 * HOUR)))
    bus.offer(job("middle", at(NOON - 2 * HOUR)), job("same", at(NOON - 3 * HOUR)))
    report = timeline.run_due(NOON - 4 * HOUR, NOON)
    assert bus.pings() == ["early@01 09:00", "same@01 09:00", "middle@01 10:00", "late@01 11:00"]
    assert report.ran == [
        "early@2026-12-01T09:00:00+00:00",
        "same@2026-12-01T09:00:00+00:00",
        "middle@2026-12-01T10:00:00+00:00",
        "late@2026-12-01T11:00:00+00:00",
    ]
    assert all(community_id == 1 for community_id, _ in bus.ran)


def test_only_the_latest_of_a_schedules_due_occurrences_acts(
    timeline: Timeline, bus: FakeBus
) -> None:
    bus.offer(job("daily", each([NOON - HOUR, NOON - 3 * HOUR, NOON - 2 * HOUR])))
    report = timeline.run_due(NOON - 4 * HOUR, NOON)
    assert bus.pings() == ["daily@01 11:00"]
    assert report.missed == [
        "daily@2026-12-01T09:00:00+00:00",
        "daily@2026-12-01T10:00:00+00:00",
    ]
    assert [(claim.occurrence[11:16], claim.outcome) for claim in timeline.claimed("daily")] == [
        ("09:00", "missed"),
        ("10:00", "missed"),
        ("11:00", "done"),
    ]


def test_an_occurrence_later_than_its_grace_is_missed_not_run(
    timeline: Timeline, bus: FakeBus, caplog: pytest.LogCaptureFixture
) -> None:
    bus.offer(
        job("just", at(NOON - HOUR), grace=HOUR),
        job("too-late", at(NOON - HOUR - timedelta(seconds=1)), grace=HOUR),
        job("no-grace", at(NOON - timedelta(days=6))),
    )
    with caplog.at_level(logging.WARNING, logger="bot.scheduling"):
        report = timeline.run_due(NOON - timedelta(days=7), NOON)
    assert bus.pings() == ["no-grace@25 12:00", "just@01 11:00"]
    assert report.missed == ["too-late@2026-12-01T10:59:59+00:00"]
    [line] = [r.getMessage() for r in caplog.records]
    assert line == (
        "skipped too-late@2026-12-01T10:59:59+00:00: due 2026-12-01T10:59:59+00:00, "
        "now 1:00:01 late (grace 1:00:00)"
    )
    assert [claim.outcome for claim in timeline.claimed("too-late")] == ["missed"]
    # A missed occurrence is claimed: it is not tried again.
    again = timeline.run_due(NOON - timedelta(days=7), NOON)
    assert again.missed == [] and sorted(again.already) == sorted(report.ran + report.missed)


def test_a_failed_occurrence_is_left_unclaimed_and_retried_from_the_earliest_failure(
    timeline: Timeline, bus: FakeBus, caplog: pytest.LogCaptureFixture
) -> None:
    bus.offer(job("a", at(NOON - 2 * HOUR)), job("b", at(NOON - 3 * HOUR)))
    bus.offer(job("c", at(NOON - HOUR)))
    bus.failing = {NOON - 2 * HOUR, NOON - 3 * HOUR}
    with caplog.at_level(logging.ERROR, logger="bot.scheduling"):
        report = timeline.run_due(NOON - 4 * HOUR, NOON)
    assert bus.pings() == ["c@01 11:00"]  # the others' failure does not stop it
    assert report.failed == ["b@2026-12-01T09:00:00+00:00", "a@2026-12-01T10:00:00+00:00"]
    assert report.retry_from == NOON - 3 * HOUR
    assert timeline.claimed("a") == [] and timeline.claimed("b") == []
    assert [r.getMessage() for r in caplog.records] == [
        "job b@2026-12-01T09:00:00+00:00 failed; it will be retried",
        "job a@2026-12-01T10:00:00+00:00 failed; it will be retried",
    ]
    bus.failing = set()
    retry = timeline.run_due(NOON - 4 * HOUR, NOON)
    assert bus.pings() == ["c@01 11:00", "b@01 09:00", "a@01 10:00"]
    assert retry.failed == [] and retry.retry_from is None
    assert retry.already == ["c@2026-12-01T11:00:00+00:00"]


def test_a_pass_reports_each_schedules_next_occurrence(timeline: Timeline, bus: FakeBus) -> None:
    tomorrow = NOON + timedelta(days=1)
    bus.offer(
        job("each", each([NOON - HOUR, NOON + HOUR, tomorrow])),
        job("quick", each([]), next_after=lambda moment: max(moment, NOON) + 2 * HOUR),
        job("done", at(NOON - HOUR)),
        job("never", each([]), next_after=lambda moment: None),
        job("far", at(NOON + LOOKAHEAD + timedelta(days=2))),
    )
    report = timeline.run_due(NOON - 2 * HOUR, NOON)
    assert report.upcoming == {"each": NOON + HOUR, "quick": NOON + 2 * HOUR}
    assert bus.pings() == ["done@01 11:00", "each@01 11:00"]


def test_a_shortcut_schedule_due_in_the_pass_runs(
    timeline: Timeline, bus: FakeBus, clock: ManualClock
) -> None:
    times = [NOON - HOUR, NOON + HOUR]
    spec = job(
        "quick",
        each(times),
        next_after=lambda moment: next((t for t in times if t > moment), None),
    )
    bus.offer(spec)
    report = timeline.run_due(NOON - 2 * HOUR, NOON)
    assert bus.pings() == ["quick@01 11:00"]
    assert report.upcoming == {"quick": NOON + HOUR}
    # One due exactly at the pass's end runs in that pass (the next starts after it).
    clock.set(NOON + HOUR)
    report = timeline.run_due(NOON, NOON + HOUR)
    assert bus.pings() == ["quick@01 11:00", "quick@01 13:00"]


def test_one_occurrence_run_on_its_own_acts(timeline: Timeline, bus: FakeBus) -> None:
    report = RunReport()
    timeline.run_one(job("once", at(NOON)), NOON, report)
    assert report.ran == ["once@2026-12-01T12:00:00+00:00"] and bus.pings() == ["once@01 12:00"]


def test_claims_are_listed_in_time_order(timeline: Timeline, bus: FakeBus) -> None:
    bus.offer(job("daily", each([NOON - 3 * HOUR, NOON - HOUR])))
    timeline.run_due(NOON - 2 * HOUR, NOON)  # 11:00 first
    timeline.run_due(NOON - 4 * HOUR, NOON)  # then 09:00, found on a wider look
    assert [claim.occurrence[11:16] for claim in timeline.claimed("daily")] == ["09:00", "11:00"]


def test_a_catch_up_job_with_a_shortcut_still_runs_long_after_it_fell_due(
    timeline: Timeline, bus: FakeBus
) -> None:
    long_ago = NOON - timedelta(days=30)
    bus.offer(job("close", at(long_ago), catch_up=True, next_after=lambda moment: None))
    report = timeline.run_due(NOON - HOUR, NOON)
    assert report.ran == ["close@2026-11-01T12:00:00+00:00"]


def test_a_shortcut_that_cannot_be_worked_out_does_not_stop_the_pass(
    timeline: Timeline, bus: FakeBus, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(moment: datetime) -> datetime:
        raise ValueError("a stored rule that cannot be read")

    bus.offer(job("broken", each([NOON - HOUR]), next_after=broken), job("fine", at(NOON)))
    with caplog.at_level(logging.ERROR, logger="bot.scheduling"):
        report = timeline.run_due(NOON - 2 * HOUR, NOON)
    assert report.ran == ["fine@2026-12-01T12:00:00+00:00"] and report.upcoming == {}
    messages = [r.getMessage() for r in caplog.records]
    assert "schedule broken could not be worked out; it is skipped" in messages


# ---- reading the schedules ----------------------------------------------------------------


def test_one_unreadable_schedule_or_feature_does_not_stop_the_others(
    timeline: Timeline, bus: FakeBus, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    def poisoned(start: datetime, end: datetime) -> list[datetime]:
        raise ValueError("a stored rule that cannot be read")

    def unreadable(uow: UnitOfWork, settings_of: Any) -> list[JobSpec]:
        raise RuntimeError("a table that cannot be read")

    bus.features.append(Feature("no-schedules"))
    bus.features.append(Feature("broken", jobs=unreadable))
    bus.offer(job("poisoned", poisoned), job("fine", at(NOON + HOUR)))
    with caplog.at_level(logging.ERROR, logger="bot.scheduling"):
        assert timeline.next_due(NOON, NOON + LOOKAHEAD) == NOON + HOUR
    messages = [r.getMessage() for r in caplog.records]
    assert "could not read the broken schedules; they are skipped" in messages
    assert "schedule poisoned could not be worked out; it is skipped" in messages
    assert [spec.key for spec in timeline.specs()] == ["poisoned", "fine"]
    clock.set(NOON + HOUR)
    assert timeline.run_due(NOON, NOON + HOUR).ran == ["fine@2026-12-01T13:00:00+00:00"]


def test_next_due_is_the_earliest_of_all_schedules_or_none(
    timeline: Timeline, bus: FakeBus
) -> None:
    assert timeline.next_due(NOON, NOON + LOOKAHEAD) is None
    bus.offer(job("later", at(NOON + 2 * HOUR)), job("sooner", at(NOON + HOUR)))
    bus.offer(job("over", at(NOON - HOUR)))
    assert timeline.next_due(NOON, NOON + LOOKAHEAD) == NOON + HOUR
    assert timeline.next_due(NOON, NOON + HOUR / 2) is None
