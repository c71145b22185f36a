"""Hostile SSE programs (issue 21): each attack a program can try, and what it gets now.

Every test runs a real attack program as an SSE job on a real server over HTTP and asserts what
the program got from inside, or what was left on the host after the job ended. The attacks: undo
the mask over the data directory (``umount2``, a nested namespace, bind and remount), point its
own output at the server's secrets, reach other ports of the host, read other servers' data
directories and the host's secrets, fork without bound, leave a ``setsid`` grandchild behind, and
use its job-scoped token on the owner's other jobs.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from raw_client import RawClient

from oqtopus_bridge.local import LocalServer

GENEROUS_TIME_LIMIT_S = 300.0
SECRETS = ("api_token", "signing.key", "ui.key")

# Prepended to every attack: helpers that print one JSON line the test reads back.
PRELUDE = """
import ctypes, json, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
def report(**found):
    print("REPORT" + json.dumps(found), flush=True)
def read(path):
    try:
        with open(path, "rb") as handle:
            return "read %d bytes" % len(handle.read())
    except OSError as exc:
        return "refused: " + type(exc).__name__
def call(name, *args):
    result = getattr(libc, name)(*args)
    return "ok" if result == 0 else "refused: " + os.strerror(ctypes.get_errno())
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with LocalServer(
        data_dir=tmp_path_factory.mktemp("hostile-sse"),
        sse_timeout_s=GENEROUS_TIME_LIMIT_S,
        test_hooks=True,
    ) as running:
        assert all(Path(path).is_file() for path in _secrets(running.data_dir))
        yield running


def _run(server: LocalServer, source: str, name: str = "attack") -> dict[str, Any]:
    client = RawClient(server.url, server.token)
    job_id = client.submit(job_type="sse", payload={"sse_program": PRELUDE + source}, name=name)
    client.wait([job_id], 240)
    job = client.job(job_id)
    output = client.call("GET", f"/local/jobs/{job_id}/program_output")
    job["output"] = output.text if output.status_code == 200 else ""
    lines = [line for line in job["output"].splitlines() if line.startswith("REPORT")]
    job["report"] = json.loads(lines[-1][6:]) if lines else None
    return job


def _secrets(directory: str | Path) -> list[str]:
    return [str(Path(directory) / name) for name in SECRETS]


def test_unmounting_or_remounting_reveals_no_secret(server: LocalServer) -> None:
    data_dir = str(Path(server.data_dir).resolve())
    source = f"""
data_dir, paths = {data_dir!r}, {_secrets(data_dir)!r}
found = {{"umount": call("umount2", data_dir.encode(), 2), "root": call("umount2", b"/", 2)}}
found["bind"] = call("mount", data_dir.encode(), b"/tmp", None, 4096, None)
found["remount"] = call("mount", None, b"/", None, 32 | 4096, None)
found["before"] = [read(path) for path in paths]
# Root of a namespace of its own: the locked mounts still do not come off.
found["unshare"] = call("unshare", 0x10000000 | 0x00020000)
found["nested_umount"] = call("umount2", data_dir.encode(), 2)
found["nested_root"] = call("umount2", b"/", 2)
found["after"] = [read(path) for path in paths]
report(**found)
"""
    job = _run(server, source)
    found = job["report"]
    assert job["status"] == "succeeded", job
    for attempt in ("umount", "root", "bind", "remount", "nested_umount", "nested_root"):
        assert found[attempt].startswith("refused"), (attempt, found)
    assert all(result.startswith("refused") for result in found["before"] + found["after"]), found


def test_pointing_its_output_at_a_secret_gets_nothing(server: LocalServer) -> None:
    token_file = str(Path(server.data_dir).resolve() / "api_token")
    source = f"""
swapped = []
for fd in (1, 2):
    try:
        path = os.readlink("/proc/self/fd/%d" % fd)
        os.unlink(path)
        os.symlink({token_file!r}, path)
        swapped.append(path)
    except OSError as exc:
        swapped.append("refused: " + type(exc).__name__)
report(swapped=swapped)
"""
    job = _run(server, source)
    assert job["status"] == "succeeded", job
    assert server.token not in job["output"]
    assert server.token not in json.dumps(job)


@pytest.fixture()
def host_listener() -> Iterator[int]:
    """A TCP listener on another loopback port of the host, standing for any local service."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


def test_the_network_reaches_the_api_and_nothing_else(
    server: LocalServer, host_listener: int
) -> None:
    source = f"""
import urllib.request
def connect(host, port):
    try:
        socket.create_connection((host, port), timeout=5).close()
        return "connected"
    except OSError as exc:
        return "refused: " + type(exc).__name__
