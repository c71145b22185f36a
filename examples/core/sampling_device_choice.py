"""Choose the available device with the shortest queue, then sample on it."""

from quri_parts.circuit import QuantumCircuit

from oqtopus_bridge import OqtopusDeviceBackend, OqtopusSamplingBackend

devices = OqtopusDeviceBackend().get_devices()
available = [device for device in devices if device.status == "available" and device.n_qubits >= 2]
for device in available:
    print(f"{device.device_id}: {device.n_pending_jobs} pending, {device.n_qubits} qubits")
target = min(available, key=lambda device: device.n_pending_jobs)
print("chosen device:", target.device_id)

circuit = QuantumCircuit(2)
circuit.add_H_gate(0)
circuit.add_CNOT_gate(0, 1)
job = OqtopusSamplingBackend().sample(circuit, device_id=target.device_id, shots=500)
print("counts:", job.result(timeout=300).counts)
