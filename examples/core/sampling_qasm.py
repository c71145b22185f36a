"""Sample an OpenQASM 3 program with explicit measurements."""

from oqtopus_bridge import OqtopusSamplingBackend

program = """OPENQASM 3;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
h q[0];
cx q[0], q[1];
c[0] = measure q[0];
c[1] = measure q[1];
"""

job = OqtopusSamplingBackend().sample_qasm(program, device_id="qulacs", shots=1000)
print("counts:", job.result(timeout=300).counts)