request = urllib.request.Request(os.environ["OQTOPUS_URL"] + "/jobs", method="POST",
                                 headers={{"q-api-token": os.environ["OQTOPUS_API_TOKEN"]}})
with urllib.request.urlopen(request, timeout=30) as answer:
    registered = json.loads(answer.read())
report(host=connect("127.0.0.1", {host_listener}), dns=connect("example.com", 80),
       outside=connect("1.1.1.1", 53), api=registered["job_id"])
"""
    job = _run(server, source)
    found = job["report"]
    assert job["status"] == "succeeded", job
    assert found["host"].startswith("refused"), found
    assert found["dns"].startswith("refused") and found["outside"].startswith("refused"), found
    # The API works: the job the program registered is its inner job, seen by the owner.
    owner = RawClient(server.url, server.token)
    assert owner.status(found["api"]) == "registered"


def test_other_servers_and_the_hosts_secrets_are_invisible(
    server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Even with the server user's home ($HOME) on the program's PYTHONPATH, none of its files
    # shows.
    home = Path.home().resolve()
    home_files = sorted(str(path) for path in home.iterdir() if path.is_file())[:20]
    pythonpath = [os.environ.get("PYTHONPATH"), str(home)]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, pythonpath)))
    with LocalServer(data_dir=tmp_path / "other-server") as other:
        paths = [*_secrets(Path(other.data_dir).resolve()), "/etc/shadow", *home_files]
        source = f"""
def listing(path):
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        return "refused: " + type(exc).__name__
report(files=[read(path) for path in {paths!r}], tmp=listing("/tmp"), root=listing("/root"),
       other=listing({str(Path(other.data_dir).resolve())!r}), home=listing(os.environ["HOME"]))
"""
        job = _run(server, source)
    found = job["report"]
    assert job["status"] == "succeeded", job
    assert all(result.startswith("refused") for result in found["files"]), found
    assert found["other"] == "refused: FileNotFoundError", found
    # /tmp is a fresh one: the directory of its own home, no test's or other server's directory.
    assert any(name.startswith("oqtopus-sse-") for name in found["tmp"]), found
    assert not any(name.startswith("pytest-of") for name in found["tmp"]), found
    assert found["home"] == ["userprogram.py"], found
    # /root is at most the way to the interpreter (pyenv's lives there): no dotfile, no keys.
    assert not isinstance(found["root"], list) or not {".ssh", ".bashrc"} & set(found["root"])


def test_a_fork_bomb_is_bounded_and_the_server_survives(server: LocalServer) -> None:
    # 400 children, each gone after 30 s whatever happens: past the limit of 128 tasks a fork
    # fails, and the program says how many it made.
    source = """
import time
children = 0
try:
    for _ in range(400):
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        children += 1
except OSError as exc:
    report(children=children, error=str(exc))
    sys.exit(3)
report(children=children)
"""
    job = _run(server, source)
    assert job["status"] == "failed", job
    assert job["report"]["children"] < 128, job["report"]
    assert "limit of 128 processes" in job["job_info"]["message"], job["job_info"]["message"]
    benign = _run(server, "report(ok=True)\n")
    assert benign["status"] == "succeeded" and benign["report"] == {"ok": True}


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_a_setsid_grandchild_dies_with_the_job(server: LocalServer) -> None:
    marker = f"oqtopus-orphan-{uuid.uuid4().hex}"
    source = f"""
import time
ready, signal_ready = os.pipe()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.close(ready)
        os.write(signal_ready, b"x")
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(120)",
                                  {marker!r}])
    os._exit(0)
os.close(signal_ready)
os.read(ready, 1)  # the grandchild runs
report(started=True)
"""
    job = _run(server, source)
    assert job["status"] == "succeeded", job
    assert job["report"] == {"started": True}
    assert _processes_with(marker) == [], "the grandchild outlived its job"


def test_the_job_token_reaches_only_the_programs_own_jobs(server: LocalServer) -> None:
    owner = RawClient(server.url, server.token)
    finished = owner.submit(shots=5, name="owners-finished-job")
    owner.wait([finished], 120)
    registered = str(owner.register()["job_id"])
    source = f"""
import urllib.request, urllib.error
def api(method, path):
    request = urllib.request.Request(os.environ["OQTOPUS_URL"] + path, method=method,
                                     headers={{"q-api-token": os.environ["OQTOPUS_API_TOKEN"]}})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return [answer.status, answer.read().decode()]
    except urllib.error.HTTPError as exc:
        return [exc.code, exc.read().decode()]
