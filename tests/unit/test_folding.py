"""The folding detector: which gate pairs an optimizing transpiler cancels (issue 22, item 6)."""

from __future__ import annotations

import warnings

import pytest
from qiskit import QuantumCircuit, qasm3

from oqtopus_bridge.folding import (
    KEEP_GATES,
    RUN_AS_WRITTEN,
    FoldingWarning,
    inverse_pairs,
    optimizes,
    warn_if_folded,
)


def _qasm(build: object) -> str:
    circuit = QuantumCircuit(3)
    build(circuit)  # type: ignore[operator]
    return qasm3.dumps(circuit)


def test_global_folding_cancels_in_cascade() -> None:
    def folded(c: QuantumCircuit) -> None:
        c.h(0)
        c.cx(0, 1)
        c.rz(0.25, 1)
        c.rz(-0.25, 1)  # U^dagger starts: cancels the rz, then the cx, then the h
        c.cx(0, 1)
        c.h(0)
        c.h(0)
        c.cx(0, 1)

    assert inverse_pairs(_qasm(folded)) == 3


@pytest.mark.parametrize(
    ("build", "pairs"),
    [
        (lambda c: (c.s(0), c.sdg(0), c.t(1), c.tdg(1)), 2),
        (lambda c: (c.rx(3.14159 / 2, 0), c.rx(-3.14159 / 2, 0)), 1),
        (lambda c: (c.u(0.1, 0.2, 0.3, 0), c.u(-0.1, -0.3, -0.2, 0)), 1),
        (lambda c: (c.cx(0, 1), c.cx(1, 0)), 0),  # not the same operands
        (lambda c: (c.x(0), c.barrier(), c.x(0)), 0),  # a barrier separates
        (lambda c: (c.x(0), c.measure_all(), c.x(0)), 0),
        (lambda c: (c.cx(0, 1), c.x(1), c.cx(0, 1)), 0),  # a gate between on one operand
        (lambda c: (c.cx(0, 1), c.x(2), c.cx(0, 1)), 1),  # ... on another qubit: no matter
        (lambda c: (c.rz(0.3, 0), c.rz(0.3, 0)), 0),
    ],
)
def test_pairs(build: object, pairs: int) -> None:
    assert inverse_pairs(_qasm(build)) == pairs


def test_pi_expressions_and_definitions() -> None:
    program = """OPENQASM 3.0;
include "stdgates.inc";
gate g a { x a; x a; }
qubit[2] q;
rz(pi/2) q[0];
rz(-pi/2) q[0];
p(2*pi/3) $1;
p(-(2*pi/3)) $1;
"""
    assert inverse_pairs(program) == 2


def test_which_settings_optimize() -> None:
    assert optimizes(None) and optimizes({})
    assert optimizes({"transpiler_lib": "qiskit"})
    assert optimizes({"transpiler_options": {"optimization_level": 2}})
    assert not optimizes(RUN_AS_WRITTEN)
    assert not optimizes(KEEP_GATES)
    assert optimizes({"transpiler_lib": "tket"})


def test_warns_only_when_folded_and_optimized() -> None:
    folded = "qubit[2] q; cx q[0], q[1]; cx q[0], q[1]; x q[0]; x q[0];"
    once = "qubit[2] q; cx q[0], q[1]; cx q[0], q[1];"
    with pytest.warns(FoldingWarning, match="program 1 holds 2 adjacent inverse gate pairs"):
        warn_if_folded([once, folded], None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_folded([folded], RUN_AS_WRITTEN)
        warn_if_folded([folded], KEEP_GATES)
        warn_if_folded([once], None)  # one pair: chance, not folding


def test_settings_are_plain_transpiler_info() -> None:
    import copy
    import json
    import pickle

    for setting in (RUN_AS_WRITTEN, KEEP_GATES):
        assert json.loads(json.dumps(setting)) == setting
        assert pickle.loads(pickle.dumps(setting)) == copy.deepcopy(setting)
