"""oqtopus.estimator against the LocalServer: within K returned stds of default.qubit."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane import numpy as pnp

K = 5.0
WIRES = ["a", "b", "c"]


def _state(theta):
    qml.RY(theta, "a")
    qml.CNOT(["a", "c"])
    qml.H("b")
    qml.RX(0.5, "b")
    qml.CRY(0.8, ["c", "b"])


HAMILTONIAN = (
    0.5 * qml.Z("a") @ qml.Z("c")
    - 0.3 * qml.X("b")
    + 0.2 * qml.Identity("a")
    + 0.4 * qml.Y("b") @ qml.X("a")
    - 0.6 * qml.Z("b")
)


def _exact(circuit, *args):
    return qml.QNode(circuit, qml.device("default.qubit", wires=WIRES))(*args)


@pytest.mark.parametrize("wires", [WIRES, ["c", "a", "b"]], ids=["str", "shuffled"])
def test_hamiltonian_expectation_within_k_stds(wires, make_device):
    dev = make_device("estimator", wires=wires)

    def circuit(theta):
        _state(theta)
        return qml.expval(HAMILTONIAN), qml.var(2.0 * qml.X("b") + 1.0), qml.expval(qml.Z("c"))

    with qml.Tracker(dev) as tracker:
        actual = qml.set_shots(qml.QNode(circuit, dev), 4000)(0.7)
    exact = _exact(circuit, 0.7)
    stds = dev.last_stds[0]
    assert len(stds) == 3 and all(s > 0 for s in stds)
    for value, expected, std in zip(actual, exact, stds, strict=True):
        assert abs(value - expected) <= K * std + 1e-9
    assert tracker.history["stds"][-1] == stds
    assert len(tracker.history["job_ids"][-1]) == 3


def test_identity_only_observable_needs_no_job(make_device):
    dev = make_device("estimator", wires=WIRES)

    def circuit():
        qml.H("a")
        return qml.expval(3.0 * qml.Identity("b")), qml.var(qml.Identity("a"))

    with qml.Tracker(dev) as tracker:
        assert qml.set_shots(qml.QNode(circuit, dev), 100)() == (3.0, 0.0)
    assert tracker.history["job_ids"][0] == []


def test_shot_vector_and_broadcasting_shapes_match_default_qubit(make_device):
    dev = make_device("estimator", wires=WIRES)

    def circuit(theta):
        _state(theta)
        return qml.expval(qml.Z("a")), qml.expval(qml.X("b") @ qml.Z("c"))

    thetas = np.array([0.0, np.pi])
    actual = qml.set_shots(qml.QNode(circuit, dev), [500, 500])(thetas)
    reference = qml.set_shots(qml.QNode(circuit, qml.device("default.qubit", seed=1)), [500, 500])(
        thetas
    )
    assert np.shape(actual) == np.shape(reference)
    np.testing.assert_allclose(np.asarray(actual)[:, 0], [[1.0, -1.0]] * 2, atol=1e-12)


def test_parameter_shift_gradient_matches_analytic(make_device):
    dev = make_device("estimator", wires=WIRES)
    shots = 4000

    def circuit(p):
        qml.RY(p[0], "a")
        qml.RX(p[1], "b")
        qml.CNOT(["a", "b"])
        qml.RY(p[2], "c")
        qml.CRZ(p[3], ["b", "c"])
        qml.H("c")
        return qml.expval(0.5 * qml.Z("a") @ qml.Z("b") - 0.4 * qml.X("c") + 0.1 * qml.Y("b"))

    params = pnp.array([0.4, -0.6, 1.0, 0.8], requires_grad=True)
    node = qml.set_shots(qml.QNode(circuit, dev, diff_method="parameter-shift"), shots)
    gradient = qml.grad(node)(params)
    analytic = qml.grad(qml.QNode(circuit, qml.device("default.qubit"), diff_method="backprop"))(
        params
    )
    # A value's std is at most sum|c| / sqrt(n) = 1 / sqrt(n). The two-term rule halves the
    # difference of two values (sigma <= 1 / sqrt(2n)); CRZ's four-term rule weighs four values by
    # 0.43 and 0.07 (sigma <= 0.61 / sqrt(n)).
    np.testing.assert_array_less(np.abs(gradient - analytic), K * 1.0 / np.sqrt(2 * shots))


def test_other_measurements_run_as_sampling_jobs_in_the_same_batch(
    make_device, fresh_user, submitted_jobs, monkeypatch
):
    from oqtopus_bridge.pennylane import device as device_module

    config = fresh_user("pennylane-estimator-routing")
    dev = make_device("estimator", wires=WIRES, oqtopus_config=config)
    shots = 4000

    def circuit(theta, analytic=False):
        _state(theta)
        last = qml.expval if analytic else qml.counts
        return (
            qml.expval(HAMILTONIAN),
            qml.probs(wires=["b", "a"]),
            qml.var(qml.Z("a") + qml.X("b")),
            qml.expval(qml.Hermitian(np.array([[2.0, 1j], [-1j, 0.0]]), "c")),
            last(qml.Hadamard("b")),
        )

    batches = []
    real_wait_all = device_module.wait_all

    def spy_wait_all(jobs, timeout=None, progress=None):
        batches.append(len(jobs))
        return real_wait_all(jobs, timeout=timeout, progress=progress)

    monkeypatch.setattr(device_module, "wait_all", spy_wait_all)
    with qml.Tracker(dev) as tracker:
        actual = qml.set_shots(qml.QNode(circuit, dev), shots)(0.7)
    exact = _exact(circuit, 0.7, True)
    assert len(batches) == 1  # every job, estimation and sampling, submitted before any wait
    jobs = {job["job_id"]: job for job in submitted_jobs(config)}
    kinds = sorted(jobs[job_id]["job_type"] for job_id in tracker.history["job_ids"][-1])
    assert batches == [len(kinds)]
    assert kinds.count("estimation") == 1 and kinds.count("sampling") >= 2
    stds = dev.last_stds[0]
    assert stds[0] > 0 and stds[1:] == (None, None, None, None)
    assert abs(actual[0] - exact[0]) <= K * stds[0]
    np.testing.assert_allclose(actual[1], exact[1], atol=K * 0.5 / np.sqrt(shots))
    assert abs(actual[2] - exact[2]) <= K * 4 / (2 * np.sqrt(shots))
    assert abs(actual[3] - exact[3]) <= K * 2.9 / (2 * np.sqrt(shots))
    assert set(np.round(list(actual[4]), 6)) <= {-1.0, 1.0}
    assert sum(actual[4].values()) == shots


def _three_and_a_repeat():
    _state(0.7)
    return (
        *[qml.expval(qml.Z(w)) for w in WIRES],
        qml.expval(qml.Z("a")),
        qml.var(qml.Z("b")),
    )


@pytest.mark.parametrize(
    ("grouping", "kinds"),
    [("observable", ["estimation"] * 3), ("qwc", ["sampling"])],
)
def test_measurements_of_one_circuit_share_jobs(
    grouping, kinds, make_device, fresh_user, submitted_jobs
):
    # Issue 22 item 11: [expval(Z(i)) for i in range(3)] was 3 jobs; the same observable twice, 2.
    config = fresh_user(f"pennylane-estimator-grouping-{grouping}")
    options = {} if grouping == "observable" else {"grouping": grouping}  # the default first
    dev = make_device("estimator", wires=WIRES, oqtopus_config=config, **options)
    shots = 4000
    with qml.Tracker(dev) as tracker:
        actual = qml.set_shots(qml.QNode(_three_and_a_repeat, dev), shots)()
    exact = _exact(_three_and_a_repeat)
    jobs = submitted_jobs(config)
    assert sorted(job["job_type"] for job in jobs) == kinds
    assert sorted(tracker.history["job_ids"][-1]) == sorted(job["job_id"] for job in jobs)
    assert actual[0] == actual[3]  # one job answers both
    for value, expected in zip(actual[:4], exact[:4], strict=True):
        assert abs(value - expected) <= K / np.sqrt(shots)
    # Var of a +-1 observable is 1 - m^2: its error is at most 2 K sigma_m + (K sigma_m)^2.
    sigma_m = 1 / np.sqrt(shots)
    assert abs(actual[4] - exact[4]) <= 2 * K * sigma_m + (K * sigma_m) ** 2
    stds = dev.last_stds[0]
    if grouping == "qwc":
        assert stds == (None,) * 5
    else:
        assert all(s > 0 for s in stds) and stds[0] == stds[3]


def test_an_unknown_grouping_is_refused(oqtopus_config):
    with pytest.raises(ValueError, match="grouping must be one of"):
        qml.device("oqtopus.estimator", wires=1, device_id="qulacs", grouping="all")
