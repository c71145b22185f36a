"""Sample with readout-error mitigation (pseudo-inverse) on a noisy device if there is one."""

from quri_parts.circuit import QuantumCircuit

from oqtopus_bridge import OqtopusSamplingBackend

circuit = QuantumCircuit(2)
circuit.add_X_gate(0)

job = OqtopusSamplingBackend().sample(
    circuit, "qulacs", 1000, mitigation_info={"ro_error_mitigation": "pseudo_inverse"}
)
print("mitigated counts:", job.result(timeout=300).counts)
print("mitigation_info:", job.mitigation_info)
