"""``OqtopusProvider``: OQTOPUS devices as Qiskit backends, and jobs retrieved by id.

Qiskit 2.x has no provider base class; this follows the shape users know from qiskit-ibm-runtime
and qiskit-braket-provider (``backends``, ``get_backend``, ``retrieve_job``, ``jobs``,
``least_busy``). Keyword filters are implemented here because Qiskit's ``filter_backends`` calls
``configuration()``, which ``BackendV2`` does not have (``shared/reference/adapters.md`` §3.1).
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable
from typing import Any

from oqtopus_bridge import (
    OqtopusConfig,
    OqtopusDeviceBackend,
    OqtopusEstimationBackend,
    OqtopusJobBackendBase,
    OqtopusSamplingBackend,
)
from oqtopus_bridge.concurrency import run_concurrently
from oqtopus_bridge.errors import NotFoundError
from oqtopus_bridge.qiskit._batch import ID_SEPARATOR, LOCAL_PREFIX, JobBatch
from oqtopus_bridge.qiskit._record import read_record
from oqtopus_bridge.qiskit._retrieval import PRIMITIVE_KINDS, primitive_job
from oqtopus_bridge.qiskit.backend import OqtopusBackend
from oqtopus_bridge.qiskit.exceptions import (
    OqtopusBackendNotFoundError,
    OqtopusInputError,
    OqtopusJobError,
    OqtopusJobNotFoundError,
)
from oqtopus_bridge.qiskit.job import (
    OqtopusJob,
    OqtopusPrimitiveJob,
    experiments_from_programs,
    warn_dropped_metadata,
)

__all__ = ["OqtopusProvider"]

_SAMPLING_TYPES = ("sampling", "multi_manual")


def _is_simulator(device: Any) -> bool:
    return str(getattr(device, "device_type", "") or "").lower() == "simulator"


class OqtopusProvider:
    """Access to an OQTOPUS service from Qiskit.

    Credentials resolve like the core: explicit ``config`` (or ``url`` and ``api_token``), else the
    ``OQTOPUS_URL``/``OQTOPUS_API_TOKEN`` environment variables, else the ``default`` section of
    ``~/.oqtopus``. Nothing is read or requested until a method needs it.

    Examples:
        ```python
        provider = OqtopusProvider()
        backend = provider.get_backend("anemone")
        job = backend.run(transpile(circuit, backend))
        job.result().get_counts()
        ```

    Args:
        config: Connection settings; overrides everything else.
        url: API base URL (with ``api_token``, instead of ``config``).
        api_token: API token (never logged).
        proxy: Proxy URL for ``url``/``api_token``.

    Raises:
        ConfigError: If ``url`` is given without ``api_token`` or vice versa.
    """

    def __init__(
        self,
        config: OqtopusConfig | None = None,
        *,
        url: str | None = None,
        api_token: str | None = None,
        proxy: str | None = None,
    ) -> None:
        if config is None and (url is not None or api_token is not None):
            config = OqtopusConfig(url=url, api_token=api_token, proxy=proxy)  # type: ignore[arg-type]
        self._config = config
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        # Clients hold sessions and locks: a copy keeps the configuration (token included, as
        # qiskit-ibm-runtime pickles its service) and opens its own clients on first use.
        # A provider that has resolved its configuration from the environment or ~/.oqtopus keeps
        # what it resolved, so a copy talks to the same service (issue 24).
        config = self._config
        if config is None and self._clients:
            config = next(iter(self._clients.values())).config
        return {"config": config}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._config = state["config"]
        self._clients = {}
        self._lock = threading.Lock()

    def _client(self, kind: str, factory: Callable[[Any], Any]) -> Any:
        with self._lock:
            if kind not in self._clients:
                self._clients[kind] = factory(self._config)
            return self._clients[kind]

    @property
    def sampling_backend(self) -> OqtopusSamplingBackend:
        """The core sampling client this provider submits through (created on first use)."""
        return self._client("sampling", OqtopusSamplingBackend)  # type: ignore[no-any-return]

    @property
    def estimation_backend(self) -> OqtopusEstimationBackend:
        """The core estimation client (created on first use)."""
        return self._client("estimation", OqtopusEstimationBackend)  # type: ignore[no-any-return]

    @property
    def _devices(self) -> OqtopusDeviceBackend:
        return self._client("devices", OqtopusDeviceBackend)  # type: ignore[no-any-return]

    @property
    def _jobs(self) -> OqtopusJobBackendBase:
        return self._client("jobs", OqtopusJobBackendBase)  # type: ignore[no-any-return]

    def backends(
        self,
        name: str | None = None,
        filters: Callable[[OqtopusBackend], bool] | None = None,
        *,
        device_type: str | None = None,
        status: str | None = None,
        min_num_qubits: int | None = None,
        simulator: bool | None = None,
        operational: bool | None = None,
    ) -> list[OqtopusBackend]:
        """Return the service's devices as backends, optionally filtered.

        Args:
            name: Only the device with this id.
            filters: A callable that keeps a backend when it returns True.
            device_type: ``"QPU"`` or ``"simulator"`` (case-insensitive).
            status: ``"available"`` or ``"unavailable"``.
            min_num_qubits: Only devices with at least this many qubits.
            simulator: ``True``: only simulators; ``False``: only real devices (QPUs), as
                qiskit-ibm-runtime's ``backends(simulator=...)``.
            operational: ``True``: only available devices; ``False``: only unavailable ones.

        Returns:
            Matching backends, in the service's order.
        """
        devices = self._devices.get_devices()
        found = [
            OqtopusBackend(self, d)
            for d in devices
            if (name is None or d.device_id == name)
            and (device_type is None or str(d.device_type).lower() == device_type.lower())
            and (status is None or d.status == status)
            and (simulator is None or _is_simulator(d) == simulator)
            and (operational is None or (d.status == "available") == operational)
        ]
        if min_num_qubits is not None:
            found = [b for b in found if b.num_qubits >= min_num_qubits]
        return [b for b in found if filters is None or filters(b)]

    def get_backend(self, name: str | None = None, **kwargs: Any) -> OqtopusBackend:
        """Return exactly one backend.

        Args:
            name: The device id, e.g. ``"anemone"``.
            **kwargs: Filters as in `backends`.

        Raises:
            QiskitBackendNotFoundError: (as `OqtopusBackendNotFoundError`) if none or more
                than one device matches; the message lists the available device ids.
        """
        found = self.backends(name, **kwargs)
        if len(found) == 1:
            return found[0]
        available = [d.device_id for d in self._devices.get_devices()]
        what = f"named {name!r}" if name else "matching the filters"
        problem = "No" if not found else f"{len(found)}"
        hint = "" if found else " Pass one of these ids to get_backend()."
        raise OqtopusBackendNotFoundError(
            f"{problem} OQTOPUS backend {what}; available devices: {', '.join(available)}.{hint}"
        )

    def least_busy(
        self,
        min_num_qubits: int | None = None,
        filters: Callable[[OqtopusBackend], bool] | None = None,
        *,
        simulator: bool | None = None,
        operational: bool = True,
        **kwargs: Any,
    ) -> OqtopusBackend:
        """Return the real device with the fewest pending jobs (qiskit-ibm-runtime's shape).

        Real devices (QPUs) come first: a simulator is chosen only when no QPU matches, unless
        ``simulator`` says otherwise. Among the candidates the one with the fewest pending jobs
        (``n_pending_jobs``) wins; ties go to the service's order.

        Args:
            min_num_qubits: Only devices with at least this many qubits.
            filters: A callable that keeps a backend when it returns True.
            simulator: ``None`` (default): prefer QPUs, else simulators; ``False``: QPUs only;
                ``True``: simulators only.
            operational: Only available devices (default ``True``).
            **kwargs: Further filters as in `backends` (``device_type``, ``name``...).

        Raises:
            OqtopusBackendNotFoundError: If no device matches; the message lists the devices.
        """
        found = self.backends(
            filters=filters,
            min_num_qubits=min_num_qubits,
            simulator=simulator,
            operational=operational or None,
            **kwargs,
        )
        if simulator is None and any(not _is_simulator(b.device) for b in found):
            found = [b for b in found if not _is_simulator(b.device)]
        if not found:
            devices = [
                f"{d.device_id} ({d.device_type}, {d.status})" for d in self._devices.get_devices()
            ]
            raise OqtopusBackendNotFoundError(
                "No OQTOPUS backend matches the filters"
                + (" among available devices" if operational else "")
                + f"; devices: {', '.join(devices)}. Relax the filters (e.g. simulator=None)."
            )
        return min(found, key=lambda b: int(getattr(b.device, "n_pending_jobs", 0) or 0))

    def retrieve_job(self, job_id: str) -> OqtopusJob | OqtopusPrimitiveJob:
        """Rebuild a job from its id, in this or any later session.

        Args:
            job_id: An OQTOPUS job id, or a composite id (``"id1;id2;..."``) as returned by
                ``job.job_id()`` of a ``backend.run`` job or of a primitive's job.

        Returns:
            For the whole id of an ``OqtopusSamplerV2``/``OqtopusEstimatorV2`` run, an
            ``OqtopusPrimitiveJob`` whose ``result()`` is the same ``PrimitiveResult`` (its first
            job's program records the run; circuit metadata is what JSON could hold). Otherwise
            an ``OqtopusJob`` whose ``result()`` equals the original's (register layouts are read
            from the programs stored on the service); memory is off for retrieved jobs.

        Raises:
            OqtopusJobNotFoundError: If the service has no such job (or it is not yours).
            OqtopusJobError: If a job is neither a sampling job nor part of a primitive's run.
        """
        children = self._retrieve_all(job_id)
        record = read_record(children[0].job_info.get("program") or [])
        # Only the whole run has a PrimitiveResult; a part of it reads as sampling jobs.
        whole = record is not None and record.get("jobs") == len(children)
        if whole and record is not None and record.get("kind") in PRIMITIVE_KINDS:
            return primitive_job(children, record)
        return self._sampling_job(children)

    def _retrieve_all(self, job_id: str) -> list[Any]:
        ids = [part.strip() for part in job_id.split(ID_SEPARATOR) if part.strip()]
        if not ids:
            raise OqtopusInputError(f"{job_id!r} is not a job id")
        if ids[0].startswith(LOCAL_PREFIX):
            raise OqtopusJobNotFoundError(
                f"job {job_id!r} sent nothing to OQTOPUS (none of its circuits has classical "
                "bits), so there is nothing to retrieve; keep its result() instead",
                job_id,
            )
        return run_concurrently([lambda i=i: self._retrieve_one(i) for i in ids])

    def _sampling_job(self, children: list[Any]) -> OqtopusJob:
        experiments = []
        for index, child in enumerate(children):
            if child.job_type not in _SAMPLING_TYPES:
                raise OqtopusJobError(
                    f"job {child.job_id} is a {child.job_type} job; retrieve_job rebuilds "
                    "backend.run (sampling) jobs and whole primitive runs (the full id of "
                    "job.job_id()): use OqtopusEstimationBackend().retrieve_job for others",
                    child.job_id,
                )
            programs = child.job_info.get("program") or []
            multi = child.job_type == "multi_manual"
            experiments += experiments_from_programs(index, programs or [""], multi)
        backend = self.get_backend(children[0].device_id)
        warn_dropped_metadata(experiments, "this retrieved job lacks them")
        return OqtopusJob(backend, JobBatch(children), experiments)

    def _retrieve_one(self, job_id: str) -> Any:
        try:
            return self._jobs.retrieve_job(job_id)
        except NotFoundError as exc:
            raise OqtopusJobNotFoundError(
                f"no OQTOPUS job {job_id!r} for this token; check the id (composite ids join "
                "job ids with ';') and the account you are connected with",
                job_id,
            ) from exc

    def jobs(
        self,
        limit: int | None = 10,
        skip: int = 0,
        backend_name: str | None = None,
        status: str | None = None,
        created_after: dt.datetime | str | None = None,
        created_before: dt.datetime | str | None = None,
        descending: bool = True,
    ) -> list[OqtopusJob]:
        """Return your sampling jobs, newest first, one ``OqtopusJob`` each.

        The names follow qiskit-ibm-runtime's ``QiskitRuntimeService.jobs``. Every page the
        service has is read as needed, so ``limit`` and ``skip`` count only the jobs that match.

        Args:
            limit: Most jobs to return; None for all.
            skip: Leave out this many matching jobs first (for paging: ``skip=20, limit=20``).
            backend_name: Only jobs for this device (an ``OqtopusBackend``'s ``name``).
            status: Only jobs with this OQTOPUS status (e.g. ``"succeeded"``).
            created_after: Only jobs submitted at or after this time: a ``datetime`` (naive means
                local time, as in qiskit-ibm-runtime) or an ISO 8601 string.
            created_before: Only jobs submitted at or before this time (same forms).
            descending: Newest first (default) or oldest first.

        Returns:
            The jobs, each retrieved in full (one request each).

        Raises:
            ValueError: If ``limit`` or ``skip`` is negative, or a status or time is invalid.

        Examples:
            ```python
            provider.jobs(limit=5, backend_name="anemone", created_after="2026-12-01")
            ```
        """
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
        ):
            raise ValueError(f"limit must be a non-negative integer or None, not {limit!r}")
        if isinstance(skip, bool) or not isinstance(skip, int) or skip < 0:
            raise ValueError(f"skip must be a non-negative integer, not {skip!r}")
        records = self._jobs.iter_jobs(
            status=status,
            start_time=created_after,
            end_time=created_before,
            device_id=backend_name,
            newest_first=descending,
            fields=["job_id", "job_type"],
        )
        sampling = (str(r["job_id"]) for r in records if r.get("job_type") in _SAMPLING_TYPES)
        stop = None if limit is None else skip + limit
        ids = itertools.islice(sampling, skip, stop)
        return [self._sampling_job(self._retrieve_all(job_id)) for job_id in ids]

    def __repr__(self) -> str:
        url = getattr(self._config, "url", None)
        return f"OqtopusProvider(url={url!r})" if url else "OqtopusProvider()"
