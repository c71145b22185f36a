from __future__ import annotations

import pytest
from quri_parts.core.operator import PAULI_IDENTITY, Operator, pauli_label

from oqtopus_bridge.backends.estimation import operator_to_wire
from oqtopus_bridge.errors import ConversionError


def test_quri_parts_operator() -> None:
    op = Operator({pauli_label("X0 X1"): 1.0, pauli_label("Z0 Z1"): 0.5, PAULI_IDENTITY: 2.0})
    assert operator_to_wire(op) == [
        {"pauli": "X0 X1", "coeff": 1.0},
        {"pauli": "Z0 Z1", "coeff": 0.5},
        {"pauli": "I", "coeff": 2.0},
    ]


def test_pauli_label_alone_and_index_order() -> None:
    assert operator_to_wire(pauli_label("Y3 X1")) == [{"pauli": "X1 Y3", "coeff": 1.0}]


def test_service_label_pairs_and_wire_dicts() -> None:
    assert operator_to_wire([("X 0 Z 2", 1), ("I", 0.5)]) == [
        {"pauli": "X0 Z2", "coeff": 1.0},
        {"pauli": "I", "coeff": 0.5},
    ]
    assert operator_to_wire([{"pauli": "Z0", "coeff": 3}]) == [{"pauli": "Z0", "coeff": 3.0}]


def test_complex_coefficients() -> None:
    assert operator_to_wire(Operator({pauli_label("Z0"): 1 + 1e-12j}))[0]["coeff"] == 1.0
    with pytest.raises(ValueError, match="Complex numbers are not supported in coefficient"):
        operator_to_wire(Operator({pauli_label("Z0"): 1 + 1j}))


@pytest.mark.parametrize("bad", [[("Q0", 1.0)], [("X0",)], [], [(3, 1.0)]])
def test_malformed_terms(bad: object) -> None:
    with pytest.raises(ConversionError):
        operator_to_wire(bad)  # type: ignore[arg-type]
