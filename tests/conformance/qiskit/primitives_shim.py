"""pytest plugin: Qiskit's primitives tests with the primitive under test swapped for ours.

Loaded by ``run_primitives_suite.py`` (``-p primitives_shim``), which exports the server
(``OQTOPUS_URL``, ``OQTOPUS_API_TOKEN``) and the device (``OQTOPUS_CONFORMANCE_DEVICE``). Once the
test modules are imported, their module globals are replaced; nothing else in them changes:

- ``test_statevector_sampler``: ``StatevectorSampler(default_shots, seed)`` becomes
  ``OqtopusSamplerV2(mode=device, options={"default_shots": ..., "seed_simulator": seed})``.
- ``test_statevector_estimator``: ``StatevectorEstimator(default_precision, seed)`` becomes
  `OqtopusEstimatorV2` with that precision, or `PRECISION` where it is 0 (exact).
- ``test_backend_*``: the backends of ``BACKENDS`` and ``BasicSimulator()`` become the device,
  also for the tests' pass managers; ``BackendSamplerV2`` / ``BackendEstimatorV2`` are Qiskit's
  own, run on the device whichever backend a test gives them (a ``GenericBackendV2`` or Aer
  too). Qiskit runs each ``BACKENDS`` test once with its ideal and once with its noisy backend;
  the ``qulacs`` run keeps the ideal variant and the ``anemone`` run the noisy one, so no test
  runs twice on one device.

Exactness: the statevector tests compare with exact values. Where they compare with a constant,
this shim uses the tolerances Qiskit's own tests use for the same primitives on shot-based
backends (``test_backend_sampler_v2``: ``atol=500`` of 10,000 shots; ``test_backend_estimator_v2``:
``rtol=0.3``, precision 5e-3); a comparison of two of our own results stays as exact as written
(every primitive here is seeded, so repeating a run repeats its result).
"""

from __future__ import annotations

import inspect
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from qiskit.primitives import BackendEstimatorV2, BackendSamplerV2
from qiskit.primitives.containers import BitArray
from run_primitives_suite import SKIPS

from oqtopus_bridge.qiskit import (
    OqtopusBackend,
    OqtopusEstimatorV2,
    OqtopusProvider,
    OqtopusSamplerV2,
)

SAMPLER_ATOL = 5e2
"""``test_backend_sampler_v2``'s absolute tolerance on counts of 10,000 shots."""
ESTIMATOR_RTOL = 3e-1
"""``test_backend_estimator_v2``'s relative tolerance on expectation values."""
PRECISION = 5e-3
"""``test_backend_estimator_v2``'s precision (40,000 shots), for StatevectorEstimator's exact 0."""
DEFAULT_SEED = 12
"""The seed of a primitive the test builds without one (Qiskit's are exact, hence repeatable)."""
#: Which device stands for which of Qiskit's test backends (the ``BACKENDS`` variants).
DEVICE_OF_VARIANT = {"basic_simulator": "qulacs", "generic_backend_v2": "anemone"}


@cache
def device() -> OqtopusBackend:
    """The device under test, on the runner's server."""
    provider = OqtopusProvider(
        url=os.environ["OQTOPUS_URL"], api_token=os.environ["OQTOPUS_API_TOKEN"]
    )
    return provider.get_backend(os.environ["OQTOPUS_CONFORMANCE_DEVICE"])


def statevector_sampler(*, default_shots: int = 1024, seed: Any = None) -> OqtopusSamplerV2:
    """``StatevectorSampler(...)`` in the tests: our sampler, seeded."""
    seed = DEFAULT_SEED if seed is None else seed
    return OqtopusSamplerV2(
        mode=device(), options={"default_shots": default_shots, "seed_simulator": seed}
    )


def statevector_estimator(
    *, default_precision: float = 0.0, seed: Any = None
) -> OqtopusEstimatorV2:
    """``StatevectorEstimator(...)`` in the tests: our estimator, seeded, never exact."""
    options = {
        "default_precision": default_precision or PRECISION,
        "seed_simulator": DEFAULT_SEED if seed is None else seed,
    }
    return OqtopusEstimatorV2(mode=device(), options=options)


class OnDeviceSamplerV2(BackendSamplerV2):
    """Qiskit's ``BackendSamplerV2`` on the device, whichever backend the test passes."""

    def __init__(self, *, backend: Any, options: Any = None) -> None:
        super().__init__(backend=device(), options=options)


