"""``jobs list`` filters and paging: --since/--until/--device/--query/--page/--all (issue 15)."""

from __future__ import annotations

import argparse
import datetime as dt
import json

import pytest

from oqtopus_bridge.cli.exit_codes import ExitCode
from oqtopus_bridge.cli.timespec import parse_time


@pytest.fixture
def lister(local_server, request):
    """Connection options of a user of its own, so that only the test's jobs are listed."""
    return [
        "--url",
        local_server.url,
        "--token=" + local_server.add_user(f"cli-{request.node.name}"),
    ]


def _seed(run_cli, user, bell_file):
    """Submit five jobs (three on qulacs, two on anemone) and return their ids, oldest first."""
    ids = []
    for i, device in enumerate(["qulacs", "anemone", "qulacs", "anemone", "qulacs"]):
        argv = ["submit", bell_file, "--device", device, "--shots", "10", "--name", f"seed-{i}"]
        outcome = run_cli(*argv, "--json", *user)
        assert outcome.code == 0, outcome.err
        ids.append(json.loads(outcome.out)["job_id"])
    return ids


def _listed(run_cli, user, *argv):
    outcome = run_cli("jobs", "list", *argv, "--json", *user)
    assert outcome.code == 0, outcome.err
    return [job["job_id"] for job in json.loads(outcome.out)]


def test_list_all_pages_device_and_query(run_cli, lister, bell_file):
    ids = _seed(run_cli, lister, bell_file)
    newest = ids[::-1]
    assert _listed(run_cli, lister, "--limit", "2") == newest[:2]
    assert _listed(run_cli, lister, "--limit", "2", "--page", "3") == newest[4:]
    assert _listed(run_cli, lister, "--limit", "2", "--all") == newest
    assert _listed(run_cli, lister, "--all", "--oldest-first") == ids
    assert _listed(run_cli, lister, "--device", "anemone") == [ids[3], ids[1]]
    assert _listed(run_cli, lister, "--device", "anemone", "--all", "--query", "seed-1") == [ids[1]]
    table = run_cli("jobs", "list", "--device", "qulacs", *lister)
    header, *rows = table.out.splitlines()
    assert "DEVICE" in header and len(rows) == 3 and all("qulacs" in row for row in rows)


def test_since_and_until_filter_on_server_times(run_cli, lister, bell_file):
    ids = _seed(run_cli, lister, bell_file)
    jobs = json.loads(run_cli("jobs", "list", "--json", *lister).out)
    times = {job["job_id"]: job["submitted_at"] for job in jobs}
    middle = times[ids[2]]  # recorded by the server: no sleeps, no local clock bounds
    after = [job_id for job_id in ids[::-1] if times[job_id] >= middle]
    before = [job_id for job_id in ids[::-1] if times[job_id] <= middle]
    assert _listed(run_cli, lister, "--since", middle) == after
    assert _listed(run_cli, lister, "--until", middle) == before
    assert _listed(run_cli, lister, "--since", middle, "--until", middle) == [ids[2]]
    # Relative times: every job here was submitted within the last week, none a week ago.
    assert _listed(run_cli, lister, "--since", "1w") == ids[::-1]
    assert _listed(run_cli, lister, "--until", "1w") == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "yesterday"], "invalid time 'yesterday'"),
        (["--until", "3x"], "30m, 1h, 2d"),
        (["--page", "0"], "--page must be at least 1"),
        (["--all", "--page", "2"], "leave out --page"),
        (["--since", "2026-12-02", "--until", "2026-12-01"], "after end_time"),
    ],
)
def test_bad_list_options_are_usage_errors(run_cli, lister, argv, message):
    outcome = run_cli("jobs", "list", *argv, *lister)
    assert outcome.code == ExitCode.USAGE
    assert message in outcome.err


def test_parse_time_forms():
    now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)
    assert parse_time("90m", now) == now - dt.timedelta(minutes=90)
    assert parse_time("1.5h", now) == now - dt.timedelta(hours=1.5)
    assert parse_time("2d", now) == now - dt.timedelta(days=2)
    assert parse_time("2026-12-01T09:30:00Z") == dt.datetime(
        2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc
    )
    assert parse_time("2026-12-01") == dt.datetime(2026, 12, 1)  # naive: local time
    with pytest.raises(argparse.ArgumentTypeError, match="ISO 8601"):
        parse_time("tomorrow")
