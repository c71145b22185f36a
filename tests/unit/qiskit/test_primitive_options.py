"""The primitives' options objects, per-job seeds and measurement bases (issue 24), offline."""

from __future__ import annotations

import copy
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oqtopus_bridge.qiskit import (
    OqtopusEstimatorOptions,
    OqtopusInputError,
    OqtopusOptionError,
    OqtopusSamplerOptions,
)
from oqtopus_bridge.qiskit._options import job_seeds, resolve_seed, seeded_simulator_info
from oqtopus_bridge.qiskit._record import read_record, tag_program
from oqtopus_bridge.qiskit._sampled import measurement_bases


def test_defaults_and_repr() -> None:
    assert OqtopusSamplerOptions().to_dict() == {
        "default_shots": 1024,
        "seed_simulator": None,
        "run_options": None,
    }
    estimator = OqtopusEstimatorOptions(default_precision=0.1)
    assert estimator.job_type == "estimation" and estimator.abelian_grouping is True
    assert "default_precision=0.1" in repr(estimator)
    assert copy.deepcopy(estimator) == estimator == pickle.loads(pickle.dumps(estimator))


def test_unknown_names_raise_an_attribute_and_value_error() -> None:
    options = OqtopusSamplerOptions()
    with pytest.raises(OqtopusOptionError) as raised:
        options.shots = 3
    assert isinstance(raised.value, AttributeError) and isinstance(raised.value, ValueError)
    assert "default_shots, seed_simulator, run_options" in str(raised.value)
    with pytest.raises(OqtopusOptionError):
        OqtopusSamplerOptions(precision=0.1)
    with pytest.raises(OqtopusOptionError):
        del options.default_shots
    assert not hasattr(options, "shots")
    with pytest.raises(OqtopusOptionError, match="seed_simulator here"):
        options.simulator.seed_simulator = 5  # qiskit-ibm-runtime's nesting


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("default_shots", 0),
        ("default_shots", 2.5),
        ("default_shots", True),
        ("seed_simulator", -1),
        ("seed_simulator", 2**63),
        ("seed_simulator", "5"),
        ("run_options", [1]),
    ],
)
def test_bad_sampler_values_raise_and_change_nothing(name: str, value: object) -> None:
    options = OqtopusSamplerOptions()
    with pytest.raises(OqtopusInputError):
        setattr(options, name, value)
    with pytest.raises(OqtopusInputError):
        options.update(**{"seed_simulator": 7, name: value})
    assert options == OqtopusSamplerOptions()


def test_bad_estimator_values_raise() -> None:
    options = OqtopusEstimatorOptions()
    for name, value in [
        ("default_precision", 0),
        ("default_precision", 1e-5),  # beyond the shot limit
        ("job_type", "server"),
        ("abelian_grouping", 1),
        ("default_shots", 0),
    ]:
        with pytest.raises(OqtopusInputError):
            setattr(options, name, value)


@given(st.integers(0, 2**63 - 1), st.integers(1, 40))
def test_job_seeds_are_deterministic_distinct_and_start_with_the_seed(
    seed: int, count: int
) -> None:
    seeds = job_seeds(seed, count)
    assert seeds == job_seeds(seed, count) and len(seeds) == count
    assert seeds[0] == seed and len(set(seeds)) == count
    assert all(isinstance(s, int) and 0 <= s < 2**63 for s in seeds)
    assert job_seeds(None, count) == [None] * count


def test_seed_resolution() -> None:
    assert resolve_seed(None, {"seed_simulation": 4}) == 4
    assert resolve_seed(5, None) == 5 and resolve_seed(5, {"seed_simulation": 5}) == 5
    with pytest.raises(OqtopusInputError, match="disagree"):
        resolve_seed(5, {"seed_simulation": 4})
    assert seeded_simulator_info({"x": 1}, 9) == {"x": 1, "seed_simulation": 9}
    assert seeded_simulator_info(None, None) is None


def test_measurement_bases_group_qubit_wise_commuting_words() -> None:
    z0, z1, x0, zz = ((0, "Z"),), ((1, "Z"),), ((0, "X"),), ((0, "Z"), (1, "Z"))
    assert measurement_bases([z0, z1, x0, (), zz], True) == [{0: "Z", 1: "Z"}, {0: "X"}]
    assert measurement_bases([z0, z1, x0, zz], False) == [
        {0: "Z", 1: "Z"},
        {0: "X"},
        {0: "Z"},
        {1: "Z"},
    ]
    assert measurement_bases([()], True) == []


def test_primitive_record_round_trips_through_a_program() -> None:
    program = 'OPENQASM 3.0;\n// oqtopus-bridge: {"v":1}\nqubit[1] q;\n'
    tagged = tag_program(program, {"kind": "sampler", "jobs": 1, "pubs": []})
    assert tagged.splitlines()[0] == "OPENQASM 3.0;" and tagged.endswith("qubit[1] q;\n")
    assert read_record([tagged]) == {"v": 1, "kind": "sampler", "jobs": 1, "pubs": []}
    assert read_record([program]) is None
    assert read_record(["// oqtopus-bridge-primitive: {not json"]) is None
