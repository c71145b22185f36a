"""The shared base of the OQTOPUS PennyLane devices: configuration, submission, tracking."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

import numpy as np
from pennylane.devices import Device, ExecutionConfig
from pennylane.devices.capabilities import (
    DeviceCapabilities,
    ExecutionCondition,
    OperatorProperties,
)
from pennylane.devices.preprocess import validate_device_wires
from pennylane.tape import QuantumScript
from pennylane.transforms import defer_measurements
from pennylane.transforms.core import CompilePipeline, Transform

from oqtopus_bridge import OqtopusConfig, OqtopusDeviceBackend
from oqtopus_bridge.concurrency import run_concurrently
from oqtopus_bridge.jobs import wait_all
from oqtopus_bridge.pennylane import _convert
from oqtopus_bridge.pennylane.folded import warn_if_folded_tape
from oqtopus_bridge.pennylane.midcircuit import check_mcm_config, place_deferred_wires
from oqtopus_bridge.pennylane.preprocess import (
    fill_measurement_wires,
    reject_mid_circuit_measurements,
    require_shots,
    validate_qubit_count,
)
from oqtopus_bridge.pennylane.seeds import ExecutionSeeds, SeedSource

__all__ = ["OqtopusDeviceBase"]

JobT = TypeVar("JobT")


def _make_config(
    config: OqtopusConfig | None, url: str | None, api_token: str | None, proxy: str | None
) -> OqtopusConfig | None:
    """Build the client configuration from the device keywords; None lets the core resolve one."""
    if config is not None:
        if url is not None or api_token is not None or proxy is not None:
            raise ValueError("pass either config= or url=/api_token=/proxy=, not both")
        return config
    if url is None and api_token is None:
        return None  # the core reads OQTOPUS_URL/OQTOPUS_API_TOKEN, then ~/.oqtopus
    if url is None or api_token is None:
        raise ValueError("url= and api_token= must be given together (or pass config=)")
    return OqtopusConfig(url=url, api_token=api_token, proxy=proxy)


def _capabilities() -> DeviceCapabilities:
    """What the devices run natively; everything else is decomposed in preprocessing.

    The gates of ``_convert.GATE_MAP`` (OpenQASM 3's stdgates.inc), the observables they measure
    and the measurements they compute (finite shots only).
    """
    names = {name.removeprefix("Adjoint(").removesuffix(")") for name in _convert.GATE_MAP}
    invertible = {name[len("Adjoint(") : -1] for name in _convert.GATE_MAP if "(" in name}
    operations = {
        name: OperatorProperties(invertible=name in invertible)
        for name in sorted(names | _convert.SKIPPED_OPS | {"Barrier"})
    }
    observables = {
        name: OperatorProperties()
        for name in (
            "PauliX",
            "PauliY",
            "PauliZ",
            "Identity",
            "Hadamard",
            "Hermitian",
            "Projector",
            "Sum",
            "SProd",
            "Prod",
            "LinearCombination",
        )
    }
    shots_only = [ExecutionCondition.FINITE_SHOTS_ONLY]
    measurements = {
        name: list(shots_only)
        for name in ("ExpectationMP", "VarianceMP", "ProbabilityMP", "SampleMP", "CountsMP")
    }
    return DeviceCapabilities(
        operations=operations,
        observables=observables,
        measurement_processes=measurements,
        non_commuting_observables=True,
        supported_mcm_methods=["deferred"],
    )


class OqtopusDeviceBase(Device):
    """Common behaviour of ``oqtopus.sampler`` and ``oqtopus.estimator``.

    Args:
        wires: Number of wires, or their labels (any hashable, e.g. strings); None for a device
            whose wires are those of each circuit. Wire ``self.wires[i]`` is qubit ``q[i]`` of the
            OpenQASM program.
        device_id: OQTOPUS device to run on, e.g. ``"qulacs"`` or ``"anemone"``.
        config: An `OqtopusConfig`, when the device class is built directly.
            Without it, ``url``/``api_token``/``proxy`` are used; without those, the environment
            (``OQTOPUS_URL``, ``OQTOPUS_API_TOKEN``) and then ``~/.oqtopus``.
        oqtopus_config: The same, under the name to use with ``qml.device(...)``, which takes
            ``config=`` for PennyLane's own configuration file and never passes it on.
        url: Base URL of the OQTOPUS API (with ``api_token``).
        api_token: API token (with ``url``). Never printed or logged.
        proxy: Proxy URL for API and storage requests.
        transpiler_info: Passed to every job, e.g. ``{"transpiler_lib": None}``.
        mitigation_info: Passed to every job, e.g. ``{"ro_error_mitigation": "pseudo_inverse"}``.
        simulator_info: Passed to every job. Its ``seed_simulation``, if given, seeds every
            execution alike; each job gets its own seed derived from it.
        seed: Seeds the simulator and the order of samples, as on ``default.qubit``: an int, a
            ``numpy.random.Generator``, ``"global"`` (NumPy's global state) or None. Each job
            gets its own seed, drawn from it; two devices with the same seed give the same
            results.
        job_name: Name given to every job (shown by ``oqtopus-bridge jobs list``); defaults to
            ``"pennylane <device name>"``.
        timeout: Seconds to wait for the jobs of one execution; None waits without limit.
        max_workers: Upper bound on concurrent submissions; None uses the core's default.
        progress: Show a status line while waiting; None shows it in interactive sessions only.
        shots: Deprecated by PennyLane in favour of ``qml.set_shots``; accepted for compatibility.

    Raises:
        ValueError: If the configuration keywords are inconsistent.
    """

    name = "oqtopus.base"
    capabilities = _capabilities()

    def __init__(
        self,
        wires: int | Sequence[Hashable] | None = None,
        *,
        device_id: str,
        config: OqtopusConfig | None = None,
        oqtopus_config: OqtopusConfig | None = None,
        url: str | None = None,
        api_token: str | None = None,
        proxy: str | None = None,
        transpiler_info: dict[str, Any] | None = None,
        mitigation_info: dict[str, Any] | None = None,
        simulator_info: dict[str, Any] | None = None,
        job_name: str | None = None,
        timeout: float | None = None,
        max_workers: int | None = None,
        progress: bool | None = None,
        seed: int | np.random.Generator | str | None = None,
        shots: Any = None,
    ) -> None:
        # Forward shots only when given: PennyLane warns on device-level shots, and users who follow
        # its advice (qml.set_shots) must not see that warning.
        if shots is None:
            super().__init__(wires=wires)
        else:
            super().__init__(wires=wires, shots=shots)
        if not device_id or not isinstance(device_id, str):
            raise ValueError(
                f"device_id must name an OQTOPUS device, e.g. 'qulacs'; got {device_id!r}"
            )
        self.device_id = device_id
        if config is not None and oqtopus_config is not None:
            raise ValueError("pass the configuration once: config= or oqtopus_config=, not both")
        self._config = _make_config(config or oqtopus_config, url, api_token, proxy)
        self.job_options: dict[str, Any] = {
            "name": job_name or f"pennylane {self.name}",
            "transpiler_info": transpiler_info,
            "mitigation_info": mitigation_info,
            "simulator_info": simulator_info,
        }
        self.timeout = timeout
        self.max_workers = max_workers
        self.progress = progress
        self._device_qubits: int | None = None
        self._seeds = SeedSource(seed, simulator_info)
        self._execution = ExecutionSeeds(None, np.random.default_rng())

    def __repr__(self) -> str:
        details = [f"device_id={self.device_id!r}"]
        if self.wires:
            details.append(f"wires={len(self.wires)}")
        if self.shots:
            details.append(f"shots={self.shots.total_shots}")
        return f"<{self.name} device ({', '.join(details)}) at {hex(id(self))}>"

    @property
    def config(self) -> OqtopusConfig | None:
        """The explicit client configuration, or None when the core resolves it."""
        return self._config

    @property
    def device_qubits(self) -> int:
        """Number of qubits of the OQTOPUS device (fetched once from the service)."""
        if self._device_qubits is None:
            device = OqtopusDeviceBackend(self._config).get_device(self.device_id)
            self._device_qubits = int(device.n_qubits)
        return self._device_qubits

    def _validation_transforms(
        self, validate_measurements: Transform, execution_config: ExecutionConfig | None
    ) -> CompilePipeline:
        """Checks that run before anything is submitted, cheapest first.

        Folded circuits are looked for first, before decomposition (see
        `oqtopus_bridge.pennylane.folded`); mid-circuit measurements are deferred next (see
        `oqtopus_bridge.pennylane.midcircuit`).
        The qubit count is checked last because it is the only check that asks the service
        (``GET /devices/{id}``, once per device); invalid circuits fail without any request.
        """
        pipeline = CompilePipeline()
        pipeline.add_transform(require_shots, name=self.name)
        transpiler_info = self.job_options["transpiler_info"]
        pipeline.add_transform(warn_if_folded_tape, transpiler_info=transpiler_info, name=self.name)
        check_mcm_config(execution_config, self.name)
        pipeline.add_transform(defer_measurements, allow_postselect=True)
        pipeline.add_transform(place_deferred_wires, device_wires=self.wires, name=self.name)
        pipeline.add_transform(reject_mid_circuit_measurements, name=self.name)
        pipeline.add_transform(validate_device_wires, self.wires, name=self.name)
        if self.wires is None:
            pipeline.add_transform(fill_measurement_wires)
        pipeline.add_transform(validate_measurements, name=self.name)
        pipeline.add_transform(
            validate_qubit_count,
            device_wires=None if self.wires is None else len(self.wires),
            device_qubits=lambda: self.device_qubits,
            device_id=self.device_id,
            name=self.name,
        )
        return pipeline

    def _start_execution(self, jobs: int) -> ExecutionSeeds:
        """Draw the seeds of an execution of ``jobs`` jobs (kept for its sample shuffling)."""
        self._execution = self._seeds.execution(jobs)
        return self._execution

    def _shuffle_rng(self) -> np.random.Generator:
        """The generator that orders the samples of the last execution."""
        return self._execution.shuffle

    def _wire_map(self, tape: QuantumScript) -> dict[Hashable, int]:
        return _convert.wire_map_for(self.wires, tape)

    def _submit_all(self, calls: Sequence[Callable[[], JobT]]) -> list[JobT]:
        """Submit every job before waiting for any, then wait for all with one poll loop."""
        jobs = run_concurrently(list(calls), max_workers=self.max_workers)
        wait_all(jobs, timeout=self.timeout, progress=self.progress)
        return jobs

    def _track(self, per_tape: Sequence[dict[str, Any]], results: Sequence[Any]) -> None:
        """Record one tracker entry per tape (with its job ids), then the batch."""
        if not self.tracker.active:
            return
        for info, result in zip(per_tape, results, strict=True):
            self.tracker.update(results=result, **info)
            self.tracker.record()
        self.tracker.update(batches=1, batch_len=len(per_tape))
        self.tracker.record()
