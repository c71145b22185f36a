"""Every register layout gives Aer's exact bits via run, OqtopusSamplerV2 and BackendSamplerV2.

All circuits are classical (X/CX), so the oracle (Aer, StatevectorSampler) is exact. Each path
submits the whole set at once, then each layout is compared on its own.
"""

from __future__ import annotations

from typing import Any

import pytest
from qiskit.primitives import BackendSamplerV2, StatevectorSampler
from qiskit_aer import AerSimulator

from oqtopus_bridge.qiskit import OqtopusSamplerV2

from .conftest import REGISTER_LAYOUTS

SHOTS = 16
NAMES = list(REGISTER_LAYOUTS)


@pytest.fixture(scope="module")
def run_result(qulacs: Any, register_layouts: dict) -> Any:
    job = qulacs.run(list(register_layouts.values()), shots=SHOTS, memory=True)
    assert len(job.job_ids()) == len(register_layouts)  # one OQTOPUS job per circuit
    return job.result(timeout=120)


@pytest.fixture(scope="module")
def sampler_result(qulacs: Any, register_layouts: dict) -> Any:
    return OqtopusSamplerV2(qulacs).run(list(register_layouts.values()), shots=SHOTS).result()


@pytest.fixture(scope="module")
def backend_sampler_result(qulacs: Any, register_layouts: dict) -> Any:
    sampler = BackendSamplerV2(backend=qulacs)
    return sampler.run(list(register_layouts.values()), shots=SHOTS).result()


@pytest.fixture(scope="module")
def reference(register_layouts: dict) -> Any:
    return StatevectorSampler().run(list(register_layouts.values()), shots=SHOTS).result()


@pytest.mark.parametrize("name", NAMES)
def test_run_counts_and_memory_equal_aer(name: str, run_result: Any, register_layouts: dict):
    circuit = register_layouts[name]
    aer = AerSimulator().run(circuit, shots=SHOTS, memory=True).result()
    index = NAMES.index(name)
    assert run_result.get_counts(index) == aer.get_counts()
    assert sorted(run_result.get_memory(index)) == sorted(aer.get_memory())
    header = run_result.results[index].header
    assert header["creg_sizes"] == [[r.name, r.size] for r in circuit.cregs]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("path", ["sampler_result", "backend_sampler_result"])
def test_sampler_bit_arrays_equal_statevector_sampler(
    name: str, path: str, request: pytest.FixtureRequest, reference: Any, register_layouts: dict
) -> None:
    result = request.getfixturevalue(path)
    index = NAMES.index(name)
    data, expected = result[index].data, reference[index].data
    for creg in register_layouts[name].cregs:
        got = getattr(data, creg.name)
        want = getattr(expected, creg.name)
        assert got.num_bits == want.num_bits
        assert got.get_counts() == want.get_counts()
    assert result[index].join_data().get_counts() == reference[index].join_data().get_counts()
