"""Results from counts, with ``qml.sample`` rebuilt as shots in a random order.

OQTOPUS returns counts only. PennyLane's ``measurements_from_counts`` rebuilds each
``qml.sample`` from them outcome by outcome, so the samples come grouped (all ``0`` first, then all
``1``): batch means and bootstrap errors computed from them are silently wrong (issue 22, item 8),
and two sample measurements of one circuit, each rebuilt from its own marginal counts, line up as
if perfectly correlated. `counts_to_results` rebuilds the circuit's shots once, from the counts
over all measured wires, puts them in a random order (seeded from the device's seed, see
`oqtopus_bridge.pennylane.seeds`) and reads every sample measurement from the same shots.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from pennylane.devices.preprocess import measurements_from_counts
from pennylane.measurements import MeasurementProcess, SampleMP
from pennylane.tape import QuantumScript, QuantumScriptBatch
from pennylane.transforms import transform
from pennylane.typing import PostprocessingFn
from pennylane.wires import Wires

__all__ = ["counts_to_results", "shuffled_shots"]


def shuffled_shots(counts: Mapping[str, int], rng: np.random.Generator) -> np.ndarray:
    """The shots behind ``counts`` in a random order, as a ``(shots, bits)`` array of 0/1.

    Args:
        counts: ``{bitstring: count}``, each bitstring one character per measured wire.
        rng: Orders the shots.
    """
    keys = sorted(counts)
    width = len(keys[0]) if keys else 0
    outcomes = np.array([[int(bit) for bit in key] for key in keys], dtype=np.int64)
    order = np.repeat(np.arange(len(keys)), [int(counts[key]) for key in keys])
    return outcomes.reshape(len(keys), width)[rng.permutation(order)]


def _sample(mp: SampleMP, shots: np.ndarray, measured: Wires) -> np.ndarray:
    """``mp``'s samples from the shots (as ``SampleMP.process_counts`` shapes them)."""
    bits = shots[:, [measured.index(wire) for wire in mp.wires]]
    eigvals = mp.eigvals()
    if eigvals is not None:
        index = bits @ (2 ** np.arange(bits.shape[1] - 1, -1, -1))
        return np.asarray(eigvals)[index]
    return bits[:, 0] if bits.shape[1] == 1 else bits


def _copy_results(
    tape: QuantumScript, counts: Mapping[str, int], processed: Any, measured: Wires, rng: Any
) -> Any:
    """One shot copy's results, with every sample measurement read from shuffled shots."""
    single = len(tape.measurements) == 1
    values = [processed] if single else list(processed)
    shots = shuffled_shots(counts, rng)
    for index, mp in enumerate(tape.measurements):
        if isinstance(mp, SampleMP):
            values[index] = _sample(mp, shots, measured)
    return values[0] if single else values


def _has_samples(measurements: Sequence[MeasurementProcess]) -> bool:
    return any(isinstance(mp, SampleMP) for mp in measurements)


@transform
def counts_to_results(
    tape: QuantumScript, shuffle: Callable[[], np.random.Generator]
) -> tuple[QuantumScriptBatch, PostprocessingFn]:
    """``measurements_from_counts``, with the samples of each shot copy in a random order.

    Args:
        tape: The tape.
        shuffle: Returns the generator that orders the samples (called after execution, so the
            device can seed it per execution).
    """
    tapes, postprocess = measurements_from_counts(tape)
    if not _has_samples(tape.measurements) or not tape.shots:
        return tapes, postprocess
    measured = tapes[0].measurements[0].wires

    def shuffled(results: Sequence[Any]) -> Any:
        processed = postprocess(results)
        rng = shuffle()
        if tape.shots.has_partitioned_shots:
            return [
                _copy_results(tape, counts, copy, measured, rng)
                for counts, copy in zip(results[0], processed, strict=True)
            ]
        return _copy_results(tape, results[0], processed, measured, rng)

    return tapes, shuffled
