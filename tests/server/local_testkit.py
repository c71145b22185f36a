"""Helpers of the local-server tests: zips, programs, and a small HTTP driver (``Api``)."""

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
c = measure q;"""


def zip_of(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def unzip(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert len(names) == 1, names
        return archive.read(names[0])


class Api:
    """Drives one server over HTTP as a user with ``token``."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["q-api-token"] = token

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url + path, timeout=30, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.url + path, timeout=30, **kwargs)

    def delete(self, path: str) -> requests.Response:
        return self.session.delete(self.url + path, timeout=30)

    def register(self) -> dict[str, Any]:
        response = self.post("/jobs")
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def upload(self, form: dict[str, Any], data: bytes) -> requests.Response:
        files = {"file": ("input.zip", data, "application/zip")}
        return requests.post(form["url"], data=form["fields"], files=files, timeout=30)

    def create(self, payload: dict[str, Any] | bytes, **submit: Any) -> str:
        """Register, upload ``payload`` as input.zip, submit; return the job id."""
        registered = self.register()
        data = (
            payload
            if isinstance(payload, bytes)
            else zip_of("input.json", json.dumps(payload).encode())
        )
        assert self.upload(registered["presigned_url"], data).status_code == 204
        body = {"device_id": "qulacs", "job_type": "sampling", "shots": 100, **submit}
        response = self.post(f"/jobs/{registered['job_id']}/submit", json=body)
        assert response.status_code == 200, response.text
        return str(registered["job_id"])

    def wait(self, job_id: str, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(f"/jobs/{job_id}").json()
            if job["status"] in ("succeeded", "failed", "cancelled"):
                return job  # type: ignore[no-any-return]
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} did not finish")

    def item(self, job: dict[str, Any], name: str) -> Any:
        response = requests.get(job["job_info"][name], timeout=30)
        assert response.status_code == 200, response.text
        content = unzip(response.content)
        try:
            return json.loads(content)
        except ValueError:
            return content.decode()

    def run(self, payload: dict[str, Any], **submit: Any) -> tuple[dict[str, Any], Any]:
        """Create a job, wait, and return ``(job, result.json or None)``."""
        job = self.wait(self.create(payload, **submit))
        result = self.item(job, "result") if "result" in job["job_info"] else None
        return job, result
