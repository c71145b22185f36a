"""An OQTOPUS device in QURI Parts' terms: ``DeviceProperty``, qubit graph and ``NoiseModel``.

From the device's calibration (``device_info``: qubits with fidelity, readout errors, T1/T2 in
microseconds and gate durations in nanoseconds; directed couplings with fidelity and duration):

* `create_oqtopus_qubit_graph`: an undirected ``networkx.Graph`` of the couplings.
* `create_oqtopus_noise_model`: a ``quri_parts.circuit.noise.NoiseModel`` with the errors the local
  server simulates: depolarizing noise matching each gate's fidelity, thermal relaxation over its
  duration, and readout error. Two limits of QURI Parts' noise model make it approximate: a
  CNOT noise cannot tell the gate's direction (the pair's two directions are averaged), and
  ``MeasurementNoise`` acts on every qubit alike (the device's mean readout error is used; the
  per-qubit values are in the ``DeviceProperty``).
* `create_oqtopus_device_property`: a ``quri_parts.backend.device.DeviceProperty`` (qubits,
  graph, per-qubit T1/T2 and readout errors, per-gate errors and durations, the noise model).

Gate names: OQTOPUS ``x``, ``sx``, ``rz``, ``cx`` are QURI Parts' ``X``, ``SqrtX``, ``RZ``,
``CNOT``.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from typing import Any

import networkx as nx
from quri_parts.backend.device import DeviceProperty, GateProperty, QubitProperty
from quri_parts.backend.units import TimeUnit, TimeValue
from quri_parts.circuit import gate_names
from quri_parts.circuit.gate_names import NonParametricGateNameType
from quri_parts.circuit.noise import (
    BitFlipNoise,
    DepolarizingNoise,
    GeneralDepolarizingNoise,
    MeasurementNoise,
    NoiseInstruction,
    NoiseModel,
    ThermalRelaxationNoise,
)

from oqtopus_bridge.devices import OqtopusDevice

__all__ = [
    "create_oqtopus_device_property",
    "create_oqtopus_noise_model",
    "create_oqtopus_qubit_graph",
]

#: OQTOPUS basis gate names and QURI Parts' gate names.
GATE_NAMES: Mapping[str, str] = {
    "x": gate_names.X,
    "sx": gate_names.SqrtX,
    "rz": gate_names.RZ,
    "cx": gate_names.CNOT,
}
_US, _NS = TimeUnit.MICROSECOND, TimeUnit.NANOSECOND


def _info(device: OqtopusDevice | Mapping[str, Any]) -> dict[str, Any]:
    info = device.device_info if isinstance(device, OqtopusDevice) else device
    if not isinstance(info, Mapping) or not isinstance(info.get("qubits"), list):
        raise ValueError(
            "the device has no calibration (device_info.qubits); give an OqtopusDevice from "
            "OqtopusDeviceBackend().get_device(device_id) or its device_info"
        )
    return dict(info)


def _couplings(info: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [c for c in info.get("couplings") or [] if "control" in c and "target" in c]


def create_oqtopus_qubit_graph(device: OqtopusDevice | Mapping[str, Any]) -> nx.Graph:
    """The device's qubits (by index) and their couplings, as an undirected graph."""
    info = _info(device)
    graph = nx.Graph()
    graph.add_nodes_from(range(len(info["qubits"])))
    graph.add_edges_from((int(c["control"]), int(c["target"])) for c in _couplings(info))
    return graph


def _fidelity(entry: Mapping[str, Any]) -> float | None:
    value = entry.get("fidelity")
    return None if value is None else float(value)


def _gate_noise(qubit: int, entry: Mapping[str, Any]) -> list[NoiseInstruction]:
    """Depolarizing (as the fidelity) and thermal relaxation noise of a qubit's X and SqrtX."""
    noises: list[NoiseInstruction] = []
    fidelity = _fidelity(entry)
    if fidelity is not None and fidelity < 1.0:
        # QURI Parts' error_prob is the total Pauli probability: 3/4 of the depolarizing
        # parameter 2 (1 - F), whose average gate infidelity is 1 - F.
        noises.append(
            DepolarizingNoise(
                min(1.0, 1.5 * (1.0 - fidelity)), [qubit], [gate_names.X, gate_names.SqrtX]
            )
        )
    durations = entry.get("gate_duration") or {}
    for name, gate in (("sx", gate_names.SqrtX), ("x", gate_names.X)):
        thermal = _thermal(entry, float(durations.get(name, 0) or 0), qubit, gate)
        noises.extend(thermal)
    return noises


def _thermal(
    entry: Mapping[str, Any], duration_ns: float, qubit: int, gate: NonParametricGateNameType
) -> list[NoiseInstruction]:
    lifetime = entry.get("qubit_lifetime") or {}
    if duration_ns <= 0 or "t1" not in lifetime or "t2" not in lifetime:
        return []
    t1 = float(lifetime["t1"]) * 1000.0  # microseconds to nanoseconds
    t2 = min(float(lifetime["t2"]) * 1000.0, 2 * t1)
    return [ThermalRelaxationNoise(t1, t2, duration_ns, 0.0, [qubit], [gate])]


