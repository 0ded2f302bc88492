"""Sentences node/ gives people with values in them: a refusal, a notice, an email.

node/ knows nothing of languages (web/i18n.py does). So a sentence with values is kept
as its English with `%(name)s` placeholders, marked for the catalogue where it is
written, and its values apart: the pages and the emails put the sentence in the
reader's language and the values in after (web/wording.py `say`). Read as plain
text (`str(exc)`, the command line, a log) it is the English with its values in.

A value is text as it stands (a name, an amount) unless it is one of these, which
read as their English too but which the reader's language changes:

- `Term`: a word or phrase from node/'s own fixed lists ("the round's name", a role's
  title), in the catalogue (web/node_words.py): translated where shown;
- `Terms`: several of them, listed;
- `Moment`: an instant, shown as a date and time in the reader's language;
- `Span`: a length of time ("5 minutes"), counted in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Self


class Term(str):
    """A fixed word or phrase of node/'s, translated where it is shown."""

    __slots__ = ()


class Terms(str):
    """Several `Term`s in a list ("name, opening hours"), each translated where shown."""

    __slots__ = ("items",)
    items: tuple[Term, ...]

    def __new__(cls, items: tuple[Term, ...]) -> Terms:
        made = super().__new__(cls, ", ".join(items))
        made.items = items
        return made


class _Timed(str):
    """Words for a time (`ms`), reading as `english` until shown in the reader's language."""

    __slots__ = ("ms",)
    ms: int

    def __new__(cls, ms: int, english: str) -> Self:
        made = super().__new__(cls, english)
        made.ms = ms
        return made


class Moment(_Timed):
    """An instant (`ms`), reading as `english` until shown in the reader's language."""

    __slots__ = ()


class Span(_Timed):
    """A length of time (`ms`), reading as `english` until counted in the reader's
    language."""

    __slots__ = ()


Values = Mapping[str, object]


def english(template: str, values: Values) -> str:
    """The sentence in English with its values in (placeholders only when there are
    values, so a fixed sentence may hold a plain "%")."""
    return template % values if values else template


@dataclass(frozen=True, slots=True)
class Wording:
    """A sentence and its values, to be put in a reader's language: a notice's text,
    before the notice knows whom it is for. One that counts something has a `plural`
    too (made by `counted`): each language picks its form for `count`."""

    template: str
    values: Values = field(default_factory=dict)
    plural: str | None = None
    count: int = 1

    def __str__(self) -> str:
        chosen = self.template if self.plural is None or self.count == 1 else self.plural
        return english(chosen, self.values)


def counted(singular: str, plural: str, count: int, values: Values) -> Wording:
    """A sentence about `count` things, in its English singular and plural forms."""
    return Wording(singular, values, plural, count)
