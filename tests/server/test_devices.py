from __future__ import annotations

import json

import requests
from local_testkit import Api, unzip

from oqtopus_bridge.local import LocalServer


def test_list_devices_has_defaults(api: Api) -> None:
    devices = {d["device_id"]: d for d in api.get("/devices").json()}
    assert {"qulacs", "anemone", "kawasaki"} <= set(devices)
    qulacs = devices["qulacs"]
    assert qulacs["device_type"] == "simulator"
    assert qulacs["status"] == "available"
    assert qulacs["n_qubits"] == 16
    assert qulacs["basis_gates"] == ["x", "sx", "rz", "cx"]
    assert devices["kawasaki"]["status"] == "unavailable"
    for device in devices.values():
        for key in ("n_pending_jobs", "supported_instructions", "description"):
            assert key in device


def test_device_info_is_a_download_of_a_single_entry_zip(api: Api) -> None:
    device = api.get("/devices/anemone").json()
    response = requests.get(device["device_info"], timeout=10)
    assert response.status_code == 200
    info = json.loads(unzip(response.content))
    assert len(info["qubits"]) == 16
    qubit = info["qubits"][0]
    assert {"prob_meas1_prep0", "prob_meas0_prep1", "readout_assignment_error"} <= set(
        qubit["meas_error"]
    )
    assert {"t1", "t2"} <= set(qubit["qubit_lifetime"])
    assert 0.99 < qubit["fidelity"] < 1
    pairs = {(c["control"], c["target"]) for c in info["couplings"]}
    assert (0, 1) in pairs and (1, 0) in pairs and (0, 5) not in pairs


def test_unknown_device_is_404_with_message(api: Api) -> None:
    response = api.get("/devices/nope")
    assert response.status_code == 404
    assert response.json() == {"message": "device_id=nope is not found."}


def test_devices_require_token(server: LocalServer) -> None:
    assert requests.get(server.url + "/devices", timeout=10).status_code == 401
    bad = requests.get(server.url + "/devices", headers={"q-api-token": "wrong"}, timeout=10)
    assert bad.status_code == 401
    assert "message" in bad.json()


def test_catalog_edits_are_picked_up(tmp_path: object) -> None:
    with LocalServer() as srv:
        path = srv.data_dir / "devices.json"
        catalog = json.loads(path.read_text())
        catalog[0]["description"] = "edited"
        path.write_text(json.dumps(catalog))
        api = Api(srv.url, srv.token)
        assert api.get("/devices/qulacs").json()["description"] == "edited"