def _pair_noise(info: Mapping[str, Any]) -> list[NoiseInstruction]:
    """CNOT noise per coupled pair (both directions averaged) and per qubit thermal relaxation."""
    pairs: dict[tuple[int, int], list[float]] = {}
    durations: dict[int, list[float]] = {}
    for coupling in _couplings(info):
        control, target = int(coupling["control"]), int(coupling["target"])
        fidelity = _fidelity(coupling)
        if fidelity is not None:
            pairs.setdefault((min(control, target), max(control, target)), []).append(fidelity)
        duration = (coupling.get("gate_duration") or {}).get("cx")
        for qubit in (control, target):
            if duration:
                durations.setdefault(qubit, []).append(float(duration))
    noises: list[NoiseInstruction] = []
    for (first, second), fidelities in sorted(pairs.items()):
        infidelity = 1.0 - statistics.fmean(fidelities)
        if infidelity > 0:
            # Total Pauli probability: 15/16 of the depolarizing parameter 4/3 (1 - F).
            noises.append(
                GeneralDepolarizingNoise(
                    min(1.0, 1.25 * infidelity), 2, [first, second], [gate_names.CNOT]
                )
            )
    qubits = info["qubits"]
    for qubit, values in sorted(durations.items()):
        if qubit < len(qubits):
            noises.extend(_thermal(qubits[qubit], statistics.fmean(values), qubit, gate_names.CNOT))
    return noises


def _readout(entry: Mapping[str, Any]) -> tuple[float, float]:
    """``(prob_meas1_prep0, prob_meas0_prep1)`` of a qubit."""
    meas = entry.get("meas_error") or {}
    return float(meas.get("prob_meas1_prep0", 0.0) or 0.0), float(
        meas.get("prob_meas0_prep1", 0.0) or 0.0
    )


def create_oqtopus_noise_model(device: OqtopusDevice | Mapping[str, Any]) -> NoiseModel:
    """A QURI Parts ``NoiseModel`` of the device's calibration (see the module docstring).

    Args:
        device: An ``OqtopusDevice`` or its ``device_info``.

    Returns:
        The model, e.g. for ``quri_parts.qulacs.sampler.create_qulacs_density_matrix_sampler``.

    Raises:
        ValueError: If the device has no calibration.
    """
    info = _info(device)
    noises: list[NoiseInstruction] = []
    for index, entry in enumerate(info["qubits"]):
        noises.extend(_gate_noise(index, entry))
    noises.extend(_pair_noise(info))
    readout = [sum(_readout(entry)) / 2 for entry in info["qubits"]]
    if readout and statistics.fmean(readout) > 0:
        noises.append(MeasurementNoise([BitFlipNoise(statistics.fmean(readout))]))
    return NoiseModel(noises)


def _qubit_property(entry: Mapping[str, Any], index: int) -> QubitProperty:
    lifetime = entry.get("qubit_lifetime") or {}
    p10, p01 = _readout(entry)
    return QubitProperty(
        T1=TimeValue(float(lifetime["t1"]), _US) if "t1" in lifetime else None,
        T2=TimeValue(float(lifetime["t2"]), _US) if "t2" in lifetime else None,
        prob_meas0_on_state1=p01,
        prob_meas1_on_state0=p10,
        name=str(entry.get("physical_id", index)),
    )


def _gate_properties(info: Mapping[str, Any]) -> list[GateProperty]:
    properties: list[GateProperty] = []
    for index, entry in enumerate(info["qubits"]):
        fidelity = _fidelity(entry)
        durations = entry.get("gate_duration") or {}
        for name in ("x", "sx", "rz"):
            error = 0.0 if name == "rz" or fidelity is None else 1.0 - fidelity
            time = TimeValue(float(durations.get(name, 0) or 0), _NS)
            properties.append(GateProperty(GATE_NAMES[name], (index,), error, time))
    for coupling in _couplings(info):
        fidelity = _fidelity(coupling)
        duration = float((coupling.get("gate_duration") or {}).get("cx", 0) or 0)
        properties.append(
            GateProperty(
                gate_names.CNOT,
                (int(coupling["control"]), int(coupling["target"])),
                None if fidelity is None else 1.0 - fidelity,
                TimeValue(duration, _NS),
            )
        )
    return properties


def create_oqtopus_device_property(device: OqtopusDevice) -> DeviceProperty:
    """A QURI Parts ``DeviceProperty`` of an OQTOPUS device, for cost and fidelity estimates.

    Args:
        device: From ``OqtopusDeviceBackend().get_device(device_id)``.

    Returns:
        Qubits, graph, per-qubit T1/T2 and readout errors, per-gate errors and durations (CNOT
        per directed coupling), native gates, and `create_oqtopus_noise_model`'s model.

    Raises:
        ValueError: If the device has no calibration.
    """
    info = _info(device)
    qubits = list(range(len(info["qubits"])))
    return DeviceProperty(
        qubit_count=len(qubits),
        qubits=qubits,
        qubit_graph=create_oqtopus_qubit_graph(info),
        qubit_properties={i: _qubit_property(e, i) for i, e in enumerate(info["qubits"])},
        native_gates=[GATE_NAMES[g] for g in device.basis_gates if g in GATE_NAMES],
        gate_properties=_gate_properties(info),
        physical_qubit_count=len(qubits),
        name=device.device_id,
        provider="OQTOPUS",
        noise_model=create_oqtopus_noise_model(info),
    )
