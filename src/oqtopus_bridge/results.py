"""Result value objects of sampling and estimation jobs, in the documented (QURI Parts) convention.

Counts arrive as wire bitstrings (classical bit 0 rightmost, see `oqtopus_bridge.bits`) and are
exposed as ``Counter[int, int]`` whose key bit ``i`` is classical bit ``i``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from quri_parts.backend import SamplingResult

from oqtopus_bridge import bits
from oqtopus_bridge.errors import ResultError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["OqtopusEstimationResult", "OqtopusSamplingResult"]


def _is_int_key(key: Any) -> bool:
    return isinstance(key, int) and not isinstance(key, bool)


def _wire_counts(counts: Any) -> tuple[dict[str, int], int | None]:
    """Return ``(normalized wire counts, bit width)`` from any accepted counts form.

    Accepted: a JSON string (legacy), bitstring keys (with spaces, ``_`` or ``0b``), int keys, or
    decimal-string keys such as the documented example ``{"0": 600, "1": 300, "3": 100}`` (used only
    when some key is not a bitstring). The width is None when the keys carry none (ints, decimals).
    """
    if isinstance(counts, str):
        try:
            counts = json.loads(counts)
        except (ValueError, RecursionError) as exc:
            raise ResultError(f"counts is a string but not JSON: {counts[:80]!r}") from exc
    if not isinstance(counts, Mapping):
        raise ResultError(f"counts must be a mapping, got {type(counts).__name__}")
    if not counts:
        return {}, None
    width = bits.uniform_wire_width(counts)
    if width is not None and _plain_values(counts.values()):
        # What a server sends: the general path below would return these counts unchanged.
        return dict(counts), width
    return _general_wire_counts(counts)


def _plain_values(values: Collection[Any]) -> bool:
    """Whether every count is a plain non-negative ``int`` (what `_count_value` accepts as is)."""
    return set(map(type, values)) == {int} and min(values) >= 0


def _general_wire_counts(counts: Mapping[Any, Any]) -> tuple[dict[str, int], int | None]:
    """`_wire_counts` of a non-empty mapping, key by key (any accepted key and value form)."""
    counts = {key: _count_value(key, value) for key, value in counts.items()}
    if all(_is_int_key(key) for key in counts):
        return _ints_to_wire({int(key): int(value) for key, value in counts.items()}), None
    try:
        normalized = bits.normalize_counts({str(key): int(value) for key, value in counts.items()})
    except ResultError:
        try:
            decimal = {int(str(key)): int(value) for key, value in counts.items()}
        except ValueError as exc:
            raise ResultError(f"counts keys are neither bitstrings nor integers: {counts}") from exc
        return _ints_to_wire(decimal), None
    return normalized, len(next(iter(normalized)))


def _count_value(key: Any, value: Any) -> int:
    """A shot count: a non-negative integer (an integral float from mitigation is accepted)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ResultError(f"count {value!r} for outcome {key!r} is not a non-negative integer")
    return value


def _ints_to_wire(counts: Mapping[int, int]) -> dict[str, int]:
    width = max(max(key.bit_length() for key in counts), 1)
    return {bits.int_to_key(key, width): value for key, value in counts.items()}


