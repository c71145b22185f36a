"""Estimate <XX + ZZ> on a Bell state (expected 2.0), from a circuit and from OpenQASM 3."""

from quri_parts.circuit import QuantumCircuit
from quri_parts.core.operator import Operator, pauli_label

from oqtopus_bridge import OqtopusEstimationBackend

circuit = QuantumCircuit(2)
circuit.add_H_gate(0)
circuit.add_CNOT_gate(0, 1)
operator = Operator({pauli_label("X0 X1"): 1.0, pauli_label("Z0 Z1"): 1.0})

backend = OqtopusEstimationBackend()
result = backend.estimate(circuit, operator=operator, device_id="qulacs", shots=10000).result(
    timeout=300
)
print("exp_value:", result.exp_value, "stds:", result.stds)

program = 'OPENQASM 3;\ninclude "stdgates.inc";\nqubit[2] q;\nh q[0];\ncx q[0], q[1];\n'
job = backend.estimate_qasm(
    program,
    operator,
    "qulacs",
    10000,
    transpiler_info={"transpiler_lib": "qiskit", "transpiler_options": {"optimization_level": 1}},
)
print("exp_value (qasm):", job.result(timeout=300).exp_value)
