"""Run two circuits side by side in one multi_manual job and read each one's counts."""

from quri_parts.circuit import QuantumCircuit

from oqtopus_bridge import OqtopusSamplingBackend

bell = QuantumCircuit(2)
bell.add_H_gate(0)
bell.add_CNOT_gate(0, 1)
flip = QuantumCircuit(1)
flip.add_X_gate(0)

backend = OqtopusSamplingBackend()
job = backend.sample([bell, flip], device_id="qulacs", shots=1000)
result = job.result(timeout=300)
print("combined counts:", result.counts)  # circuit 0 occupies the lowest bits
for index, counts in (result.divided_counts or {}).items():
    print(f"circuit {index}:", counts)

# The same with OpenQASM 3 text.
programs = [
    'OPENQASM 3;\ninclude "stdgates.inc";\nqubit[1] q;\nbit[1] c;\nx q[0];\nc = measure q;',
    'OPENQASM 3;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\nx q[1];\nc = measure q;',
]
print(
    "divided (qasm):",
    backend.sample_qasm(programs, "qulacs", 100).result(timeout=300).divided_counts,
)
