"""Issue 14 helpers, by meaning: idle-qubit stripping (Aer), packing, metadata, targets, imports."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, transpile
from qiskit.transpiler import CouplingMap
from qiskit_aer import AerSimulator

from oqtopus_bridge.qiskit._convert import (
    CircuitLayout,
    layout_from_program,
    representable_metadata,
    strip_idle_qubits,
)
from oqtopus_bridge.qiskit.backend import is_shot_count, pack_by_qubits
from oqtopus_bridge.qiskit.target import build_target

ADAPTER = Path(__file__).parents[3] / "src" / "oqtopus_bridge" / "qiskit"


def _counts(circuit: QuantumCircuit) -> dict[str, int]:
    """Aer's counts keyed over all clbits (register spaces removed: stripping merges registers)."""
    counts = AerSimulator().run(circuit, shots=50, seed_simulator=3).result().get_counts()
    return {key.replace(" ", ""): value for key, value in counts.items()}


def test_stripping_a_transpiled_circuit_keeps_its_outcomes() -> None:
    circuit = QuantumCircuit(QuantumRegister(3), ClassicalRegister(2, "a"), ClassicalRegister(1))
    circuit.h(0)
    circuit.cx(0, 2)
    circuit.x(1)
    circuit.reset(1)
    circuit.measure([2, 1, 0], [0, 1, 2])
    isa = transpile(
        circuit, coupling_map=CouplingMap.from_line(12), initial_layout=[8, 3, 5], seed_transpiler=2
    )
    isa.delay(100, 11)  # a delay on an idle qubit goes
    stripped = strip_idle_qubits(isa)
    assert isa.num_qubits == 12 and stripped.num_qubits <= 5
    assert stripped.num_clbits == circuit.num_clbits
    assert _counts(stripped) == _counts(isa) == _counts(circuit)


def test_stripping_keeps_barriers_on_used_qubits_and_one_qubit_for_empty_circuits() -> None:
    circuit = QuantumCircuit(4, 1)
    circuit.barrier()
    circuit.x(2)
    circuit.measure(2, 0)
    stripped = strip_idle_qubits(circuit)
    assert stripped.num_qubits == 1 and stripped.count_ops() == {"barrier": 1, "x": 1, "measure": 1}
    assert strip_idle_qubits(QuantumCircuit(3, 1)).num_qubits == 1


def test_packing_keeps_order_and_fills_each_run() -> None:
    assert pack_by_qubits([(0, 10), (1, 5), (2, 3)], 16) == [[0, 1], [2]]
    assert pack_by_qubits([(0, 16), (1, 1)], 16) == [[0], [1]]
    assert pack_by_qubits([(4, 2), (7, 2)], 16) == [[4, 7]]
    assert pack_by_qubits([], 16) == []


def test_metadata_keeps_numpy_values_as_plain_json_and_names_the_rest() -> None:
    kept, dropped = representable_metadata(
        {
            "i": np.int64(2),
            "f": np.float32(0.5),
            "b": np.bool_(False),
            "a": np.arange(3),
            "t": (1, "x"),
            "z": 1j,
            "nan": float("nan"),
            "o": object(),
            3: "int key",
            "deep": {"ok": [np.int8(1)], "bad": {1: 2}},
        }
    )
    assert kept == {"i": 2, "f": 0.5, "b": False, "a": [0, 1, 2], "t": [1, "x"]}
    assert type(kept["i"]) is int and type(kept["b"]) is bool
    assert dropped == ["z", "nan", "o", "3", "deep"]


def test_dropped_metadata_keys_travel_in_the_program_comment() -> None:
    circuit = QuantumCircuit(1, 1, name="c")
    circuit.metadata = {"n": np.int64(1), "o": object()}
    layout = CircuitLayout.from_circuit(circuit)
    again = layout_from_program("OPENQASM 3.0;\n" + layout.to_comment())
    assert again is not None and again.metadata == {"n": 1} and again.dropped == ("o",)


@pytest.mark.parametrize(
    ("value", "ok"),
    [(1, True), (np.int64(10), True), (np.uint8(3), True), (10_000_000, True), (0, False),
     (10_000_001, False), (True, False), (2.0, False), (np.float64(2), False), ("5", False)],
)  # fmt: skip
def test_shot_counts_are_any_integral_in_range(value: object, ok: bool) -> None:
    assert is_shot_count(value) is ok


def test_targets_offer_reset_and_delay_only_when_listed() -> None:
    for device_type in ("simulator", "QPU"):
        plain = build_target(
            num_qubits=2, supported_instructions=["measure"], device_type=device_type
        )
        full = build_target(
            num_qubits=2,
            supported_instructions=["measure", "reset", "delay"],
            device_type=device_type,
        )
        assert {"reset", "delay"}.isdisjoint(plain.operation_names)
        assert "measure" in plain.operation_names
        assert {"reset", "delay", "measure"} <= set(full.operation_names)


def _adapter_imports(module: str) -> set[str]:
    """Adapter modules ``module`` imports, TYPE_CHECKING blocks included."""
    tree = ast.parse((ADAPTER / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "oqtopus_bridge.qiskit."
        ):
            found.add(node.module.rsplit(".", 1)[1])
    return found


def test_backend_job_and_provider_import_no_cycle() -> None:
    graph = {path.stem: _adapter_imports(path.stem) for path in ADAPTER.glob("*.py")}
    state: dict[str, str] = {}

    def visit(module: str, trail: tuple[str, ...]) -> None:
        if state.get(module) == "done":
            return
        assert state.get(module) != "open", f"import cycle: {' -> '.join((*trail, module))}"
        state[module] = "open"
        for imported in graph.get(module, set()):
            visit(imported, (*trail, module))
        state[module] = "done"

    for module in graph:
        visit(module, ())
