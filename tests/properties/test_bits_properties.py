"""Hypothesis properties of the pure bit-order functions, checked against independent definitions.

The oracle for each property is written from the convention itself (classical bit i has weight
2**i), not from the functions under test.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from oqtopus_bridge import bits

widths = st.integers(min_value=1, max_value=24)


@st.composite
def keys(draw: st.DrawFn, width: int | None = None) -> str:
    size = draw(widths) if width is None else width
    return "".join(draw(st.lists(st.sampled_from("01"), min_size=size, max_size=size)))


@st.composite
def key_and_selection(draw: st.DrawFn) -> tuple[str, list[int]]:
    key = draw(keys())
    selection = draw(st.lists(st.integers(0, len(key) - 1), unique=True, max_size=len(key)))
    return key, selection


@given(widths.flatmap(lambda w: st.tuples(st.just(w), st.integers(0, 2**w - 1))))
def test_int_and_key_round_trip_with_bit_i_weighing_two_to_the_i(case: tuple[int, int]) -> None:
    width, value = case
    key = bits.int_to_key(value, width)
    assert len(key) == width
    assert bits.key_to_int(key) == value
    # Independent oracle: character at position len-1-i carries classical bit i.
    assert sum(int(key[width - 1 - i]) << i for i in range(width)) == value


@given(key_and_selection())
def test_select_bits_takes_old_bit_clbits_k_as_new_bit_k(case: tuple[str, list[int]]) -> None:
    key, selection = case
    selected = bits.select_bits(key, selection)
    old = bits.key_to_int(key)
    new = bits.key_to_int(selected) if selected else 0
    for k, index in enumerate(selection):
        assert (new >> k) & 1 == (old >> index) & 1


@given(keys())
def test_selecting_every_bit_in_order_is_the_identity(key: str) -> None:
    assert bits.select_bits(key, list(range(len(key)))) == key


@given(key_and_selection(), st.data())
def test_selections_compose(case: tuple[str, list[int]], data: st.DataObject) -> None:
    key, first = case
    second = (
        data.draw(st.lists(st.integers(0, max(len(first) - 1, 0)), unique=True)) if first else []
    )
    composed = [first[index] for index in second]
    assert bits.select_bits(bits.select_bits(key, first), second) == bits.select_bits(key, composed)


@given(st.lists(st.integers(0, 5), min_size=1, max_size=5).filter(lambda s: sum(s) > 0), st.data())
def test_registers_and_multi_manual_split_and_join_consistently(
    sizes: list[int], data: st.DataObject
) -> None:
    key = data.draw(keys(sum(sizes)))
    parts = bits.split_registers(key, sizes)
    assert [len(part) for part in parts] == sizes
    assert bits.join_multi_manual(parts) == key
    # Register r holds classical bits offset_r .. offset_r + size_r - 1.
    offset = 0
    for part, size in zip(parts, sizes, strict=True):
        assert part == bits.select_bits(key, list(range(offset, offset + size)))
        offset += size


@given(st.dictionaries(keys(6), st.integers(1, 1000), min_size=1), st.data())
def test_multi_manual_split_conserves_shots_per_program(
    counts: dict[str, int], data: st.DataObject
) -> None:
    sizes = data.draw(st.sampled_from([[6], [3, 3], [1, 2, 3], [2, 4], [5, 1]]))
    divided = bits.split_multi_manual(counts, sizes)
    for part in divided:
        assert sum(part.values()) == sum(counts.values())
    assert bits.marginal_counts(counts, [0]) == bits.marginal_counts(divided[0], [0])


@given(st.dictionaries(keys(5), st.integers(1, 50), min_size=1))
def test_pennylane_order_reverses_the_weight_of_each_bit(counts: dict[str, int]) -> None:
    converted = bits.counts_first_bit_leftmost(counts)
    assert sum(converted.values()) == sum(counts.values())
    for key, value in counts.items():
        # In PennyLane order, classical bit i sits at position i from the left.
        flipped = "".join(key[len(key) - 1 - i] for i in range(len(key)))
        assert converted[flipped] == value


@given(st.dictionaries(st.integers(0, 30), st.sampled_from("IXYZ")))
def test_pauli_labels_round_trip_through_service_and_qiskit_forms(ops: dict[int, str]) -> None:
    service = bits.pauli_to_service(ops)
    non_identity = {q: p for q, p in ops.items() if p != "I"}
    assert bits.parse_service_pauli(service) == non_identity
    width = max(ops, default=0) + 1
    qiskit_label = bits.service_to_qiskit_label(service, width)
    for qubit in range(width):
        assert qiskit_label[width - 1 - qubit] == non_identity.get(qubit, "I")
    assert bits.qiskit_label_to_service(qiskit_label) == service
    spaced = " ".join(f"{p} {q}" for q, p in sorted(non_identity.items())) or "I"
    assert bits.parse_service_pauli(spaced) == non_identity


@given(st.dictionaries(keys(4), st.integers(1, 9), min_size=1))
def test_counts_to_int_agrees_with_per_key_conversion(counts: dict[str, int]) -> None:
    expected: Counter[int] = Counter()
    for key, value in counts.items():
        expected[sum(int(c) << (len(key) - 1 - i) for i, c in enumerate(key))] += value
    assert bits.counts_to_int(counts) == expected
