"""The Aer noise model of a device's calibration: depolarizing + thermal relaxation + readout.

Built once per device calibration and qubit set in a process (`cached_noise_model`); split out
of `.simulate`, which runs the circuits.
"""

from __future__ import annotations

import threading
from typing import Any

from qiskit_aer.noise import (
    NoiseModel,
    QuantumError,
    ReadoutError,
    depolarizing_error,
    thermal_relaxation_error,
)

from ..devices import Device

_MAX_NOISE_MODELS = 32
_noise_models: dict[tuple[str, frozenset[int] | None], tuple[Device, NoiseModel]] = {}
_noise_lock = threading.Lock()


def _thermal(qubit: dict[str, Any], duration_ns: float) -> QuantumError | None:
    lifetime = qubit.get("qubit_lifetime") or {}
    if duration_ns <= 0 or "t1" not in lifetime or "t2" not in lifetime:
        return None
    t1 = float(lifetime["t1"]) * 1000.0  # calibration is in microseconds; durations in ns
    t2 = min(float(lifetime["t2"]) * 1000.0, 2 * t1)  # physical bound T2 <= 2 T1
    return thermal_relaxation_error(t1, t2, duration_ns)


def _one_qubit_error(qubit: dict[str, Any], gate: str) -> QuantumError | None:
    duration = float((qubit.get("gate_duration") or {}).get(gate, 0) or 0)
    fidelity = qubit.get("fidelity")
    error: QuantumError | None = None
    if gate != "rz" and fidelity is not None and float(fidelity) < 1.0:
        # Depolarizing parameter whose average gate infidelity is 1 - fidelity (d = 2).
        error = depolarizing_error(min(1.0, 2.0 * (1.0 - float(fidelity))), 1)
    thermal = _thermal(qubit, duration)
    if thermal is not None:
        error = thermal if error is None else error.compose(thermal)
    return error


def _two_qubit_error(
    coupling: dict[str, Any], control: dict[str, Any], target: dict[str, Any]
) -> QuantumError | None:
    durations = coupling.get("gate_duration") or {}
    duration = float(durations.get("cx", durations.get("rzx90", 0)) or 0)
    fidelity = coupling.get("fidelity")
    error: QuantumError | None = None
    if fidelity is not None and float(fidelity) < 1.0:
        error = depolarizing_error(min(16 / 15, 4.0 / 3.0 * (1.0 - float(fidelity))), 2)
    thermal_c, thermal_t = _thermal(control, duration), _thermal(target, duration)
    if thermal_c is not None and thermal_t is not None:
        pair = thermal_t.tensor(thermal_c)  # qargs (control, target): control is qubit 0
        error = pair if error is None else error.compose(pair)
    return error


class _SerializedOnce(NoiseModel):  # type: ignore[misc]  # qiskit-aer is untyped
    """A noise model that serializes itself once: Aer calls ``to_dict`` on every run.

    ``to_dict(serializable=True)`` turns every error into JSON and back: 0.7-1.5 s for the
    16-qubit ``anemone``, paid by each noisy job before its simulation (of a few milliseconds).
    Any change to the model drops the cached form.
    """

    def to_dict(self, serializable: bool = False) -> dict[str, Any]:
        """Return ``NoiseModel.to_dict``, computed once per form until the model changes."""
        cache: dict[bool, dict[str, Any]] = self.__dict__.setdefault("_serialized", {})
        if serializable not in cache:
            cache[serializable] = super().to_dict(serializable)
        return cache[serializable]

    def _changed(self) -> None:
        self.__dict__.pop("_serialized", None)

    def reset(self) -> None:  # noqa: D102  (the mutators of NoiseModel, unchanged)
        self._changed()
        super().reset()

    def add_basis_gates(self, *args: Any, **kwargs: Any) -> None:  # noqa: D102
        self._changed()
        super().add_basis_gates(*args, **kwargs)

    def add_all_qubit_quantum_error(self, *args: Any, **kwargs: Any) -> None:  # noqa: D102
        self._changed()
        super().add_all_qubit_quantum_error(*args, **kwargs)

    def add_quantum_error(self, *args: Any, **kwargs: Any) -> None:  # noqa: D102
        self._changed()
        super().add_quantum_error(*args, **kwargs)

    def add_all_qubit_readout_error(self, *args: Any, **kwargs: Any) -> None:  # noqa: D102
        self._changed()
        super().add_all_qubit_readout_error(*args, **kwargs)

    def add_readout_error(self, *args: Any, **kwargs: Any) -> None:  # noqa: D102
        self._changed()
        super().add_readout_error(*args, **kwargs)


def noise_model(device: Device, only: frozenset[int] | None = None) -> NoiseModel:
    """Return the Aer noise model of a device: depolarizing + thermal relaxation + readout.

    Args:
        device: The device, with its calibration.
        only: Build only the errors of these physical qubits (and of couplings between them):
            a circuit that touches no other qubit samples exactly the same counts with it.
    """
    qubits = device.device_info.get("qubits", [])
    model = _SerializedOnce(basis_gates=list(device.basis_gates))
    for index, qubit in enumerate(qubits):
        if only is not None and index not in only:
            continue
        for gate in device.basis_gates:
            if gate == "cx":
                continue
            error = _one_qubit_error(qubit, gate)
            if error is not None:
                model.add_quantum_error(error, gate, [index])
        meas = qubit.get("meas_error") or {}
        p10 = float(meas.get("prob_meas1_prep0", 0.0))
        p01 = float(meas.get("prob_meas0_prep1", 0.0))
        if p10 or p01:
            model.add_readout_error(ReadoutError([[1 - p10, p10], [p01, 1 - p01]]), [index])
    if "cx" in device.basis_gates:
        for coupling in device.device_info.get("couplings", []):
            control, target = int(coupling["control"]), int(coupling["target"])
            if only is not None and not {control, target} <= only:
                continue
            error = _two_qubit_error(coupling, qubits[control], qubits[target])
            if error is not None:
                model.add_quantum_error(error, "cx", [control, target])
    return model


def cached_noise_model(device: Device, only: frozenset[int] | None = None) -> NoiseModel:
    """`noise_model`, built once per device calibration (and qubit set) in this process.

    Building it takes 0.7-1 s for the 16-qubit ``anemone`` (one Qiskit error object per gate,
    qubit and coupling), which every noisy job paid before it simulated. A worker receives a
    fresh copy of the device with each job, so the entry is matched by value: a recalibrated
    device compares unequal and gets a new model. Aer only reads the model.
    """
    key = (device.device_id, only)
    with _noise_lock:
        hit = _noise_models.get(key)
        if hit is not None and (hit[0] is device or hit[0] == device):
            return hit[1]
    model = noise_model(device, only)
    with _noise_lock:
        if len(_noise_models) >= _MAX_NOISE_MODELS:
            _noise_models.clear()
        _noise_models[key] = (device, model)
    return model
