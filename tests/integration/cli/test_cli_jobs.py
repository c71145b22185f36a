"""devices, submit and jobs against the local server; oracles: exact Bell-state properties."""

from __future__ import annotations

import io
import json
import re

import pytest

from oqtopus_bridge.cli.exit_codes import ExitCode

SHOTS = 200


def _submit(run_cli, cli_user, *argv):
    outcome = run_cli("submit", *argv, *cli_user)
    assert outcome.code == 0, outcome.err
    return outcome


def test_devices_table_lists_the_local_devices(run_cli, cli_user):
    outcome = run_cli("devices", *cli_user)
    assert outcome.code == 0, outcome.err
    header, *rows = outcome.out.splitlines()
    assert header.split()[:3] == ["DEVICE", "TYPE", "STATUS"]
    ids = {row.split()[0] for row in rows}
    assert {"qulacs", "anemone"} <= ids


def test_devices_json_and_one_device_with_its_calibration(run_cli, cli_user, tmp_path):
    listing = json.loads(run_cli("devices", "--json", *cli_user).out)
    by_id = {device["device_id"]: device for device in listing}
    assert by_id["qulacs"]["n_qubits"] >= 2
    png = tmp_path / "anemone.png"
    outcome = run_cli("devices", "anemone", "--json", "--plot", str(png), *cli_user)
    assert outcome.code == 0, outcome.err
    view = json.loads(outcome.out.split("\ncoupling map saved")[0])
    assert view["device_id"] == "anemone"
    assert view["device_info"]["qubits"]
    assert png.read_bytes().startswith(b"\x89PNG")


def test_unknown_device_is_exit_3(run_cli, cli_user):
    outcome = run_cli("devices", "no-such-device", *cli_user)
    assert outcome.code == ExitCode.API
    assert "404" in outcome.err


def test_submit_wait_prints_bell_counts(run_cli, cli_user, bell_file):
    outcome = _submit(
        run_cli,
        cli_user,
        bell_file,
        "--device",
        "qulacs",
        "--shots",
        str(SHOTS),
        "--wait",
        "--json",
    )
    view = json.loads(outcome.out)
    assert view["status"] == "succeeded"
    assert set(view["counts"]) <= {"00", "11"}
    assert sum(view["counts"].values()) == SHOTS


def test_submit_then_every_jobs_action(run_cli, cli_user, bell_file):
    job_id = _submit(
        run_cli,
        cli_user,
        bell_file,
        "--device",
        "qulacs",
        "--shots",
        str(SHOTS),
        "--name",
        "cli-bell",
    ).out.strip()
    assert len(job_id) > 8 and "\n" not in job_id

    waited = run_cli("jobs", "wait", job_id, "--timeout", "60", "--interval", "0.5", *cli_user)
    assert (waited.code, waited.out.strip()) == (0, "succeeded"), waited.err
    assert run_cli("jobs", "status", job_id, *cli_user).out.strip() == "succeeded"

    shown = run_cli("jobs", "show", job_id, *cli_user)
    assert shown.code == 0 and "cli-bell" in shown.out and "qulacs" in shown.out
    # execution_time reads as a duration ("4.98 ms"), not a raw float (issue 24)
    assert re.search(r"^execution_time:\s+[\d.]+ (ms|s)$", shown.out, re.MULTILINE), shown.out
    shown_json = json.loads(run_cli("jobs", "show", job_id, "--json", *cli_user).out)
    assert shown_json["job_id"] == job_id and shown_json["shots"] == SHOTS

    result = run_cli("jobs", "result", job_id, *cli_user)
    assert result.code == 0
    counts = json.loads(result.out.split("counts: ", 1)[1].splitlines()[0])
    assert set(counts) <= {"00", "11"} and sum(counts.values()) == SHOTS
    assert "█" in result.out

    listed = json.loads(run_cli("jobs", "list", "--json", *cli_user).out)
    assert job_id in [job["job_id"] for job in listed]
    table = run_cli("jobs", "list", "--status", "succeeded", *cli_user).out
    assert job_id in table

    refused = run_cli("jobs", "cancel", job_id, *cli_user)  # finished jobs cannot be cancelled
    assert refused.code == ExitCode.API and "400" in refused.err

    assert run_cli("jobs", "delete", job_id, *cli_user).code == 0
    gone = run_cli("jobs", "status", job_id, *cli_user)
    assert gone.code == ExitCode.API and "404" in gone.err


def test_jobs_list_limit(run_cli, cli_user, bell_file):
    for _ in range(2):
        _submit(run_cli, cli_user, bell_file, "--device", "qulacs", "--shots", "10")
    listed = json.loads(run_cli("jobs", "list", "--limit", "1", "--json", *cli_user).out)
    assert len(listed) == 1


def test_submit_from_stdin_and_multi_manual(run_cli, cli_user, bell_file, monkeypatch, tmp_path):
    one = tmp_path / "one.qasm"
    one.write_text(
        'OPENQASM 3;\ninclude "stdgates.inc";\n'
        "qubit[1] q;\nbit[1] c;\nx q[0];\nc[0] = measure q[0];\n"
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(one.read_text()))
    single = json.loads(
        _submit(
            run_cli, cli_user, "-", "--device", "qulacs", "--shots", "20", "--wait", "--json"
        ).out
    )
    assert single["counts"] == {"1": 20}
    multi = json.loads(
        _submit(
            run_cli,
            cli_user,
            bell_file,
            str(one),
            "--device",
            "qulacs",
            "--shots",
            "20",
            "--wait",
            "--json",
        ).out
    )
    assert multi["divided_counts"]["1"] == {"1": 20}
    assert set(multi["divided_counts"]["0"]) <= {"00", "11"}


