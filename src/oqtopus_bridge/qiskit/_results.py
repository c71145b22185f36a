"""OQTOPUS to Qiskit: wire counts become ``ExperimentResult``, ``Result`` and per-register bits.

Wire counts are keyed by all classical bits of the program, classical bit 0 rightmost
(``oqtopus_bridge.bits``). Qiskit's ``Result.get_counts()`` formats hex keys with the header's
``memory_slots`` and ``creg_sizes`` exactly as it does for Aer, and the V2 primitives slice one
``BitArray`` per register by circuit clbit index; every bit manipulation is a call into ``bits``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from qiskit.primitives import BitArray, DataBin
from qiskit.result import Result
from qiskit.result.models import ExperimentResult, ExperimentResultData

from oqtopus_bridge import bits
from oqtopus_bridge.errors import ResultError
from oqtopus_bridge.qiskit._convert import CircuitLayout
from oqtopus_bridge.qiskit.exceptions import OqtopusCircuitError

__all__ = [
    "OqtopusResult",
    "experiment_result",
    "failed_experiment",
    "full_width_counts",
    "sampler_databin",
    "unmeasured_experiment",
]


def full_width_counts(counts: Mapping[str, int], width: int) -> dict[str, int]:
    """Return wire counts whose keys are exactly ``width`` bits (zero counts dropped).

    Some producers drop leading zeros; a key wider than ``width`` with non-zero extra bits means
    the result does not belong to the program.

    Raises:
        ResultError: If a key does not fit in ``width`` classical bits.
    """
    full: dict[str, int] = {}
    for key, value in bits.normalize_counts(counts).items() if counts else ():
        if not value:
            continue
        try:
            wide = bits.int_to_key(bits.key_to_int(key), width)
        except ValueError as exc:
            raise ResultError(
                f"counts key {key!r} does not fit the program's {width} classical bits"
            ) from exc
        full[wide] = full.get(wide, 0) + int(value)
    return full


def experiment_result(
    counts: Mapping[str, int],
    layout: CircuitLayout,
    shots: int,
    *,
    memory: bool = False,
    metadata: Mapping[str, Any] | None = None,
) -> ExperimentResult:
    """Build the ``ExperimentResult`` of one circuit from its wire counts.

    Args:
        counts: Wire counts of the program.
        layout: The circuit's layout (name, widths, registers).
        shots: Shots requested.
        memory: Also fill per-shot ``memory``. OQTOPUS returns counts only, so memory is synthesized
            from them, grouped by outcome: shot order is not the order the device measured.
        metadata: The circuit's own metadata for the header (default: the layout's).

    Returns:
        An experiment whose ``get_counts()`` matches Aer's for the same circuit.
    """
    full = full_width_counts(counts, layout.num_clbits) if layout.num_clbits else {}
    hex_counts = {hex(bits.key_to_int(key)): value for key, value in full.items()}
    if not layout.num_clbits:
        hex_counts = {"0x0": shots}
    data: dict[str, Any] = {"counts": hex_counts}
    if memory:
        data["memory"] = [key for key, value in hex_counts.items() for _ in range(value)]
    return ExperimentResult(
        shots=shots,
        success=True,
        data=ExperimentResultData(**data),
        header=_header(layout, metadata),
        status="DONE",
    )


def unmeasured_experiment(
    layout: CircuitLayout, shots: int, metadata: Mapping[str, Any] | None = None
) -> ExperimentResult:
    """The result of a circuit without classical bits, as Aer reports it: no counts, no memory.

    Such a circuit is not sent to OQTOPUS (the service refuses programs that measure nothing).
    `OqtopusResult.get_counts` then raises, as Aer's does, but saying why and what to do.
    """
    return ExperimentResult(
        shots=shots,
        success=True,
        data=ExperimentResultData(),
        header=_header(layout, metadata),
        status="DONE",
    )


class OqtopusResult(Result):
    """Qiskit's ``Result``, whose ``get_counts``/``get_memory`` explain an unmeasured circuit.

    Aer's result of a circuit without classical bits fails with ``No counts for experiment "0"``;
    this one names the circuit, says it has no measurements and what to do (issue 22). The error
    is an `OqtopusCircuitError`, so code that catches Qiskit's ``QiskitError`` still does.
    """

    def get_counts(self, experiment: Any = None) -> Any:
        """Qiskit's ``Result.get_counts``; raises `OqtopusCircuitError` for unmeasured circuits."""
        self._require_measured(experiment, "counts")
        return super().get_counts(experiment)

    def get_memory(self, experiment: Any = None) -> Any:
        """Qiskit's ``Result.get_memory``; raises `OqtopusCircuitError` for unmeasured circuits."""
        self._require_measured(experiment, "memory")
        return super().get_memory(experiment)

    def _require_measured(self, experiment: Any, what: str) -> None:
        keys = range(len(self.results)) if experiment is None else [experiment]
        for key in keys:
            exp = self._get_experiment(key)
            header = exp.header if isinstance(exp.header, dict) else {}
            if exp.success and header.get("memory_slots") == 0 and _no_counts(exp):
                raise OqtopusCircuitError(
                    f"circuit {header.get('name', key)!r} has no measurements (no classical "
                    f"bits), so it was not run and has no {what}: add measurements "
                    "(circuit.measure_all()) before backend.run, or use OqtopusEstimatorV2 for "
                    "expectation values"
                )


