"""SSE user program: runs on the server, estimating three times (the last result is the job's)."""

from quri_parts.circuit import QuantumCircuit
from quri_parts.core.operator import Operator, pauli_label

from oqtopus_bridge import OqtopusEstimationBackend

circuit = QuantumCircuit(2)
circuit.add_H_gate(0)
circuit.add_CNOT_gate(0, 1)
operator = Operator({pauli_label("X0 X1"): 1.0, pauli_label("Z0 Z1"): 1.0})

backend = OqtopusEstimationBackend()
for i in range(3):
    result = backend.estimate(circuit, operator, device_id="qulacs", shots=1000).result(timeout=300)
    print(f"iteration {i}: exp_value={result.exp_value}")
