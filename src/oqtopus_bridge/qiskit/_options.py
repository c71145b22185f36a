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

__all__ = [
    "MAX_SHOTS",
    "MAX_SEED",
    "TOLERATED",
    "check_foreign_options",
    "is_shot_count",
    "job_seeds",
    "resolve_seed",
    "seeded_simulator_info",
    "validate_options",
    "validate_seed",
]

MAX_SHOTS = 10_000_000
"""The service's shot limit per job (``shots`` in 1..10,000,000)."""

MAX_SEED = 2**63 - 1
"""Largest ``seed_simulator`` (simulators take a signed 64-bit seed)."""

# Options Qiskit's generic primitives pass to every backend (BackendSamplerV2/BackendEstimatorV2)
# that are not backend options here (``seed_simulator`` is one).
TOLERATED = frozenset({"meas_level"})
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
        if name == "seed_simulator":
            validate_seed(value)
        if (
            name == "max_concurrency"
            and value is not None
            and (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1)
        ):
            raise OqtopusInputError(
                f"max_concurrency must be a positive integer or None: {value!r}"
            )


def validate_seed(value: Any) -> int | None:
    """Return ``value`` as an ``int`` seed, or ``None``.

    Raises:
        OqtopusInputError: Unless ``value`` is ``None`` or an integer in 0..2**63-1.
    """
    if value is None:
        return None
    integral = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not integral or not 0 <= value <= MAX_SEED:
        raise OqtopusInputError(
            f"seed_simulator must be None or an integer in 0..2**63-1, got {value!r}"
        )
    return int(value)


def job_seeds(seed: int | None, count: int) -> list[int | None]:
    """The seed of each of ``count`` jobs sent by one call seeded with ``seed``.

    The first job gets ``seed`` itself (a one-job call is seeded exactly as asked); job ``i > 0``
    gets a seed drawn from ``numpy.random.SeedSequence([seed, i])``, so the jobs of one call differ
    from each other (no two copies of a circuit give the same shots) and a call repeated with the
    same seed repeats every job.

    Example:
        ``job_seeds(5, 3)`` is ``[5, s1, s2]`` with ``s1 != s2`` fixed by ``5``;
        ``job_seeds(None, 2)`` is ``[None, None]``.
    """
    if seed is None:
        return [None] * count
    import numpy as np  # numpy comes with qiskit; imported here to keep this module light

    derived = [
        int(np.random.SeedSequence([seed, index]).generate_state(1, dtype=np.uint64)[0] >> 1)
        for index in range(1, count)
    ]
    return [seed, *derived][:count]


def resolve_seed(seed: int | None, simulator_info: Mapping[str, Any] | None) -> int | None:
    """The seed of a call: ``seed_simulator``, else ``simulator_info["seed_simulation"]``.

    Raises:
        OqtopusInputError: If both are set and differ.
    """
    given = (simulator_info or {}).get("seed_simulation")
    if seed is not None and given is not None and given != seed:
        raise OqtopusInputError(
            f"seed_simulator={seed} and simulator_info.seed_simulation={given} disagree; "
            "set only one of them"
        )
    return validate_seed(given) if seed is None else seed


def seeded_simulator_info(
    simulator_info: Mapping[str, Any] | None, seed: int | None
) -> dict[str, Any] | None:
    """``simulator_info`` with ``seed_simulation`` set to ``seed`` (a copy; as is when ``None``)."""
    if seed is None:
        return None if simulator_info is None else dict(simulator_info)
    return {**dict(simulator_info or {}), "seed_simulation": seed}
