"""Security of the local server: authentication, isolation between users, and storage URLs.

Attacks come from a client that holds its own valid token (and, for the storage checks, even the
server's signing key, i.e. the worst case), so every refusal is due to the rule under test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from raw_client import BELL, RawClient, input_zip

from oqtopus_bridge.local import ServerSettings, create_app

PUBLIC = ("/_storage/", "/openapi.json", "/docs", "/redoc")


def _routes(protocol: str, tmp_path: Path) -> list[tuple[str, str]]:
    """Every (method, path) of the app, read from the app itself so new endpoints are covered."""
    settings = ServerSettings(data_dir=tmp_path / protocol, protocol=protocol)  # type: ignore[arg-type]
    paths = create_app(settings).openapi()["paths"]
    return [
        (method.upper(), path)
        for path, operations in sorted(paths.items())
        for method in operations
        if not path.startswith(PUBLIC)
    ]


def _fill(path: str, job_id: str) -> str:
    return path.replace("{job_id}", job_id).replace("{device_id}", "qulacs")


@pytest.fixture(scope="module")
def victim(fresh_server: Any) -> dict[str, Any]:
    """A succeeded job and a registered (uploaded) job of the default user."""
    client = RawClient(fresh_server.url, fresh_server.token)
    done = client.submit(shots=10, name="victim-secret-name")
    registered = client.register()
    client.upload(registered["presigned_url"], input_zip({"program": [BELL]})).raise_for_status()
    assert client.wait([done], 60)[done] == "succeeded"
    return {"done": done, "registered": registered, "job": client.job(done)}


@pytest.mark.parametrize("protocol", ["storage", "legacy"])
@pytest.mark.parametrize("token", [None, "", "wrong-token", "Bearer x"])
def test_every_endpoint_refuses_a_missing_or_wrong_token(
    protocol: str,
    token: str | None,
    fresh_server: Any,
    legacy_server: Any,
    victim: dict[str, Any],
    tmp_path: Path,
) -> None:
    server = fresh_server if protocol == "storage" else legacy_server
    routes = _routes(protocol, tmp_path)
    assert len(routes) >= 8
    headers = {} if token is None else {"q-api-token": token}
    body = {"device_id": "qulacs", "job_type": "sampling", "shots": 10}
    refused = {}
    for method, path in routes:
        url = server.url + _fill(path, victim["done"])
        response = requests.request(method, url, headers=headers, json=body, timeout=10)
        refused[f"{method} {path}"] = response.status_code
    assert set(refused.values()) == {401}, refused


def test_another_users_jobs_are_not_found(fresh_server: Any, victim: dict[str, Any]) -> None:
    mallory = RawClient(fresh_server.url, fresh_server.add_user("mallory"))
    body = {"device_id": "qulacs", "job_type": "sampling", "shots": 10}
    for job_id in (victim["done"], victim["registered"]["job_id"]):
        for method, suffix in [
            ("GET", ""),
            ("GET", "/status"),
            ("POST", "/cancel"),
            ("DELETE", ""),
            ("POST", "/submit"),
        ]:
            response = mallory.call(method, f"/jobs/{job_id}{suffix}", json=body)
            assert response.status_code == 404, (method, suffix, response.text)
    assert mallory.list_jobs() == []
    assert mallory.list_jobs(q="victim-secret-name") == []
    owner = RawClient(fresh_server.url, fresh_server.token)
    assert owner.status(victim["done"]) == "succeeded", "mallory's requests changed the job"
    assert owner.status(victim["registered"]["job_id"]) == "registered"


def _secret(server: Any) -> bytes:
    return (Path(server.data_dir) / "signing.key").read_bytes()


def _sign(secret: bytes, message: str) -> str:
    digest = hmac.new(secret, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _signed_get(server: Any, key: str, expires: int) -> requests.Response:
    signature = _sign(_secret(server), f"GET\n{key}\n{expires}")
    url = f"{server.url}/_storage/objects/{key}?expires={expires}&signature={signature}"
    return requests.get(url, timeout=10)


def test_tampered_or_expired_download_urls_are_refused(
    fresh_server: Any, victim: dict[str, Any]
) -> None:
    url = victim["job"]["job_info"]["result"]
    assert requests.get(url, timeout=10).status_code == 200
    base, query = url.split("?")
    params = dict(part.split("=", 1) for part in query.split("&"))
    flipped = params["signature"][:-1] + ("A" if params["signature"][-1] != "A" else "B")
    other = RawClient(fresh_server.url, fresh_server.token).submit(shots=5, name="other")
    tampered = [
        f"{base}?expires={params['expires']}&signature={flipped}",
        f"{base}?expires={int(params['expires']) + 1}&signature={params['signature']}",
        f"{base.replace(victim['done'], other)}?{query}",
        f"{base.replace('result.zip', 'input.zip')}?{query}",
        base,
        f"{base}?expires={params['expires']}",
    ]
    for bad in tampered:
        assert requests.get(bad, timeout=10).status_code == 403, bad
    expired = _signed_get(fresh_server, f"{victim['done']}/result.zip", int(time.time()) - 5)
    assert expired.status_code == 403 and "expired" in expired.text


@pytest.mark.parametrize(
    "key",
    [
        "../signing.key",
        "..%2Fsigning.key",
        "%2E%2E/signing.key",
        "x/../../signing.key",
        "/etc/passwd",
        "..\\signing.key",
        "a/./../../api_token",
        "%2e%2e%2f%2e%2e%2fapi_token",
    ],
)
def test_path_traversal_in_download_keys_is_refused(fresh_server: Any, key: str) -> None:
    # Signed with the server's own key: only the key validation stands in the way.
    for candidate in (key, quote(key, safe="")):
        response = _signed_get(fresh_server, candidate, int(time.time()) + 60)
        assert response.status_code in (403, 404), (candidate, response.status_code)
        assert _secret(fresh_server) not in response.content
        assert fresh_server.token.encode() not in response.content


def _form(server: Any, key: str) -> dict[str, str]:
    policy_doc = {"key": key, "expires": int(time.time()) + 60, "max": 1 << 20}
    policy = base64.b64encode(json.dumps(policy_doc).encode()).decode()
    return {"key": key, "policy": policy, "signature": _sign(_secret(server), f"POST\n{policy}")}


@pytest.mark.parametrize(
    "key", ["../evil.zip", "../../evil.zip", "x/../../evil.zip", "/tmp/evil.zip"]
)
def test_path_traversal_in_upload_keys_is_refused(fresh_server: Any, key: str) -> None:
    files = {"file": ("input.zip", b"PK-not-really", "application/zip")}
    response = requests.post(
        f"{fresh_server.url}/_storage/upload",
        data=_form(fresh_server, key),
        files=files,
        timeout=10,
    )
    assert response.status_code in (400, 403, 404), response.text
    data_dir = Path(fresh_server.data_dir)
    assert not list(data_dir.parent.rglob("evil.zip")) and not Path("/tmp/evil.zip").exists()


def test_upload_forms_cannot_be_redirected_or_reused(
    fresh_server: Any, victim: dict[str, Any]
) -> None:
    mallory = RawClient(fresh_server.url, fresh_server.add_user("mallory-2"))
    own = mallory.register()["presigned_url"]
    target = f"{victim['registered']['job_id']}/input.zip"
    redirected = {"url": own["url"], "fields": {**own["fields"], "key": target}}
    assert mallory.upload(redirected, input_zip({"program": ["evil"]})).status_code == 403
    policy = json.loads(base64.b64decode(own["fields"]["policy"]))
    forged = base64.b64encode(json.dumps({**policy, "key": target}).encode()).decode()
    reforged = {"url": own["url"], "fields": {**own["fields"], "key": target, "policy": forged}}
    assert mallory.upload(reforged, input_zip({"program": ["evil"]})).status_code == 403
    done_form = RawClient(fresh_server.url, fresh_server.token).job(victim["done"])
    assert done_form["status"] == "succeeded"
    # A form of a job that was already submitted cannot overwrite its input.
    owner = RawClient(fresh_server.url, fresh_server.token)
    registered = owner.register()
    job_id = registered["job_id"]
    owner.upload(registered["presigned_url"], input_zip({"program": [BELL]})).raise_for_status()
    body = {"device_id": "qulacs", "job_type": "sampling", "shots": 5}
    owner.call("POST", f"/jobs/{job_id}/submit", json=body).raise_for_status()
    again = owner.upload(registered["presigned_url"], input_zip({"program": ["evil"]}))
    assert again.status_code == 403
