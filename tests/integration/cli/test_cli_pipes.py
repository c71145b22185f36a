"""``oqtopus-bridge ... | head``: a closed stdout stops the command quietly (issue 24, item 6).

The reader end of the pipe is closed before the command starts, so its first write fails: the
same outcome as ``head`` exiting early, without a race on when it exits.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from oqtopus_bridge.cli.exit_codes import ExitCode


def _with_closed_stdout(*argv: str) -> subprocess.CompletedProcess[str]:
    reader, writer = os.pipe()
    os.close(reader)
    try:
        return subprocess.run(
            [sys.executable, "-m", "oqtopus_bridge.cli", *argv],
            stdout=writer,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(writer)


@pytest.mark.parametrize("command", [["jobs", "list"], ["devices"], ["--help"]])
def test_a_closed_stdout_ends_the_command_quietly(command: list[str], local_server: Any) -> None:
    token = local_server.add_user("pipe-user")
    connection = ["--url", local_server.url, f"--token={token}"]
    argv = command if command == ["--help"] else [*command, *connection]
    if command == ["jobs", "list"]:
        from oqtopus_bridge import OqtopusConfig, OqtopusSamplingBackend

        backend = OqtopusSamplingBackend(OqtopusConfig(url=local_server.url, api_token=token))
        program = 'OPENQASM 3; include "stdgates.inc"; qubit[1] q; bit[1] c; c = measure q;'
        backend.sample_qasm(program, device_id="qulacs", shots=10).result()
    done = _with_closed_stdout(*argv)
    assert done.stderr == ""  # no "error: [Errno 32] Broken pipe", no "Exception ignored"
    # argparse itself ignores a failed write of --help and exits 0; commands exit 141.
    expected = ExitCode.OK if command == ["--help"] else ExitCode.STDOUT_CLOSED
    assert done.returncode == expected
    assert ExitCode.STDOUT_CLOSED == 141  # 128 + SIGPIPE, as a shell reports for coreutils
