from __future__ import annotations

from collections import Counter

import pytest
from quri_parts.backend import SamplingResult

from oqtopus_bridge import OqtopusEstimationResult, OqtopusSamplingResult
from oqtopus_bridge.errors import ResultError


def test_documented_counts_conversion() -> None:
    result = OqtopusSamplingResult({"counts": {"00": 490, "01": 10, "10": 20, "11": 480}})
    assert result.counts == Counter({0: 490, 1: 10, 2: 20, 3: 480})
    assert result.bit_width == 2
    assert result.raw_counts == {"00": 490, "01": 10, "10": 20, "11": 480}
    assert result.divided_counts is None
    assert SamplingResult in OqtopusSamplingResult.__mro__


def test_documented_example_with_integer_like_keys() -> None:
    result = OqtopusSamplingResult({"counts": {"0": 600, "1": 300, "3": 100}})
    assert result.counts == Counter({0: 600, 1: 300, 3: 100})
    assert result.bit_width is None


def test_int_keys_and_json_string_counts() -> None:
    assert OqtopusSamplingResult({"counts": {5: 2}}).counts == Counter({5: 2})
    assert OqtopusSamplingResult({"counts": {5: 2}}).raw_counts == {"101": 2}
    assert OqtopusSamplingResult({"counts": '{"01": 3}'}).counts == Counter({1: 3})


def test_keys_with_spaces_underscores_prefix() -> None:
    result = OqtopusSamplingResult({"counts": {"0b1_0": 1, "1 0": 2, "01": 3}})
    assert result.counts == Counter({2: 3, 1: 3})
    assert result.raw_counts == {"10": 3, "01": 3}


def test_multi_manual_divided_counts_peer_example() -> None:
    result = OqtopusSamplingResult(
        {
            "counts": {"001": 10, "110": 20},
            "divided_counts": {"0": {"01": 10, "10": 20}, "1": {"0": 10, "1": 20}},
        }
    )
    assert result.counts == Counter({1: 10, 6: 20})
    assert result.divided_counts == {0: Counter({1: 10, 2: 20}), 1: Counter({0: 10, 1: 20})}
    assert result.raw_divided_counts == {0: {"01": 10, "10": 20}, 1: {"0": 10, "1": 20}}


@pytest.mark.parametrize("divided", [{}, None, ""])
def test_empty_divided_counts_is_none(divided: object) -> None:
    assert (
        OqtopusSamplingResult({"counts": {"1": 1}, "divided_counts": divided}).divided_counts
        is None
    )


def test_missing_counts_is_value_error() -> None:
    with pytest.raises(ValueError, match="'counts' does not exist in result"):
        OqtopusSamplingResult({})


@pytest.mark.parametrize("counts", [{"0x1": 1}, "not json", [1, 2], {"ab": 1}])
def test_malformed_counts(counts: object) -> None:
    with pytest.raises(ResultError):
        OqtopusSamplingResult({"counts": counts})


def test_repr_is_the_dict() -> None:
    assert repr(OqtopusSamplingResult({"counts": {"1": 1}})) == "{'counts': {'1': 1}}"


def test_estimation_result_documented_and_inner_forms() -> None:
    result = OqtopusEstimationResult({"estimation": {"exp_value": 2.0, "stds": 1.1}})
    assert (result.exp_value, result.stds) == (2.0, 1.1)
    assert OqtopusEstimationResult({"exp_value": 1.5, "stds": 0.1}).exp_value == 1.5
    assert OqtopusEstimationResult({"estimation": {"exp_value": 1.0}}).stds is None
    assert OqtopusEstimationResult({"estimation": {"exp_value": [0.5, 0.0]}}).exp_value == 0.5
    assert "2.0" in repr(result)


def test_estimation_result_missing() -> None:
    with pytest.raises(ValueError, match="'estimation' does not exist"):
        OqtopusEstimationResult({"sampling": {}})
