"""Backends, jobs and primitive jobs copy and pickle, and a copy re-attaches to its server.

Qiskit's and PennyLane's own tools deep-copy backends (qiskit-ibm-runtime's local mode, which
pennylane-qiskit's ``qiskit.remote`` uses); Aer's backend copies, ours raised ``cannot pickle
'_thread.lock' object`` (issue 24). A pickle keeps the configuration, token included (as
qiskit-ibm-runtime pickles its service); sessions and locks are rebuilt on load. Seeded runs
make the comparisons exact.
"""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from oqtopus_bridge.qiskit import (
    OqtopusBackend,
    OqtopusEstimatorV2,
    OqtopusJob,
    OqtopusProvider,
    OqtopusSamplerV2,
)

SHOTS = 300


def _circuit() -> QuantumCircuit:
    circuit = QuantumCircuit(3, name="copied")
    circuit.h(range(3))
    circuit.cx(0, 1)
    circuit.measure_all()
    return circuit


def test_backend_deepcopies_and_pickles_and_the_copy_runs(qulacs: OqtopusBackend) -> None:
    want = qulacs.run(_circuit(), shots=SHOTS, seed_simulator=3).result().get_counts()
    qulacs.set_options(shots=SHOTS)
    for duplicate in (copy.deepcopy(qulacs), pickle.loads(pickle.dumps(qulacs))):
        assert duplicate.name == "qulacs" and duplicate.options.shots == SHOTS
        assert duplicate.target.num_qubits == qulacs.target.num_qubits
        assert duplicate.run(_circuit(), seed_simulator=3).result().get_counts() == want
    qulacs.set_options(shots=1024)


def test_provider_pickles_without_showing_the_token(provider: OqtopusProvider) -> None:
    token = provider.sampling_backend.config.api_token
    restored = pickle.loads(pickle.dumps(provider))
    assert token not in repr(restored) and token not in repr(restored.get_backend("qulacs"))
    assert [b.name for b in restored.backends()] == [b.name for b in provider.backends()]


def test_a_pickled_running_job_reattaches_in_a_new_process(
    qulacs: OqtopusBackend, local_server: Any, tmp_path: Path
) -> None:
    job = qulacs.run(_circuit(), shots=SHOTS, seed_simulator=4, job_name="test-hook:hold")
    saved = tmp_path / "job.pickle"
    hooks = Path(local_server.data_dir) / "test-hooks"
    try:
        saved.write_bytes(pickle.dumps(job))  # while the job is still running
    finally:
        hooks.mkdir(exist_ok=True)
        (hooks / job.job_ids()[0]).touch()  # release the held job, also when pickling failed
    script = (
        "import pickle, sys; job = pickle.loads(open(sys.argv[1], 'rb').read()); "
        "print(sorted(job.result(timeout=120).get_counts().items()))"
    )
    output = subprocess.run(
        [sys.executable, "-c", script, str(saved)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    assert output.strip() == str(sorted(job.result().get_counts().items()))


def test_jobs_and_primitive_jobs_copy(qulacs: OqtopusBackend) -> None:
    job = qulacs.run(_circuit(), shots=SHOTS, seed_simulator=5)
    counts = job.result().get_counts()
    for duplicate in (copy.deepcopy(job), pickle.loads(pickle.dumps(job))):
        assert isinstance(duplicate, OqtopusJob) and duplicate.job_id() == job.job_id()
        assert duplicate.status() == job.status() and duplicate.result().get_counts() == counts
    sampler_job = OqtopusSamplerV2(mode=qulacs, options={"seed_simulator": 5}).run([_circuit()])
    copied = pickle.loads(pickle.dumps(sampler_job))  # before waiting: it waits on its own
    assert copied.result()[0].data.meas == sampler_job.result()[0].data.meas
    circuit = _circuit().remove_final_measurements(inplace=False)
    estimator_job = OqtopusEstimatorV2(mode=qulacs, options={"seed_simulator": 5}).run(
        [(circuit, SparsePauliOp("ZZI"))]
    )
    copied = copy.deepcopy(estimator_job)
    assert copied.result()[0].data.evs == estimator_job.result()[0].data.evs
