"""Sample with server-side transpiler options, and without transpilation for native circuits."""

import math

from quri_parts.circuit import QuantumCircuit

from oqtopus_bridge import OqtopusSamplingBackend

backend = OqtopusSamplingBackend()

circuit = QuantumCircuit(2)
circuit.add_H_gate(0)
circuit.add_CNOT_gate(0, 1)
transpiler_info = {"transpiler_lib": "qiskit", "transpiler_options": {"optimization_level": 2}}
job = backend.sample(circuit, "qulacs", 1000, transpiler_info=transpiler_info)
print("counts (qiskit, optimization_level 2):", job.result(timeout=300).counts)
print("transpiled program:\n", job.job_info["transpile_result"]["transpiled_program"])

# A circuit already written in the device's native gates can skip transpilation.
native = QuantumCircuit(2)
native.add_RZ_gate(0, math.pi / 2)
native.add_SqrtX_gate(0)
native.add_RZ_gate(0, math.pi / 2)
native.add_CNOT_gate(0, 1)
job = backend.sample(native, "qulacs", 1000, transpiler_info={"transpiler_lib": None})
print("counts (no transpiler):", job.result(timeout=300).counts)
