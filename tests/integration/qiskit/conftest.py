"""Fixtures for the Qiskit adapter against the session's LocalServer."""

from __future__ import annotations

from typing import Any

import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Clbit

from oqtopus_bridge.qiskit import OqtopusBackend, OqtopusProvider


@pytest.fixture(scope="module")
def provider(local_server: Any) -> OqtopusProvider:
    return OqtopusProvider(local_server.config)


@pytest.fixture(scope="module")
def qulacs(provider: OqtopusProvider) -> OqtopusBackend:
    return provider.get_backend("qulacs")


@pytest.fixture(scope="module")
def anemone(provider: OqtopusProvider) -> OqtopusBackend:
    return provider.get_backend("anemone")


def _two_registers_out_of_order() -> QuantumCircuit:
    qc = QuantumCircuit(QuantumRegister(3), ClassicalRegister(2, "a"), ClassicalRegister(1, "b"))
    qc.x(0)
    qc.x(2)
    qc.measure(2, 0)
    qc.measure(0, 1)
    qc.measure(1, 2)
    return qc


def _keyword_register_partial() -> QuantumCircuit:
    qc = QuantumCircuit(QuantumRegister(4, "data"), ClassicalRegister(3, "input"))
    qc.add_register(ClassicalRegister(2, "out"))
    qc.x([1, 3])
    qc.measure(3, 0)
    qc.measure(1, 4)  # clbits 1, 2 and 3 stay unmeasured
    return qc


def _measure_all_with_creg() -> QuantumCircuit:
    qc = QuantumCircuit(3, 2)
    qc.x(1)
    qc.measure(1, 0)
    qc.measure_all()
    return qc


def _loose_clbits() -> QuantumCircuit:
    qc = QuantumCircuit(2)
    qc.add_bits([Clbit(), Clbit()])
    qc.add_register(ClassicalRegister(2, "r"))
    qc.x(0)
    qc.measure(0, 1)
    qc.measure(0, 3)
    return qc


def _three_registers_reversed_with_cx() -> QuantumCircuit:
    qc = QuantumCircuit(QuantumRegister(5), *(ClassicalRegister(n, f"r{n}") for n in (1, 3, 2)))
    qc.x([0, 3, 4])
    qc.cx(0, 1)
    qc.cx(3, 2)
    qc.measure(range(5), [5, 4, 3, 2, 1])
    return qc


def _bell_like_classical() -> QuantumCircuit:
    qc = QuantumCircuit(2, name="ghz-classical")
    qc.x(0)
    qc.cx(0, 1)
    qc.measure_all()
    return qc


REGISTER_LAYOUTS = {
    "two_registers_out_of_order": _two_registers_out_of_order,
    "keyword_register_partial": _keyword_register_partial,
    "measure_all_with_creg": _measure_all_with_creg,
    "loose_clbits": _loose_clbits,
    "three_registers_reversed_with_cx": _three_registers_reversed_with_cx,
    "measure_all_only": _bell_like_classical,
}


@pytest.fixture(scope="module")
def register_layouts() -> dict[str, QuantumCircuit]:
    """Deterministic (classical) circuits covering every register layout issue 5 names."""
    return {name: build() for name, build in REGISTER_LAYOUTS.items()}
