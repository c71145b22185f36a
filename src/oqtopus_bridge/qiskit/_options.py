"""Validation of backend run options: types, ranges, and other providers' options OQTOPUS lacks.

Qiskit's generic primitives pass ``seed_simulator`` (and, through ``run_options``, often
``meas_level``) to every backend; other providers' options (pulse-level data, qubit
initialisation, noise models) cannot be honoured by OQTOPUS and are refused with what to do
instead (issue 14).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

from oqtopus_bridge.qiskit.exceptions import OqtopusInputError

__all__ = ["MAX_SHOTS", "TOLERATED", "check_foreign_options", "is_shot_count", "validate_options"]

MAX_SHOTS = 10_000_000
"""The service's shot limit per job (``shots`` in 1..10,000,000)."""

# Options Qiskit's generic primitives pass to every backend (BackendSamplerV2/BackendEstimatorV2).
TOLERATED = frozenset({"seed_simulator", "meas_level"})
# Options of other providers that OQTOPUS cannot honour, with what to do instead.
_UNAVAILABLE = {
    "meas_return": "OQTOPUS returns classified counts only (meas_level=2); drop meas_return",
    "init_qubits": "OQTOPUS always starts from |0...0>; drop init_qubits",
    "rep_delay": "OQTOPUS does not expose the repetition delay; drop rep_delay",
    "noise_model": "the device decides the noise; use a simulator device or Aer for custom noise",
    "parameter_binds": "bind parameters with circuit.assign_parameters or use OqtopusSamplerV2",
}
_DICT_OPTIONS = ("transpiler_info", "mitigation_info", "simulator_info")
_TEXT_OPTIONS = ("job_name", "job_description")
_BOOL_OPTIONS = ("memory", "multiprogramming")


def check_foreign_options(overrides: Mapping[str, Any]) -> None:
    """Refuse options of other providers that OQTOPUS cannot honour, naming what to do instead.

    Raises:
        OqtopusInputError: For ``meas_level`` other than 2, ``meas_return``, ``init_qubits``,
            ``rep_delay``, ``noise_model`` or ``parameter_binds``.
    """
    unavailable = sorted(set(overrides) & set(_UNAVAILABLE))
    if unavailable:
        name = unavailable[0]
        raise OqtopusInputError(f"run option {name} is not available: {_UNAVAILABLE[name]}")
    level = overrides.get("meas_level", 2)
    if level is not None and level != 2:  # MeasLevel.CLASSIFIED == 2
        raise OqtopusInputError(
            f"meas_level={level!r} is not available: OQTOPUS returns classified counts only "
            "(meas_level=2, the default); kerneled or raw (pulse-level) data cannot be read"
        )


def is_shot_count(value: Any) -> bool:
    """Whether ``value`` is an integer in 1..MAX_SHOTS (any ``numbers.Integral``, as in Aer)."""
    return (
        isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
        and 1 <= int(value) <= MAX_SHOTS
    )


def validate_options(options: Mapping[str, Any]) -> None:
    """Check option types and ranges, with messages that say what is expected."""
    for name, value in options.items():
        if name == "shots" and not is_shot_count(value):
            raise OqtopusInputError(f"shots must be an integer in 1..{MAX_SHOTS:,}, got {value!r}")
        if name in _DICT_OPTIONS and value is not None and not isinstance(value, Mapping):
            raise OqtopusInputError(f"{name} must be a dict or None, got {type(value).__name__}")
        if name in _TEXT_OPTIONS and value is not None and not isinstance(value, str):
            raise OqtopusInputError(f"{name} must be a string or None, got {type(value).__name__}")
        if name in _BOOL_OPTIONS and not isinstance(value, bool):
            raise OqtopusInputError(f"{name} must be True or False, got {value!r}")
        if (
            name == "max_concurrency"
            and value is not None
            and (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1)
        ):
            raise OqtopusInputError(
                f"max_concurrency must be a positive integer or None: {value!r}"
            )
