"""A clinic line's hours: read when they follow the simple form, never guessed at otherwise."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.line_hours import open_now, parse_hours

CHICAGO = "America/Chicago"


def at(text: str, zone: str = CHICAGO) -> datetime:
    """A moment in the clinic's time zone: "2026-12-07 10:30" (a Monday)."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(
    "moment, expected",
    [
        ("2026-12-07 09:00", True),  # Monday, opening minute
        ("2026-12-07 16:59", True),
        ("2026-12-07 17:00", False),  # closing minute
        ("2026-12-07 08:59", False),
        ("2026-12-11 12:00", True),  # Friday
        ("2026-12-12 12:00", True),  # Saturday's own hours
        ("2026-12-12 15:00", False),
        ("2026-12-13 12:00", False),  # Sunday
    ],
)
def test_weekdays_and_a_saturday(moment: str, expected: bool) -> None:
    hours = "Mon-Fri 9:00-17:00, Sat 10:00-14:00"
    assert open_now(hours, CHICAGO, at(moment)) is expected


def test_hours_past_midnight_run_into_the_next_day() -> None:
    hours = "Sun 18:00-02:00"
    assert open_now(hours, CHICAGO, at("2026-12-13 23:00")) is True  # Sunday night
    assert open_now(hours, CHICAGO, at("2026-12-14 01:30")) is True  # Monday, small hours
    assert open_now(hours, CHICAGO, at("2026-12-14 02:00")) is False
    assert open_now(hours, CHICAGO, at("2026-12-13 01:00")) is False  # before Sunday's opening


def test_a_range_of_days_may_wrap_round_the_week() -> None:
    assert open_now("Fri-Mon 10:00-12:00", CHICAGO, at("2026-12-14 11:00")) is True  # Monday
    assert open_now("Fri-Mon 10:00-12:00", CHICAGO, at("2026-12-09 11:00")) is False  # Wednesday


def test_the_moment_is_read_in_the_clinics_time_zone() -> None:
    # 15:30 in London is 09:30 in Chicago: open there, though London's office would be too.
    london = at("2026-12-07 15:30", "Europe/London")
    assert open_now("Mon-Fri 9:00-10:00", CHICAGO, london) is True
    assert open_now("Mon-Fri 9:00-10:00", "Europe/London", london) is False


def test_always_open_needs_no_time_zone() -> None:
    assert open_now("24/7", None) is True
    assert open_now("Daily 0:00-24:00", CHICAGO, at("2026-12-07 03:00")) is True


@pytest.mark.parametrize(
    "hours",
    [None, "", "weekdays, office hours", "Mon-Fri 9-5", "Mon-Fri 9:00-9:00", "Mon 25:00-26:00"],
)
def test_hours_not_in_the_simple_form_say_nothing(hours: object) -> None:
    assert parse_hours(hours) is None  # type: ignore[arg-type]
    assert open_now(hours, CHICAGO, at("2026-12-07 10:00")) is None  # type: ignore[arg-type]


def test_without_a_time_zone_only_always_open_is_known() -> None:
    assert open_now("Mon-Fri 9:00-17:00", None, at("2026-12-07 10:00")) is None
    assert open_now("Mon-Fri 9:00-17:00", "Not/AZone", at("2026-12-07 10:00")) is None
