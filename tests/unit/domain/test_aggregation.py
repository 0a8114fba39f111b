"""Partial daily counts merge exactly."""

from __future__ import annotations

from event_service.domain import merge_counts, sum_type_counts


def test_merge_counts_adds_in_place_and_returns_the_target() -> None:
    target = {"2024-03-10": {"click": 2, "view": 1}}
    other = {"2024-03-10": {"click": 3, "buy": 1}, "2024-03-11": {"view": 4}}
    result = merge_counts(target, other)
    assert result is target
    assert target == {"2024-03-10": {"click": 5, "view": 1, "buy": 1}, "2024-03-11": {"view": 4}}
    assert other == {"2024-03-10": {"click": 3, "buy": 1}, "2024-03-11": {"view": 4}}


def test_merge_counts_does_not_share_the_others_buckets() -> None:
    other = {"2024-03-10": {"click": 1}}
    target = merge_counts({}, other)
    target["2024-03-10"]["click"] += 10
    assert other == {"2024-03-10": {"click": 1}}


def test_merge_counts_with_empty_sides() -> None:
    assert merge_counts({}, {}) == {}
    assert merge_counts({"d": {"t": 1}}, {}) == {"d": {"t": 1}}
    assert merge_counts({}, {"d": {"t": 1}}) == {"d": {"t": 1}}
    assert merge_counts({"d": {"t": 1}}, {"d": {}}) == {"d": {"t": 1}}


def test_merge_is_order_independent() -> None:
    parts = [{"a": {"x": 1}}, {"a": {"y": 2}, "b": {"x": 3}}, {"b": {"x": 4}, "a": {"x": 5}}]
    forward: dict[str, dict[str, int]] = {}
    backward: dict[str, dict[str, int]] = {}
    for part in parts:
        merge_counts(forward, part)
    for part in reversed(parts):
        merge_counts(backward, part)
    assert forward == backward == {"a": {"x": 6, "y": 2}, "b": {"x": 7}}


def test_sum_type_counts() -> None:
    assert sum_type_counts([{"click": 2, "view": 1}, {"click": 3}, {}, {"buy": 7, "view": 2}]) == {
        "click": 5,
        "view": 3,
        "buy": 7,
    }


def test_sum_type_counts_of_nothing() -> None:
    assert sum_type_counts([]) == {}
    assert sum_type_counts(iter([{}])) == {}


def test_sum_type_counts_reads_a_generator_once() -> None:
    parts = ({"t": n} for n in range(1, 5))
    assert sum_type_counts(parts) == {"t": 10}
