"""Presigned storage: upload ``input.zip`` by form POST, download single-entry result zips.

Storage requests use their own session that never carries the API token (the URL itself is the
credential; the token must not leak to a storage host). Every presigned form field is forwarded
verbatim, in order, with the ``file`` part last as S3 requires.
"""

from __future__ import annotations

import io
import json
import posixpath
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.util.retry import Retry

from oqtopus_bridge.config import OqtopusConfig
from oqtopus_bridge.deadline import request_deadline
from oqtopus_bridge.errors import StorageError
from oqtopus_bridge.transport import (
    TruncatedBodyError,
    build_session,
    deadline_errors,
    default_retry,
    flag_truncated_body,
    map_requests_errors,
    read_capped,
    retry_truncated,
)

__all__ = ["Storage", "decode_object", "make_zip", "read_single_entry"]

#: Largest inflated size of a downloaded object's entry. OQTOPUS engines refuse outputs over 10 MiB;
#: the margin leaves room for other deployments while a zip bomb stays harmless.
MAX_ENTRY_BYTES = 64 * 2**20

#: What ``zipfile`` raises for an archive it cannot read: a truncated or corrupt file (BadZipFile,
#: EOFError, zlib.error), an unknown compression method (NotImplementedError), an encrypted entry
#: (RuntimeError), a malformed header (ValueError, OSError).
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    EOFError,
    OSError,
    zlib.error,
    NotImplementedError,
    RuntimeError,
    ValueError,
)

# Re-uploading the same object to the same key is idempotent, so the storage session may retry POST.
_STORAGE_METHODS = frozenset(Retry.DEFAULT_ALLOWED_METHODS | {"POST"})


def make_zip(entry_name: str, data: bytes) -> bytes:
    """Return a ZIP_DEFLATED archive holding exactly one entry ``entry_name``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(entry_name, data)
    return buffer.getvalue()


def read_single_entry(data: bytes, what: str = "object") -> tuple[str, bytes]:
    """Return ``(name, content)`` of the only file in a zip.

    Raises:
        StorageError: If ``data`` is not a zip (e.g. truncated) or does not hold exactly one file.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = [info for info in archive.infolist() if not info.is_dir()]
            if len(entries) != 1:
                raise StorageError(f"{what}: expected a zip with one file, found {len(entries)}")
            return entries[0].filename, _inflate(archive, entries[0], what)
    except StorageError:
        raise
    except _ZIP_ERRORS as exc:
        raise StorageError(
            f"{what}: the downloaded object is not a valid zip ({type(exc).__name__}: {exc}); "
            "the server stored a damaged object: run the job again, or report it to the server's "
            "operator"
        ) from exc


def _inflate(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, what: str) -> bytes:
    """Read one entry, refusing to inflate past MAX_ENTRY_BYTES (a zip bomb, or a corrupt header).

    The declared size is checked first, then the read itself is bounded, since a header can lie.
    """
    too_big = StorageError(
        f"{what}: the zip entry inflates to more than {MAX_ENTRY_BYTES // 2**20} MiB; refusing it "
        "(raise oqtopus_bridge.storage.MAX_ENTRY_BYTES if such results are expected)"
    )
    if entry.file_size > MAX_ENTRY_BYTES:
        raise too_big
    with archive.open(entry) as stream:
        content = stream.read(MAX_ENTRY_BYTES + 1)
    if len(content) > MAX_ENTRY_BYTES:
        raise too_big
    return content


def decode_object(name: str, content: bytes) -> Any:
    """Decode a storage entry: JSON when it parses, else UTF-8 text.

    A root that is a single key equal to the entry's stem (``{"result": {...}}`` in
    ``result.json``) is unwrapped, a variant discussed server-side (oqtopus-cloud #275).
    """
    text = content.decode("utf-8", errors="replace")
    try:
        value = json.loads(text)
    except RecursionError as exc:
        raise StorageError(
            f"{name}: the JSON document is nested too deeply to decode; the server stored a "
            "malformed object"
        ) from exc
    except ValueError:
        return text
    stem = posixpath.splitext(posixpath.basename(name))[0]
    if (
        isinstance(value, dict)
        and len(value) == 1
        and stem in value
        and isinstance(value[stem], dict)
    ):
        return value[stem]
    return value


