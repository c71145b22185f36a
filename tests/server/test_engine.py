"""Results are right: exact bitstrings for deterministic circuits, statistics against independent
oracles (Qiskit's Statevector) for random ones."""

from __future__ import annotations

import math

import pytest
from local_testkit import BELL, Api
from qiskit import QuantumCircuit, qasm3
from qiskit.circuit.random import random_circuit
from qiskit.quantum_info import Statevector

HEADER = 'OPENQASM 3;\ninclude "stdgates.inc";\n'


def _counts(api: Api, program: str, **submit: object) -> dict[str, int]:
    job, result = api.run({"program": [program]}, **submit)
    assert job["status"] == "succeeded", job
    return dict(result["sampling"]["counts"])


def test_clbit_zero_is_rightmost(api: Api) -> None:
    program = HEADER + "qubit[4] q;\nbit[4] c;\nx q[0];\nx q[2];\nc = measure q;"
    assert _counts(api, program, shots=20) == {"0101": 20}


def test_partial_and_reordered_measurements(api: Api) -> None:
    program = HEADER + "qubit[2] q;\nbit[3] c;\nx q[0];\nc[2] = measure q[0];\nc[0] = measure q[1];"
    assert _counts(api, program, shots=20) == {"100": 20}


def test_keys_span_all_registers(api: Api) -> None:
    program = HEADER + (
        "qubit[2] q;\nbit[1] a;\nbit[2] b;\nx q[0];\nx q[1];\n"
        "a[0] = measure q[0];\nb[1] = measure q[1];"
    )
    assert _counts(api, program, shots=20) == {"101": 20}


def test_qiskit_dumps_output_is_accepted(api: Api) -> None:
    circuit = QuantumCircuit(3, 3)
    circuit.x(1)
    circuit.swap(1, 2)
    circuit.measure(range(3), range(3))
    assert _counts(api, qasm3.dumps(circuit), shots=10) == {"100": 10}


def test_quri_parts_output_is_accepted(api: Api) -> None:
    openqasm = pytest.importorskip("quri_parts.openqasm.circuit")
    from quri_parts.circuit import QuantumCircuit as QuriCircuit

    circuit = QuriCircuit(3)
    circuit.add_X_gate(0)
    circuit.add_CNOT_gate(0, 2)
    assert _counts(api, openqasm.convert_to_qasm_str(circuit), shots=10) == {"101": 10}


def test_random_circuit_matches_statevector(api: Api) -> None:
    circuit = random_circuit(4, 5, max_operands=2, measure=False, seed=1234)
    expected = Statevector(circuit).probabilities_dict()
    circuit.measure_all(add_bits=True)
    shots = 4000
    counts = _counts(api, qasm3.dumps(circuit), shots=shots, simulator_info={"seed_simulation": 42})
    keys = set(expected) | set(counts)
    tvd = 0.5 * sum(abs(counts.get(k, 0) / shots - expected.get(k, 0.0)) for k in keys)
    # Sampling noise of a 16-outcome distribution at 4000 shots is ~0.02 TVD; 0.05 is a safe bound.
    assert tvd < 0.05


def test_seed_makes_runs_reproducible(api: Api) -> None:
    info = {"seed_simulation": 7}
    first = _counts(api, BELL, shots=200, simulator_info=info)
    assert _counts(api, BELL, shots=200, simulator_info=info) == first


def test_no_transpilation_runs_native_program(api: Api) -> None:
    program = HEADER + "qubit[2] q;\nbit[2] c;\nx q[0];\ncx q[0], q[1];\nc = measure q;"
    job, result = api.run({"program": [program]}, transpiler_info={"transpiler_lib": None})
    assert result["sampling"]["counts"] == {"11": 100}
    assert "transpile_result" not in job["job_info"]
    assert job["transpiler_info"] == {"transpiler_lib": None}


def test_no_transpilation_checks_couplings(api: Api) -> None:
    program = HEADER + "qubit[6] q;\nbit[2] c;\ncx q[0], q[5];\nc[0] = measure q[0];"
    job = api.wait(
        api.create(
            {"program": [program]}, device_id="anemone", transpiler_info={"transpiler_lib": None}
        )
    )
    assert job["status"] == "failed"
    assert "not a coupling" in job["job_info"]["message"]


def test_multi_manual_combines_program_zero_rightmost(api: Api) -> None:
    first = HEADER + "qubit[2] q;\nbit[2] c;\nx q[0];\nc = measure q;"
    second = HEADER + "qubit[1] q;\nbit[1] c;\nx q[0];\nc = measure q;"
    job, result = api.run({"program": [first, second]}, job_type="multi_manual", shots=30)
    assert result["sampling"]["counts"] == {"101": 30}
    assert result["sampling"]["divided_counts"] == {"0": {"01": 30}, "1": {"1": 30}}
    combined = api.item(job, "combined_program")
    assert qasm3.loads(combined).num_qubits == 3


