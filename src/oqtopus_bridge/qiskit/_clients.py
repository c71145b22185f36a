"""What a backend needs of its provider, as a protocol, so ``backend`` never imports ``provider``.

``provider`` imports ``backend`` and ``job``; ``backend`` imports ``job``; ``job`` imports neither
(issue 14 broke the former cycle between the three).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from oqtopus_bridge import OqtopusEstimationBackend, OqtopusSamplingBackend

if TYPE_CHECKING:
    from oqtopus_bridge.qiskit.job import OqtopusJob, OqtopusPrimitiveJob

__all__ = ["ServiceClients"]


class ServiceClients(Protocol):
    """The core clients a backend submits through, and job retrieval (``OqtopusProvider``)."""

    @property
    def sampling_backend(self) -> OqtopusSamplingBackend:
        """The core sampling client."""
        ...

    @property
    def estimation_backend(self) -> OqtopusEstimationBackend:
        """The core estimation client."""
        ...

    def retrieve_job(self, job_id: str) -> OqtopusJob | OqtopusPrimitiveJob:
        """Rebuild a ``backend.run`` job, or a primitive's run, from its id."""
        ...
