"""The alarm simulation: periods, thresholds, M of N, missing data and statistics of ones."""

from __future__ import annotations

from typing import Any

import pytest

from trailwatch.replay.alarm_simulation import (
    AlarmPeriod,
    AlarmSimulation,
    iso_utc,
    parse_event_time,
    statistic_value,
)
from trailwatch.spec.catalog import AlarmSettings

T0 = parse_event_time("2024-01-01T00:00:00Z") or 0
MINUTE = 60


def simulate(
    times: list[int], *, span: tuple[int, int] | None = None, **settings: Any
) -> list[dict[str, Any]]:
    simulation = AlarmSimulation(AlarmSettings.model_validate({"threshold": 1, **settings}))
    for moment in times:
        simulation.add(moment)
    return [period.to_json() for period in simulation.alarm_periods(span)]


def at(minutes: float) -> int:
    return T0 + int(minutes * MINUTE)


# --- time ----------------------------------------------------------------------------------------


def test_event_time_reads_cloudtrail_format_as_utc() -> None:
    assert T0 == 1704067200
    assert parse_event_time("2024-01-01T00:05:00Z") == T0 + 300
    assert parse_event_time("2024-01-01T00:05:00.999Z") == T0 + 300
    assert parse_event_time("2024-01-01T01:05:00+01:00") == T0 + 300
    assert parse_event_time("2024-01-01T00:05:00") == T0 + 300  # no zone: UTC


@pytest.mark.parametrize("value", [None, 5, "", "yesterday", "2024-13-01T00:00:00Z", ["x"]])
def test_unreadable_event_time_is_none(value: Any) -> None:
    assert parse_event_time(value) is None


def test_iso_utc_writes_the_period_start_with_z() -> None:
    assert iso_utc(T0 + 300) == "2024-01-01T00:05:00Z"
    assert AlarmPeriod(T0, 3).to_json() == {"start": "2024-01-01T00:00:00Z", "sum": 3}


# --- threshold and periods -----------------------------------------------------------------------


def test_three_failures_in_five_minutes_alarm_at_threshold_three() -> None:
    assert simulate([at(5.5), at(7), at(9.9)], threshold=3) == [
        {"start": "2024-01-01T00:05:00Z", "sum": 3}
    ]


def test_two_failures_stay_below_threshold_three() -> None:
    assert simulate([at(5.5), at(7)], threshold=3) == []


def test_periods_are_aligned_on_the_epoch_not_on_the_first_event() -> None:
    # Three events within 70 seconds, but across the 00:05 boundary: 2 + 1, no alarm.
    assert simulate([at(4), at(4.5), at(5.1)], threshold=3) == []


def test_each_breaching_period_is_reported_with_its_own_sum() -> None:
    times = [at(1), at(2), at(31), at(61), at(62), at(63)]
    assert simulate(times, threshold=2) == [
        {"start": "2024-01-01T00:00:00Z", "sum": 2},
        {"start": "2024-01-01T01:00:00Z", "sum": 3},
    ]


def test_period_length_comes_from_the_settings() -> None:
    assert simulate([at(1), at(50)], threshold=2, period=3600) == [
        {"start": "2024-01-01T00:00:00Z", "sum": 2}
    ]


@pytest.mark.parametrize(
    "comparison,counts,alarming",
    [
        ("GreaterThanOrEqualToThreshold", [1, 2, 3], [2, 3]),
        ("GreaterThanThreshold", [1, 2, 3], [3]),
        ("LessThanThreshold", [1, 2, 3], [1]),
        ("LessThanOrEqualToThreshold", [1, 2, 3], [1, 2]),
    ],
)
def test_comparisons(comparison: str, counts: list[int], alarming: list[int]) -> None:
    times = [at(5 * i) for i, count in enumerate(counts) for _ in range(count)]
    sums = [p["sum"] for p in simulate(times, threshold=2, comparison=comparison)]
    assert sums == alarming


# --- evaluation periods and datapoints -----------------------------------------------------------


def test_m_of_n_needs_m_breaching_periods_in_the_window() -> None:
    settings: dict[str, Any] = {"evaluation_periods": 3, "datapoints_to_alarm": 2}
    # Breaches at 00:00 and 00:10: the window ending 00:10 holds two; none other does.
    assert simulate([at(0), at(10)], **settings) == [{"start": "2024-01-01T00:10:00Z", "sum": 1}]
    # Breaches at 00:00 and 00:15 never share a window of three periods.
    assert simulate([at(0), at(15)], **settings) == []


def test_alarm_stays_while_the_window_still_holds_the_breach() -> None:
    assert simulate([at(0)], evaluation_periods=3, datapoints_to_alarm=1) == [
        {"start": "2024-01-01T00:00:00Z", "sum": 1},
        {"start": "2024-01-01T00:05:00Z", "sum": 0},
        {"start": "2024-01-01T00:10:00Z", "sum": 0},
    ]


# --- missing data --------------------------------------------------------------------------------


def test_not_breaching_missing_data_never_helps_an_alarm() -> None:
    settings: dict[str, Any] = {"evaluation_periods": 2, "datapoints_to_alarm": 2}
    assert simulate([at(0)], **settings) == []
    assert simulate([at(0), at(5)], **settings) == [{"start": "2024-01-01T00:05:00Z", "sum": 1}]


@pytest.mark.parametrize("treatment", ["ignore", "missing"])
def test_ignored_missing_data_counts_neither_way(treatment: str) -> None:
    settings: dict[str, Any] = {
        "evaluation_periods": 2,
        "datapoints_to_alarm": 2,
        "treat_missing_data": treatment,
    }
    assert simulate([at(0)], span=(at(0), at(30)), **settings) == []
    assert simulate([at(0), at(5)], **settings) == [{"start": "2024-01-01T00:05:00Z", "sum": 1}]


def test_breaching_missing_data_breaches_inside_the_input_span_only() -> None:
    settings: dict[str, Any] = {"threshold": 3, "treat_missing_data": "breaching"}
    # One match (below threshold) at 00:05, records from 00:00 to 00:14: the empty 00:00 and
    # 00:10 periods breach, 00:05 has data that does not; nothing after 00:14 is claimed.
    assert simulate([at(5)], span=(at(0), at(14)), **settings) == [
        {"start": "2024-01-01T00:00:00Z", "sum": 0},
        {"start": "2024-01-01T00:10:00Z", "sum": 0},
    ]
    # No records at all: nothing is known, nothing is claimed.
    assert simulate([], span=None, **settings) == []


# --- statistics ----------------------------------------------------------------------------------


def test_statistics_of_datapoints_that_are_all_one() -> None:
    assert statistic_value("Sum", 4) == statistic_value("SampleCount", 4) == 4.0
    assert statistic_value("Minimum", 4) == statistic_value("Maximum", 4) == 1.0
    assert statistic_value("Average", 4) == 1.0


def test_average_of_ones_never_reaches_two_however_many_events() -> None:
    times = [at(1)] * 10
    assert simulate(times, threshold=2, statistic="Average") == []
    assert simulate(times, threshold=2, statistic="SampleCount") == [
        {"start": "2024-01-01T00:00:00Z", "sum": 10}
    ]
    assert simulate(times, threshold=1, statistic="Maximum") == [
        {"start": "2024-01-01T00:00:00Z", "sum": 10}
    ]


def test_memory_is_one_counter_per_period_with_matches() -> None:
    simulation = AlarmSimulation(AlarmSettings(threshold=1))
    for second in range(120_000):
        simulation.add(T0 + second % 600)  # two periods, many matches
    assert simulation.counts == {T0: 60_000, T0 + 300: 60_000}
