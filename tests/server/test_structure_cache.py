"""Programs that differ only in their angles share one parse and transpile (issue 23).

The template of a skeleton must give what the exact path gives (parse, transpile), and a seeded
job the same counts whether its worker's cache was warm or cold.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from local_testkit import Api
from qiskit import QuantumCircuit, qasm3
from qiskit.quantum_info import Statevector

from oqtopus_bridge.local import LocalServer
from oqtopus_bridge.local.devices import Device, _parse_catalog, default_catalog
from oqtopus_bridge.local.engine import pipeline, structure
from oqtopus_bridge.local.engine.circuits import parse_program, transpile_for_device
from oqtopus_bridge.local.errors import JobFailure

HEADER = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[3] q;\nbit[3] c;\n'
LEVEL_1 = {"transpiler_lib": "qiskit", "transpiler_options": {"optimization_level": 1}}
GATES_1Q = ("rx", "ry", "rz", "p")


def _devices() -> dict[str, Device]:
    return _parse_catalog(json.dumps(default_catalog()))


def _program(angles: list[float], comment: str = "") -> str:
    body = "".join(
        f"{GATES_1Q[i % 4]}({angle!r}) q[{i % 3}];\n" + ("cx q[0], q[1];\n" if i % 3 == 2 else "")
        for i, angle in enumerate(angles)
    )
    return HEADER.replace("\n", f"\n{comment}", 1) + body + "c = measure q;\n"


def test_lift_takes_the_angles_of_gate_calls_only() -> None:
    text = _program([0.5, -1.25e-3, 2.0]) + "// rz(0.75) q[0];\n"
    lifted = structure.lift(text)
    assert lifted is not None and lifted.values == (0.5, -1.25e-3, 2.0)
    assert structure.lift(_program([0.1, 0.2, 0.3], "// name: circuit-7\n")) == (
        structure.lift(_program([0.1, 0.2, 0.3], "// name: circuit-8\n"))
    )
    assert structure.lift(HEADER + "h q[0];\nc = measure q;\n") is None  # nothing to lift
    huge = _program([0.5, 0.25, 0.1]).replace("0.25", "1e999")
    assert structure.lift(huge) is None  # not finite: the exact path says what is wrong


def _exact(text: str, device: Device, info: dict[str, Any]) -> QuantumCircuit:
    transpiled, _ = transpile_for_device(parse_program(text), device, info)
    return transpiled


@pytest.mark.parametrize("device_id", ["qulacs", "anemone", "kawasaki"])
def test_programs_of_one_skeleton_share_one_transpile(
    device_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    device = _devices()[device_id]
    built: list[str] = []
    build = structure._build
    monkeypatch.setattr(
        structure, "_build", lambda *args: (built.append(args[1].skeleton), build(*args))[1]
    )
    for angles in ([0.1, 0.2, 0.3, 0.4], [1.5, -2.5, 3.0, 0.0], [math.pi, 0.7, 1e-9, 2.2]):
        text = _program(angles)
        _assert_same_transpile(pipeline._prepare("sampling", [text], device, LEVEL_1), text, device)
    assert len(built) == 1


def _assert_same_transpile(found: Any, text: str, device: Device) -> None:
    """The exact path's transpile, gate for gate, or another decomposition of each 1q run.

    Oracle: Qiskit's own transpile of the program; the two must lay out the program on the same
    physical qubits, use the same two-qubit gates and prepare the same state.
    """
    exact = _exact(text, device, LEVEL_1)
    assert found.transpiled.layout == exact.layout
    if found.transpiled == exact:
        return
    assert found.transpiled.count_ops().get("cx", 0) == exact.count_ops().get("cx", 0)
    strip = [c.remove_final_measurements(inplace=False) for c in (found.transpiled, exact)]
    assert Statevector(strip[0]).equiv(Statevector(strip[1]))


@pytest.mark.parametrize(
    "text",
    [
        HEADER + "rz(0.5) q;\nc = measure q;\n",  # broadcast over the register
        HEADER + "gate g r {\n  rz(0.3) r;\n}\ng q[0];\nrz(0.25) q[1];\nc = measure q;\n",
        HEADER + "gate g(a) r { rz(a) r; rx(0.3) r; }\ng(0.5) q[0];\nc = measure q;\n",
        HEADER + "/*\nrz(0.5) q[0];\n*/\nrz(0.25) q[1];\nc = measure q;\n",  # a comment
        HEADER + "c[0] = measure q[0];\nif (c[0]) {\n  rz(0.25) q[1];\n}\nc = measure q;\n",
        HEADER + "rz(+0.5) q[0];\nrz(0.25) q[1];\nc = measure q;\n",  # a syntax error
        # four angles: Qiskit's parametric basis translation of cu ran for minutes
        HEADER + "x q[0];\ncu(0.1, 0.2, 0.3, 0.4) q[0], q[1];\nc = measure q;\n",
        HEADER + "u(0.1, 0.2, 0.3) q[0];\nc = measure q;\n",
    ],
)
def test_a_skeleton_that_does_not_lift_takes_the_exact_path(text: str) -> None:
    device = _devices()["anemone"]
    lifted = structure.lift(text)
    assert lifted is None or structure.template("sampling", lifted, device, LEVEL_1) is None
    try:
        exact = _exact(text, device, LEVEL_1)
    except JobFailure as failure:  # control flow on a device without it, a bad program
        with pytest.raises(JobFailure, match=re.escape(failure.message)):
            pipeline._prepare("sampling", [text], device, LEVEL_1)
        return
    assert pipeline._prepare("sampling", [text], device, LEVEL_1).transpiled == exact


@pytest.mark.parametrize(
    "options",
    [{"optimization_level": 2}, {"optimization_level": True}, {"optimization_level": 1, "x": 1}],
)
def test_other_transpiler_settings_take_the_exact_path(options: dict[str, Any]) -> None:
    lifted = structure.lift(_program([0.5, 0.25]))
    info = {"transpiler_lib": "qiskit", "transpiler_options": options}
    assert lifted is not None
    assert structure.template("sampling", lifted, _devices()["qulacs"], info) is None


def test_a_constant_global_phase_stays_in_the_skeleton() -> None:
    device = _devices()["anemone"]
    text = HEADER + "gphase(0.5);\nrz(0.25) q[0];\nsx q[0];\nc = measure q;\n"
    lifted = structure.lift(text)
    assert lifted is not None and lifted.values == (0.25,)
    assert structure.template("sampling", lifted, device, LEVEL_1) is not None
    found = pipeline._prepare("sampling", [text], device, LEVEL_1)
    _assert_same_transpile(found, text, device)
    assert math.isclose(found.transpiled.global_phase, _exact(text, device, LEVEL_1).global_phase)


def test_the_templates_are_bounded_by_their_estimated_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    device = _devices()["qulacs"]
    cache = structure.DeviceCache[structure.Template | None](64, structure.MAX_TEMPLATE_BYTES)
    monkeypatch.setattr(structure, "cache", cache)
    skeletons = [structure.lift(_program([0.5] * length)) for length in (3, 6, 9)]
    for lifted in skeletons:
        assert lifted is not None and structure.template("sampling", lifted, device, LEVEL_1)
    sizes = [entry[2] for entry in cache.entries.values()]
    cache.clear()
    cache.max_bytes = sizes[1] + sizes[2]
    for lifted in skeletons:
        assert lifted is not None and structure.template("sampling", lifted, device, LEVEL_1)
    assert [key[1] for key in cache.entries] == [s.skeleton for s in skeletons[1:] if s]
    assert cache.size == sizes[1] + sizes[2]


ANGLES = st.one_of(
    st.floats(-10, 10, allow_nan=False),
    st.sampled_from([0.0, -0.0, math.pi, -math.pi, math.pi / 2, 2 * math.pi, 1e-12]),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(ANGLES, min_size=1, max_size=9), st.sampled_from(["qulacs", "anemone"]))
def test_a_bound_template_is_the_exact_transpile(angles: list[float], device_id: str) -> None:
    """Library oracle: Qiskit's transpile of the same program, gate for gate or as an operator."""
    device = _devices()[device_id]
    text = _program(angles)
    _assert_same_transpile(pipeline._prepare("sampling", [text], device, LEVEL_1), text, device)


