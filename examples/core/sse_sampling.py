"""Run user_program_sampling.py server-side (SSE), read its last result and download its log."""

import tempfile
from pathlib import Path

from oqtopus_bridge import OqtopusSseBackend

program = Path(__file__).with_name("user_program_sampling.py")
job = OqtopusSseBackend().run_sse(file_path=str(program), device_id="qulacs", name="sse sampling")
print("job_id:", job.job_id)
print("counts of the last inner job:", job.result(timeout=600).counts)
log_path = job.download_log(save_dir=tempfile.mkdtemp())  # the log's zip archive, as upstream
print("log saved to", log_path)
print(job.read_log_text())  # the log as text
