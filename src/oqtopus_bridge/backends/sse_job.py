"""``OqtopusSseJob``: a job running a user Python program server-side; its result and its log.

``download_log`` saves what the official client saves: the log's zip archive (``sse_log.zip`` as the
service stores it), under the name ``sselog_<job_id>.log``. Code written for the service opens that
file with ``zipfile`` (issue 15); ``read_log_text`` returns the log itself as text.
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
        """Download the SSE log and return it as text (the content of the archive's one entry).

        Raises:
            BackendError: If the job has no log (yet) or the download fails.
        """
        archive, _ = self._log_archive()
        _, content = read_single_entry(archive, "sse_log.zip")
        return content.decode("utf-8", errors="replace")

    def download_log(self, save_dir: str | None = None) -> str:
        """Download the log of this SSE job and save it as the official client does.

        The saved file is the log's **zip archive** (one entry, the program's output), named
        ``sselog_<job_id>.log`` like quri-parts-oqtopus 1.1 names it; open it with ``zipfile``, or
        call ``read_log_text()`` for the text. On a legacy server the file takes the name the
        server gives (``sselog_<job_id>.zip``), as quri-parts-oqtopus 1.0 saved it.

        Args:
            save_dir: Existing directory to save into; the current directory when None.

        Returns:
            The path of the saved file.

        Raises:
            ValueError: If ``save_dir`` does not exist or is not a directory, or the file exists.
            BackendError: If the server has no log for the job, or the download fails.

        Examples:
            ```python
            import zipfile

            with zipfile.ZipFile(job.download_log(save_dir="logs")) as archive:
                text = archive.read(archive.namelist()[0]).decode()
            ```
        """
        directory = Path.cwd() if save_dir is None else Path(save_dir)
        if not directory.exists():
            raise ValueError(f"The destination path does not exist: {directory}")
        if not directory.is_dir():
            raise ValueError(f"The destination path is not a directory: {directory}")
        default_name = f"sselog_{self.job_id}.log"
        target = directory / default_name
        if target.exists():
            raise ValueError(f"The file already exists: {target}")
        data, name = self._log_archive()
        target = directory / (name or default_name)
        if target.exists():
            raise ValueError(f"The file already exists: {target}")
        target.write_bytes(data)
        return str(target)

    def _log_archive(self) -> tuple[bytes, str | None]:
        """The bytes of ``sse_log.zip`` and the file name a legacy server gives it (else None).

        Current servers: the presigned ``job_info.sse_log`` URL; legacy: ``GET /jobs/{id}/sselog``.
        """
        if self._api.protocol != "legacy":
            self.refresh()
            info = self._job.get("job_info")
            url = info.get("sse_log") if isinstance(info, Mapping) else None
            if isinstance(url, str) and url:
                return self._api.storage.download(url, "sse_log.zip"), None
            if self._api.protocol == "storage":
                raise StorageError(
                    f"job {self.job_id} has no SSE log (status {self.status}); "
                    "logs exist once the job has ended"
                )
        body = self._api.get_sselog(self.job_id)
        name = body.get("file_name")
        # Only the base name: a server-chosen name must not write outside save_dir (as the peer).
        safe = Path(name).name if isinstance(name, str) else ""
        return _decode_file(body, self.job_id), (safe or None)


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