class Storage:
    """Uploads and downloads presigned objects on a session without the API token.

    Args:
        config: Connection settings (proxy and timeouts apply to storage too).
        base_url: API base URL, used to resolve relative presigned URLs.
    """

    def __init__(self, config: OqtopusConfig, base_url: str) -> None:
        self.session = build_session(default_retry().new(allowed_methods=_STORAGE_METHODS))
        self.timeout = (config.connect_timeout, max(config.read_timeout, 60.0))
        self.proxies = {"http": config.proxy, "https": config.proxy} if config.proxy else {}
        self.deadline = config.deadline
        self._base_url = base_url

    def _absolute(self, url: str) -> str:
        return f"{self._base_url}{url}" if url.startswith("/") else url

    def upload(self, presigned: Mapping[str, Any], payload: bytes) -> None:
        """POST ``payload`` as the file of a presigned form.

        Args:
            presigned: ``{"url": ..., "fields": {...}}`` as returned by ``POST /jobs``.
            payload: The zip bytes to upload.

        Raises:
            StorageError: If the presigned data is malformed or storage refuses the upload.
        """
        url = presigned.get("url")
        fields = presigned.get("fields") or {}
        if not isinstance(url, str) or not isinstance(fields, Mapping):
            raise StorageError("the server's presigned_url has no usable url/fields")
        data = [(str(key), str(value)) for key, value in fields.items()]
        filename = posixpath.basename(str(fields.get("key", "input.zip"))) or "input.zip"
        files = {"file": (filename, payload, "application/zip")}
        context = f"upload to storage host {urlsplit(url).netloc or url}"

        def once() -> requests.Response:
            # Uploading the same object to the same key again is idempotent, so a fast failure
            # (a reset mid-upload) is retried like an idempotent read.
            with map_requests_errors(context):
                return self.session.post(
                    self._absolute(url), data=data, files=files, timeout=self.timeout, **self._kw()
                )

        with request_deadline(self.deadline) as deadline, deadline_errors(context, deadline):
            response = retry_truncated(once)
        if not 200 <= response.status_code < 300:
            raise StorageError(
                f"{context} failed: HTTP {response.status_code}: {response.text[:300]}"
            )

    def download(self, url: str, what: str = "object") -> bytes:
        """GET a presigned URL and return the bytes.

        Raises:
            StorageError: If storage answers with an error status.
        """
        context = f"download of {what}"
        with (
            request_deadline(self.deadline) as deadline,
            deadline_errors(context, deadline),
            map_requests_errors(context),
            flag_truncated_body(context),
        ):
            response = self.session.get(
                self._absolute(url), timeout=self.timeout, stream=True, **self._kw()
            )
            content = read_capped(response, context)
        if response.status_code >= 400:
            text = content[:300].decode("utf-8", errors="replace")
            raise StorageError(f"{context} failed: HTTP {response.status_code}: {text}")
        return content

    def fetch(self, url: str, what: str = "object") -> Any:
        """Download a single-entry zip and decode its entry (see `decode_object`).

        A download cut short, or a zip that does not open (what a cut-short body with no
        ``Content-Length`` looks like), is fetched again a bounded number of times: a presigned GET
        is idempotent.
        """

        def once() -> tuple[str, bytes]:
            data = self.download(url, what)
            try:
                return read_single_entry(data, what)
            except StorageError as exc:
                if zipfile.is_zipfile(io.BytesIO(data)):
                    raise  # a whole zip of the wrong shape: fetching again will not help
                raise TruncatedBodyError(str(exc)) from exc

        try:
            name, content = retry_truncated(once)
        except TruncatedBodyError as exc:
            raise StorageError(f"{what}: {exc}") from exc  # not a zip, even when fetched again
        return decode_object(name, content)

    def _kw(self) -> dict[str, Any]:
        return {"proxies": self.proxies} if self.proxies else {}

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()