# --- over HTTP: cold and warm workers give the same seeded counts ---------------------------

SEEDED = {"simulator_info": {"seed_simulation": 29}, "shots": 2000}
FIRST, SECOND = [0.3, 1.1, -0.4, 2.5, 0.9, 1.7], [2.2, -0.6, 0.8, 1.3, -2.9, 0.05]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, Api]]:
    with (
        LocalServer(Path(tmp_path_factory.mktemp("cold")), workers=1) as cold,
        LocalServer(Path(tmp_path_factory.mktemp("warm")), workers=1) as warm,
    ):
        yield Api(cold.url, cold.token), Api(warm.url, warm.token)


def _seeded(api: Api, text: str, device_id: str) -> tuple[dict[str, int], Any]:
    job, result = api.run({"program": [text]}, device_id=device_id, **SEEDED)
    assert job["status"] == "succeeded", job
    return result["sampling"]["counts"], api.item(job, "transpile_result")


@pytest.mark.parametrize("device_id", ["qulacs", "anemone"])
def test_a_seeded_job_gives_the_same_counts_on_a_cold_and_a_warm_worker(
    servers: tuple[Api, Api], device_id: str
) -> None:
    cold, warm = servers
    _seeded(warm, _program(FIRST), device_id)  # warms the skeleton on this server's worker
    assert _seeded(warm, _program(SECOND), device_id) == _seeded(cold, _program(SECOND), device_id)


