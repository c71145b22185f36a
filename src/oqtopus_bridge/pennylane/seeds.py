"""Per-job simulator seeds and the sample-shuffling generator, derived from the user's one seed.

A user gives one seed: the device's ``seed=`` (as PennyLane devices take it: an int, a
``numpy.random.Generator`` or None) or ``simulator_info={"seed_simulation": s}``. Sending that one
value with every job made every job of an execution draw the same random stream: the copies of a
shot vector came out identical and all shifted circuits of a gradient shared one stream (issue 22,
item 9). Here each job gets a seed of its own, spawned from the user's with NumPy's
``SeedSequence``: distinct per job, and the same for the same seed.

- ``seed=``: a generator that advances, as on ``default.qubit`` (``"global"`` draws from NumPy's
  global random state, so ``np.random.seed`` fixes it). Two devices built with the same
  seed give the same results call for call; two calls of one device differ.
- ``seed_simulation`` (without ``seed=``): every execution is seeded alike, as before, so calling
  the same QNode twice gives the same results; only the jobs within one execution differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ExecutionSeeds", "SeedSource", "check_seed"]

# Seeds sent to the service: non-negative and below 2**31, which every simulator's seed type holds.
_SEED_BOUND = 2**31


def check_seed(seed: object) -> int | np.random.Generator | str | None:
    """Validate a device ``seed=`` argument.

    Raises:
        TypeError: If ``seed`` is not an int, a ``numpy.random.Generator``, ``"global"`` or None.
        ValueError: If ``seed`` is a negative int.
    """
    if seed is None or seed == "global" or isinstance(seed, np.random.Generator):
        return seed  # type: ignore[return-value]
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer; got {seed}")
        return int(seed)
    raise TypeError(
        f"seed must be an int, a numpy.random.Generator, 'global' or None (as for "
        f"default.qubit); "
        f"got {type(seed).__name__}"
    )


@dataclass(frozen=True)
class ExecutionSeeds:
    """The seeds of one execution: one per job, and a generator to shuffle samples with.

    Attributes:
        jobs: One simulator seed per job, or None for every job when nothing is seeded.
        shuffle: The generator that orders samples rebuilt from counts.
    """

    jobs: list[int] | None
    shuffle: np.random.Generator

    def simulator_info(self, base: dict[str, Any] | None, index: int) -> dict[str, Any] | None:
        """``simulator_info`` of job ``index``: ``base`` with the job's own ``seed_simulation``."""
        if self.jobs is None:
            return base
        return {**(base or {}), "seed_simulation": self.jobs[index]}


class SeedSource:
    """Where the seeds of each execution come from.

    Args:
        seed: The device's ``seed=`` argument (int, ``numpy.random.Generator`` or None).
        simulator_info: The device's ``simulator_info``; its ``seed_simulation`` seeds when
            ``seed`` is None.

    Raises:
        ValueError: If both ``seed`` and ``simulator_info["seed_simulation"]`` are given.
    """

    def __init__(self, seed: object, simulator_info: dict[str, Any] | None) -> None:
        seed = check_seed(seed)
        fixed = (simulator_info or {}).get("seed_simulation")
        if seed is not None and fixed is not None:
            raise ValueError(
                "pass the seed once: seed= or simulator_info={'seed_simulation': ...}, not both "
                "(each job gets a seed derived from it)"
            )
        # A non-integer seed_simulation is the service's business: it is sent unchanged.
        self._fixed = fixed if isinstance(fixed, int) and not isinstance(fixed, bool) else None
        self._rng = seed if isinstance(seed, np.random.Generator) else None
        self._global = seed == "global"  # drawn from NumPy's global state, as default.qubit
        if isinstance(seed, int):
            self._rng = np.random.default_rng(seed)

    @property
    def seeded(self) -> bool:
        """Whether results are reproducible (a seed was given)."""
        return self._rng is not None or self._fixed is not None or self._global

    def execution(self, jobs: int) -> ExecutionSeeds:
        """Seeds for an execution of ``jobs`` jobs (and the shuffle), drawn from the user's seed."""
        if self._rng is not None:
            entropy = int(self._rng.integers(0, 2**63))
            sequence = np.random.SeedSequence(entropy)
        elif self._global:
            sequence = np.random.SeedSequence(int(np.random.randint(0, 2**31)))  # noqa: NPY002
        elif self._fixed is not None:
            sequence = np.random.SeedSequence(self._fixed)
        else:
            return ExecutionSeeds(None, np.random.default_rng())
        shuffle, *children = sequence.spawn(jobs + 1)
        seeds = [int(child.generate_state(1)[0]) % _SEED_BOUND for child in children]
        return ExecutionSeeds(seeds, np.random.default_rng(shuffle))
