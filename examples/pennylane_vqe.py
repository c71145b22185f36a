"""VQE with PennyLane on OQTOPUS: a few gradient-descent steps on oqtopus.estimator.

Runs against the OQTOPUS service you configured (OQTOPUS_URL and OQTOPUS_API_TOKEN, or ~/.oqtopus);
when nothing is configured it starts a private LocalServer and says so. Usage:

    python examples/pennylane_vqe.py [--steps 5] [--shots 2000] [--device-id qulacs]
"""

from __future__ import annotations

import argparse
import contextlib

import numpy as np
import pennylane as qml
from pennylane import numpy as pnp

# A two-qubit Hamiltonian on named wires; its ground energy is computed exactly below.
HAMILTONIAN = (
    0.4 * qml.Z("up")
    + 0.4 * qml.Z("down")
    + 0.2 * qml.X("up") @ qml.X("down")
    - 0.1 * qml.Y("up") @ qml.Y("down")
)
WIRES = ["up", "down"]


def ansatz(params):
    qml.RY(params[0], "up")
    qml.RY(params[1], "down")
    qml.CNOT(["up", "down"])
    qml.RY(params[2], "down")


@contextlib.contextmanager
def connection():
    """The configured service (env or ~/.oqtopus), else a LocalServer started for this run."""
    from oqtopus_bridge.local import config_or_local_server

    config, server = config_or_local_server()  # prints which server it uses
    try:
        yield config
    finally:
        if server is not None:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--shots", type=int, default=2000)
    parser.add_argument("--device-id", default="qulacs")
    args = parser.parse_args()

    with connection() as oqtopus_config:
        config = {"oqtopus_config": oqtopus_config}
        estimator = qml.device("oqtopus.estimator", wires=WIRES, device_id=args.device_id, **config)
        sampler = qml.device("oqtopus.sampler", wires=WIRES, device_id=args.device_id, **config)

        @qml.set_shots(args.shots)
        @qml.qnode(estimator, diff_method="parameter-shift")
        def energy(params):
            ansatz(params)
            return qml.expval(HAMILTONIAN)

        @qml.set_shots(args.shots)
        @qml.qnode(sampler)
        def distribution(params):
            ansatz(params)
            return qml.probs(wires=WIRES), qml.expval(HAMILTONIAN)

        params = pnp.array([0.8, -0.4, 0.3], requires_grad=True)
        optimizer = qml.GradientDescentOptimizer(stepsize=1.0)
        with qml.Tracker(estimator) as tracker:
            for step in range(args.steps):
                params, value = optimizer.step_and_cost(energy, params)
                print(f"step {step}: energy {value:+.4f} +- {estimator.last_stds[0]:.4f}")
        jobs = [job_id for ids in tracker.history["job_ids"] for job_id in ids]
        print(f"estimation jobs submitted: {len(jobs)} (last: {jobs[-1]})")

        probs, sampled = distribution(params)
        exact = float(np.linalg.eigvalsh(qml.matrix(HAMILTONIAN, wire_order=WIRES))[0])
        print(f"final energy (estimator): {float(energy(params)):+.4f}")
        print(f"final energy (sampler):   {float(sampled):+.4f}")
        print(f"exact ground energy:      {exact:+.4f}")
        outcomes = {
            key: round(float(p), 3) for key, p in zip(["00", "01", "10", "11"], probs, strict=True)
        }
        print("final distribution over |up down>:", outcomes)


if __name__ == "__main__":
    main()
