"""Reading values out of JSON leniently, for the API's models and the local store alike: an
odd value becomes "none" instead of an exception."""

from __future__ import annotations

from typing import Any


def whole_number(value: Any, default: int | None = None) -> int | None:
    """``value`` as an int when it is one: an int, an integral float, or text of plain ASCII
    digits with an optional minus (``"42"``, ``" -7 "``); ``default`` otherwise."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text.startswith("-") else text
        # ASCII digits only: str.isdigit() also accepts "¹" and other digits int() refuses.
        if digits.isascii() and digits.isdigit():
            try:
                return int(text)
            except ValueError:  # more digits than Python converts (thousands of them)
                return default
    return default
