"""Build a Qiskit ``Target`` from an OQTOPUS device: calibrated, from its basis gates, or ideal.

The calibration format is the "oqtopus" device topology (``reference/quri-parts-oqtopus.md`` §7),
mapped as OQTOPUS's own transpiler tranqu maps it: per-qubit ``x``/``sx``/``rz`` with
``error = 1 - fidelity`` and ``duration = ns * 1e-9``, ``measure`` with the mean of the two
readout error probabilities, ``QubitProperties`` from ``t1``/``t2`` in microseconds, and a directed
``cx`` per coupling with the duration of ``rzx90`` or ``cx``. Missing fields stay unknown.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from qiskit.circuit import Delay, Measure, Parameter, Reset
from qiskit.circuit.library import CXGate, RZGate, SXGate, XGate, get_standard_gate_name_mapping
from qiskit.providers import QubitProperties
from qiskit.transpiler import InstructionProperties, Target

__all__ = ["IDEAL_BASIS", "build_target", "parse_calibration"]

IDEAL_BASIS = (
    "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "sxdg", "rx", "ry", "rz", "p", "u",
    "cx", "cy", "cz", "ch", "swap", "cp", "crx", "cry", "crz", "rxx", "ryy", "rzz", "ccx", "cswap",
)  # fmt: skip
"""Gates an ideal simulator's target offers when the device lists none it can name."""

_OPTIONAL_INSTRUCTIONS = ("reset", "delay")
"""Non-gate instructions a target offers only when the device lists them (issue 14: a target must
offer exactly what the device runs, so ``transpile`` never accepts what the job then fails on)."""
_NS = 1e-9
_US = 1e-6


def parse_calibration(device_info: Mapping[str, Any] | str | None) -> dict[str, Any] | None:
    """Return the device's calibration as a dict with a ``qubits`` list, or ``None`` if it has none.

    ``device_info`` may arrive as a dict, a JSON string or ``None`` (simulators).
    """
    if isinstance(device_info, str):
        try:
            device_info = json.loads(device_info)
        except ValueError:
            return None
    if not isinstance(device_info, Mapping):
        return None
    qubits = device_info.get("qubits")
    if not isinstance(qubits, list) or not qubits:
        return None
    return dict(device_info)


def build_target(
    *,
    num_qubits: int | None,
    basis_gates: Sequence[str] = (),
    supported_instructions: Sequence[str] = (),
    device_type: str = "QPU",
    device_info: Mapping[str, Any] | str | None = None,
    description: str | None = None,
) -> Target:
    """Build the target of one OQTOPUS device.

    Args:
        num_qubits: The device's ``n_qubits``, if reported.
        basis_gates: The device's advertised basis gates (advisory on OQTOPUS).
        supported_instructions: Non-gate instructions, e.g. ``measure``, ``barrier``, ``reset``.
        device_type: ``"QPU"`` or ``"simulator"``.
        device_info: The device's calibration (dict, JSON string or ``None``).
        description: Text for ``Target.description``.

    Returns:
        For a simulator, an ideal all-to-all target over its basis gates and :data:`IDEAL_BASIS`;
        for a QPU with qubit data in ``device_info``, a calibrated target; otherwise an all-to-all
        target over the advertised basis gates. Every target has ``measure``; ``reset`` and
        ``delay`` only when ``supported_instructions`` lists them.
    """
    calibration = parse_calibration(device_info)
    simulator = device_type.lower() == "simulator"
    if calibration is not None and not simulator:
        return _calibrated_target(calibration, num_qubits, supported_instructions, description)
    if calibration is not None and not num_qubits:
        num_qubits = len(calibration["qubits"])
    names = _standard_names(basis_gates)
    if simulator or not names:
        names = sorted(set(names) | set(IDEAL_BASIS))
    extras = ["measure", *(n for n in _OPTIONAL_INSTRUCTIONS if n in supported_instructions)]
    names += [name for name in extras if name not in names]
    return Target.from_configuration(
        basis_gates=names, num_qubits=num_qubits or 1, coupling_map=None
    )


def _standard_names(names: Iterable[str]) -> list[str]:
    """The names Qiskit knows as standard gates (others, e.g. ``barrier``, are dropped)."""
    standard = get_standard_gate_name_mapping()
    return [name for name in dict.fromkeys(names) if name in standard]


def _calibrated_target(
    calibration: Mapping[str, Any],
    num_qubits: int | None,
    supported_instructions: Sequence[str],
    description: str | None,
) -> Target:
    """A target with per-qubit and per-coupling properties from the calibration."""
    qubits = {int(q["id"]): q for q in calibration["qubits"] if "id" in q}
    couplings = [c for c in calibration.get("couplings") or [] if "control" in c and "target" in c]
    width = max([num_qubits or 0, *(q + 1 for q in qubits)])
    target = Target(
        description=description,
        num_qubits=width,
        qubit_properties=[_qubit_properties(qubits.get(q, {})) for q in range(width)],
    )
    for gate in (XGate(), SXGate(), RZGate(Parameter("theta"))):
        target.add_instruction(gate, {(q,): _gate_properties(qubits.get(q, {}), gate.name)
                                      for q in range(width)})  # fmt: skip
    target.add_instruction(Measure(), {(q,): _measure_properties(qubits.get(q, {}))
                                       for q in range(width)})  # fmt: skip
    cx = {(int(c["control"]), int(c["target"])): _coupling_properties(c) for c in couplings}
    if cx:
        target.add_instruction(CXGate(), cx)
    extras = {"reset": Reset(), "delay": Delay(Parameter("t"))}
    for name in supported_instructions:
        if name in extras:
            target.add_instruction(extras[name], {(q,): None for q in range(width)})
    return target


def _number(value: Any) -> float | None:
    """``value`` as a float, or ``None`` when missing or not a number."""
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _qubit_properties(qubit: Mapping[str, Any]) -> QubitProperties:
    lifetime = qubit.get("qubit_lifetime") or {}
    t1, t2 = _number(lifetime.get("t1")), _number(lifetime.get("t2"))
    return QubitProperties(t1=None if t1 is None else t1 * _US, t2=None if t2 is None else t2 * _US)


def _gate_properties(qubit: Mapping[str, Any], gate: str) -> InstructionProperties:
    fidelity = _number(qubit.get("fidelity"))
    duration = _number((qubit.get("gate_duration") or {}).get(gate))
    return InstructionProperties(
        duration=None if duration is None else duration * _NS,
        error=None if fidelity is None else max(0.0, 1.0 - fidelity),
    )


def _measure_properties(qubit: Mapping[str, Any]) -> InstructionProperties:
    errors = qubit.get("meas_error") or {}
    p10, p01 = _number(errors.get("prob_meas1_prep0")), _number(errors.get("prob_meas0_prep1"))
    error = None if p10 is None or p01 is None else (p10 + p01) / 2
    if error is None:
        error = _number(errors.get("readout_assignment_error"))
    return InstructionProperties(error=error)


def _coupling_properties(coupling: Mapping[str, Any]) -> InstructionProperties:
    fidelity = _number(coupling.get("fidelity"))
    durations = coupling.get("gate_duration") or {}
    duration = _number(durations.get("rzx90", durations.get("cx")))
    return InstructionProperties(
        duration=None if duration is None else duration * _NS,
        error=None if fidelity is None else max(0.0, 1.0 - fidelity),
    )
