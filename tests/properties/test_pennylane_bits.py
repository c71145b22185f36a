"""Wire-order decoding of oqtopus.sampler, proved against default.qubit with Hypothesis.

Classical reversible circuits (X and CNOT) have one outcome, so every result must match
default.qubit exactly, for random wire labels, random measured-wire subsets in random order and
random device wire orders. Random Pauli sums on oqtopus.estimator must agree within the returned
standard errors. Each example costs server round trips, so the number of examples is kept small
(a third of the profile's).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pennylane as qml
from hypothesis import given, settings
from hypothesis import strategies as st

EXAMPLES = max(4, settings.default.max_examples // 3)
PAULIS = {"I": qml.Identity, "X": qml.X, "Y": qml.Y, "Z": qml.Z}


def _device(kind: str, wires: list[Any], server: Any) -> Any:
    return qml.device(
        f"oqtopus.{kind}",
        wires=wires,
        device_id="qulacs",
        oqtopus_config=server.config,
        simulator_info={"seed_simulation": 99},
    )


labels = st.lists(
    st.one_of(st.integers(0, 40), st.text(alphabet="abqxyz", min_size=1, max_size=3)),
    min_size=1,
    max_size=5,
    unique=True,
)


@st.composite
def classical_circuits(draw: st.DrawFn) -> dict[str, Any]:
    """Device wires, X/CNOT gates on them, and three measured-wire subsets in random order."""
    wires = draw(labels)
    flips = draw(st.lists(st.sampled_from(wires), max_size=len(wires)))
    cnots = []
    if len(wires) > 1:
        pairs = st.lists(st.sampled_from(wires), min_size=2, max_size=2, unique=True)
        cnots = draw(st.lists(pairs, max_size=3))
    subsets = [
        draw(st.permutations(wires).map(lambda p, k=k: p[: max(1, k)]))
        for k in draw(st.lists(st.integers(1, len(wires)), min_size=3, max_size=3))
    ]
    return {"wires": wires, "flips": flips, "cnots": cnots, "subsets": subsets}


def _classical_qnode(case: dict[str, Any], dev: Any) -> Any:
    def circuit() -> Any:
        for wire in case["flips"]:
            qml.X(wire)
        for control, target in case["cnots"]:
            qml.CNOT([control, target])
        first, second, third = case["subsets"]
        return (
            qml.counts(wires=first),
            qml.probs(wires=second),
            qml.sample(wires=third),
            qml.expval(qml.prod(*(qml.Z(w) for w in first))),
        )

    return qml.set_shots(qml.QNode(circuit, dev), 5)


@settings(max_examples=EXAMPLES)
@given(case=classical_circuits())
def test_sampler_decodes_random_wires_and_subsets_exactly(
    case: dict[str, Any], local_server: Any
) -> None:
    actual = _classical_qnode(case, _device("sampler", case["wires"], local_server))()
    expected = _classical_qnode(case, qml.device("default.qubit", wires=case["wires"]))()
    assert {str(k): int(v) for k, v in actual[0].items()} == {
        str(k): int(v) for k, v in expected[0].items()
    }
    for a, e in zip(actual[1:], expected[1:], strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(e))


pauli_sums = st.lists(
    st.tuples(
        st.floats(-1, 1, allow_nan=False), st.lists(st.sampled_from("IXYZ"), min_size=3, max_size=3)
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=EXAMPLES)
@given(
    wires=st.permutations(["a", 7, "z"]),
    angles=st.lists(st.floats(-np.pi, np.pi, allow_nan=False), min_size=3, max_size=3),
    terms=pauli_sums,
)
def test_estimator_random_pauli_sum_within_stds(
    wires: list[Any], angles: list[float], terms: list[Any], local_server: Any
) -> None:
    words = [
        qml.prod(*(PAULIS[p](w) for w, p in zip(wires, word, strict=True))) for _, word in terms
    ]
    observable = qml.sum(*(coeff * word for (coeff, _), word in zip(terms, words, strict=True)))

    def circuit() -> Any:
        for wire, angle in zip(wires, angles, strict=True):
            qml.RY(angle, wire)
        qml.CNOT([wires[0], wires[1]])
        qml.RX(angles[0] / 2, wires[2])
        return qml.expval(observable)

    dev = _device("estimator", wires, local_server)
    actual = qml.set_shots(qml.QNode(circuit, dev), 2000)()
    expected = qml.QNode(circuit, qml.device("default.qubit", wires=wires))()
    # K = 5 returned standard errors; stds is 0 only for identity-only sums, computed exactly.
    assert abs(actual - expected) <= 5 * dev.last_stds[0] + 1e-9
