"""Download the log of an SSE job by id (argument), or of a freshly run SSE job."""

import sys
import tempfile
from pathlib import Path

from oqtopus_bridge import OqtopusJobBackendBase, OqtopusSseBackend, OqtopusSseJob

if len(sys.argv) > 1:
    job_id = sys.argv[1]
else:
    program = Path(tempfile.mkdtemp()) / "hello.py"
    program.write_text("print('hello from SSE')\n")
    job_id = OqtopusSseBackend().run_sse(str(program), device_id="qulacs", name="log demo").job_id

job = OqtopusJobBackendBase().retrieve_job(job_id)
if isinstance(job, OqtopusSseJob):
    job.wait_for_completion(timeout=600)
    path = job.download_log(save_dir=tempfile.mkdtemp())
    print("saved:", path)
    print(Path(path).read_text())
else:
    print(f"job {job_id} is a {job.job_type} job, not an SSE job")
