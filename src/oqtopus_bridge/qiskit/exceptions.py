"""Exceptions of the Qiskit adapter: each is an oqtopus-bridge error and the Qiskit type to catch.

Qiskit code catches Qiskit's types (``JobError``, ``JobTimeoutError``, ``CircuitError``,
``QiskitBackendNotFoundError``); oqtopus-bridge code catches
`oqtopus_bridge.errors.BackendError`. Every class here inherits from one of each::

    OqtopusJobError            errors.JobError        + qiskit.providers.JobError
    ├── OqtopusJobNotFoundError                         (no such job id on the service)
    └── OqtopusJobTimeoutError errors.JobTimeoutError + qiskit.providers.JobTimeoutError
    OqtopusBackendNotFoundError errors.BackendError   + qiskit.providers.QiskitBackendNotFoundError
    OqtopusCircuitError        errors.ConversionError + qiskit.circuit.CircuitError (a ValueError)
    OqtopusInputError          errors.BackendError    + qiskit.exceptions.QiskitError + ValueError
    │                          (bad options, shots, precision or observables)
    └── OqtopusOptionError                              + AttributeError
                               (a primitive option that does not exist)

All of them pickle, and their ``str()`` is the plain message (Qiskit's base class would quote it).
"""

from __future__ import annotations

from typing import Any

from qiskit.circuit.exceptions import CircuitError
from qiskit.exceptions import QiskitError
from qiskit.providers.exceptions import JobError as _QiskitJobError
from qiskit.providers.exceptions import JobTimeoutError as _QiskitJobTimeoutError
from qiskit.providers.exceptions import QiskitBackendNotFoundError

from oqtopus_bridge import errors

__all__ = [
    "OqtopusBackendNotFoundError",
    "OqtopusCircuitError",
    "OqtopusInputError",
    "OqtopusJobError",
    "OqtopusJobNotFoundError",
    "OqtopusJobTimeoutError",
    "OqtopusOptionError",
]


class _PlainMessage:
    """Mixin: ``str()`` is the message itself (``QiskitError.__str__`` returns its ``repr``)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class OqtopusJobError(_PlainMessage, errors.JobError, _QiskitJobError):
    """A Qiskit job (one or more OQTOPUS jobs) failed, was cancelled, or cannot be read.

    Attributes:
        job_id: The (possibly composite, ``;``-joined) job id concerned.
    """

    def __init__(self, message: str, job_id: str = "") -> None:
        errors.JobError.__init__(self, message, job_id)
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.job_id))


class OqtopusJobNotFoundError(OqtopusJobError):
    """The service has no job with this id (or it belongs to another user)."""


class OqtopusJobTimeoutError(OqtopusJobError, errors.JobTimeoutError, _QiskitJobTimeoutError):
    """Waiting for a job exceeded the timeout; the job keeps running and can be retrieved later."""


class OqtopusBackendNotFoundError(_PlainMessage, errors.BackendError, QiskitBackendNotFoundError):
    """No OQTOPUS device matches the requested name or filters."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OqtopusCircuitError(_PlainMessage, errors.ConversionError, CircuitError):
    """A circuit cannot be sent to OQTOPUS as is (unbound parameters, control flow, too wide...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OqtopusInputError(_PlainMessage, errors.BackendError, QiskitError, ValueError):
    """An option, shot count, precision or observable is outside what OQTOPUS accepts."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OqtopusOptionError(OqtopusInputError, AttributeError):
    """A primitive option that does not exist (``sampler.options.shots = ...``).

    An ``AttributeError`` as for any missing attribute, and a ``ValueError`` as every bad option.
    """
