"""``OqtopusSseJob``: a job running a user Python program server-side; its result and its log.

The log is saved as plain text, ``sselog_<job_id>.log`` (the single entry of ``sse_log.zip``
extracted), so the file name matches its content (the peer saved the zip under a ``.log`` name).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from oqtopus_bridge.errors import ResultError, StorageError
from oqtopus_bridge.jobs import (
    OqtopusJobBase,
    _estimation_result,
    _sampling_result,
)
from oqtopus_bridge.results import OqtopusEstimationResult, OqtopusSamplingResult
from oqtopus_bridge.storage import read_single_entry

__all__ = ["OqtopusSseJob"]


class OqtopusSseJob(OqtopusJobBase):
    """A job for SSE (server-side execution of a Python program)."""

    def result(
        self, timeout: float | None = None, wait: float = 10.0, *, progress: bool | None = None
    ) -> OqtopusSamplingResult | OqtopusEstimationResult:
        """Wait until the job ends and return the result of the last job the program ran.

        Args:
            timeout: Seconds to wait at most; None waits forever.
            wait: Largest time in seconds between status queries.
            progress: Show a status line while waiting (default: interactive, non-CI sessions).

        Returns:
            A sampling result (also multi_manual) or an estimation result.

        Raises:
            JobFailedError: The program failed (the message carries the server's explanation).
            JobCancelledError: The job was cancelled.
            JobTimeoutError: ``"Timeout occurred after {timeout} seconds."``.
            BackendError: The result is not a valid type, or a request failed.
        """
        payload = self._finished_payload(timeout, wait, progress)
        if isinstance(payload.get("sampling"), Mapping):
            return _sampling_result(payload, self.job_id)
        if isinstance(payload.get("estimation"), Mapping):
            return _estimation_result(payload, self.job_id)
        raise ResultError(f"The job result is not a valid type. (job {self.job_id})")

    def read_log_text(self) -> str:
        """Download the SSE log and return it as text.

        Raises:
            BackendError: If the job has no log (yet) or the download fails.
        """
        name_and_bytes = self._log_zip()
        _, content = read_single_entry(name_and_bytes, "sse_log.zip")
        return content.decode("utf-8", errors="replace")

    def download_log(self, save_dir: str | None = None) -> str:
        """Download the log of this SSE job and save it as ``sselog_<job_id>.log`` (text).

        Args:
            save_dir: Existing directory to save into; the current directory when None.

        Returns:
            The path of the saved file.

        Raises:
            ValueError: If ``save_dir`` does not exist or is not a directory, or the file exists.
            BackendError: If the server has no log for the job, or the download fails.
        """
        directory = Path.cwd() if save_dir is None else Path(save_dir)
        if not directory.exists():
            raise ValueError(f"The destination path does not exist: {directory}")
        if not directory.is_dir():
            raise ValueError(f"The destination path is not a directory: {directory}")
        target = directory / f"sselog_{self.job_id}.log"
        if target.exists():
            raise ValueError(f"The file already exists: {target}")
        target.write_text(self.read_log_text(), encoding="utf-8")
        return str(target)

    def _log_zip(self) -> bytes:
        """The bytes of ``sse_log.zip``: from job_info on current servers, ``/sselog`` on legacy."""
        if self._api.protocol != "legacy":
            self.refresh()
            info = self._job.get("job_info")
            url = info.get("sse_log") if isinstance(info, Mapping) else None
            if isinstance(url, str) and url:
                return self._api.storage.download(url, "sse_log.zip")
            if self._api.protocol == "storage":
                raise StorageError(
                    f"job {self.job_id} has no SSE log (status {self.status}); "
                    "logs exist once the job has ended"
                )
        body = self._api.get_sselog(self.job_id)
        return _decode_file(body, self.job_id)


def _decode_file(body: Mapping[str, Any], job_id: str) -> bytes:
    data = body.get("file")
    if not isinstance(data, str) or not data:
        raise ResultError(
            f"To download the SSE log of job {job_id} failed. "
            "The response does not contain valid file data."
        )
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ResultError(f"the SSE log of job {job_id} is not valid base64") from exc
