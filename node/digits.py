"""Whole numbers as people type them and peers send them: ASCII digits only.

str.isdigit() is true for "¹", "²" and "①" too, and int() refuses those, so a
check with isdigit() followed by int() turns a strange request into a crash (the
fuzzer found `limit=59¹` answered 500). Every such check goes through here.
"""


def is_digits(text: str) -> bool:
    """Whether `text` is one or more of the ASCII digits 0-9, and nothing else."""
    return text.isascii() and text.isdigit()


def row_id(text: str) -> int | None:
    """A database row id typed in a path or form, or None: ASCII digits that fit
    SQLite's 64-bit integers (a 20-digit id made `POST /notices/…/read` a 500)."""
    if not is_digits(text) or len(text) > 18:
        return None
    return int(text)
