"""QURI Parts' own zero-noise extrapolation against OQTOPUS's default transpilation (issue 22, 6).

The default transpiler (Qiskit, optimization_level 1) cancels the folded gate pairs, so the job
warns; ``RUN_AS_WRITTEN`` and ``KEEP_GATES`` send every folded gate to the device, which the
stored programs show.
"""

from __future__ import annotations

import uuid
import warnings
from typing import Any

import pytest
from quri_parts.algo.mitigation.zne import (
    create_folding_left,
    create_polynomial_extrapolate,
    create_zne_estimator,
)
from quri_parts.circuit import QuantumCircuit
from quri_parts.core.operator import pauli_label
from quri_parts.core.state import quantum_state

from oqtopus_bridge import OqtopusJobBackendBase
from oqtopus_bridge.folding import KEEP_GATES, RUN_AS_WRITTEN, FoldingWarning
from oqtopus_bridge.quri_parts import create_oqtopus_concurrent_estimator

SCALES = [1.0, 3.0, 5.0]


def _native_circuit() -> QuantumCircuit:
    """Only gates the devices run natively (CNOT, RZ, X), so it can run with no transpilation."""
    circuit = QuantumCircuit(3)
    circuit.add_X_gate(0)
    circuit.add_CNOT_gate(0, 1)
    circuit.add_RZ_gate(1, 0.4)
    circuit.add_CNOT_gate(1, 2)
    return circuit


def _zne(oqtopus_config: Any, name: str, **options: Any) -> float:
    estimator = create_oqtopus_concurrent_estimator(
        "anemone", 2000, oqtopus_config, name=name, **options
    )
    zne = create_zne_estimator(
        estimator, SCALES, create_polynomial_extrapolate(order=1), create_folding_left()
    )
    return zne(pauli_label("Z2"), quantum_state(3, circuit=_native_circuit())).value.real


def _programs(oqtopus_config: Any, name: str) -> list[tuple[str, Any]]:
    backend = OqtopusJobBackendBase(oqtopus_config)
    found = backend.list_jobs(query=name, size=50)
    jobs = [backend.retrieve_job(job["job_id"]) for job in found]
    return [
        (job.job_info["input"]["program"][0], job.job_info.get("transpile_result")) for job in jobs
    ]


def test_zne_warns_at_the_default_settings(oqtopus_config: Any) -> None:
    name = f"zne-default-{uuid.uuid4()}"
    with pytest.warns(FoldingWarning, match="KEEP_GATES.*RUN_AS_WRITTEN"):
        _zne(oqtopus_config, name)
    programs = _programs(oqtopus_config, name)
    sent = sorted(program.count("cx ") for program, _ in programs)
    ran = sorted(str(result).count("cx ") for _, result in programs)
    assert sent == [2, 6, 10]
    assert ran == [2, 2, 2]  # what the warning is about: the folds were cancelled


@pytest.mark.parametrize("setting", [RUN_AS_WRITTEN, KEEP_GATES], ids=["as-written", "keep-gates"])
def test_zne_runs_folded_as_written(oqtopus_config: Any, setting: Any) -> None:
    name = f"zne-{uuid.uuid4()}"
    with warnings.catch_warnings():
        warnings.simplefilter("error", FoldingWarning)
        _zne(oqtopus_config, name, transpiler_info=setting)
    programs = _programs(oqtopus_config, name)
    assert len(programs) == len(SCALES)
    sent = sorted(program.count("cx ") for program, _ in programs)
    assert sent == [2, 6, 10]  # 2 CNOTs folded to scale 1, 3, 5
    if setting is KEEP_GATES:
        ran = sorted(str(result).count("cx ") for _, result in programs)
        assert ran == [2, 6, 10]
