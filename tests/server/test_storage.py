from __future__ import annotations

import io
import json
import random
import zipfile

import requests
from local_testkit import BELL, Api, zip_of

from oqtopus_bridge.local import LocalServer


def _tamper(url: str, name: str, value: str) -> str:
    base, query = url.split("?", 1)
    params = dict(part.split("=", 1) for part in query.split("&"))
    params[name] = value
    return base + "?" + "&".join(f"{k}={v}" for k, v in params.items())


def test_download_refuses_tampered_and_unsigned(api: Api) -> None:
    job = api.wait(api.create({"program": [BELL]}))
    url = job["job_info"]["result"]
    assert requests.get(url, timeout=10).status_code == 200
    for bad in (
        _tamper(url, "signature", "AAAA"),
        _tamper(url, "expires", "9999999999"),
        url.replace("/result.zip", "/input.zip"),
        url.split("?")[0],
    ):
        response = requests.get(bad, timeout=10)
        assert response.status_code == 403, bad
        assert response.json()["message"]


def test_download_refuses_path_traversal(server: LocalServer) -> None:
    for path in (
        "/_storage/objects/../oqtopus.sqlite3",
        "/_storage/objects/..%2F..%2Fetc/passwd",
        "/_storage/objects/%2Fetc/passwd",
    ):
        response = requests.get(server.url + path + "?expires=1&signature=x", timeout=10)
        assert response.status_code in (403, 404), path


def test_expired_urls_are_refused() -> None:
    with LocalServer(url_expiry_s=-1) as srv:
        api = Api(srv.url, srv.token)
        registered = api.register()
        response = api.upload(registered["presigned_url"], zip_of("input.json", b"{}"))
        assert response.status_code == 403
        assert "expired" in response.json()["message"]
        device = api.get("/devices/qulacs").json()
        response = requests.get(device["device_info"], timeout=10)
        assert response.status_code == 403
        assert "expired" in response.json()["message"]


def test_upload_form_must_be_complete_and_untampered(api: Api) -> None:
    form = api.register()["presigned_url"]
    data = zip_of("input.json", b"{}")
    missing = requests.post(
        form["url"],
        data={"key": form["fields"]["key"]},
        files={"file": ("input.zip", data)},
        timeout=10,
    )
    assert missing.status_code == 400
    other_key = dict(form["fields"], key="someone-else/input.zip")
    response = requests.post(
        form["url"], data=other_key, files={"file": ("input.zip", data)}, timeout=10
    )
    assert response.status_code == 403
    no_file = requests.post(form["url"], data=form["fields"], timeout=10)
    assert no_file.status_code == 400


def test_upload_after_submit_is_refused(api: Api) -> None:
    registered = api.register()
    data = zip_of("input.json", json.dumps({"program": [BELL]}).encode())
    assert api.upload(registered["presigned_url"], data).status_code == 204
    body = {"device_id": "qulacs", "job_type": "sampling", "shots": 10}
    api.post(f"/jobs/{registered['job_id']}/submit", json=body)
    assert api.upload(registered["presigned_url"], data).status_code == 403
    api.wait(registered["job_id"])


def test_upload_size_limit() -> None:
    with LocalServer(max_upload_bytes=1024) as srv:
        api = Api(srv.url, srv.token)
        form = api.register()["presigned_url"]
        big = io.BytesIO()
        with zipfile.ZipFile(big, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("input.json", b"x" * 4096)
        response = api.upload(form, big.getvalue())
        assert response.status_code == 413
        assert "limit" in response.json()["message"]
        assert api.upload(form, zip_of("input.json", b"{}")).status_code == 204


def test_an_object_downloads_as_uploaded_below_and_above_the_inline_size(api: Api) -> None:
    # Up to 256 KiB an object is read on the event loop, above it in a thread (routes.storage).
    for size in (0, 1000, 256 * 1024, 256 * 1024 + 1, 600 * 1024):
        data = random.Random(size).randbytes(size)
        registered = api.register()
        assert api.upload(registered["presigned_url"], data).status_code == 204
        body = {"device_id": "qulacs", "job_type": "sampling", "shots": 100}
        job_id = registered["job_id"]
        assert api.post(f"/jobs/{job_id}/submit", json=body).status_code == 200
        job = api.wait(job_id)  # fails: the bytes are no zip; its input stays downloadable
        response = requests.get(job["job_info"]["input"], timeout=30)
        assert response.status_code == 200
        assert response.content == data
