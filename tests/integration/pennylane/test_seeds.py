"""Seeds end to end and shuffled samples (issue 22, items 8 and 9; issue 24, seeds).

Statistical bound: a batch mean of ``n`` fair +-coin samples has sigma = 0.5 / sqrt(n); K = 5 sigma
(a correct device fails one check with probability < 1e-6; every run here is seeded).
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane import numpy as pnp

K = 5.0


def _plus(measure):
    def circuit():
        qml.H(0)
        return measure()

    return circuit


def _seeded_device(kind, oqtopus_config, wires=1, **kwargs):
    return qml.device(
        f"oqtopus.{kind}", wires=wires, device_id="qulacs", oqtopus_config=oqtopus_config, **kwargs
    )


def _run(circuit, dev, shots, *args):
    return qml.set_shots(qml.QNode(circuit, dev), shots)(*args)


def test_batch_means_of_samples_are_all_near_one_half(make_device):
    # Issue 22 item 8: 4 batches of 500 had means 1, 0.994, 0, 0 (samples grouped by outcome).
    samples = _run(_plus(lambda: qml.sample(wires=0)), make_device(wires=1), 2000)
    means = np.asarray(samples).reshape(4, 500).mean(axis=1)
    np.testing.assert_array_less(np.abs(means - 0.5), K * 0.5 / np.sqrt(500))


def test_two_sample_measurements_come_from_the_same_shots(make_device):
    def circuit():
        qml.H(0)
        qml.X(1)
        qml.CNOT([0, 1])  # (|01> + |10>) / sqrt(2): the two wires always differ
        return qml.sample(wires=0), qml.sample(qml.Z(1)), qml.sample(wires=[1, 0])

    first, second, both = _run(circuit, make_device(wires=2), 400)
    np.testing.assert_array_equal(first[:, 0], 1 - (1 - second) // 2)  # Z eigenvalue -> bit
    np.testing.assert_array_equal(both[:, 1], first[:, 0])
    assert set(first[:, 0] + both[:, 0]) == {1}
    assert 0 < first.sum() < 400


@pytest.mark.parametrize("kind", ["sampler", "estimator"])
def test_the_same_seed_gives_identical_samples_and_values(kind, oqtopus_config):
    def circuit():
        qml.RY(0.7, 0)
        qml.CNOT([0, 1])
        return qml.sample(wires=[0, 1]), qml.expval(qml.X(0) + qml.Z(1))

    devices = [_seeded_device(kind, oqtopus_config, 2, seed=seed) for seed in (5, 5, 6)]
    runs = [[_run(circuit, dev, 300) for _ in "ab"] for dev in devices]
    for first, again in zip(runs[0], runs[1], strict=True):  # a device per seed, called twice
        np.testing.assert_array_equal(first[0], again[0])
        assert first[1] == again[1]
    assert not np.array_equal(runs[0][0][0], runs[0][1][0])  # the generator advances
    assert not np.array_equal(runs[0][0][0], runs[2][0][0])


def test_the_global_seed_follows_numpy_global_state(oqtopus_config):
    results = []
    for _ in range(2):
        np.random.seed(21)  # noqa: NPY002 - what seed="global" reads, as on default.qubit
        dev = _seeded_device("sampler", oqtopus_config, seed="global")
        results.append(_run(_plus(lambda: qml.sample(wires=0)), dev, 50))
    np.testing.assert_array_equal(results[0], results[1])


def test_a_generator_seed_is_accepted(oqtopus_config):
    results = [
        _run(
            _plus(lambda: qml.sample(wires=0)),
            _seeded_device("sampler", oqtopus_config, seed=np.random.default_rng(11)),
            50,
        )
        for _ in range(2)
    ]
    np.testing.assert_array_equal(results[0], results[1])


@pytest.mark.parametrize("seeding", ["seed", "seed_simulation"])
@pytest.mark.parametrize("kind", ["sampler", "estimator"])
def test_shot_vector_copies_differ_but_are_reproducible(kind, seeding, oqtopus_config):
    # Issue 22 item 9: every job got the same seed_simulation, so the copies came out identical.
    def make():
        if seeding == "seed":
            return _seeded_device(kind, oqtopus_config, seed=5)
        return _seeded_device(kind, oqtopus_config, simulator_info={"seed_simulation": 5})

    circuit = _plus(lambda: (qml.counts(wires=0), qml.expval(qml.Z(0))))
    first = _run(circuit, make(), [100, 100])
    second = _run(circuit, make(), [100, 100])
    assert first[0][0] != first[1][0]
    assert first[0][1] != first[1][1]
    assert first == second


def test_each_job_of_a_gradient_gets_its_own_seed(oqtopus_config, fresh_user, submitted_jobs):
    config = fresh_user("pennylane-seeds")

    def circuit(p):
        qml.RX(p[0], 0)
        qml.RY(p[1], 1)
        qml.CNOT([0, 1])
        return qml.expval(qml.Z(0) @ qml.Z(1))

    params = pnp.array([0.3, -0.8], requires_grad=True)
    gradients = [
        qml.grad(
            qml.set_shots(
                qml.QNode(
                    circuit,
                    _seeded_device("sampler", config, 2, seed=17),
                    diff_method="parameter-shift",
                ),
                500,
            )
        )(params)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(gradients[0], gradients[1])
    seeds = [job["simulator_info"]["seed_simulation"] for job in submitted_jobs(config)]
    assert len(seeds) == 2 * 5  # per gradient: the forward pass, then 4 shifted circuits
    assert len(set(seeds)) == 5  # distinct within a gradient, the same for the same seed


def test_bad_seeds_are_refused_with_a_clear_error(oqtopus_config):
    with pytest.raises(TypeError, match="seed must be an int, a numpy.random.Generator, 'global'"):
        _seeded_device("sampler", oqtopus_config, seed="five")
    with pytest.raises(ValueError, match="non-negative"):
        _seeded_device("sampler", oqtopus_config, seed=-1)
    with pytest.raises(ValueError, match="pass the seed once"):
        _seeded_device("estimator", oqtopus_config, seed=1, simulator_info={"seed_simulation": 2})
