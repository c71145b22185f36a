# %% [markdown]
# # Qiskit on OQTOPUS: a Bell circuit, a parameter sweep and an estimator PUB
#
# Runs against the OQTOPUS service named by `OQTOPUS_URL` / `OQTOPUS_API_TOKEN` (or `~/.oqtopus`).
# When nothing is configured, it starts the bundled local server (and says so), so it works offline:
#
#     python examples/qiskit_tour.py
#
# Set `OQTOPUS_DEVICE` to choose a device (default: `qulacs`, the ideal simulator).

# %%
from __future__ import annotations

import contextlib
import os

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit.circuit import Parameter
from qiskit.quantum_info import SparsePauliOp

from oqtopus_bridge.qiskit import OqtopusEstimatorV2, OqtopusProvider, OqtopusSamplerV2


def connect(stack: contextlib.ExitStack) -> OqtopusProvider:
    """Use the configured service (env or ~/.oqtopus), else a local server for ``stack``'s life."""
    from oqtopus_bridge.local import config_or_local_server

    config, server = config_or_local_server()  # prints which server it uses
    if server is not None:
        stack.callback(server.stop)
    return OqtopusProvider(config)


def main() -> None:
    with contextlib.ExitStack() as stack:
        provider = connect(stack)
        print("devices:", [backend.name for backend in provider.backends()])
        backend = provider.get_backend(os.environ.get("OQTOPUS_DEVICE", "qulacs"))

        # %% [markdown]
        # ## 1. A Bell circuit through `backend.run`
        # `transpile` uses the device's calibrated Target; the job returns at once.

        # %%
        bell = QuantumCircuit(2, name="bell")
        bell.h(0)
        bell.cx(0, 1)
        bell.measure_all()
        job = backend.run(transpile(bell, backend, seed_transpiler=1), shots=1000)
        print("job id:", job.job_id())
        print("Bell counts:", job.result().get_counts())
        again = provider.retrieve_job(job.job_id()).result()  # works in a new session too
        print("retrieved:", again.get_counts())

        # %% [markdown]
        # ## 2. A parameter sweep with `OqtopusSamplerV2`
        # Five angles, one OQTOPUS job each, all submitted before waiting.

        # %%
        theta = Parameter("theta")
        rotation = QuantumCircuit(1, name="rotation")
        rotation.ry(theta, 0)
        rotation.measure_all()
        angles = np.linspace(0, np.pi, 5)
        sampler = OqtopusSamplerV2(backend, options={"default_shots": 500})
        sweep = sampler.run([(rotation, angles[:, None])]).result()[0]
        for angle, bits in zip(angles, sweep.data.meas, strict=True):
            ones = bits.get_counts().get("1", 0) / bits.num_shots
            print(f"theta={angle:.2f}  P(1)={ones:.3f}  (ideal {np.sin(angle / 2) ** 2:.3f})")

        # %% [markdown]
        # ## 3. An estimator PUB: <ZZ> and <XX> of the Bell state
        # One OQTOPUS estimation job per observable; precision 0.02 means 2,500 shots.

        # %%
        state = QuantumCircuit(2)
        state.h(0)
        state.cx(0, 1)
        observables = [SparsePauliOp("ZZ"), SparsePauliOp("XX"), SparsePauliOp("ZI")]
        estimator = OqtopusEstimatorV2(backend, options={"default_precision": 0.02})
        data = estimator.run([(state, observables)]).result()[0].data
        for observable, value, std in zip(observables, data.evs, data.stds, strict=True):
            print(f"<{observable.paulis[0]}> = {value:+.3f} +/- {std:.3f}")


if __name__ == "__main__":
    main()
