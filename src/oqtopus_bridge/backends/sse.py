"""The documented ``OqtopusSseBackend``: submit a Python program for server-side execution."""

from __future__ import annotations

import base64
import warnings
from pathlib import Path

from oqtopus_bridge.api import JobSpec
from oqtopus_bridge.backends.base import OqtopusJobBackendBase
from oqtopus_bridge.backends.sse_job import OqtopusSseJob

__all__ = ["MAX_FILE_SIZE", "OqtopusSseBackend", "OqtopusSseJob"]

#: Limit on the base64-encoded program size, as the peer and the engine enforce (10 MiB).
MAX_FILE_SIZE = 10 * 1024 * 1024


class OqtopusSseBackend(OqtopusJobBackendBase):
    """A backend for SSE jobs (a Python program run next to the device).

    Args:
        config: Connection settings; see `OqtopusBackendBase`
            for how None is resolved.
    """

    _last_job: OqtopusSseJob | None = None

    def run_sse(
        self, file_path: str, device_id: str, name: str, description: str | None = None
    ) -> OqtopusSseJob:
        """Perform a SSE job.

        Args:
            file_path: The path to the program file (``.py``) to upload.
            device_id: The identifier of the device where the job is executed.
            name: The name of the job.
            description: The description of the job.

        Returns:
            The submitted job.

        Raises:
            ValueError: If ``file_path`` is not set, does not exist, is not a ``.py`` file, or its
                base64 encoding is 10 MiB or larger.
            BackendError: If an error is returned from OQTOPUS Cloud.
        """
        if file_path is None:
            raise ValueError("file_path is not set.")
        path = Path(file_path)
        if not path.is_file():
            raise ValueError(f"The file does not exist: {file_path}")
        if path.suffix != ".py":
            raise ValueError(f"The file is not python file: {file_path}")
        data = path.read_bytes()
        if len(base64.b64encode(data)) >= MAX_FILE_SIZE:
            raise ValueError(f"size of the base64 encoded file is larger than {MAX_FILE_SIZE}")
        spec = JobSpec(
            job_type="sse",
            device_id=device_id,
            shots=1,
            sse_program=data.decode("utf-8"),
            name=name,
            description=description,
        )
        job = OqtopusSseJob(self._submit(spec), self.api)
        self._last_job = job
        return job

    def download_log(self, job_id: str | None = None, save_dir: str | None = None) -> str:
        """Download the log of an SSE job (deprecated: use ``OqtopusSseJob.download_log``).

        Args:
            job_id: The job id; the last job run by this backend when None.
            save_dir: Directory to save into; the current directory when None.

        Returns:
            The path of the saved text file ``sselog_<job_id>.log``.

        Raises:
            ValueError: No job id and no job run yet, an invalid ``save_dir``, or the file exists.
            TypeError: If the job is not an SSE job.
            BackendError: If an error is returned from OQTOPUS Cloud.
        """
        warnings.warn(
            "OqtopusSseBackend.download_log is deprecated; use OqtopusSseJob.download_log",
            DeprecationWarning,
            stacklevel=2,
        )
        if job_id is None:
            if self._last_job is None:
                raise ValueError("job_id is not set and no job has been executed.")
            return self._last_job.download_log(save_dir)
        job = self.retrieve_job(job_id)
        if not isinstance(job, OqtopusSseJob):
            raise TypeError(f"The job with id {job_id} is not an SSE job.")
        return job.download_log(save_dir)
