"""numpy memory layouts (big-endian, strided views, Fortran order) are a Python matter, so they are
not in the shared corpus: each must give the same body as the row-major little-endian array."""

from __future__ import annotations

import pytest

from .vectors_io import build_request

FEEDS = [
    ("float32", [[1.0, 2.0], [3.0, -4.5]]),
    ("int32", [[1, -2, 300], [4, 5, -6]]),
    ("float64", [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
    ("int64", [[0, -1], [1 << 40, 7]]),
]


@pytest.mark.parametrize("layout", ["big-endian", "strided", "fortran"])
@pytest.mark.parametrize(("type_", "values"), FEEDS, ids=[t for t, _ in FEEDS])
def test_layout_gives_the_row_major_body(layout: str, type_: str, values: list[list[float]]) -> None:
    inp = {"kind": "tf_request", "feeds": [{"name": "x", "values": values, "type": type_}]}
    assert build_request(inp, layout=layout).to_body() == build_request(inp).to_body()
