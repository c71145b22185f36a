"""The documented ``OqtopusSamplingBackend``: sampling and multi_manual jobs."""

from __future__ import annotations

from typing import Any

from quri_parts.circuit import NonParametricQuantumCircuit

from oqtopus_bridge.api import JobSpec
from oqtopus_bridge.backends.base import OqtopusJobBackendBase, check_shots, info_dict
from oqtopus_bridge.folding import warn_if_folded
from oqtopus_bridge.jobs import OqtopusSamplingJob

__all__ = ["OqtopusSamplingBackend"]


class OqtopusSamplingBackend(OqtopusJobBackendBase):
    """A OQTOPUS backend for a sampling measurement.

    Thread-safe: one backend (one keep-alive session) may submit from many threads.

    Args:
        config: Connection settings; see `OqtopusBackendBase`
            for how None is resolved.
    """

    def sample(
        self,
        program: NonParametricQuantumCircuit | list[NonParametricQuantumCircuit],
        device_id: str,
        shots: int,
        name: str | None = None,
        description: str | None = None,
        transpiler_info: dict[str, Any] | None = None,
        simulator_info: dict[str, Any] | None = None,
        mitigation_info: dict[str, Any] | None = None,
    ) -> OqtopusSamplingJob:
        """Execute a sampling measurement of a circuit.

        The circuit is converted to OpenQASM 3 (measuring every qubit unless it has ``Measurement``
        gates) and transpiled on OQTOPUS Cloud. A list of circuits is one ``multi_manual`` job.

        Args:
            program: The circuit, or a list of circuits, to be sampled.
            device_id: The device id to be executed.
            shots: Number of repetitions of each circuit (1 to 10,000,000).
            name: The name to be assigned to the job.
            description: The description to be assigned to the job.
            transpiler_info: The transpiler information, e.g.
                ``{"transpiler_lib": "qiskit", "transpiler_options": {"optimization_level": 2}}``.
            simulator_info: The simulator information.
            mitigation_info: The mitigation information, e.g.
                ``{"ro_error_mitigation": "pseudo_inverse"}``.

        Returns:
            The submitted job.

        Raises:
            ValueError: If ``shots`` is not a positive integer, the list is empty, or a circuit
                cannot be converted (parametric gates, for example).
            BackendError: If the job is refused, authentication failed, etc.
        """
        shots = check_shots(shots)
        # Imported here: the QASM writer pulls in quri_parts' transpilers and mpmath (~40 ms
        # of `import oqtopus_bridge`, issue 10), needed only when circuits are converted.
        from oqtopus_bridge.qasm import circuits_to_qasm

        programs = circuits_to_qasm(program)
        qasm: str | list[str] = programs if isinstance(program, (list, tuple)) else programs[0]
        return self.sample_qasm(
            qasm,
            device_id,
            shots,
            name,
            description,
            transpiler_info,
            simulator_info,
            mitigation_info,
        )

    def sample_qasm(
        self,
        program: str | list[str],
        device_id: str,
        shots: int,
        name: str | None = None,
        description: str | None = None,
        transpiler_info: dict[str, Any] | None = None,
        simulator_info: dict[str, Any] | None = None,
        mitigation_info: dict[str, Any] | None = None,
        job_type: str | None = None,
        *,
        check_folding: bool = True,
    ) -> OqtopusSamplingJob:
        """Execute sampling measurement of the program.

        Args:
            program: An OpenQASM 3 program, or a list of them (a ``multi_manual`` job, even of one).
            device_id: The device id to be executed.
            shots: Number of repetitions of each circuit (1 to 10,000,000).
            name: The name to be assigned to the job.
            description: The description to be assigned to the job.
            transpiler_info: The transpiler information.
            simulator_info: The simulator information.
            mitigation_info: The mitigation information.
            job_type: Force the job type (default: ``sampling`` for a str, else ``multi_manual``).
            check_folding: Warn (`FoldingWarning`) if the program looks folded and would be
                optimized; an adapter that checks its circuits before decomposition passes False.

        Returns:
            The submitted job.

        Raises:
            ValueError: If ``shots`` is not a positive integer or the program list is empty.
            BackendError: If the job is refused, authentication failed, etc.
        """
        shots = check_shots(shots)
        programs = _program_list(program)
        if check_folding:
            warn_if_folded(programs, transpiler_info)
        spec = JobSpec(
            job_type=job_type
            or ("multi_manual" if isinstance(program, (list, tuple)) else "sampling"),
            device_id=_device(device_id),
            shots=shots,
            program=programs,
            name=name,
            description=description,
            transpiler_info=info_dict(transpiler_info, "transpiler_info"),
            simulator_info=info_dict(simulator_info, "simulator_info"),
            mitigation_info=info_dict(mitigation_info, "mitigation_info"),
        )
        return OqtopusSamplingJob(self._submit(spec), self.api)


def _program_list(program: Any) -> list[str]:
    programs = list(program) if isinstance(program, (list, tuple)) else [program]
    if not programs:
        raise ValueError("program list is empty: give at least one OpenQASM 3 program")
    for item in programs:
        if not isinstance(item, str) or not item.strip():
            raise ValueError(
                f"each program must be non-empty OpenQASM 3 text, got {type(item).__name__}"
            )
    return programs


def _device(device_id: Any) -> str:
    if not isinstance(device_id, str) or not device_id:
        raise ValueError(f"device_id must be a non-empty string, got {device_id!r}")
    return device_id
