"""is_digits: the one check before int() on text from people and peers."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from node.digits import is_digits


@given(st.text())
def test_is_digits_is_exactly_ascii_digits_and_int_always_reads_them(text: str) -> None:
    assert is_digits(text) == bool(re.fullmatch(r"[0-9]+", text))
    if is_digits(text):
        assert int(text) >= 0


def test_digits_that_int_refuses_are_not_digits() -> None:
    for text in ("59¹", "²", "①", "٣", "１２", "", " 1", "1 ", "-1", "+1", "1_000"):
        assert not is_digits(text), text
    assert is_digits("0") and is_digits("0042")