class OqtopusSamplingResult(SamplingResult):
    """A result of a sampling job.

    Args:
        result: A dict with the key ``counts`` (``{bitstring: count}``, classical bit 0 rightmost;
            int keys are taken as already decoded) and optionally ``divided_counts`` (multi_manual:
            ``{"0": {...}, "1": {...}}``, each in its own program's width).

    Raises:
        ValueError: If ``counts`` does not exist in result.

    Examples:
        ```python
        OqtopusSamplingResult({"counts": {"00": 600, "01": 300, "11": 100}}).counts
        # Counter({0: 600, 1: 300, 3: 100})
        ```
    """

    def __init__(self, result: dict[str, Any]) -> None:
        if not isinstance(result, Mapping) or "counts" not in result:
            raise ValueError("'counts' does not exist in result")
        self._result = dict(result)
        self._raw, self._width = _wire_counts(result["counts"])
        self._raw_divided = _divided(result.get("divided_counts"))
        self._ints: Counter[int] | None = None

    @property
    def counts(self) -> Counter[int]:
        """Counts keyed by integers whose bit ``i`` is classical bit ``i`` (a new Counter)."""
        if self._ints is None:
            self._ints = bits.counts_to_int(self._raw)  # converted once: a copy is cheaper
        return Counter(self._ints)

    @property
    def divided_counts(self) -> dict[int, Counter[int]] | None:
        """Per-program counts of a multi_manual job (program index -> Counter), else None."""
        if self._raw_divided is None:
            return None
        return {index: bits.counts_to_int(raw) for index, raw in self._raw_divided.items()}

    @property
    def raw_counts(self) -> dict[str, int]:
        """The wire counts (keys normalized: no spaces, ``_`` or ``0b``; bit 0 rightmost)."""
        return dict(self._raw)

    @property
    def raw_divided_counts(self) -> dict[int, dict[str, int]] | None:
        """The per-program wire counts of a multi_manual job, or None."""
        if self._raw_divided is None:
            return None
        return {index: dict(raw) for index, raw in self._raw_divided.items()}

    @property
    def bit_width(self) -> int | None:
        """Number of classical bits of the wire keys; None when the keys carried no width."""
        return self._width

    def plot(
        self, ax: Axes | None = None, *, title: str | None = None, top: int | None = 32
    ) -> Figure:
        """Draw a histogram of the counts with matplotlib (the ``plot`` extra).

        The same figure as ``plot_histogram(result)``: bit 0 rightmost (stated under the axis), at
        most ``top`` bars with the other outcomes folded into one.

        Args:
            ax: Axes to draw on; a new figure when None.
            title: Optional title.
            top: Most frequent outcomes drawn as their own bars; None draws all.

        Returns:
            The matplotlib Figure, as `plot_histogram` returns.

        Raises:
            ImportError: If matplotlib is not installed.
        """
        from oqtopus_bridge.plotting import plot_histogram

        return plot_histogram(
            self._raw, ax=ax, title=title, top=top, bit_width=self._width, bit_order="bit0-right"
        )

    def __repr__(self) -> str:
        return str(self._result)

    def _repr_html_(self) -> str:
        """The histogram (and one per program of a multi_manual job), for notebooks."""
        from oqtopus_bridge.display import sampling_html

        return sampling_html(self._raw, self._raw_divided)


def _divided(value: Any) -> dict[int, dict[str, int]] | None:
    if isinstance(value, str) and value.strip():
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise ResultError("divided_counts is a string but not JSON") from exc
    if not value:
        return None  # the engine writes {} when dividing failed; the peer reports None too
    if not isinstance(value, Mapping):
        raise ResultError(f"divided_counts must be a mapping, got {type(value).__name__}")
    try:
        return {int(index): _wire_counts(sub)[0] for index, sub in value.items()}
    except ValueError as exc:
        raise ResultError(f"divided_counts keys must be program indices: {list(value)}") from exc


class OqtopusEstimationResult:
    """A result of an estimation job.

    Args:
        result: ``{"estimation": {"exp_value": 2.0, "stds": 1.1}}``, or the inner dict itself.

    Raises:
        ValueError: If ``estimation`` does not exist in result.
    """

    def __init__(self, result: dict[str, Any]) -> None:
        if not isinstance(result, Mapping):
            raise ValueError("'estimation' does not exist in result")
        inner = result.get("estimation", result if "exp_value" in result else None)
        if not isinstance(inner, Mapping):
            raise ValueError("'estimation' does not exist in result")
        self._result = dict(inner)

    @property
    def exp_value(self) -> float | None:
        """The expectation value (None if the server sent none)."""
        return _number(self._result.get("exp_value"))

    @property
    def stds(self) -> float | None:
        """The standard deviation of the estimate (None if the server sent none)."""
        return _number(self._result.get("stds"))

    def __repr__(self) -> str:
        return str(self._result)

    def _repr_html_(self) -> str:
        """The expectation value with its standard deviation, for notebooks."""
        from oqtopus_bridge.display import estimation_html

        return estimation_html(self.exp_value, self.stds)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)) and value:
        value = value[0]  # an early spec example sent [re, im]
    return float(value)
