"""The OQTOPUS user API: one method per endpoint, job submission on both wire protocols, job_info.

Submission (spec section 3.3): register (``POST /jobs``), upload ``input.zip`` to the presigned
form, submit (``POST /jobs/{id}/submit``). It never duplicates a job and never leaves an orphan
``registered`` job: a failed upload or submit cancels it. The legacy inline protocol (``POST /jobs``
with ``job_info``) is used when configured, or detected when the server refuses a bodiless
``POST /jobs``.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from oqtopus_bridge.config import OqtopusConfig
from oqtopus_bridge.errors import (
    APIError,
    BackendError,
    BadRequestError,
    ResultError,
    TransportError,
    join_message,
)
from oqtopus_bridge.storage import Storage, make_zip
from oqtopus_bridge.transport import RETRY_STATUSES, Transport, UnreachableError

__all__ = ["JOB_INFO_OBJECTS", "JobSpec", "OqtopusApi"]

logger = logging.getLogger(__name__)

#: Extra attempts at register and submit after a busy answer (RETRY_STATUSES) or a lost one.
REGISTER_RETRIES = 5

#: job_info members that are single-entry zips on the storage protocol (sse_log stays a URL).
JOB_INFO_OBJECTS = ("input", "result", "transpile_result", "combined_program")


@dataclasses.dataclass(frozen=True)
class JobSpec:
    """Everything needed to create one job, independent of the wire protocol."""

    job_type: str
    device_id: str
    shots: int
    program: list[str] | None = None
    operator: list[dict[str, Any]] | None = None
    sse_program: str | None = None
    name: str | None = None
    description: str | None = None
    transpiler_info: dict[str, Any] = dataclasses.field(default_factory=dict)
    simulator_info: dict[str, Any] = dataclasses.field(default_factory=dict)
    mitigation_info: dict[str, Any] = dataclasses.field(default_factory=dict)

    def input_payload(self) -> dict[str, Any]:
        """The ``input.json`` object (``S3SubmitJobInfo``; None members omitted)."""
        payload: dict[str, Any] = {}
        if self.program is not None:
            payload["program"] = self.program
        if self.operator is not None:
            payload["operator"] = self.operator
        if self.sse_program is not None:
            payload["sse_program"] = self.sse_program
        return payload

    def submit_body(self) -> dict[str, Any]:
        """The ``POST /jobs/{id}/submit`` body (None members omitted, ``{}`` infos sent)."""
        body: dict[str, Any] = {}
        if self.name is not None:
            body["name"] = self.name
        if self.description is not None:
            body["description"] = self.description
        body.update(
            device_id=self.device_id,
            job_type=self.job_type,
            transpiler_info=self.transpiler_info,
            simulator_info=self.simulator_info,
            mitigation_info=self.mitigation_info,
            shots=self.shots,
        )
        return body

    def legacy_body(self) -> dict[str, Any]:
        """The legacy ``POST /jobs`` body with inline ``job_info`` (SSE programs base64-encoded)."""
        job_info: dict[str, Any] = {}
        if self.sse_program is not None:
            job_info["program"] = [
                base64.b64encode(self.sse_program.encode("utf-8")).decode("ascii")
            ]
        else:
            job_info["program"] = self.program or []
        if self.operator is not None:
            job_info["operator"] = self.operator
        body = self.submit_body()
        body["job_info"] = job_info
        return body

    def local_record(self, job_id: str) -> dict[str, Any]:
        """A job dict describing the just-submitted job, so no extra GET is needed."""
        return {
            "job_id": job_id,
            "name": self.name or "",
            "description": self.description or "",
            "job_type": self.job_type,
            "status": "submitted",
            "device_id": self.device_id,
            "shots": self.shots,
            "transpiler_info": self.transpiler_info,
            "simulator_info": self.simulator_info,
            "mitigation_info": self.mitigation_info,
        }


class OqtopusApi:
    """The user API of one OQTOPUS server, over one API session and one storage session.

    Thread-safe: backends share one instance across a thread pool.

    Args:
        config: Connection settings.
    """

    def __init__(self, config: OqtopusConfig) -> None:
        self.config = config
        self.transport = Transport(config)
        self.storage = Storage(config, self.transport.base_url)
        self._protocol: str | None = None if config.protocol == "auto" else config.protocol
        self._lock = threading.Lock()
        # Whether the server holds GET /jobs/{id} ("job") and /status ("status") for a
        # ``Prefer: wait``: None until an answer says (OQTOPUS Cloud does not, ours does).
        self._holds: dict[str, bool | None] = {"job": None, "status": None}

    def __reduce__(self) -> tuple[Any, ...]:
        # Sessions and locks do not pickle: a copy (copy.deepcopy, pickle) opens its own from the
        # configuration, token included, as qiskit-ibm-runtime's service does (issue 24).
        return (type(self), (self.config,))

    @property
    def protocol(self) -> str | None:
        """``"storage"`` or ``"legacy"`` once known; None before auto-detection has run."""
        return self._protocol

    # ----------------------------------------------------------------- endpoints
    def get_job(self, job_id: str) -> dict[str, Any]:
        """``GET /jobs/{id}``: the job object."""
        return _as_dict(self.transport.request("GET", f"/jobs/{job_id}"), "GET /jobs/{id}")

    def get_job_status(self, job_id: str) -> str:
        """``GET /jobs/{id}/status``: the status string."""
        body = _as_dict(self.transport.request("GET", f"/jobs/{job_id}/status"), "job status")
        return str(body.get("status") or "")

    def holds(self, what: str) -> bool | None:
        """Whether the server holds ``"job"`` or ``"status"`` requests (None: not known yet)."""
        return self._holds[what]

    def wait_job(self, job_id: str, hold: float) -> tuple[dict[str, Any], bool]:
        """``GET /jobs/{id}`` with ``Prefer: wait=hold``: the job, and whether the server held it.

        A server that honours the preference (RFC 7240) answers when the job has ended or after
        ``hold`` seconds; one that does not answers at once, and is asked no more.
        """
        body, held = self._held("job", f"/jobs/{job_id}", hold)
        return _as_dict(body, "GET /jobs/{id}"), held

    def wait_job_status(self, job_id: str, hold: float) -> tuple[str, bool]:
        """``GET /jobs/{id}/status`` with ``Prefer: wait=hold``, as `wait_job`."""
        body, held = self._held("status", f"/jobs/{job_id}/status", hold)
        return str(_as_dict(body, "job status").get("status") or ""), held

    def _held(self, what: str, path: str, hold: float) -> tuple[Any, bool]:
        hold = min(hold, self.config.read_timeout / 2)  # a held answer must not trip the timeout
        body, headers = self.transport.exchange("GET", path, headers={"Prefer": _wait(hold)})
        held = "wait" in headers.get("Preference-Applied", "")
        self._holds[what] = held
        return body, held

    def list_jobs(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """``GET /jobs`` with the given query (fields, status, q, page, size, order, ...)."""
        body = self.transport.request("GET", "/jobs", params=dict(params))
        if not isinstance(body, list):
            raise ResultError(f"GET /jobs returned {type(body).__name__}, expected a list")
        return [_as_dict(item, "job") for item in body]

    def delete_job(self, job_id: str) -> None:
        """``DELETE /jobs/{id}`` (only finished jobs can be deleted)."""
        self.transport.request("DELETE", f"/jobs/{job_id}")

    def cancel_job(self, job_id: str) -> None:
        """``POST /jobs/{id}/cancel``."""
        self.transport.request("POST", f"/jobs/{job_id}/cancel")

    def get_devices(self) -> list[dict[str, Any]]:
        """``GET /devices``."""
        body = self.transport.request("GET", "/devices")
        if not isinstance(body, list):
            raise ResultError(f"GET /devices returned {type(body).__name__}, expected a list")
        return [_as_dict(item, "device") for item in body]

    def get_device(self, device_id: str) -> dict[str, Any]:
        """``GET /devices/{id}``."""
        return _as_dict(self.transport.request("GET", f"/devices/{device_id}"), "device")

    def get_sselog(self, job_id: str) -> dict[str, Any]:
        """Legacy ``GET /jobs/{id}/sselog``: ``{"file": base64 zip, "file_name": ...}``."""
        return _as_dict(self.transport.request("GET", f"/jobs/{job_id}/sselog"), "sselog")

    def fetch_object(self, url: str, what: str) -> Any:
        """Download and decode a single-entry storage zip."""
        return self.storage.fetch(url, what)

    # ---------------------------------------------------------------- submission
    def submit_job(self, spec: JobSpec) -> dict[str, Any]:
        """Create a job on whichever protocol the server speaks and return its job dict.

        Raises:
            BackendError: The server refused the job, or the upload failed (the job was cancelled).
        """
        protocol = self._protocol
        if protocol == "legacy":
            return self._submit_legacy(spec)
        try:
            registered = self._register()
        except APIError as exc:
            if protocol == "storage" or not _looks_legacy(exc):
                raise
            logger.info("server refused a bodiless POST /jobs (%s); using the legacy protocol", exc)
            return self._remember_legacy(spec)
        registered = _as_dict(registered, "POST /jobs")
        if not isinstance(registered.get("presigned_url"), Mapping):
            if registered.get("job_id"):
                self._discard(str(registered["job_id"]))
            if protocol == "storage":
                raise ResultError("POST /jobs returned no presigned_url; set protocol='legacy'")
            return self._remember_legacy(spec)
        with self._lock:
            self._protocol = "storage"
        job_id = str(registered["job_id"])
        self._upload_and_submit(job_id, registered["presigned_url"], spec)
        return spec.local_record(job_id)

    def _register(self) -> Any:
        """``POST /jobs`` (register), tried again after a busy answer or a lost connection.

        Repeating a register cannot duplicate work: a job that is registered but never submitted
        never runs. The worst case of a retry after a lost answer is one unused ``registered`` job.
        """
        for attempt in range(REGISTER_RETRIES + 1):
            try:
                return self.transport.request("POST", "/jobs")
            except (APIError, TransportError) as exc:
                if attempt == REGISTER_RETRIES or not _worth_retrying(exc):
                    raise
                logger.info("POST /jobs: %s; retrying", exc)
                time.sleep(_retry_delay(exc, attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _remember_legacy(self, spec: JobSpec) -> dict[str, Any]:
        with self._lock:
            self._protocol = "legacy"
        return self._submit_legacy(spec)

    def _submit_legacy(self, spec: JobSpec) -> dict[str, Any]:
        body = _as_dict(
            self.transport.request("POST", "/jobs", json_body=spec.legacy_body()), "job"
        )
        if not body.get("job_id"):
            raise ResultError("POST /jobs answered without a job_id")
        return spec.local_record(str(body["job_id"]))

    def _upload_and_submit(self, job_id: str, presigned: Mapping[str, Any], spec: JobSpec) -> None:
        payload = make_zip("input.json", json.dumps(spec.input_payload()).encode("utf-8"))
        try:
            self.storage.upload(presigned, payload)
            self._submit_once(job_id, spec.submit_body())
        except BadRequestError as exc:
            self._discard(job_id)
            raise self._explain_unknown_device(exc, spec.device_id) from exc
        except BaseException:
            self._discard(job_id)
            raise

    def _explain_unknown_device(self, exc: BadRequestError, device_id: str) -> BadRequestError:
        """Name an unknown or unavailable device and list the usable ids, unless the server did."""
        unknown = "not found" in exc.message and "device" in exc.message
        unavailable = "not available" in exc.message and device_id in exc.message
        if not (unknown or unavailable) or "available devices:" in exc.message:
            return exc
        try:
            devices = self.get_devices()
        except BackendError:
            devices = []
        if unknown:
            known = [str(device.get("device_id")) for device in devices]
            choices = f"; available devices: {', '.join(known)}" if known else ""
            detail = f"no device {device_id!r}{choices}. Pass one of these ids"
        else:
            usable = [str(d.get("device_id")) for d in devices if d.get("status") == "available"]
            when = next(
                (d.get("available_at") for d in devices if d.get("device_id") == device_id), None
            )
            detail = (
                (f"it is expected back at {when}; " if when else "")
                + (f"available devices now: {', '.join(usable)}. " if usable else "")
                + "Wait for it or pass another id"
            )
        message = join_message(exc.message, f"{detail} (list them with 'oqtopus-bridge devices')")
        return BadRequestError(exc.status_code, message, exc.body, context=exc.context)

    def _submit_once(self, job_id: str, body: dict[str, Any]) -> None:
        """Submit the job exactly once, even when an answer is busy or lost.

        After a busy answer (429/5xx) or no answer at all, the job's status says whether the server
        acted: still ``registered`` means it did not, so submitting again cannot duplicate the job;
        anything else means the first submit arrived. The status check is an idempotent GET, itself
        retried by the session's policy.
        """
        for attempt in range(REGISTER_RETRIES + 1):
            try:
                self.transport.request("POST", f"/jobs/{job_id}/submit", json_body=body)
                return
            except (APIError, TransportError) as exc:
                if attempt == REGISTER_RETRIES or not _worth_retrying(exc):
                    raise
                delay = _retry_delay(exc, attempt)
            if self.get_job_status(job_id) != "registered":
                return  # an earlier submit reached the server
            time.sleep(delay)

    def _discard(self, job_id: str) -> None:
        """Best-effort cancel and delete of a job we will not use.

        The job was registered but never ran, so no orphan ``registered`` job remains, and no
        empty ``cancelled`` one clutters the job list either.
        """
        try:
            self.cancel_job(job_id)
        except BackendError as exc:  # the original error matters more than this one
            logger.warning("could not cancel unused job %s: %s", job_id, exc)
            return
        try:
            self.delete_job(job_id)
        except BackendError as exc:
            logger.info("could not delete the cancelled unused job %s: %s", job_id, exc)

    # ------------------------------------------------------------------ job_info
    def resolve_job_info(
        self, job_info: Any, only: Iterable[str] | None = None, cache: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Return job_info with storage URLs replaced by their decoded content.

        Args:
            job_info: The server's ``job_info`` (storage URLs, or inline dicts on legacy servers).
            only: Members to resolve (others are left out); all of `JOB_INFO_OBJECTS` if None.
            cache: Already-downloaded members, reused and filled in.

        Returns:
            The peer-compatible dict, including legacy aliases ``program`` and ``operator``.
        """
        info = _job_info_dict(job_info)
        cache = {} if cache is None else cache
        wanted = tuple(only) if only is not None else JOB_INFO_OBJECTS
        resolved: dict[str, Any] = {"message": info.get("message")}
        for key, value in info.items():
            if key in JOB_INFO_OBJECTS and key not in wanted:
                continue
            if key in cache:
                resolved[key] = cache[key]
            elif key in JOB_INFO_OBJECTS and _is_url(value):
                resolved[key] = cache[key] = self.fetch_object(str(value), f"{key}.zip")
            else:
                resolved[key] = _decode_inline(key, value)
        _add_aliases(resolved)
        return resolved

    def close(self) -> None:
        """Close both sessions."""
        self.transport.close()
        self.storage.close()


