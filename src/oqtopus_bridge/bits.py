"""Bit order: every conversion between OQTOPUS counts keys and each framework's view lives here.

The convention of the service, stated once
------------------------------------------
A counts key is a bitstring over **all** classical bits of the submitted program, with
**classical bit 0 rightmost**; its length is the number of classical bits; no spaces. A program
with ``bit[3] c`` whose shot gave ``c[0] = 1``, ``c[1] = 0`` and ``c[2] = 0`` is counted under::

    classical bit:   c[2] c[1] c[0]
    key:              "0    0    1"   ->  "001"

Each framework sees the same outcome differently:

| framework | the outcome above | function |
| --- | --- | --- |
| OQTOPUS (wire) | ``"001"`` | - |
| QURI Parts | ``1`` (bit i of the integer is ``c[i]``) | `key_to_int` |
| Qiskit, ``a = c[0:2]``, ``b = c[2]`` | ``"0 01"`` (first one rightmost) | `to_qiskit_key` |
| PennyLane | ``"100"`` (first measured wire leftmost) | `to_first_bit_leftmost` |

multi_manual jobs run several programs side by side: program 0 occupies the rightmost bits of the
combined key (`split_multi_manual`). Pauli labels differ too: the service writes explicit
indices (``"X0 Z2"``, identity ``"I"``) while a Qiskit label's rightmost character is qubit 0
(``"ZIX"``).

No other module of this package reverses or slices a bitstring; adapters call these functions.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from oqtopus_bridge.errors import ConversionError, ResultError

__all__ = [
    "counts_first_bit_leftmost",
    "counts_to_int",
    "int_to_key",
    "join_multi_manual",
    "key_to_int",
    "marginal_counts",
    "normalize_counts",
    "normalize_key",
    "parse_service_pauli",
    "pauli_to_service",
    "qiskit_label_to_service",
    "select_bits",
    "service_to_qiskit_label",
    "split_multi_manual",
    "split_registers",
    "to_first_bit_leftmost",
    "to_qiskit_key",
    "uniform_wire_width",
]

_PAULI_TERM = re.compile(r"([IXYZ])\s*(\d+)")
_PAULI_LETTERS = frozenset("IXYZ")


def normalize_key(key: str) -> str:
    """Return a counts key in wire form: only ``0``/``1``; no spaces, underscores or ``0b``.

    Args:
        key: A bitstring such as ``"0b1_01"`` or ``"1 01"`` (Qiskit's multi-register style).

    Returns:
        The bare bitstring, e.g. ``"101"``.

    Raises:
        ResultError: If the key contains anything but bits once separators are removed.
    """
    bits = key.strip().replace(" ", "").replace("_", "")
    if bits.startswith(("0b", "0B")):
        bits = bits[2:]
    if not bits or set(bits) - {"0", "1"}:
        raise ResultError(f"counts key {key!r} is not a bitstring of 0s and 1s")
    return bits


def key_to_int(key: str) -> int:
    """Return the integer whose bit ``i`` is classical bit ``i`` of ``key`` (QURI Parts' order)."""
    return int(normalize_key(key), 2)


def int_to_key(value: int, width: int) -> str:
    """Return the ``width``-bit wire key of ``value``: its bit ``i`` becomes classical bit ``i``.

    Raises:
        ValueError: If ``value`` is negative or does not fit in ``width`` bits.
    """
    if value < 0 or width < 0 or value >> width:
        raise ValueError(f"{value} does not fit in {width} classical bits")
    return format(value, f"0{width}b") if width else ""


def uniform_wire_width(keys: Iterable[object]) -> int | None:
    """The width shared by ``keys`` when each one is already a wire key, else None.

    A wire key here is a non-empty ``str`` of only ``0`` and ``1``; all keys must have the same
    length. Such keys are left unchanged by `normalize_key` and distinct ones never merge, which
    lets the counts functions skip the per-key work for the counts a server sends (issue 23). The
    check runs in a few passes of C code, not key by key.

    Args:
        keys: Counts keys (a counts mapping iterates over them).

    Returns:
        The common width, or None if any key is not a plain wire key or the widths differ (also
        None for no keys).
    """
    keys = keys if isinstance(keys, Mapping) else list(keys)
    if not keys or set(map(type, keys)) != {str}:
        return None
    joined = ",".join(keys)  # type: ignore[arg-type]  # every key is a str (checked above)
    count = len(keys)
    width = (len(joined) + 1) // count - 1
    # The separators sit exactly every width + 1 characters: every key has that width.
    if width < 1 or (width + 1) * count - 1 != len(joined) or joined.count(",") != count - 1:
        return None
    if joined[width :: width + 1] != "," * (count - 1):
        return None
    if not joined.isascii() or joined.encode("ascii").translate(None, b"01,"):
        return None
    return width


def _plain_counts(counts: Mapping[str, int]) -> bool:
    """Whether ``counts`` has plain wire keys of one width and plain ``int`` values."""
    return uniform_wire_width(counts) is not None and set(map(type, counts.values())) == {int}


def normalize_counts(counts: Mapping[str, int]) -> dict[str, int]:
    """Normalize every key (see `normalize_key`), summing counts of keys that become equal.

    Keys are also left-padded with zeros to the longest key's width, because some producers drop
    leading zeros.
    """
    if _plain_counts(counts):
        return dict(counts)  # already normal: every key its own, nothing to pad or merge
    normalized = [(normalize_key(key), int(value)) for key, value in counts.items()]
    width = max((len(key) for key, _ in normalized), default=0)
    merged: Counter[str] = Counter()
    for key, value in normalized:
        merged[key.rjust(width, "0")] += value
    return dict(merged)


def counts_to_int(counts: Mapping[str, int]) -> Counter[int]:
    """Convert wire counts to QURI Parts counts: ``{"01": 10}`` becomes ``Counter({1: 10})``."""
    if _plain_counts(counts):
        # Distinct keys of one width are distinct integers: nothing to sum (issue 23: a
        # 10,000-key result converted in C rather than key by key).
        return Counter(
            dict(zip(map(int, counts, itertools.repeat(2)), counts.values(), strict=True))
        )
    result: Counter[int] = Counter()
    for key, value in counts.items():
        result[key_to_int(key)] += int(value)
    return result


def _bit(key: str, index: int) -> str:
    """Classical bit ``index`` of a wire key (bit 0 is the last character)."""
    return key[len(key) - 1 - index]


def select_bits(key: str, clbits: Sequence[int]) -> str:
    """Return the key made of the chosen classical bits: new bit ``k`` is old bit ``clbits[k]``.

    This is the rule of Qiskit's ``BitArray.slice_bits``. Example: ``select_bits("110", [0, 2])``
    takes c[0]=0 and c[2]=1 and returns ``"10"``.

    Raises:
        ValueError: If an index is outside the key.
    """
    width = len(key)
    for index in clbits:
        if not 0 <= index < width:
            raise ValueError(f"classical bit {index} is outside a {width}-bit key")
    return "".join(_bit(key, index) for index in reversed(clbits))


def marginal_counts(counts: Mapping[str, int], clbits: Sequence[int]) -> dict[str, int]:
    """Apply `select_bits` to every key and sum the counts that coincide."""
    merged: Counter[str] = Counter()
    for key, value in counts.items():
        merged[select_bits(normalize_key(key), clbits)] += value
    return dict(merged)


def split_registers(key: str, sizes: Sequence[int]) -> list[str]:
    """Split a wire key into per-register keys; register 0 holds classical bits ``0..sizes[0]-1``.

    Each returned key follows the wire convention within its register (register bit 0 rightmost).
    Example: ``split_registers("011", [2, 1])`` returns ``["11", "0"]``.

    Raises:
        ValueError: If the sizes do not add up to the key's width.
    """
    if sum(sizes) != len(key) or any(size < 0 for size in sizes):
        raise ValueError(f"register sizes {list(sizes)} do not add up to a {len(key)}-bit key")
    parts: list[str] = []
    end = len(key)
    for size in sizes:
        parts.append(key[end - size : end])
        end -= size
    return parts


def to_qiskit_key(key: str, sizes: Sequence[int]) -> str:
    """Return Qiskit's ``get_counts()`` key: registers joined by spaces, the first one rightmost.

    Registers of size zero are skipped, as Qiskit does. Example: ``to_qiskit_key("011", [2, 1])``
    returns ``"0 11"``.
    """
    parts = [part for part, size in zip(split_registers(key, sizes), sizes, strict=True) if size]
    return " ".join(reversed(parts))


def to_first_bit_leftmost(key: str) -> str:
    """Return the key with classical bit 0 leftmost, the order PennyLane uses for measured wires."""
    return key[::-1]


def counts_first_bit_leftmost(counts: Mapping[str, int]) -> dict[str, int]:
    """Apply `to_first_bit_leftmost` to every (normalized) key of a counts mapping."""
    return {to_first_bit_leftmost(key): value for key, value in normalize_counts(counts).items()}


def split_multi_manual(counts: Mapping[str, int], widths: Sequence[int]) -> list[dict[str, int]]:
    """Divide combined multi_manual counts into one counts mapping per program.

    Program 0 occupies the rightmost ``widths[0]`` bits of each combined key, as the OQTOPUS
    combiner lays programs out. Counts whose program-``k`` bits coincide are summed.

    Raises:
        ResultError: If a key's width differs from ``sum(widths)``.
    """
    divided: list[Counter[str]] = [Counter() for _ in widths]
    for key, value in counts.items():
        bits = normalize_key(key)
        if len(bits) != sum(widths):
            raise ResultError(
                f"combined key {key!r} has {len(bits)} bits, expected {sum(widths)} "
                f"for programs of {list(widths)} classical bits"
            )
        for index, part in enumerate(split_registers(bits, widths)):
            divided[index][part] += value
    return [dict(counter) for counter in divided]


def join_multi_manual(keys: Sequence[str]) -> str:
    """Combine per-program keys into one multi_manual key, program 0 rightmost (inverse split)."""
    return "".join(reversed([normalize_key(key) if key else "" for key in keys]))


def pauli_to_service(ops: Mapping[int, str]) -> str:
    """Write a Pauli word in the service's explicit-index form: ``{0: "X", 2: "Z"}`` -> ``"X0 Z2"``.

    Identity factors are dropped; the identity word is ``"I"``.

    Raises:
        ConversionError: If a letter is not ``I``, ``X``, ``Y`` or ``Z``, or an index is negative.
    """
    terms = []
    for qubit, letter in sorted(ops.items()):
        if letter not in _PAULI_LETTERS or qubit < 0:
            raise ConversionError(f"invalid Pauli factor {letter!r} on qubit {qubit}")
        if letter != "I":
            terms.append(f"{letter}{qubit}")
    return " ".join(terms) or "I"


def parse_service_pauli(label: str) -> dict[int, str]:
    """Parse a service Pauli label (``"X0 Z2"``, ``"X 0 Z 2"``, ``"X0Z2"`` or ``"I"``) into factors.

    Returns:
        ``{qubit: letter}`` without identity factors; ``{}`` for the identity.

    Raises:
        ConversionError: If the label is malformed or names a qubit twice.
    """
    compact = "".join(label.split())
    if compact in ("", "I"):
        return {}
    matches = list(_PAULI_TERM.finditer(compact))
    if "".join(match.group(0) for match in matches) != compact:
        raise ConversionError(f"Pauli label {label!r} is not of the form 'X0 Y1 Z3'")
    factors: dict[int, str] = {}
    for match in matches:
        qubit = int(match.group(2))
        if qubit in factors:
            raise ConversionError(f"Pauli label {label!r} names qubit {qubit} twice")
        if match.group(1) != "I":
            factors[qubit] = match.group(1)
    return factors


def qiskit_label_to_service(label: str) -> str:
    """Convert a Qiskit Pauli label (rightmost character is qubit 0) to the service form.

    Example: ``qiskit_label_to_service("XIZ")`` returns ``"Z0 X2"``.

    Raises:
        ConversionError: If the label has characters other than ``IXYZ`` (remove phases first).
    """
    if set(label) - _PAULI_LETTERS:
        raise ConversionError(f"Qiskit Pauli label {label!r} may only contain I, X, Y and Z")
    return pauli_to_service(dict(enumerate(reversed(label))))


def service_to_qiskit_label(label: str, num_qubits: int) -> str:
    """Convert a service Pauli label to a Qiskit label on ``num_qubits`` qubits (qubit 0 rightmost).

    Raises:
        ConversionError: If the label acts on a qubit ``>= num_qubits``.
    """
    factors = parse_service_pauli(label)
    if factors and max(factors) >= num_qubits:
        raise ConversionError(f"Pauli label {label!r} acts outside {num_qubits} qubits")
    letters = [factors.get(qubit, "I") for qubit in range(num_qubits)]
    return "".join(reversed(letters))
