"""The editable device catalog (``devices.json`` in the data directory) and its defaults.

Each device carries an OQTOPUS ``device_info`` topology (qubits with fidelity, meas_error, lifetimes
and gate durations; directed couplings), the same format the real engine pushes to the cloud.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

CATALOG_NAME = "devices.json"
BASIS_GATES = ["x", "sx", "rz", "cx"]
INSTRUCTIONS = ["measure", "barrier", "delay"]
#: The ideal simulator also runs ``reset`` (Aer does; issue 14). QPU-like devices do not, as the
#: real device gateway (x, sx, rz, cx + measure, barrier, delay). Measurement may be mid-circuit on
#: every local device.
SIMULATOR_INSTRUCTIONS = [*INSTRUCTIONS, "reset"]
_CALIBRATED_AT = "2025-04-20T10:03:16.755183Z"
log = logging.getLogger("oqtopus_bridge.local")


@dataclasses.dataclass(frozen=True)
class Device:
    """One catalog entry.

    Attributes:
        device_id: Identifier used in ``POST /jobs/{id}/submit``.
        device_type: ``"QPU"`` or ``"simulator"``.
        status: ``"available"`` or ``"unavailable"``.
        description: Free text.
        basis_gates: Native gates (advertised, and the transpilation target).
        supported_instructions: Non-gate instructions.
        noisy: Whether simulation applies a noise model derived from the calibration.
        device_info: The OQTOPUS topology document (qubits, couplings, calibrated_at).
        available_at: When an unavailable device comes back, if known.
    """

    device_id: str
    device_type: str
    status: str
    description: str
    basis_gates: list[str]
    supported_instructions: list[str]
    noisy: bool
    device_info: dict[str, Any]
    available_at: str | None = None

    @property
    def n_qubits(self) -> int:
        """Number of qubits in the calibration."""
        return len(self.device_info.get("qubits", []))

    @property
    def calibrated_at(self) -> str | None:
        """Calibration time from the topology document."""
        value = self.device_info.get("calibrated_at")
        return str(value) if value is not None else None


def _ideal_qubit(index: int) -> dict[str, Any]:
    return {
        "id": index,
        "physical_id": index,
        "position": {"x": float(index % 4), "y": float(index // 4)},
        "fidelity": 1.0,
        "meas_error": {
            "prob_meas1_prep0": 0.0,
            "prob_meas0_prep1": 0.0,
            "readout_assignment_error": 0.0,
        },
        "qubit_lifetime": {"t1": 1.0e9, "t2": 1.0e9},
        "gate_duration": {"rz": 0, "sx": 16, "x": 24},
    }


def _noisy_qubit(index: int, rng: random.Random) -> dict[str, Any]:
    p10 = round(rng.uniform(0.005, 0.03), 4)
    p01 = round(rng.uniform(0.01, 0.05), 4)
    t1 = round(rng.uniform(40.0, 120.0), 2)
    return {
        "id": index,
        "physical_id": index,
        "position": {"x": float(index % 4), "y": float(index // 4)},
        "fidelity": round(rng.uniform(0.9990, 0.9998), 5),
        "meas_error": {
            "prob_meas1_prep0": p10,
            "prob_meas0_prep1": p01,
            "readout_assignment_error": round((p10 + p01) / 2, 5),
        },
        "qubit_lifetime": {"t1": t1, "t2": round(t1 * rng.uniform(0.6, 1.4), 2)},
        "gate_duration": {"rz": 0, "sx": 16, "x": 24},
    }


def _grid_couplings(rows: int, cols: int, rng: random.Random) -> list[dict[str, Any]]:
    couplings = []
    for q in range(rows * cols):
        neighbours = [q + 1] if (q + 1) % cols else []
        neighbours += [q + cols] if q + cols < rows * cols else []
        for other in neighbours:
            for control, target in ((q, other), (other, q)):
                couplings.append(
                    {
                        "control": control,
                        "target": target,
                        "fidelity": round(rng.uniform(0.985, 0.995), 4),
                        "gate_duration": {"cx": rng.choice([224, 256, 272])},
                    }
                )
    return couplings


def _all_to_all(n: int) -> list[dict[str, Any]]:
    return [
        {"control": c, "target": t, "fidelity": 1.0, "gate_duration": {"cx": 224}}
        for c in range(n)
        for t in range(n)
        if c != t
    ]


def _entry(
    device_id: str,
    device_type: str,
    description: str,
    qubits: list[dict[str, Any]],
    couplings: list[dict[str, Any]],
    **extra: Any,
) -> dict[str, Any]:
    info = {
        "name": device_id,
        "device_id": device_id,
        "qubits": qubits,
        "couplings": couplings,
        "calibrated_at": _CALIBRATED_AT,
    }
    entry = {
        "device_id": device_id,
        "device_type": device_type,
        "status": "available",
        "description": description,
        "basis_gates": BASIS_GATES,
        "supported_instructions": INSTRUCTIONS,
        "noisy": False,
        "device_info": info,
    }
    return {**entry, **extra}


def default_catalog() -> list[dict[str, Any]]:
    """Return the default catalog: an ideal ``qulacs``, a noisy ``anemone``, an unavailable one."""
    rng = random.Random(20250420)
    return [
        _entry(
            "qulacs",
            "simulator",
            "Ideal simulator (local qiskit-aer), 16 qubits, all-to-all",
            [_ideal_qubit(i) for i in range(16)],
            _all_to_all(16),
            supported_instructions=SIMULATOR_INSTRUCTIONS,
        ),
        _entry(
            "anemone",
            "QPU",
            "QPU-like 16-qubit 4x4 grid with a noise model from its calibration",
            [_noisy_qubit(i, rng) for i in range(16)],
            _grid_couplings(4, 4, rng),
            noisy=True,
        ),
        _entry(
            "kawasaki",
            "QPU",
            "An unavailable device, for trying error paths",
            [_ideal_qubit(i) for i in range(4)],
            _all_to_all(4),
            status="unavailable",
            available_at="2099-01-01T00:00:00Z",
        ),
    ]


def _parse_catalog(text: str) -> dict[str, Device]:
    entries = json.loads(text)
    if not isinstance(entries, list):
        raise ValueError("the catalog must be a JSON list of devices")
    names = {f.name for f in dataclasses.fields(Device)}
    devices = {}
    for entry in entries:
        device = Device(**{k: v for k, v in entry.items() if k in names})
        if not isinstance(device.device_info.get("qubits"), list):
            raise ValueError(f"device {device.device_id}: device_info.qubits must be a list")
        devices[device.device_id] = device
    return devices


class DeviceCatalog:
    """The catalog file, reloaded when it changes on disk.

    Args:
        path: ``devices.json``; written with :func:`default_catalog` when missing.
        on_load: Called with every device after each successful (re)load, e.g. to record the
            calibration history.
    """

    def __init__(self, path: Path, on_load: Callable[[list[Device]], None] | None = None) -> None:
        self._path = path
        self._on_load = on_load
        self._lock = threading.Lock()
        self._mtime = -1.0
        self._devices: dict[str, Device] = {}
        if not path.exists():
            path.write_text(json.dumps(default_catalog(), indent=2) + "\n")
        self._reload()

    def _reload(self) -> None:
        with self._lock:
            mtime = self._path.stat().st_mtime
            if mtime == self._mtime:
                return
            try:
                devices = _parse_catalog(self._path.read_text())
            except (ValueError, TypeError, KeyError) as exc:
                if not self._devices:
                    raise ValueError(f"invalid device catalog {self._path}: {exc}") from exc
                # Keep serving the last good catalog while the user fixes the file.
                log.warning("ignoring invalid device catalog %s: %s", self._path, exc)
                self._mtime = mtime
                return
            self._devices, self._mtime = devices, mtime
            if self._on_load is not None:
                self._on_load(list(devices.values()))

    def all(self) -> list[Device]:
        """Return every device, in catalog order."""
        self._reload()
        return list(self._devices.values())

    def get(self, device_id: str) -> Device | None:
        """Return the device ``device_id`` or ``None``."""
        self._reload()
        return self._devices.get(device_id)


def upsert_device(path: Path, entry: dict[str, Any]) -> None:
    """Add ``entry`` to the catalog file at ``path``, replacing a device with the same id.

    The file is written atomically (write then rename), so a running server reloads either the
    old or the new catalog, never half of one.

    Raises:
        ValueError: ``entry`` is not a valid catalog device.
    """
    _parse_catalog(json.dumps([entry]))  # refuse what the catalog could not load
    entries = json.loads(path.read_text()) if path.exists() else default_catalog()
    entries = [e for e in entries if e.get("device_id") != entry["device_id"]] + [entry]
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(entries, indent=2) + "\n")
    temporary.replace(path)
