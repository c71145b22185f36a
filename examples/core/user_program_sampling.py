"""SSE user program: runs on the server, sampling three times (config from the server)."""

from quri_parts.circuit import QuantumCircuit

from oqtopus_bridge import OqtopusSamplingBackend

circuit = QuantumCircuit(2)
circuit.add_H_gate(0)
circuit.add_CNOT_gate(0, 1)

backend = OqtopusSamplingBackend()
for i in range(3):
    counts = backend.sample(circuit, device_id="qulacs", shots=100).result(timeout=300).counts
    print(f"iteration {i}: {counts}")
