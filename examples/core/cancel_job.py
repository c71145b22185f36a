"""Cancel a job by id (argument), or submit a long-running SSE job and cancel it."""

import sys
import tempfile
from pathlib import Path

from oqtopus_bridge import OqtopusJobBackendBase, OqtopusSseBackend

if len(sys.argv) > 1:
    job_id = sys.argv[1]
else:
    program = Path(tempfile.mkdtemp()) / "wait.py"
    program.write_text("import time\ntime.sleep(120)\n")
    job_id = OqtopusSseBackend().run_sse(str(program), device_id="qulacs", name="to cancel").job_id

job = OqtopusJobBackendBase().retrieve_job(job_id)
job.cancel()
print(job)
print("status after cancel:", job.status)