def test_estimation_of_the_bell_state(run_cli, cli_user, bell_file, tmp_path):
    state = tmp_path / "bell_state.qasm"
    state.write_text('OPENQASM 3;\ninclude "stdgates.inc";\nqubit[2] q;\nh q[0];\ncx q[0], q[1];\n')
    outcome = _submit(
        run_cli,
        cli_user,
        str(state),
        "--device",
        "qulacs",
        "--shots",
        "400",
        "--type",
        "estimation",
        "--operator",
        "Z0 Z1:0.5",
        "--operator",
        "X0 X1",
        "--operator",
        "I:-0.25",
        "--wait",
        "--json",
    )
    # The Bell state is a +1 eigenstate of Z0Z1 and X0X1: every shot agrees, so the value is exact.
    assert json.loads(outcome.out)["exp_value"] == pytest.approx(1.25, abs=1e-9)


@pytest.mark.parametrize(
    "extra",
    [
        ["--type", "estimation"],  # no operator
        ["--operator", "Z0"],  # operator without estimation
        ["--type", "estimation", "--operator", "Q0:1"],  # not a Pauli
        ["--type", "estimation", "--operator", "Z0:abc"],  # not a number
        ["--transpiler-info", "[1]"],  # not an object
        ["--shots", "0"],
    ],
)
def test_submit_usage_errors_exit_2(run_cli, cli_user, bell_file, extra):
    argv = [
        bell_file,
        "--device",
        "qulacs",
        *(["--shots", "5"] if "--shots" not in extra else []),
        *extra,
    ]
    outcome = run_cli("submit", *argv, *cli_user)
    assert outcome.code == ExitCode.USAGE, outcome.err
    assert outcome.err.count("\n") == 1 and "Traceback" not in outcome.err


def test_missing_program_file_is_exit_2(run_cli, cli_user, tmp_path):
    outcome = run_cli(
        "submit", str(tmp_path / "nope.qasm"), "--device", "qulacs", "--shots", "5", *cli_user
    )
    assert outcome.code == ExitCode.USAGE and "not found" in outcome.err


def test_failed_job_is_exit_1_with_the_servers_message(run_cli, cli_user, tmp_path):
    broken = tmp_path / "broken.qasm"
    broken.write_text("OPENQASM 3;\nqubit[1] q;\nnot_a_gate q[0];\n")
    outcome = run_cli(
        "submit", str(broken), "--device", "qulacs", "--shots", "5", "--wait", *cli_user
    )
    assert outcome.code == ExitCode.JOB_FAILED, outcome.err
    assert "ended with status failed" in outcome.err and "not_a_gate" in outcome.err
    job_id = outcome.err.split("submitted job ")[1].split()[0]
    waited = run_cli("jobs", "wait", job_id, *cli_user)
    assert (waited.code, waited.out.strip()) == (ExitCode.JOB_FAILED, "failed")
    shown = run_cli("jobs", "show", job_id, *cli_user)
    assert "not_a_gate" in shown.out  # the server's message


def _running_job(config, tmp_path) -> str:
    """A job that stays running until cancelled: an SSE user program that sleeps."""
    from oqtopus_bridge import OqtopusSseBackend

    program = tmp_path / "sleeper.py"
    program.write_text("import time\n\ntime.sleep(120)\n")
    return (
        OqtopusSseBackend(config).run_sse(str(program), device_id="qulacs", name="sleeper").job_id
    )


def test_timeout_is_exit_4_then_cancel_is_exit_1(run_cli, cli_user, local_server, tmp_path):
    from oqtopus_bridge import OqtopusConfig

    job_id = _running_job(OqtopusConfig(cli_user[1], cli_user[3]), tmp_path)

    timed_out = run_cli(
        "jobs", "wait", job_id, "--timeout", "0.3", "--interval", "0.1", "--progress", *cli_user
    )
    assert timed_out.code == ExitCode.TIMEOUT, timed_out.err
    assert "jobs status" in timed_out.err  # says how to check on it later
    assert f"job {job_id}: " in timed_out.err  # the forced status line (tqdm, on stderr)
    quiet = run_cli("jobs", "wait", job_id, "--timeout", "0.2", *cli_user)
    assert quiet.code == ExitCode.TIMEOUT and f"job {job_id}: " not in quiet.err  # not a TTY

    cancelled = run_cli("jobs", "cancel", job_id, "--json", *cli_user)
    assert cancelled.code == 0, cancelled.err
    assert json.loads(cancelled.out)["status"] in {"cancelled", "cancelling"}
    final = run_cli("jobs", "wait", job_id, "--timeout", "60", "--interval", "0.2", *cli_user)
    assert (final.code, final.out.strip()) == (ExitCode.JOB_FAILED, "cancelled")
    result = run_cli("jobs", "result", job_id, *cli_user)
    assert result.code == ExitCode.JOB_FAILED and "cancelled" in result.err