class OnDeviceEstimatorV2(BackendEstimatorV2):
    """Qiskit's ``BackendEstimatorV2`` on the device, whichever backend the test passes."""

    def __init__(self, *, backend: Any, options: Any = None) -> None:
        super().__init__(backend=device(), options=options)


def _counts_close(self: Any, bitarray: BitArray, target: Any, rtol: float = 1e-1) -> None:
    """``TestStatevectorSampler._assert_allclose`` with the shot-based absolute tolerance."""
    if isinstance(target, BitArray):  # two results of ours: as exact as the test asks
        return _ORIGINAL_SAMPLER_ASSERT(self, bitarray, target, rtol)
    self.assertEqual(bitarray.shape, target.shape)
    for index in np.ndindex(bitarray.shape):
        got, want = bitarray.get_int_counts(index), target[index]
        keys = sorted(set(got) | set(want))
        np.testing.assert_allclose(
            [got.get(k, 0) for k in keys],
            [want.get(k, 0) for k in keys],
            rtol=rtol,
            atol=SAMPLER_ATOL,
            err_msg=f"index: {index}",
        )
    return None


_ORIGINAL_SAMPLER_ASSERT: Any = None


def _values_close(
    actual: Any, desired: Any, rtol: float = 1e-7, atol: float = 0, **kw: Any
) -> None:
    """``np.testing.assert_allclose`` for the estimator tests: shot-based against constants."""
    if not isinstance(desired, np.ndarray):  # a constant of the test, computed exactly
        rtol = max(rtol, ESTIMATOR_RTOL)
    np.testing.assert_allclose(actual, desired, rtol=rtol, atol=atol, **kw)


class _Namespace:
    """A module's ``np``, with some attributes replaced."""

    def __init__(self, base: Any, **replaced: Any) -> None:
        self._base = base
        self.__dict__.update(replaced)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)


def _patch_statevector_sampler(module: Any) -> None:
    global _ORIGINAL_SAMPLER_ASSERT
    module.StatevectorSampler = statevector_sampler
    case = module.TestStatevectorSampler
    if _ORIGINAL_SAMPLER_ASSERT is None:
        _ORIGINAL_SAMPLER_ASSERT = case._assert_allclose
        case._assert_allclose = _counts_close


def _patch_statevector_estimator(module: Any) -> None:
    module.StatevectorEstimator = statevector_estimator
    module.np = _Namespace(np, testing=_Namespace(np.testing, assert_allclose=_values_close))


def _patch_backend_file(module: Any) -> None:
    module._BackendFactory.__call__ = lambda self: device()
    module.BasicSimulator = device
    if hasattr(module, "BackendSamplerV2"):
        module.BackendSamplerV2 = OnDeviceSamplerV2
    if hasattr(module, "BackendEstimatorV2"):
        module.BackendEstimatorV2 = OnDeviceEstimatorV2


_PATCHES = {
    "test_statevector_sampler": _patch_statevector_sampler,
    "test_statevector_estimator": _patch_statevector_estimator,
    "test_backend_sampler_v2": _patch_backend_file,
    "test_backend_estimator_v2": _patch_backend_file,
}


def _variant(item: pytest.Item) -> str | None:
    """Which of Qiskit's ``BACKENDS`` a ddt-generated test runs with (``None`` if none).

    ddt names the generated tests by index only (``test_run_1qubit_3``); the backend factory is
    among the arguments its wrapper closes over.
    """
    func = getattr(getattr(item, "obj", None), "__func__", None)
    try:
        free = inspect.getclosurevars(func).nonlocals if func is not None else {}
    except TypeError:
        return None
    values = [*free.get("args", ()), *dict(free.get("kwargs") or {}).values()]
    names = [getattr(value, "__name__", None) for value in values]
    return next((name for name in names if name in DEVICE_OF_VARIANT), None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Swap the primitives in each test module, mark the skips, keep one variant per device."""
    name = os.environ["OQTOPUS_CONFORMANCE_DEVICE"]
    patched: set[str] = set()
    kept, dropped = [], []
    for item in items:
        module = item.module  # type: ignore[attr-defined]
        stem = Path(module.__file__).stem
        if stem not in patched and stem in _PATCHES:
            _PATCHES[stem](module)
            patched.add(stem)
        variant = _variant(item)
        if variant is not None and DEVICE_OF_VARIANT[variant] != name:
            dropped.append(item)
            continue
        for skip in SKIPS:
            ours = skip.file == f"{stem}.py" and name in skip.devices
            if ours and re.fullmatch(rf"{skip.name}(_\d+)?", item.name):  # ddt adds _N
                item.add_marker(pytest.mark.skip(reason=skip.reason))
        kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
