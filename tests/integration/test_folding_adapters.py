"""Each adapter warns when a folded program would be optimized away, and runs it as written with
``KEEP_GATES`` (issue 22, item 6). The detector and its wording are tested in
``tests/unit/test_folding.py``; QURI Parts' own ZNE in ``tests/integration/quri_parts/test_zne.py``.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

FOLDS = 3  # CNOT, CNOT^dagger, CNOT


def test_qiskit_backend_run(local_server: Any) -> None:
    from qiskit import QuantumCircuit

    from oqtopus_bridge.qiskit import KEEP_GATES, FoldingWarning, OqtopusProvider

    circuit = QuantumCircuit(2)
    circuit.h(0)
    for _ in range(FOLDS * 2 - 1):
        circuit.cx(0, 1)
    circuit.measure_all()
    backend = OqtopusProvider(local_server.config).get_backend("anemone")
    with pytest.warns(FoldingWarning):
        backend.run(circuit, shots=10).result()
    with warnings.catch_warnings():
        warnings.simplefilter("error", FoldingWarning)
        job = backend.run(circuit, shots=10, transpiler_info=KEEP_GATES)
        job.result()
    ran = job.transpiled_programs()[0]
    assert str(ran).count("cx ") == FOLDS * 2 - 1


def test_pennylane_sampler(local_server: Any) -> None:
    import pennylane as qml

    from oqtopus_bridge.pennylane import KEEP_GATES, FoldingWarning

    def circuit() -> Any:
        qml.Hadamard(0)
        for _ in range(FOLDS * 2 - 1):
            qml.CNOT([0, 1])
        return qml.expval(qml.Z(0) @ qml.Z(1))

    for setting, expect in ((None, True), (KEEP_GATES, False)):
        dev = qml.device(
            "oqtopus.sampler",
            wires=2,
            device_id="anemone",
            oqtopus_config=local_server.config,
            transpiler_info=setting,
        )
        node = qml.set_shots(qml.QNode(circuit, dev), 10)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", FoldingWarning)
            node()
        assert any(issubclass(w.category, FoldingWarning) for w in caught) is expect