own = json.loads(api("POST", "/jobs")[1])["job_id"]
report(own=own, get_own=api("GET", "/jobs/" + own)[0], list=api("GET", "/jobs")[1],
       get=api("GET", "/jobs/{finished}"), status=api("GET", "/jobs/{finished}/status"),
       cancel=api("POST", "/jobs/{registered}/cancel"), delete=api("DELETE", "/jobs/{finished}"),
       output=api("GET", "/local/jobs/{finished}/program_output"),
       profile=api("PATCH", "/users/me"))
"""
    job = _run(server, source)
    found = job["report"]
    assert job["status"] == "succeeded", job
    assert found["get_own"] == 200
    assert [item["job_id"] for item in json.loads(found["list"])] == [found["own"]]
    for attempt in ("get", "status", "cancel", "delete", "output"):
        code, body = found[attempt]
        assert code == 404 and "only the jobs it created" in body, (attempt, found[attempt])
    assert found["profile"][0] == 403 and "not the profile" in found["profile"][1], found
    assert owner.status(finished) == "succeeded"
    assert owner.status(registered) == "registered"


def test_sse_is_refused_where_the_kernel_offers_no_sandbox(server: LocalServer) -> None:
    job = _run(server, "report(ran=True)\n", name="test-hook:no-sandbox")
    assert job["status"] == "failed", job
    message = job["job_info"]["message"]
    assert message.startswith("SSE programs are refused on this server"), message
    assert "user namespaces" in message and "process-count limit" in message, message
    assert job["report"] is None


def test_the_probe_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    from oqtopus_bridge.local.engine import sandbox

    monkeypatch.setattr(sandbox, "CGROUP_V1", Path("/nonexistent"))
    monkeypatch.setattr(sandbox, "CGROUP_ROOT", Path("/nonexistent"))
    if os.geteuid() != 0:
        pytest.skip("a server that is not root limits processes with RLIMIT_NPROC")
    with pytest.raises(sandbox.SandboxUnavailable, match="no process-count limit"):
        sandbox.ProcessLimit(16)


def test_the_programs_processes_die_with_a_killed_server(tmp_path: Path) -> None:
    from server_process import ServerProcess

    marker = f"oqtopus-orphan-{uuid.uuid4().hex}"
    # The program leaves a setsid grandchild, registers an inner job to say so, and waits.
    source = f"""
import time, urllib.request
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(900)",
                                  {marker!r}])
    os._exit(0)
while not any({marker!r}.encode() in open("/proc/%s/cmdline" % pid, "rb").read()
              for pid in os.listdir("/proc") if pid.isdigit()):
    time.sleep(0.05)
request = urllib.request.Request(os.environ["OQTOPUS_URL"] + "/jobs", method="POST",
                                 headers={{"q-api-token": os.environ["OQTOPUS_API_TOKEN"]}})
urllib.request.urlopen(request, timeout=30).close()
time.sleep(900)
"""
    token = "hostile-sse-token"
    log = tmp_path / "server.log"
    with ServerProcess(tmp_path / "data", token, workers=1, log_path=log) as process:
        client = RawClient(process.url, token)
        job_id = client.submit(job_type="sse", payload={"sse_program": PRELUDE + source})
        deadline = time.monotonic() + 120  # a hang guard only
        while not [job for job in client.call("GET", "/jobs").json() if job["job_id"] != job_id]:
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-2000:]
            time.sleep(0.05)
        assert _processes_with(marker), "the grandchild should be running now"
        process.kill()
    deadline = time.monotonic() + 60  # a hang guard: they live 900 s if nothing kills them
    while _processes_with(marker):  # the kernel kills them as the server's thread dies
        assert time.monotonic() < deadline, "the program outlived the server"
        time.sleep(0.05)


def test_a_data_directory_inside_a_readable_path_stays_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The program's PYTHONPATH (readable in the sandbox) holds the server's data directory.
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(tmp_path)]))
    )
    with LocalServer(data_dir=tmp_path / "data", sse_timeout_s=GENEROUS_TIME_LIMIT_S) as inside:
        data_dir = str(Path(inside.data_dir).resolve())
        source = f"""
data_dir = {data_dir!r}
found = {{"umount": call("umount2", data_dir.encode(), 2)}}
found["files"] = [read(path) for path in {_secrets(data_dir)!r}]
found["parent"] = sorted(os.listdir({str(tmp_path.resolve())!r}))
report(**found)
"""
        job = _run(inside, source)
    found = job["report"]
    assert job["status"] == "succeeded", job
    assert found["umount"].startswith("refused") and "data" in found["parent"], found
    assert all(result.startswith("refused") for result in found["files"]), found
