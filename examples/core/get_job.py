"""Retrieve a job by id (argument, or a freshly submitted one) and print everything about it."""

import sys

from quri_parts.circuit import QuantumCircuit

from oqtopus_bridge import OqtopusJobBackendBase, OqtopusSamplingBackend

if len(sys.argv) > 1:
    job_id = sys.argv[1]
else:
    circuit = QuantumCircuit(2)
    circuit.add_X_gate(0)
    job_id = OqtopusSamplingBackend().sample(circuit, "qulacs", 100).job_id

job = OqtopusJobBackendBase().retrieve_job(job_id)
job.wait_for_completion(timeout=300)
print(job.to_json())
for name in (
    "job_id",
    "name",
    "description",
    "job_type",
    "status",
    "device_id",
    "shots",
    "transpiler_info",
    "simulator_info",
    "mitigation_info",
    "execution_time",
    "submitted_at",
    "ready_at",
    "running_at",
    "ended_at",
):
    print(f"{name}: {getattr(job, name)}")
print("program:", job.job_info.get("program"))
print("transpiled:", (job.job_info.get("transpile_result") or {}).get("transpiled_program"))
print("message:", job.job_info.get("message"))
if job.status == "succeeded":
    result = job.result()
    if job.job_type == "estimation":
        print("exp_value:", result.exp_value, "stds:", result.stds)
    elif job.job_type == "multi_manual":
        print("divided_counts:", result.divided_counts)
    elif job.job_type == "sampling":
        print("counts:", result.counts)
