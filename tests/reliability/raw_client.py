"""A minimal client of the OQTOPUS user API written from the spec with plain ``requests``.

It is deliberately independent of ``oqtopus_bridge``'s core, so the load, crash and security tests
exercise the server alone. It speaks the storage protocol: register, presigned multipart upload of
``input.zip``, submit; results are read from the presigned download URLs in ``job_info``.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from typing import Any

import requests

BELL = """OPENQASM 3;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
h q[0];
cx q[0], q[1];
c = measure q;
"""
FINAL = ("succeeded", "failed", "cancelled")


def layered_program(n: int, layers: int = 6) -> str:
    """An ``n``-qubit circuit of ``layers`` rx/cx layers: many outcomes, and slow when noisy."""
    lines = ["OPENQASM 3;", 'include "stdgates.inc";', f"qubit[{n}] q;", f"bit[{n}] c;"]
    for layer in range(layers):
        lines += [f"rx({0.3 + 0.1 * layer + 0.01 * i}) q[{i}];" for i in range(n)]
        lines += [f"cx q[{i}], q[{i + 1}];" for i in range(n - 1)]
    return "\n".join([*lines, "c = measure q;"])


def input_zip(payload: dict[str, Any]) -> bytes:
    """Return ``input.zip`` holding ``input.json`` (the client side of the storage format)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("input.json", json.dumps(payload))
    return buffer.getvalue()


def single_entry(data: bytes) -> Any:
    """Return the JSON of the only entry of a zip."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert len(names) == 1, names
        return json.loads(archive.read(names[0]))


class RawClient:
    """One user's HTTP sessions (API with token, storage without).

    Args:
        url: API base URL.
        token: The user's ``q-api-token``.
        timeout: ``(connect, read)`` timeout of every request.
    """

    def __init__(self, url: str, token: str, timeout: tuple[float, float] = (5.0, 60.0)) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.api = requests.Session()
        self.api.headers["q-api-token"] = token
        self.storage = requests.Session()

    def close(self) -> None:
        """Close both sessions."""
        self.api.close()
        self.storage.close()

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send one API request."""
        return self.api.request(method, f"{self.url}{path}", timeout=self.timeout, **kwargs)

    def register(self) -> dict[str, Any]:
        """``POST /jobs``: return ``{job_id, presigned_url}``."""
        response = self.call("POST", "/jobs")
        response.raise_for_status()
        return dict(response.json())

    def upload(self, form: dict[str, Any], data: bytes) -> requests.Response:
        """Multipart POST of ``data`` to a presigned form (every field forwarded, file last)."""
        files = {"file": ("input.zip", data, "application/zip")}
        return self.storage.post(
            form["url"], data=form["fields"], files=files, timeout=self.timeout
        )

    def submit(
        self,
        program: str = BELL,
        *,
        shots: int = 100,
        device_id: str = "qulacs",
        name: str | None = None,
        job_type: str = "sampling",
        payload: dict[str, Any] | None = None,
    ) -> str:
        """Register, upload and submit one job; return its id."""
        registered = self.register()
        job_id = str(registered["job_id"])
        body = payload if payload is not None else {"program": [program]}
        self.upload(registered["presigned_url"], input_zip(body)).raise_for_status()
        request = {
            "name": name or job_id,
            "device_id": device_id,
            "job_type": job_type,
            "shots": shots,
        }
        self.call("POST", f"/jobs/{job_id}/submit", json=request).raise_for_status()
        return job_id

    def status(self, job_id: str) -> str:
        """``GET /jobs/{id}/status``."""
        response = self.call("GET", f"/jobs/{job_id}/status")
        response.raise_for_status()
        return str(response.json()["status"])

    def job(self, job_id: str) -> dict[str, Any]:
        """``GET /jobs/{id}``."""
        response = self.call("GET", f"/jobs/{job_id}")
        response.raise_for_status()
        return dict(response.json())

    def download(self, url: str) -> Any:
        """Fetch a presigned download URL and return the JSON inside its zip."""
        response = self.storage.get(url, timeout=self.timeout)
        response.raise_for_status()
        return single_entry(response.content)

    def result(self, job_id: str) -> dict[str, Any]:
        """Return the ``result.json`` of a finished job."""
        info = self.job(job_id)["job_info"]
        return dict(self.download(info["result"]))

    def wait(self, job_ids: list[str], timeout: float, poll: float = 0.05) -> dict[str, str]:
        """Poll until every job is final (or ``timeout``); return the last statuses."""
        deadline = time.monotonic() + timeout
        statuses = dict.fromkeys(job_ids, "unknown")
        pending = list(job_ids)
        while pending and time.monotonic() < deadline:
            for job_id in list(pending):
                statuses[job_id] = self.status(job_id)
                if statuses[job_id] in FINAL:
                    pending.remove(job_id)
            if pending:
                time.sleep(poll)
        return statuses

    def wait_for(self, job_id: str, status: str, timeout: float, poll: float = 0.05) -> bool:
        """Poll until the job has ``status``; False if it ends otherwise or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = self.status(job_id)
            if now == status:
                return True
            if now in FINAL:
                return False
            time.sleep(poll)
        return False

    def list_jobs(self, **params: Any) -> list[dict[str, Any]]:
        """Return every job of the user (all pages of ``GET /jobs``)."""
        jobs: list[dict[str, Any]] = []
        page = 1
        while True:
            response = self.call("GET", "/jobs", params={**params, "page": page, "size": 1000})
            response.raise_for_status()
            batch = response.json()
            jobs.extend(batch)
            if len(batch) < 1000:
                return jobs
            page += 1
