"""Sample a Bell circuit on OQTOPUS (OQTOPUS_URL / OQTOPUS_API_TOKEN, else ~/.oqtopus)."""

from quri_parts.circuit import QuantumCircuit

from oqtopus_bridge import OqtopusSamplingBackend

circuit = QuantumCircuit(2)
circuit.add_H_gate(0)
circuit.add_CNOT_gate(0, 1)

backend = OqtopusSamplingBackend()
job = backend.sample(circuit, device_id="qulacs", shots=1000, name="bell")
print("job_id:", job.job_id)
result = job.result(timeout=300)
print("counts:", result.counts)  # e.g. Counter({0: 503, 3: 497}); bit i of a key = classical bit i
