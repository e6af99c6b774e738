"""The benchmark's shape list: each shape at the default rate or at its own after '@'."""

from __future__ import annotations

import pytest

from benchmarks.shapes import SHAPES, ShapeRun, shape_runs


def test_shapes_take_the_default_rate_or_their_own() -> None:
    assert shape_runs("three, chain40@10", 100.0) == [
        ShapeRun(SHAPES["three"], 100.0),
        ShapeRun(SHAPES["chain40"], 10.0),
    ]


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("three,nine", "unknown shape 'nine'"),
        ("chain40@fast", "must be a number"),
        ("chain40@0", "must be positive"),
        (" , ", "no shape given"),
    ],
)
def test_a_bad_shape_list_is_refused_with_the_reason(spec: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        shape_runs(spec, 100.0)
