"""Object storage on the local disk, with presigned (HMAC-signed, expiring) upload/download URLs.

Keys look like S3 keys: ``{job_id}/{item}.zip`` and ``devices/{device_id}/device_info.zip``; each
object is a file under ``objects/`` in the data directory and a zip with exactly one entry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import stat
import time
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import archive
from .errors import Forbidden, NotFound
from .private import DIR_MODE, FILE_MODE, make_dirs, private_dir

_KEY_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
UPLOAD_PATH = "/_storage/upload"
DOWNLOAD_PREFIX = "/_storage/objects/"


_WRITE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC


def _make_parent(directory: Path) -> None:
    """Create an object's directory 0700: one ``mkdir`` when only it is missing (a new job's)."""
    try:
        os.mkdir(directory, DIR_MODE)
    except FileExistsError:
        pass
    except FileNotFoundError:
        make_dirs(directory)


def make_zip(entry_name: str, data: bytes) -> bytes:
    """Return a zip holding one entry ``entry_name`` with ``data`` (the service's object format)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(entry_name, data)
    return buffer.getvalue()


def read_single_entry(
    data: bytes, what: str = "the object", max_bytes: int = archive.DEFAULT_MAX_BYTES
) -> tuple[str, bytes]:
    """Return ``(name, content)`` of the only entry of a zip, inflating at most ``max_bytes``.

    Raises:
        ArchiveError: (a `ValueError`) The bytes are not a readable zip of exactly one file, or
            the file is over ``max_bytes``; the message says which (`archive.read_single_entry`).
    """
    return archive.read_single_entry(data, what, max_bytes)


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe object key (no traversal, no absolute path), else raise.

    Raises:
        Forbidden: The key could escape the object directory.
    """
    parts = key.split("/")
    if not 1 < len(parts) <= 4 or not all(_KEY_PART.match(part) for part in parts):
        raise Forbidden(f"invalid object key {key!r}")
    if any(part in (".", "..") for part in parts):
        raise Forbidden(f"invalid object key {key!r}")
    return key


class ObjectStore:
    """Files under ``root`` addressed by keys, plus URL signing.

    Args:
        root: Directory holding the objects.
        secret: HMAC key that signs URLs (persisted, so URLs survive a restart).
        base_url: Public base URL of the server that serves the storage endpoints.
        expiry_s: Lifetime of a signed URL in seconds.
        max_entry_bytes: Largest content `read_entry` inflates from one object.
    """

    def __init__(
        self,
        root: Path,
        secret: bytes,
        base_url: str,
        expiry_s: int,
        max_entry_bytes: int = archive.DEFAULT_MAX_BYTES,
    ) -> None:
        self.root = root
        self.max_entry_bytes = max_entry_bytes
        self._secret = secret
        self._base_url = base_url.rstrip("/")
        self._expiry_s = expiry_s
        private_dir(root)
        self._real_root = root.resolve()  # once: resolving on every access cost 4% of the API

    # -- files ------------------------------------------------------------------------------------

    def path(self, key: str) -> Path:
        """Return the file of ``key`` (validated to stay under the root).

        `check_key` admits only parts that start with a letter or digit and hold no ``/``, so the
        joined path stays under the root without asking the file system.
        """
        return self._real_root / check_key(key)

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` atomically (write then rename).

        With plain descriptors: a buffered file object, a failed ``stat`` per missing parent and
        `Path` arithmetic cost as much CPU as the system calls (issue 23: 200 us against 110 us
        for a job's first object).
        """
        path = str(self.path(key))
        partial = path + ".part"
        try:
            fd = os.open(partial, _WRITE, FILE_MODE)  # 0600: readable by the server's account only
        except FileNotFoundError:  # the job's first object: make its directory only then
            _make_parent(Path(path).parent)
            fd = os.open(partial, _WRITE, FILE_MODE)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(partial, path)

    def get(self, key: str) -> bytes:
        """Return the bytes of ``key``.

        Raises:
            NotFound: No such object.
        """
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFound(f"object {key} not found") from None

    def get_small(self, key: str, max_bytes: int) -> bytes | None:
        """Return the bytes of ``key`` if it holds at most ``max_bytes``, else ``None``.

        One open, ``fstat`` and read: a small object (a job's result) costs one path and no
        buffered file object (issue 23).

        Raises:
            NotFound: No such object.
        """
        try:
            fd = os.open(self.path(key), os.O_RDONLY)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFound(f"object {key} not found") from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise NotFound(f"object {key} not found")
            if info.st_size > max_bytes:
                return None
            # Objects are replaced by rename, never written in place: the size does not change.
            data = os.read(fd, info.st_size)
            while len(data) < info.st_size and (more := os.read(fd, info.st_size - len(data))):
                data += more
            return data
        finally:
            os.close(fd)

    def size(self, key: str) -> int:
        """Return the size in bytes of the object ``key``.

        Raises:
            NotFound: No such object.
        """
        try:
            info = self.path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(f"object {key} not found") from None
        if not stat.S_ISREG(info.st_mode):
            raise NotFound(f"object {key} not found")
        return info.st_size

    def exists(self, key: str) -> bool:
        """Return whether ``key`` holds an object."""
        return self.path(key).is_file()

    def items(self, job_id: str) -> set[str]:
        """Return the items (``"result"`` for ``{job_id}/result.zip``) stored for a job.

        One directory read instead of a `exists` per item (each a system call: a job's view
        asks for four).
        """
        try:
            names = os.listdir(self.path(f"{job_id}/input.zip").parent)
        except (FileNotFoundError, NotADirectoryError):
            return set()
        return {name[: -len(".zip")] for name in names if name.endswith(".zip")}

    def put_entry(self, job_id: str, item: str, entry_name: str, data: bytes) -> None:
        """Store ``{job_id}/{item}.zip`` holding one entry ``entry_name``."""
        self.put(f"{job_id}/{item}.zip", make_zip(entry_name, data))

    def put_json(self, job_id: str, item: str, payload: Any) -> None:
        """Store ``{job_id}/{item}.zip`` holding ``{item}.json``."""
        self.put_entry(job_id, item, f"{item}.json", json.dumps(payload).encode())

    def read_entry(self, job_id: str, item: str, max_bytes: int | None = None) -> bytes | None:
        """Return the single entry of ``{job_id}/{item}.zip``, or ``None`` if it is missing.

        Args:
            job_id: The job.
            item: The object (``"input"``, ``"result"``...).
            max_bytes: Largest content inflated; the store's ``max_entry_bytes`` when ``None``.

        Raises:
            ArchiveError: The object is not a readable single-entry zip within the cap.
        """
        key = f"{job_id}/{item}.zip"
        if not self.exists(key):
            return None
        cap = self.max_entry_bytes if max_bytes is None else max_bytes
        return read_single_entry(self.get(key), f"{item}.zip", cap)[1]

    def delete_job(self, job_id: str) -> None:
        """Remove every object of a job."""
        if _KEY_PART.match(job_id) and job_id not in (".", ".."):
            shutil.rmtree(self.root / job_id, ignore_errors=True)

    # -- signing ----------------------------------------------------------------------------------

    def _sign(self, message: str) -> str:
        digest = hmac.digest(self._secret, message.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def download_url(self, key: str) -> str:
        """Return a presigned GET URL of ``key``."""
        expires = int(time.time()) + self._expiry_s
        # Digits and unpadded URL-safe base64 need no query escaping (what urlencode would do).
        signature = self._sign(f"GET\n{key}\n{expires}")
        url = f"{self._base_url}{DOWNLOAD_PREFIX}{quote(key)}"
        return f"{url}?expires={expires}&signature={signature}"

    def verify_download(self, key: str, expires: str, signature: str) -> None:
        """Check a presigned GET; raise `Forbidden` when tampered or expired."""
        if not hmac.compare_digest(self._sign(f"GET\n{key}\n{expires}"), signature):
            raise Forbidden("signature does not match: request a fresh URL from the API")
        if not expires.isdigit() or int(expires) < time.time():
            raise Forbidden("the presigned URL has expired: request a fresh one from the API")

    def upload_form(self, key: str, max_bytes: int) -> dict[str, Any]:
        """Return a presigned POST ``{"url", "fields"}`` allowing one upload to ``key``."""
        policy_doc = {"key": key, "expires": int(time.time()) + self._expiry_s, "max": max_bytes}
        policy = base64.b64encode(json.dumps(policy_doc).encode()).decode()
        fields = {"key": key, "policy": policy, "signature": self._sign(f"POST\n{policy}")}
        return {"url": f"{self._base_url}{UPLOAD_PATH}", "fields": fields}

    def verify_upload(self, key: str, policy: str, signature: str) -> int:
        """Check a presigned POST form; return the size limit it grants.

        Raises:
            Forbidden: Wrong signature, another key than signed, or expired.
        """
        if not hmac.compare_digest(self._sign(f"POST\n{policy}"), signature):
            raise Forbidden("signature does not match the policy: use the form from POST /jobs")
        doc = json.loads(base64.b64decode(policy))
        if doc.get("key") != key:
            raise Forbidden("the key does not match the signed policy")
        if int(doc.get("expires", 0)) < time.time():
            raise Forbidden("the presigned upload form has expired: register a new job")
        return int(doc.get("max", 0))