def _no_counts(experiment: ExperimentResult) -> bool:
    return getattr(experiment.data, "counts", None) is None


def failed_experiment(layout: CircuitLayout, shots: int, message: str) -> ExperimentResult:
    """Build the ``ExperimentResult`` of a circuit whose job did not succeed."""
    return ExperimentResult(
        shots=shots,
        success=False,
        data=ExperimentResultData(),
        header=_header(layout),
        status=message,
    )


def _header(layout: CircuitLayout, metadata: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The result header Qiskit needs to format counts (as ``qiskit_aer`` writes it)."""
    return {
        "name": layout.name,
        "memory_slots": layout.num_clbits,
        "creg_sizes": layout.creg_sizes,
        "n_qubits": layout.num_qubits,
        "metadata": dict(layout.metadata if metadata is None else metadata),
    }


def sampler_databin(
    counts_list: Sequence[Mapping[str, int]], layout: CircuitLayout, shape: tuple[int, ...]
) -> DataBin:
    """Build a sampler ``DataBin`` with one ``BitArray`` per classical register.

    Args:
        counts_list: Wire counts per element of the PUB, in C order of ``shape``.
        layout: The circuit's layout; register ``k``'s bit ``j`` is clbit ``cregs[k][1][j]``.
        shape: The PUB's shape.

    Raises:
        ResultError: If the elements have different shot totals (e.g. after readout mitigation).
    """
    full = [full_width_counts(counts, layout.num_clbits) for counts in counts_list]
    totals = {sum(counts.values()) for counts in full}
    if len(totals) > 1:
        raise ResultError(
            f"the sweep's results have different shot totals {sorted(totals)}, so they cannot form "
            "one BitArray; disable mitigation_info for OqtopusSamplerV2 or use backend.run"
        )
    arrays = {name: _bit_array(full, indices, shape) for name, indices in layout.cregs}
    return DataBin(**arrays, shape=shape)


def _bit_array(
    full: Sequence[Mapping[str, int]], indices: Sequence[int], shape: tuple[int, ...]
) -> BitArray:
    """One register's ``BitArray``: register bit ``j`` is classical bit ``indices[j]``."""
    if not indices:  # an empty register has no bits to count, only shots (as StatevectorSampler)
        shots = sum(full[0].values()) if full else 0
        return BitArray(np.zeros((*shape, shots, 0), dtype=np.uint8), 0)
    marginals = [bits.marginal_counts(counts, indices) for counts in full]
    return BitArray.from_counts(marginals, num_bits=len(indices)).reshape(shape)
