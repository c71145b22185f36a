"""The job list's query building: times in UTC, argument checks, client-side field handling."""

from __future__ import annotations

import datetime as dt

import pytest

from oqtopus_bridge.backends.listing import JobFilter, to_utc_stamp

UTC = dt.timezone.utc


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-01T09:30:00Z", "2026-12-01T09:30:00.000000Z"),
        ("2026-12-01T09:30:00.123456Z", "2026-12-01T09:30:00.123456Z"),
        ("2026-12-01T18:30+09:00", "2026-12-01T09:30:00.000000Z"),
        (dt.datetime(2026, 12, 1, 9, 30, tzinfo=UTC), "2026-12-01T09:30:00.000000Z"),
    ],
)
def test_times_are_sent_in_utc(value: object, expected: str) -> None:
    assert to_utc_stamp(value, "start_time") == expected  # type: ignore[arg-type]


def test_naive_times_and_dates_are_local_time() -> None:
    naive = dt.datetime(2026, 12, 1, 9, 30)
    assert to_utc_stamp(naive, "t") == naive.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    midnight = dt.datetime(2026, 12, 1).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert to_utc_stamp(dt.date(2026, 12, 1), "t") == midnight
    assert to_utc_stamp("2026-12-01", "t") == midnight


@pytest.mark.parametrize("value", ["yesterday", "", "12/01/2026", 1733000000])
def test_other_values_name_the_argument(value: object) -> None:
    with pytest.raises(ValueError, match="end_time must be"):
        to_utc_stamp(value, "end_time")  # type: ignore[arg-type]


def test_query_parameters_and_added_fields() -> None:
    job_filter = JobFilter(
        status="failed",
        query="vqe",
        start_time="2026-12-01T00:00:00Z",
        device_id="anemone",
        fields=["name"],
        newest_first=False,
    )
    assert job_filter.params(2, 50) == {
        "page": 2,
        "size": 50,
        "order": "ASC",
        "status": "failed",
        "q": "vqe",
        "start_time": "2026-12-01T00:00:00.000000Z",
        "fields": "name,job_id,device_id",  # needed here for de-duplication and the device filter
    }
    assert job_filter.shape({"name": "a", "job_id": "j", "device_id": "anemone"}) == {"name": "a"}
    assert job_filter.keep({"device_id": "anemone"}) and not job_filter.keep({"status": "x"})


def test_bad_filters_are_refused_before_any_request() -> None:
    with pytest.raises(ValueError, match="status must be one of registered, submitted"):
        JobFilter(status="done")
    with pytest.raises(ValueError, match="fields must be a list"):
        JobFilter(fields="job_id")
    with pytest.raises(ValueError, match="is after end_time"):
        JobFilter(start_time="2026-12-02", end_time="2026-12-01")
