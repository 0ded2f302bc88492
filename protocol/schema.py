"""Declarative schemas for message bodies (PROTOCOL.md §5).

A kind's body is a frozen dataclass whose fields carry their rules in `Annotated`
metadata; `parse` builds one from a decoded map, checking every field, and
`dump` turns one back into the map to encode. Optional fields (`X | None`) and
empty lists are left out of the map, so each body has one encoding.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin

from protocol.errors import SchemaViolation


@dataclass(frozen=True, slots=True)
class Text:
    """A text field of 1..max_len characters (min_len adjustable), optionally matching."""

    max_len: int
    min_len: int = 1
    pattern: str | None = None


@dataclass(frozen=True, slots=True)
class Bin:
    """A byte string of exactly `size` bytes (hashes, keys, signatures)."""

    size: int


@dataclass(frozen=True, slots=True)
class Range:
    """An integer within [lo, hi]."""

    lo: int
    hi: int


@dataclass(frozen=True, slots=True)
class Items:
    """A list of at most max_items (and at least min_items) elements."""

    max_items: int
    min_items: int = 0


T = TypeVar("T")

# Shared field types.
MessageRef = Annotated[bytes, Bin(32)]  # id (SHA-256 of the payload) of another message
Sha256 = Annotated[bytes, Bin(32)]
Timestamp = Annotated[int, Range(0, 2**53)]  # seconds since the Unix epoch, UTC
NodeIdText = Annotated[str, Text(56, 56, r"[a-z2-7]{56}")]
Url = Annotated[str, Text(500, 1, r"https?://[^\s]+")]


def _is_optional(tp: Any) -> tuple[bool, Any]:
    if get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(get_args(tp)) == 2:
            return True, args[0]
    return False, tp


Checker = typing.Callable[[str, Any], Any]


def _compile(tp: Any) -> Checker:
    """A function (path, value) -> value that enforces `tp` and its metadata.

    Built once per field and cached with the class: parsing is on the ingest
    path, and walking typing objects for every message costs more than the check.
    """
    meta: tuple[Any, ...] = ()
    if get_origin(tp) is Annotated:
        tp, *rest = get_args(tp)
        meta = tuple(rest)
    origin = get_origin(tp)
    if origin is Literal:
        allowed_values = get_args(tp)
        kind = type(allowed_values[0])
        allowed = ", ".join(repr(a) for a in allowed_values)

        def check_literal(path: str, value: Any) -> Any:
            if type(value) is not kind or value not in allowed_values:
                raise SchemaViolation(f"{path} must be one of {allowed}, got {value!r}")
            return value

        return check_literal
    if tp is bool:

        def check_bool(path: str, value: Any) -> Any:
            if not isinstance(value, bool):
                raise SchemaViolation(f"{path} must be true or false")
            return value

        return check_bool
    if tp is int:
        ranges = [m for m in meta if isinstance(m, Range)]

        def check_int(path: str, value: Any) -> Any:
            if not isinstance(value, int) or isinstance(value, bool):
                raise SchemaViolation(f"{path} must be an integer")
            for m in ranges:
                if not m.lo <= value <= m.hi:
                    raise SchemaViolation(f"{path} must be between {m.lo} and {m.hi}")
            return value

        return check_int
    if tp is str:
        texts = [
            (m, re.compile(m.pattern) if m.pattern else None) for m in meta if isinstance(m, Text)
        ]

        def check_str(path: str, value: Any) -> Any:
            if not isinstance(value, str):
                raise SchemaViolation(f"{path} must be text")
            for m, pattern in texts:
                if not m.min_len <= len(value) <= m.max_len:
                    raise SchemaViolation(
                        f"{path} must be {m.min_len} to {m.max_len} characters, got {len(value)}"
                    )
                if pattern is not None and not pattern.fullmatch(value):
                    raise SchemaViolation(f"{path} is not in the required form")
            return value

        return check_str
    if tp is bytes:
        sizes = [m.size for m in meta if isinstance(m, Bin)]

        def check_bytes(path: str, value: Any) -> Any:
            if not isinstance(value, bytes):
                raise SchemaViolation(f"{path} must be bytes")
            for size in sizes:
                if len(value) != size:
                    raise SchemaViolation(f"{path} must be {size} bytes, got {len(value)}")
            return value

        return check_bytes
    if origin is tuple:
        item = _compile(get_args(tp)[0])
        counts = [m for m in meta if isinstance(m, Items)]

        def check_list(path: str, value: Any) -> Any:
            if not isinstance(value, list | tuple):
                raise SchemaViolation(f"{path} must be a list")
            for m in counts:
                if not m.min_items <= len(value) <= m.max_items:
                    raise SchemaViolation(
                        f"{path} must have {m.min_items} to {m.max_items} items, got {len(value)}"
                    )
            return tuple(item(f"{path}[{i}]", v) for i, v in enumerate(value))

        return check_list
    raise TypeError(f"schema type {tp!r} is not supported")  # our bug


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    required: bool
    check: Checker


def _plan(cls: type) -> tuple[tuple[_Field, ...], frozenset[str]]:
    # The class's own cache, not one inherited (EventUpdate extends EventDetails).
    plan = cls.__dict__.get("__schema_plan__")
    if plan is None:
        hints = _hints(cls)
        fields = []
        for f in dataclasses.fields(cls):
            optional, tp = _is_optional(hints[f.name])
            required = not optional and f.default is dataclasses.MISSING
            fields.append(_Field(f.name, required, _compile(tp)))
        plan = (tuple(fields), frozenset(f.name for f in fields))
        cls.__schema_plan__ = plan  # type: ignore[attr-defined]
    return plan


def _hints(cls: type) -> dict[str, Any]:
    # The class's own cache, not one inherited (EventUpdate extends EventDetails).
    hints = cls.__dict__.get("__schema_hints__")
    if hints is None:
        hints = typing.get_type_hints(cls, include_extras=True)
        cls.__schema_hints__ = hints  # type: ignore[attr-defined]
    return hints


def parse(cls: type[T], body: Any, where: str = "body") -> T:
    """Build `cls` from a decoded map, raising SchemaViolation with the field's path."""
    if not isinstance(body, dict):
        raise SchemaViolation(f"{where} must be a map")
    fields, names = _plan(cls)
    if not names.issuperset(body):
        unknown = sorted(set(body) - names)
        raise SchemaViolation(f"{where} has unknown fields: {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for field in fields:
        value = body.get(field.name)
        if value is None:
            if field.name in body:
                raise SchemaViolation(f"{where}.{field.name} must be left out rather than nil")
            if field.required:
                raise SchemaViolation(f"{where}.{field.name} is required")
            continue
        values[field.name] = field.check(f"{where}.{field.name}", value)
    obj = cls(**values)
    for check in getattr(cls, "__checks__", ()):
        problem = check(obj)
        if problem:
            raise SchemaViolation(f"{where}: {problem}")
    return obj


def dump(obj: Any) -> dict[str, Any]:
    """The map to encode for a body: None and empty lists are left out."""
    out: dict[str, Any] = {}
    for field in dataclasses.fields(obj):
        value = getattr(obj, field.name)
        if value is None or value == ():
            continue
        out[field.name] = list(value) if isinstance(value, tuple) else value
    return out


def describe(cls: type) -> list[tuple[str, str, bool]]:
    """(field, type description, required) rows, for docs and their test."""
    rows = []
    hints = _hints(cls)
    for field in dataclasses.fields(cls):
        optional, tp = _is_optional(hints[field.name])
        required = not optional and field.default is dataclasses.MISSING
        rows.append((field.name, _describe_type(tp), required))
    return rows


def _describe_type(tp: Any) -> str:
    meta: tuple[Any, ...] = ()
    if get_origin(tp) is Annotated:
        tp, *rest = get_args(tp)
        meta = tuple(rest)
    if get_origin(tp) is Literal:
        return "one of " + ", ".join(f'"{a}"' for a in get_args(tp))
    if get_origin(tp) is tuple:
        inner = _describe_type(get_args(tp)[0])
        n = next((m.max_items for m in meta if isinstance(m, Items)), None)
        return f"list (≤ {n}) of {inner}"
    for m in meta:
        if isinstance(m, Text):
            return f"text ({m.min_len}–{m.max_len} chars)"
        if isinstance(m, Bin):
            return f"bin ({m.size} bytes)"
        if isinstance(m, Range):
            return f"int ({m.lo}–{m.hi})"
    return {bool: "bool", int: "int", str: "text", bytes: "bin"}.get(tp, str(tp))


def check_body(obj: Any) -> None:
    """Raise SchemaViolation if a body built in code breaks its kind's rules."""
    parse(type(obj), dump(obj), where=type(obj).__name__)
