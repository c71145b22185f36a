"""The documented ``OqtopusEstimationBackend`` and the operator wire form."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from quri_parts.circuit import NonParametricQuantumCircuit
from quri_parts.core.operator import Operator, PauliLabel

from oqtopus_bridge import bits
from oqtopus_bridge.api import JobSpec
from oqtopus_bridge.backends.base import OqtopusJobBackendBase, check_shots, info_dict
from oqtopus_bridge.errors import ConversionError
from oqtopus_bridge.folding import warn_if_folded
from oqtopus_bridge.jobs import OqtopusEstimationJob

__all__ = ["OperatorLike", "OqtopusEstimationBackend", "operator_to_wire"]

#: A QURI Parts Operator or PauliLabel, or (label, coeff) pairs such as ``[("X0 Z2", 0.5)]``.
OperatorLike = Operator | PauliLabel | Iterable[tuple[str, complex | float]]
_IMAG_TOLERANCE = 1e-9
_LETTERS = "IXYZ"


def _label_to_service(label: Any) -> str:
    if isinstance(label, PauliLabel):
        return bits.pauli_to_service({index: _LETTERS[pid] for index, pid in label})
    if isinstance(label, str):
        return bits.pauli_to_service(bits.parse_service_pauli(label))
    raise ConversionError(
        f"a Pauli term must be a PauliLabel or a label like 'X0 Z2', not {label!r}"
    )


def _real(coeff: Any) -> float:
    value = complex(coeff)
    if abs(value.imag) > _IMAG_TOLERANCE:
        raise ConversionError(f"Complex numbers are not supported in coefficient: {coeff}")
    return float(value.real)


def operator_to_wire(operator: OperatorLike) -> list[dict[str, Any]]:
    """Serialize an observable to the service form ``[{"pauli": "X0 Z2", "coeff": 0.5}, ...]``.

    Args:
        operator: A QURI Parts ``Operator`` or ``PauliLabel``, ``(label, coeff)`` pairs in
            the service form, or an already-serialized list of ``{"pauli", "coeff"}`` dicts.

    Returns:
        The term list; the identity is ``"I"``.

    Raises:
        ValueError: A coefficient has an imaginary part above 1e-9, or a term is malformed (a
            ``ConversionError``).
    """
    if isinstance(operator, PauliLabel):
        pairs: Iterable[Any] = [(operator, 1.0)]
    elif isinstance(operator, Mapping):
        pairs = operator.items()
    else:
        pairs = operator
    terms: list[dict[str, Any]] = []
    for item in pairs:
        if isinstance(item, Mapping):
            item = (item.get("pauli"), item.get("coeff"))
        try:
            label, coeff = item
        except (TypeError, ValueError):
            raise ConversionError(
                f"an operator term must be (label, coeff), not {item!r}"
            ) from None
        terms.append({"pauli": _label_to_service(label), "coeff": _real(coeff)})
    if not terms:
        raise ConversionError("the operator has no terms")
    return terms


class OqtopusEstimationBackend(OqtopusJobBackendBase):
    """A OQTOPUS backend for a estimation.

    Args:
        config: Connection settings; see `OqtopusBackendBase`
            for how None is resolved.
    """

    def estimate(
        self,
        program: NonParametricQuantumCircuit,
        operator: OperatorLike,
        device_id: str,
        shots: int,
        name: str | None = None,
        description: str | None = None,
        transpiler_info: dict[str, Any] | None = None,
        simulator_info: dict[str, Any] | None = None,
        mitigation_info: dict[str, Any] | None = None,
    ) -> OqtopusEstimationJob:
        """Execute a estimation of a circuit.

        The circuit is converted to OpenQASM 3 and transpiled on OQTOPUS Cloud.

        Args:
            program: The circuit to be estimated.
            operator: The observable (see `operator_to_wire`).
            device_id: The device id to be executed.
            shots: Number of repetitions of each circuit, for estimation.
            name: The name to be assigned to the job.
            description: The description to be assigned to the job.
            transpiler_info: The transpiler information.
            simulator_info: The simulator information.
            mitigation_info: The mitigation information.

        Returns:
            The submitted job.

        Raises:
            ValueError: If ``shots`` is not a positive integer, a coefficient is complex, or the
                circuit cannot be converted.
            BackendError: If the job is refused, authentication failed, etc.
        """
        shots = check_shots(shots)
        # Imported here: the QASM writer pulls in quri_parts' transpilers and mpmath (~40 ms
        # of `import oqtopus_bridge`, issue 10), needed only when circuits are converted.
        from oqtopus_bridge.qasm import circuits_to_qasm

        (qasm,) = circuits_to_qasm(program)
        return self.estimate_qasm(
            qasm,
            operator,
            device_id,
            shots,
            name,
            description,
            transpiler_info,
            simulator_info,
            mitigation_info,
        )

    def estimate_qasm(
        self,
        program: str,
        operator: OperatorLike,
        device_id: str,
        shots: int,
        name: str | None = None,
        description: str | None = None,
        transpiler_info: dict[str, Any] | None = None,
        simulator_info: dict[str, Any] | None = None,
        mitigation_info: dict[str, Any] | None = None,
        *,
        check_folding: bool = True,
    ) -> OqtopusEstimationJob:
        """Execute estimation of the program.

        Args:
            program: The OpenQASM 3 program to be estimated.
            operator: The observable (see `operator_to_wire`).
            device_id: The device id to be executed.
            shots: Number of repetitions of each circuit, for estimation.
            name: The name to be assigned to the job.
            description: The description to be assigned to the job.
            transpiler_info: The transpiler information.
            simulator_info: The simulator information.
            mitigation_info: The mitigation information.
            check_folding: Warn (`FoldingWarning`) if the program looks folded and would be
                optimized; an adapter that checks its circuits before decomposition passes False.

        Returns:
            The submitted job.

        Raises:
            ValueError: If ``shots`` is not a positive integer, or a coefficient has an imaginary
                part ("Imaginary part of coefficient is not supported").
            BackendError: If the job is refused, authentication failed, etc.
        """
        shots = check_shots(shots)
        terms = operator_to_wire(operator)  # before any request: a complex coeff never reaches HTTP
        if not isinstance(program, str) or not program.strip():
            raise ValueError("program must be non-empty OpenQASM 3 text")
        if not isinstance(device_id, str) or not device_id:
            raise ValueError(f"device_id must be a non-empty string, got {device_id!r}")
        if check_folding:
            warn_if_folded([program], transpiler_info)
        spec = JobSpec(
            job_type="estimation",
            device_id=device_id,
            shots=shots,
            program=[program],
            operator=terms,
            name=name,
            description=description,
            transpiler_info=info_dict(transpiler_info, "transpiler_info"),
            simulator_info=info_dict(simulator_info, "simulator_info"),
            mitigation_info=info_dict(mitigation_info, "mitigation_info"),
        )
        return OqtopusEstimationJob(self._submit(spec), self.api)
