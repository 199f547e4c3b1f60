"""Rules about members: when a private message may arrive, and who is away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.members import deliver_at, is_away
from bot.storage.tables import Member


def member(**fields: object) -> Member:
    values: dict[str, object] = {
        "community_id": 1,
        "platform_user_id": "U1",
        "display_name": "Ana",
        "timezone": "Asia/Kolkata",  # UTC+05:30, so a lost time zone shows
        "quiet_start": "22:00",
        "quiet_end": "07:00",
        "joined_at": datetime(2026, 1, 1, tzinfo=UTC),
    } | fields
    return Member(**values)


def test_a_message_in_quiet_hours_waits_until_they_end_in_the_members_own_time():
    late_evening = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)  # 22:30 in Kolkata
    assert deliver_at(member(), late_evening) == datetime(2026, 12, 2, 1, 30, tzinfo=UTC)


def test_a_message_outside_quiet_hours_goes_now():
    midday = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)  # 12:00 in Kolkata
    assert deliver_at(member(), midday) == midday


def test_quiet_hours_that_start_and_end_together_are_switched_off():
    night = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)  # 01:30 in Kolkata
    assert deliver_at(member(quiet_start="00:00", quiet_end="00:00"), night) == night
    assert deliver_at(member(), night) == datetime(2026, 12, 2, 1, 30, tzinfo=UTC)


def test_away_until_a_moment_and_no_longer():
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert not is_away(member(), now)
    assert is_away(member(away_until=now + timedelta(seconds=1)), now)
    assert not is_away(member(away_until=now), now)
    assert not is_away(member(away_until=now - timedelta(days=1)), now)