def _wait(hold: float) -> str:
    """The ``Prefer`` value asking the server to wait ``hold`` seconds (whole ones when it can)."""
    return f"wait={round(hold)}" if hold == round(hold) else f"wait={round(hold, 3):g}"


def _worth_retrying(exc: BackendError) -> bool:
    """A lost answer, or a busy one (RETRY_STATUSES), may succeed when sent again.

    An unreachable server (refused, unknown host) is not retried here: urllib3's connect budget
    already covered it, or gave up at once where retrying cannot help (refused on loopback).
    """
    if isinstance(exc, APIError):
        return exc.status_code in RETRY_STATUSES
    return isinstance(exc, TransportError) and not isinstance(exc, UnreachableError)


def _retry_delay(exc: BackendError, attempt: int) -> float:
    """The server's ``Retry-After`` when it gave one (capped at a minute), else capped backoff."""
    retry_after: float | None = exc.retry_after if isinstance(exc, APIError) else None
    if retry_after is not None:
        return min(float(retry_after), 60.0)
    return min(0.25 * 2.0**attempt, 4.0)


def _looks_legacy(exc: APIError) -> bool:
    """A legacy server rejects a bodiless ``POST /jobs`` as a validation error (400/405/415/422)."""
    return exc.status_code in (400, 405, 415, 422)


def _as_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ResultError(f"{what}: expected a JSON object, got {type(value).__name__}")
    return dict(value)


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://", "/"))


def _job_info_dict(job_info: Any) -> dict[str, Any]:
    if isinstance(job_info, str):
        try:
            job_info = json.loads(job_info)
        except (ValueError, RecursionError):
            return {}
    return dict(job_info) if isinstance(job_info, Mapping) else {}


def _decode_inline(key: str, value: Any) -> Any:
    """Legacy servers send some members as JSON strings (transpile_result stats, counts)."""
    if key in ("result", "transpile_result") and isinstance(value, str):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def _add_aliases(info: dict[str, Any]) -> None:
    """Copy ``program``/``operator`` to the top level, as the peer does for old user code."""
    source = info.get("input")
    if source is None and "program" in info:
        # Legacy servers inline program/operator; expose them under "input" like current servers.
        info["input"] = {key: info[key] for key in ("program", "operator") if info.get(key)}
    elif isinstance(source, Mapping):
        for key in ("program", "operator"):
            if key in source and key not in info:
                info[key] = source[key]
