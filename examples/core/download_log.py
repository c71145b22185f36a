"""Download the log of an SSE job by id (argument), or of a freshly run SSE job.

The saved ``sselog_<job_id>.log`` is the log's zip archive, as the official client saves it; code
written for OQTOPUS Cloud opens it with ``zipfile``; ``job.read_log_text()`` returns the text.
"""

import sys
import tempfile
import zipfile
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
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            print(f"--- {name} ---")
            print(archive.read(name).decode("utf-8", errors="replace"))
else:
    print(f"job {job_id} is a {job.job_type} job, not an SSE job")
