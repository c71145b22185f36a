"""What a worker builds once and reuses (issue 16): the noise model, its serialized form.

Also the transpiled program's export, which writes each angle as its exact float literal.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
from collections.abc import Iterator

import pytest
from local_testkit import Api
from qiskit import QuantumCircuit, qasm3
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel, ReadoutError

from oqtopus_bridge.local import LocalServer
from oqtopus_bridge.local.devices import Device, _parse_catalog, default_catalog
from oqtopus_bridge.local.engine.simulate import cached_noise_model, noise_model, simulator

NEAR_HALF_PI = 1.5707963267948968  # pi/2 plus one ulp: not pi/2


def _anemone() -> Device:
    return _parse_catalog(json.dumps(default_catalog()))["anemone"]


def test_a_copy_of_the_same_device_reuses_the_noise_model() -> None:
    device = _anemone()
    first = cached_noise_model(device)
    assert cached_noise_model(pickle.loads(pickle.dumps(device))) is first


def test_a_recalibrated_device_gets_a_new_noise_model() -> None:
    device = _anemone()
    first = cached_noise_model(device)
    info = json.loads(json.dumps(device.device_info))
    info["qubits"][0]["fidelity"] = 0.9
    assert cached_noise_model(dataclasses.replace(device, device_info=info)) is not first


def test_the_serialized_noise_model_is_kept_until_the_model_changes() -> None:
    model = noise_model(_anemone())
    serialized = model.to_dict(serializable=True)
    assert model.to_dict(serializable=True) is serialized
    model.add_readout_error(ReadoutError([[0.5, 0.5], [0.5, 0.5]]), [15])
    changed = model.to_dict(serializable=True)
    assert changed is not serialized and changed != serialized


def test_the_cached_model_samples_what_a_fresh_one_samples() -> None:
    device = _anemone()
    circuit = QuantumCircuit(2, 2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure([0, 1], [0, 1])
    fresh = noise_model(device)  # serialized by its first run, as every run did before
    cached = cached_noise_model(device)
    cached.to_dict(serializable=True)  # served from the cache from now on

    def counts(model: NoiseModel) -> dict[str, int]:
        simulator = AerSimulator(noise_model=model, seed_simulator=11)
        return dict(simulator.run(circuit, shots=500).result().get_counts())

    assert counts(cached) == counts(fresh) == counts(cached)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with LocalServer(tmp_path_factory.mktemp("caches"), workers=1) as server:
        yield Api(server.url, server.token)


def test_the_transpiled_program_holds_each_angle_exactly(api: Api) -> None:
    program = (
        'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[1] q;\nbit[1] c;\n'
        f"rz({NEAR_HALF_PI!r}) q[0];\nsx q[0];\nc[0] = measure q[0];\n"
    )
    job, _ = api.run({"program": [program]})
    assert job["status"] == "succeeded", job
    transpiled = api.item(job, "transpile_result")["transpiled_program"]
    circuit = qasm3.loads(transpiled)
    angles = [float(inst.operation.params[0]) for inst in circuit.data if inst.operation.params]
    assert angles == [NEAR_HALF_PI]  # the default export wrote pi/2


def _transpiled_bell(device: Device) -> QuantumCircuit:
    from oqtopus_bridge.local.engine.circuits import DEFAULT_TRANSPILER_INFO, transpile_for_device

    circuit = QuantumCircuit(2, 2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure([0, 1], [0, 1])
    transpiled, _ = transpile_for_device(circuit, device, dict(DEFAULT_TRANSPILER_INFO))
    return transpiled


def test_a_job_s_noise_model_holds_only_the_qubits_it_touches() -> None:
    device = _anemone()
    transpiled = _transpiled_bell(device)
    touched = {transpiled.find_bit(q).index for inst in transpiled.data for q in inst.qubits}
    model = simulator(device, 3, [transpiled]).options.noise_model
    assert set(model.noise_qubits) == touched
    assert len(touched) < device.n_qubits


def test_the_restricted_noise_model_samples_what_the_whole_one_samples() -> None:
    device = _anemone()
    transpiled = _transpiled_bell(device)
    whole = AerSimulator(noise_model=noise_model(device), seed_simulator=5)
    restricted = simulator(device, 5, [transpiled])
    expected = whole.run(transpiled, shots=2000).result().get_counts()
    assert restricted.run(transpiled, shots=2000).result().get_counts() == expected
