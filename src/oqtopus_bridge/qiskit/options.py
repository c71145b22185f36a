"""The V2 primitives' options: objects with attribute access, checked on every assignment.

``sampler.options.default_shots = 2000`` and ``sampler.options.update(seed_simulator=5)`` work as
with qiskit-ibm-runtime's ``SamplerOptions``; the fields are those of Qiskit's own
``BackendSamplerV2``/``BackendEstimatorV2`` options (flat: ``seed_simulator`` is not nested
under ``simulator``), plus the estimator's choice of job type (issue 24). A name that is not a
field raises at once, naming the fields, instead of being stored and ignored.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar

from oqtopus_bridge.qiskit._options import MAX_SHOTS, is_shot_count, validate_seed
from oqtopus_bridge.qiskit.backend import OqtopusBackend
from oqtopus_bridge.qiskit.exceptions import OqtopusInputError, OqtopusOptionError

__all__ = [
    "OqtopusEstimatorOptions",
    "OqtopusSamplerOptions",
    "choose_backend",
    "coerce_options",
]

ESTIMATOR_JOB_TYPES = ("estimation", "sampling")


def _shots(value: Any) -> int:
    if not is_shot_count(value):
        raise OqtopusInputError(
            f"default_shots must be an integer in 1..{MAX_SHOTS:,}, got {value!r}"
        )
    return int(value)


def _optional_shots(value: Any) -> int | None:
    return None if value is None else _shots(value)


def _precision(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise OqtopusInputError(f"default_precision must be a positive number, got {value!r}")
    if math.ceil(1.0 / float(value) ** 2) > MAX_SHOTS:
        raise OqtopusInputError(
            f"default_precision {value} needs more than {MAX_SHOTS:,} shots per job; use "
            f"default_precision >= {1 / math.sqrt(MAX_SHOTS):.3g}"
        )
    return float(value)


def _run_options(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise OqtopusInputError(
            f"run_options must be a dict of backend options or None, got {type(value).__name__}"
        )
    return dict(value)


def _job_type(value: Any) -> str:
    if value not in ESTIMATOR_JOB_TYPES:
        raise OqtopusInputError(
            f"job_type must be 'estimation' (one OQTOPUS estimation job per circuit and "
            f"observable) or 'sampling' (sampling jobs shared by the observables), got {value!r}"
        )
    return str(value)


def _flag(name: str) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise OqtopusInputError(f"{name} must be True or False, got {value!r}")
        return value

    return check


# qiskit-ibm-runtime's nested option groups, and what to use here instead.
_HINTS = {
    "simulator": " (qiskit-ibm-runtime's options.simulator.seed_simulator is seed_simulator here)",
    "execution": " (pass backend options such as mitigation_info in run_options)",
    "resilience": " (readout mitigation: run_options={'mitigation_info': {...}})",
    "shots": " (shots per run: default_shots, or run(..., shots=N))",
}


class _PrimitiveOptions:
    """Named fields with defaults and a checker each; unknown names raise `OqtopusOptionError`."""

    _FIELDS: ClassVar[dict[str, tuple[Any, Callable[[Any], Any]]]] = {}
    _OWNER: ClassVar[str] = ""

    def __init__(self, **fields: Any) -> None:
        for name, (default, _) in self._FIELDS.items():
            object.__setattr__(self, name, default)
        self.update(**fields)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._FIELDS:
            raise self._unknown(name)
        object.__setattr__(self, name, self._FIELDS[name][1](value))

    def __getattr__(self, name: str) -> Any:
        # Called only for names that are not options; copy/pickle probe dunder names.
        if name.startswith("__"):
            raise AttributeError(name)
        raise self._unknown(name)

    def _unknown(self, name: str) -> OqtopusOptionError:
        hint = _HINTS.get(name, "")
        return OqtopusOptionError(
            f"{self._OWNER} has no option {name!r}; its options are {', '.join(self._FIELDS)}{hint}"
        )

    def __delattr__(self, name: str) -> None:
        raise OqtopusOptionError(f"options cannot be deleted; set {name} to its default instead")

    def update(self, **fields: Any) -> None:
        """Set several options at once, all checked before any is changed.

        Raises:
            OqtopusOptionError: For a name that is not an option (the message lists them).
            OqtopusInputError: For a bad value.
        """
        trial = {name: getattr(self, name) for name in self._FIELDS}
        for name, value in fields.items():
            if name not in self._FIELDS:
                self.__setattr__(name, value)  # raises, naming the options
            trial[name] = self._FIELDS[name][1](value)
        for name, value in trial.items():
            object.__setattr__(self, name, value)

    def to_dict(self) -> dict[str, Any]:
        """The options as a plain dict (``run_options`` copied)."""
        return {
            name: dict(value) if isinstance(value, dict) else value for name, value in self.items()
        }

    def items(self) -> Iterator[tuple[str, Any]]:
        """``(name, value)`` pairs in declaration order."""
        return ((name, getattr(self, name)) for name in self._FIELDS)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.to_dict() == other.to_dict()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in self.items())
        return f"{type(self).__name__}({fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.to_dict()))


def _rebuild(cls: type[_PrimitiveOptions], fields: dict[str, Any]) -> _PrimitiveOptions:
    return cls(**fields)


class OqtopusSamplerOptions(_PrimitiveOptions):
    """Options of `OqtopusSamplerV2` (``sampler.options``).

    Attributes:
        default_shots: Shots of PUBs that set none when ``run`` gets no ``shots`` (default 1024).
        seed_simulator: Seed of the device's simulator (``simulator_info.seed_simulation``), or
            ``None``. A call that sends several jobs gives each its own seed derived from this
            one, so equal seeds give equal results and the jobs are not copies of each other.
        run_options: Backend options for every job (``transpiler_info``, ``mitigation_info``,
            ``job_name``...; see ``OqtopusBackend``), or ``None``.
    """

    _OWNER = "OqtopusSamplerV2"
    _FIELDS: ClassVar[dict[str, tuple[Any, Callable[[Any], Any]]]] = {
        "default_shots": (1024, _shots),
        "seed_simulator": (None, validate_seed),
        "run_options": (None, _run_options),
    }


class OqtopusEstimatorOptions(_PrimitiveOptions):
    """Options of `OqtopusEstimatorV2` (``estimator.options``).

    Attributes:
        default_precision: Target standard error of PUBs that set none (default 0.015625,
            i.e. 4096 shots); shots are ``ceil(1 / precision**2)`` per job.
        default_shots: Shots per job for PUBs that set no precision; overrides
            ``default_precision`` when set (as in qiskit-ibm-runtime). Default ``None``.
        seed_simulator: Seed of the device's simulator, or ``None`` (see `OqtopusSamplerOptions`).
        job_type: ``"estimation"`` (default): one OQTOPUS estimation job per (bound circuit,
            observable); the service computes the value, with its own grouping and mitigation.
            ``"sampling"``: one sampling job per bound circuit and measurement basis, shared by
            all observables of the PUB, values and standard errors computed here as Qiskit's
            ``BackendEstimatorV2`` does.
        abelian_grouping: With ``job_type="sampling"``, measure qubit-wise commuting Pauli terms
            together (default ``True``; ``False`` measures each term on its own).
        run_options: Backend options for every job, or ``None``.
    """

    _OWNER = "OqtopusEstimatorV2"
    _FIELDS: ClassVar[dict[str, tuple[Any, Callable[[Any], Any]]]] = {
        "default_precision": (0.015625, _precision),
        "default_shots": (None, _optional_shots),
        "seed_simulator": (None, validate_seed),
        "job_type": ("estimation", _job_type),
        "abelian_grouping": (True, _flag("abelian_grouping")),
        "run_options": (None, _run_options),
    }


def coerce_options(
    cls: type[_PrimitiveOptions], options: _PrimitiveOptions | Mapping[str, Any] | None
) -> Any:
    """An options object of ``cls`` from ``None``, a dict, or another such object (copied).

    Raises:
        OqtopusOptionError: For an unknown name.
        OqtopusInputError: For a bad value, or options of the wrong kind.
    """
    if options is None:
        return cls()
    if isinstance(options, cls):
        return cls(**options.to_dict())
    if isinstance(options, Mapping):
        return cls(**dict(options))
    raise OqtopusInputError(
        f"options must be a dict or {cls.__name__}, got {type(options).__name__}"
    )


def choose_backend(owner: str, mode: Any, backend: Any) -> OqtopusBackend:
    """The backend a primitive runs on, given as ``mode`` (IBM's name) or ``backend``.

    Raises:
        OqtopusInputError: If neither or both are given, or it is not an `OqtopusBackend`.
    """
    if mode is not None and backend is not None and mode is not backend:
        raise OqtopusInputError(f"{owner} got both mode= and backend=; pass one of them")
    chosen = mode if mode is not None else backend
    if chosen is None:
        raise OqtopusInputError(
            f"{owner} needs a backend: {owner}(mode=provider.get_backend('qulacs'))"
        )
    if not isinstance(chosen, OqtopusBackend):
        raise OqtopusInputError(
            f"{owner} runs on an OqtopusBackend, got {type(chosen).__name__}; sessions and "
            "batches of other services do not apply (OQTOPUS has none): pass "
            "OqtopusProvider().get_backend(name)"
        )
    return chosen