def test_the_warm_path_samples_the_program_s_own_distribution(servers: tuple[Api, Api]) -> None:
    """Oracle: qiskit.quantum_info's statevector; bound: total variation <= 0.06 at 2000 shots."""
    _, warm = servers
    _seeded(warm, _program(FIRST), "qulacs")
    counts, document = _seeded(warm, _program(SECOND), "qulacs")
    circuit = qasm3.loads(_program(SECOND)).remove_final_measurements(inplace=False)
    expected = Statevector(circuit).probabilities_dict()
    shots = sum(counts.values())
    distance = sum(abs(counts.get(k, 0) / shots - p) for k, p in expected.items()) / 2
    assert distance <= 0.06, (counts, expected)
    angles = [float(p) for i in qasm3.loads(document["transpiled_program"]).data for p in i.params]
    assert angles and all(math.isfinite(a) for a in angles)  # bound: no parameter left


ROUTED = (
    'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[6] q;\nbit[6] c;\nh q[0];\n'
    + "".join(
        f"cx q[{a}], q[{b}];\n"
        for a, b in [(0, 3), (1, 4), (2, 5), (0, 5), (3, 1), (4, 2), (5, 1), (0, 4)]
    )
    + "c = measure q;\n"
)


def test_a_seeded_job_that_needs_routing_runs_alike_in_two_worker_processes(
    servers: tuple[Api, Api],
) -> None:
    """Qiskit's layout and routing draw from the OS unless seeded: before the transpiler got a
    default seed, each worker process put this program on other physical qubits of `anemone`,
    and the same seeded job's noisy counts differed between the two servers."""
    first, second = servers
    counts, document = _seeded(first, ROUTED, "anemone")
    assert (counts, document) == _seeded(second, ROUTED, "anemone")
    assert document["virtual_physical_mapping"]["qubit_mapping"]
