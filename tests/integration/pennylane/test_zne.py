"""PennyLane's zero-noise extrapolation against OQTOPUS's default transpilation (issue 22, item 6).

``qml.noise.mitigate_with_zne`` with ``fold_global`` folds the circuit (``U -> U U^dagger U``);
the default transpiler (Qiskit, optimization_level 1) cancels the folds, so the job warns.
``transpiler_info=KEEP_GATES`` (or ``RUN_AS_WRITTEN`` for native programs) runs every folded gate,
which the transpiled programs stored by the server show.
"""

from __future__ import annotations

import uuid
import warnings
from typing import Any

import pennylane as qml
import pytest

from oqtopus_bridge import OqtopusJobBackendBase
from oqtopus_bridge.pennylane import KEEP_GATES, RUN_AS_WRITTEN, FoldingWarning

SCALES = [1, 3, 5]


def _zne(oqtopus_config: Any, name: str, **options: Any) -> float:
    dev = qml.device(
        "oqtopus.sampler",
        wires=3,
        device_id="anemone",
        oqtopus_config=oqtopus_config,
        job_name=name,
        seed=3,
        **options,
    )

    def circuit():
        qml.X(0)
        qml.CNOT([0, 1])
        qml.RZ(0.4, 1)
        qml.CNOT([1, 2])
        return qml.expval(qml.Z(2))

    node = qml.set_shots(qml.QNode(circuit, dev), 1000)
    mitigated = qml.noise.mitigate_with_zne(
        node,
        scale_factors=SCALES,
        folding=qml.noise.fold_global,
        extrapolate=qml.noise.poly_extrapolate,
        extrapolate_kwargs={"order": 1},
    )
    return float(mitigated())


def _cx_counts(oqtopus_config: Any, name: str) -> tuple[list[int], list[int]]:
    """CNOTs of every job's program as sent and as it ran (its transpiled program)."""
    backend = OqtopusJobBackendBase(oqtopus_config)
    jobs = [backend.retrieve_job(job["job_id"]) for job in backend.list_jobs(query=name, size=50)]
    sent = sorted(job.job_info["input"]["program"][0].count("cx ") for job in jobs)
    ran = sorted(str(job.job_info.get("transpile_result")).count("cx ") for job in jobs)
    return sent, ran


def test_zne_warns_at_the_default_transpiler_settings(oqtopus_config):
    name = f"pl-zne-default-{uuid.uuid4()}"
    with pytest.warns(FoldingWarning, match="KEEP_GATES"):
        _zne(oqtopus_config, name)
    sent, ran = _cx_counts(oqtopus_config, name)
    assert sent == [2, 6, 10]
    assert ran == [2, 2, 2]  # what the warning is about: the folds were cancelled


@pytest.mark.parametrize("setting", [KEEP_GATES, RUN_AS_WRITTEN], ids=["keep-gates", "as-written"])
def test_zne_runs_the_folded_circuits_as_written(oqtopus_config, setting):
    name = f"pl-zne-{uuid.uuid4()}"
    with warnings.catch_warnings():
        warnings.simplefilter("error", FoldingWarning)
        _zne(oqtopus_config, name, transpiler_info=setting)
    sent, ran = _cx_counts(oqtopus_config, name)
    assert sent == [2, 6, 10]
    if setting is KEEP_GATES:
        assert ran == [2, 6, 10]  # translated and routed, nothing cancelled


def test_near_zero_rotations_are_not_taken_for_folds():
    # Hypothesis-drawn PennyLane circuits (tests/properties) hold ry(1e-9) ry(-1e-144) pairs.
    from oqtopus_bridge.folding import inverse_pairs

    program = "qubit[2] q; ry(1e-09) q[0]; ry(-1e-144) q[0]; rz(1e-9) q[1]; rz(-1e-9) q[1];"
    assert inverse_pairs(program) == 0
    assert inverse_pairs("qubit[1] q; ry(0.3) q[0]; ry(-0.3) q[0];") == 1


def test_templates_whose_decomposition_cancels_do_not_warn(make_device):
    # pl-device-test: UCCSD, kUpCCGSD, GateFabric, QuantumPhaseEstimation decompose into programs
    # with 2 to 34 adjacent inverse pairs; nobody folded them, so no FoldingWarning.
    def circuit():
        qml.BasisState([1, 1, 0, 0], wires=range(4))
        qml.FermionicDoubleExcitation(0.4, wires1=[0, 1], wires2=[2, 3])
        return qml.expval(qml.Z(0))

    with warnings.catch_warnings():
        warnings.simplefilter("error", FoldingWarning)
        qml.set_shots(qml.QNode(circuit, make_device(wires=4)), 100)()


def test_folded_pairs_counts_operator_pairs_cascading():
    from oqtopus_bridge.pennylane.folded import folded_pairs

    ops = [qml.X(0), qml.CNOT([0, 1]), qml.RZ(0.4, 1)]
    folded = ops + [qml.adjoint(op) for op in reversed(ops)] + ops
    assert folded_pairs(folded) == 3
    assert folded_pairs([qml.RY(1e-9, 0), qml.RY(-1e-9, 0), qml.H(0), qml.S(0)]) == 0
