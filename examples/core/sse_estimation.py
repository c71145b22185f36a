"""Run user_program_estimation.py server-side (SSE) and read its last estimation result."""

import tempfile
from pathlib import Path

from oqtopus_bridge import OqtopusSseBackend

program = Path(__file__).with_name("user_program_estimation.py")
job = OqtopusSseBackend().run_sse(file_path=str(program), device_id="qulacs", name="sse estimation")
result = job.result(timeout=600)
print("exp_value:", result.exp_value, "stds:", result.stds)
print("log saved to", job.download_log(save_dir=tempfile.mkdtemp()))
