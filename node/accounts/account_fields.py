"""What an account's fields may hold: a password's length, an email's shape, a text's
size; refused with AccountError, whose message is for the user."""

from __future__ import annotations

import re

from node.errors import NodeError
from node.wording import Term

MIN_PASSWORD = 10
MAX_PASSWORD = 1000
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")


class AccountError(NodeError):
    """A request about an account that cannot be met; the message is for the user."""


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            "Choose a password of at least %(least)s characters.", least=MIN_PASSWORD
        )
    if len(password) > MAX_PASSWORD:
        raise AccountError("A password can be at most %(most)s characters.", most=MAX_PASSWORD)


def check_email(email: str) -> str:
    email = email.strip()
    if not _EMAIL.fullmatch(email):
        raise AccountError("That does not look like an email address.")
    return email


def text_field(value: str | None, most: int, what: Term, required: bool = False) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise AccountError("Please give %(what)s.", what=what)
        return None
    if len(value) > most:
        raise AccountError("Keep %(what)s to at most %(most)s characters.", what=what, most=most)
    return value
