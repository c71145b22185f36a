"""Golden cases for the bit-order module: one row per framework convention (adapters.md 2)."""

from __future__ import annotations

from collections import Counter

import pytest

from oqtopus_bridge import bits
from oqtopus_bridge.errors import ConversionError, ResultError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("101", "101"), ("0b101", "101"), ("1 01", "101"), ("1_0_1", "101"), (" 0 ", "0")],
)
def test_normalize_key_accepts_separators_and_prefix(raw: str, expected: str) -> None:
    assert bits.normalize_key(raw) == expected


@pytest.mark.parametrize("raw", ["", "0b", "102", "0x1", "abc"])
def test_normalize_key_rejects_non_bitstrings(raw: str) -> None:
    with pytest.raises(ResultError, match="not a bitstring"):
        bits.normalize_key(raw)


def test_key_to_int_puts_classical_bit_zero_in_the_least_significant_bit() -> None:
    # X on q0 with `c = measure q` over two bits: the service reports "01" (c[0]=1 rightmost).
    assert bits.key_to_int("01") == 1
    assert bits.counts_to_int({"00": 490, "01": 10, "10": 20, "11": 480}) == Counter(
        {0: 490, 1: 10, 2: 20, 3: 480}
    )


def test_int_to_key_pads_and_rejects_overflow() -> None:
    assert bits.int_to_key(1, 3) == "001"
    assert bits.int_to_key(0, 0) == ""
    with pytest.raises(ValueError, match="does not fit"):
        bits.int_to_key(8, 3)
    with pytest.raises(ValueError, match="does not fit"):
        bits.int_to_key(-1, 3)


def test_normalize_counts_merges_equal_keys_and_restores_dropped_leading_zeros() -> None:
    assert bits.normalize_counts({"1 01": 2, "101": 3, "1": 4}) == {"101": 5, "001": 4}


def test_select_bits_follows_bitarray_slice_bits() -> None:
    # new bit k = old bit clbits[k]; "110" has c0=0, c1=1, c2=1.
    assert bits.select_bits("110", [0, 2]) == "10"
    assert bits.select_bits("110", [2, 0]) == "01"
    assert bits.select_bits("110", []) == ""
    with pytest.raises(ValueError, match="outside"):
        bits.select_bits("110", [3])


def test_marginal_counts_sums_coinciding_keys() -> None:
    assert bits.marginal_counts({"110": 1, "010": 2, "011": 3}, [1]) == {"1": 6}


def test_split_registers_and_qiskit_key_match_aer_for_two_registers() -> None:
    # cregs a[2], b[1]; a[0]<-q2=1, a[1]<-q0=1, b[0]<-q1=0 -> service "011" -> Aer "0 11".
    assert bits.split_registers("011", [2, 1]) == ["11", "0"]
    assert bits.to_qiskit_key("011", [2, 1]) == "0 11"
    assert bits.to_qiskit_key("011", [0, 2, 1]) == "0 11"
    with pytest.raises(ValueError, match="do not add up"):
        bits.split_registers("011", [2, 2])


def test_pennylane_order_puts_the_first_measured_wire_leftmost() -> None:
    assert bits.to_first_bit_leftmost("001") == "100"
    assert bits.counts_first_bit_leftmost({"0 01": 5}) == {"100": 5}


def test_multi_manual_split_places_program_zero_rightmost() -> None:
    # Programs A (2 clbits) and B (1 clbit): the combined key is b0 a1 a0 (oqtopus-engine combiner).
    assert bits.split_multi_manual({"101": 7}, [2, 1]) == [{"01": 7}, {"1": 7}]
    assert bits.join_multi_manual(["01", "1"]) == "101"
    with pytest.raises(ResultError, match="expected 3"):
        bits.split_multi_manual({"1010": 1}, [2, 1])


@pytest.mark.parametrize(
    ("label", "factors"),
    [
        ("X0 Z2", {0: "X", 2: "Z"}),
        ("X 0 Z 2", {0: "X", 2: "Z"}),
        ("X0Z2", {0: "X", 2: "Z"}),
        ("I", {}),
    ],
)
def test_parse_service_pauli_accepts_the_engine_spellings(
    label: str, factors: dict[int, str]
) -> None:
    assert bits.parse_service_pauli(label) == factors


@pytest.mark.parametrize("label", ["X", "Q0", "X0 X0", "0X"])
def test_parse_service_pauli_rejects_malformed_labels(label: str) -> None:
    with pytest.raises(ConversionError):
        bits.parse_service_pauli(label)


def test_pauli_labels_convert_between_qiskit_and_service_order() -> None:
    assert bits.pauli_to_service({2: "Z", 0: "X", 1: "I"}) == "X0 Z2"
    assert bits.pauli_to_service({}) == "I"
    assert bits.qiskit_label_to_service("XIZ") == "Z0 X2"
    assert bits.qiskit_label_to_service("III") == "I"
    assert bits.service_to_qiskit_label("Z0 X2", 3) == "XIZ"
    assert bits.service_to_qiskit_label("I", 2) == "II"
    with pytest.raises(ConversionError, match="outside"):
        bits.service_to_qiskit_label("Z3", 3)
    with pytest.raises(ConversionError, match="only contain"):
        bits.qiskit_label_to_service("-XZ")
