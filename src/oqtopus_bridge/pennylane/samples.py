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
import pennylane as qml
from pennylane.devices.preprocess import measurements_from_counts
from pennylane.measurements import CountsMP, MeasurementProcess, SampleMP
from pennylane.tape import QuantumScript, QuantumScriptBatch
from pennylane.transforms import transform
from pennylane.typing import PostprocessingFn
from pennylane.wires import Wires

from oqtopus_bridge.pennylane.midcircuit import Postselection, split_postselection

__all__ = ["counts_to_results", "shuffled_shots"]


def shuffled_shots(counts: Mapping[str, int], width: int, rng: np.random.Generator) -> np.ndarray:
    """The shots behind ``counts`` in a random order, as a ``(shots, width)`` array of 0/1.

    Args:
        counts: ``{bitstring: count}``, each bitstring one character per measured wire.
        width: Number of measured wires (the length of every bitstring).
        rng: Orders the shots.
    """
    keys = sorted(counts)
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
    tape: QuantumScript,
    counts: Mapping[str, int],
    measured: Wires,
    post: Postselection | None,
    rng: np.random.Generator,
) -> Any:
    """One shot copy's results: postselected, sample measurements read from shuffled shots."""
    kept = dict(counts) if post is None else post.keep(dict(counts), measured)
    shots = shuffled_shots(kept, len(measured), rng) if _has_samples(tape.measurements) else None
    values = []
    with np.errstate(invalid="ignore", divide="ignore"):  # no shot kept: NaN, as default.qubit
        for mp in tape.measurements:
            if isinstance(mp, SampleMP) and shots is not None:
                values.append(_sample(mp, shots, measured))
            else:
                values.append(mp.process_counts(kept, measured))
    return values[0] if len(values) == 1 else values


def _has_samples(measurements: Sequence[MeasurementProcess]) -> bool:
    return any(isinstance(mp, SampleMP) for mp in measurements)


def _has_projector(tape: QuantumScript) -> bool:
    return any(isinstance(op, qml.Projector) for op in tape.operations)


@transform
def counts_to_results(
    tape: QuantumScript, shuffle: Callable[[], np.random.Generator], name: str
) -> tuple[QuantumScriptBatch, PostprocessingFn]:
    """``measurements_from_counts``, with postselection and the samples in a random order.

    Args:
        tape: The tape.
        shuffle: Returns the generator that orders the samples (called after execution, so the
            device can seed it per execution).
        name: The device's name, for messages.
    """
    if not tape.shots:
        return measurements_from_counts(tape)
    post = None
    measuring = tape
    if _has_projector(tape):
        stripped, post = split_postselection(tape, name)
        measuring = stripped.copy(measurements=[*stripped.measurements, CountsMP(wires=post.wires)])
    tapes, _ = measurements_from_counts(measuring)
    measured = tapes[0].measurements[0].wires

    def postprocess(results: Sequence[Any]) -> Any:
        rng = shuffle()
        if tape.shots.has_partitioned_shots:
            return [_copy_results(tape, counts, measured, post, rng) for counts in results[0]]
        return _copy_results(tape, results[0], measured, post, rng)

    return tapes, postprocess