def test_multi_manual_divided_counts_sum_to_shots(api: Api) -> None:
    job, result = api.run({"program": [BELL, BELL, BELL]}, job_type="multi_manual", shots=64)
    divided = result["sampling"]["divided_counts"]
    assert set(divided) == {"0", "1", "2"}
    for counts in divided.values():
        assert sum(counts.values()) == 64
        assert set(counts) <= {"00", "11"}


@pytest.mark.parametrize(
    ("prep", "pauli", "value"),
    [
        ("", "Z0", 1.0),
        ("x q[0];", "Z0", -1.0),
        ("h q[0];", "X0", 1.0),
        ("h q[0]; s q[0];", "Y0", 1.0),
        ("h q[0]; cx q[0], q[1];", "X0 X1", 1.0),
        ("h q[0]; cx q[0], q[1];", "Y 0 Y 1", -1.0),
        ("h q[0]; cx q[0], q[1];", "Z0Z1", 1.0),
        ("x q[1];", "Z1", -1.0),
    ],
)
def test_estimation_eigenstates_are_exact(api: Api, prep: str, pauli: str, value: float) -> None:
    program = HEADER + f"qubit[2] q;\n{prep}\n"
    operator = [{"pauli": pauli, "coeff": 1.5}, {"pauli": "I", "coeff": 0.25}]
    job, result = api.run(
        {"program": [program], "operator": operator}, job_type="estimation", shots=50
    )
    assert result["estimation"]["exp_value"] == pytest.approx(1.5 * value + 0.25)
    assert result["estimation"]["stds"] == pytest.approx(0.0)
    assert result["sampling"] is None


def test_estimation_statistics_match_formula(api: Api) -> None:
    theta = 1.1
    program = HEADER + f"qubit[2] q;\nbit[2] c;\nry({theta}) q[0];\nh q[1];\nc = measure q;"
    operator = [{"pauli": "Z0", "coeff": 2.0}, {"pauli": "Z0 X1", "coeff": -1.0}]
    shots = 4000
    job, result = api.run(
        {"program": [program], "operator": operator},
        job_type="estimation",
        shots=shots,
        simulator_info={"seed_simulation": 3},
    )
    exact = 2.0 * math.cos(theta) - math.cos(theta)
    estimation = result["estimation"]
    expected_std = 3.0 * math.sqrt(1 - math.cos(theta) ** 2) / math.sqrt(shots)
    assert estimation["stds"] == pytest.approx(expected_std, rel=0.1)
    assert abs(estimation["exp_value"] - exact) < 5 * estimation["stds"]


def test_noisy_device_has_errors_and_mitigation_reduces_them(api: Api) -> None:
    program = HEADER + "qubit[3] q;\nbit[3] c;\nx q[0];\nx q[1];\nx q[2];\nc = measure q;"
    shots = 4000
    info = {"seed_simulation": 11}
    raw = _counts(api, program, device_id="anemone", shots=shots, simulator_info=info)
    mitigated = _counts(
        api,
        program,
        device_id="anemone",
        shots=shots,
        simulator_info=info,
        mitigation_info={"ro_error_mitigation": "pseudo_inverse"},
    )
    raw_error = 1 - raw.get("111", 0) / shots
    mitigated_error = 1 - mitigated.get("111", 0) / shots
    assert raw_error > 0.02  # the calibration's readout errors are visible
    assert mitigated_error < raw_error / 2
    assert _counts(api, program, shots=100) == {"111": 100}  # qulacs stays ideal


def test_declared_but_unmeasured_bits_read_zero_instead_of_failing(api: Api) -> None:
    # Aer has no counts for a circuit without measurements, which surfaced as "internal server
    # error". The device gateway reports unmeasured clbits as 0, so the whole key reads zero.
    program = HEADER + "qubit[2] q;\nbit[2] c;\nh q[0];"
    assert _counts(api, program, shots=7) == {"00": 7}


def test_unknown_mitigation_succeeds_unmitigated_with_a_note(api: Api) -> None:
    # The real engine ignores ro_error_mitigation values other than pseudo_inverse (issue 15).
    program = HEADER + "qubit[3] q;\nbit[3] c;\nx q[0];\nx q[1];\nx q[2];\nc = measure q;"
    info = {"seed_simulation": 11}
    raw = _counts(api, program, device_id="anemone", shots=2000, simulator_info=info)
    job, result = api.run(
        {"program": [program]},
        device_id="anemone",
        shots=2000,
        simulator_info=info,
        mitigation_info={"ro_error_mitigation": "zne"},
    )
    assert job["status"] == "succeeded"
    assert result["sampling"]["counts"] == raw
    assert (
        "ro_error_mitigation 'zne' is not supported and was ignored" in (job["job_info"]["message"])
    )


def test_tket_without_tranqu_names_the_extra(api: Api) -> None:
    pytest.importorskip("qiskit")
    try:
        import tranqu  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("tranqu is installed here: tests/server/test_tranqu.py covers it")
    job, _ = api.run(
        {"program": [HEADER + "qubit[1] q;\nbit[1] c;\nc = measure q;"]},
        transpiler_info={"transpiler_lib": "tket"},
    )
    assert job["status"] == "failed"
    assert "oqtopus-bridge[server,tranqu]" in job["job_info"]["message"]
