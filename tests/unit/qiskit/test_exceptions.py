"""Adapter errors are oqtopus-bridge and Qiskit errors at once, pickle, and print plain messages."""

from __future__ import annotations

import pickle

import pytest
from qiskit.circuit.exceptions import CircuitError
from qiskit.exceptions import QiskitError
from qiskit.providers import JobError, JobTimeoutError, QiskitBackendNotFoundError

from oqtopus_bridge.errors import BackendError, ConversionError
from oqtopus_bridge.errors import JobTimeoutError as CoreJobTimeoutError
from oqtopus_bridge.qiskit import (
    OqtopusBackendNotFoundError,
    OqtopusCircuitError,
    OqtopusInputError,
    OqtopusJobError,
    OqtopusJobNotFoundError,
    OqtopusJobTimeoutError,
    OqtopusOptionError,
)

CASES = [
    (OqtopusJobError("boom", "a;b"), (JobError,)),
    (OqtopusJobNotFoundError("missing", "x"), (JobError,)),
    (OqtopusJobTimeoutError("late", "j"), (JobTimeoutError, CoreJobTimeoutError, TimeoutError)),
    (OqtopusBackendNotFoundError("none"), (QiskitBackendNotFoundError,)),
    (OqtopusCircuitError("bad circuit"), (CircuitError, ConversionError, ValueError)),
    (OqtopusInputError("bad input"), (QiskitError, ValueError)),
    (OqtopusOptionError("no option"), (OqtopusInputError, AttributeError, ValueError)),
]


@pytest.mark.parametrize(("error", "kinds"), CASES, ids=lambda c: type(c).__name__)
def test_error_types_pickle_and_message(error: Exception, kinds: tuple) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert isinstance(copy, (BackendError, *kinds)) and all(isinstance(copy, k) for k in kinds)
    assert isinstance(copy, BackendError)
    assert str(copy) == str(error) == error.message
    assert getattr(copy, "job_id", None) == getattr(error, "job_id", None)
