"""Canonical msgpack (PROTOCOL.md §2).

A value has exactly one encoding: map keys are text, sorted by their UTF-8 bytes;
integers take the smallest form; text and bytes stay apart (str vs bin); no
floats, no extension types. `encode` produces it; `decode` refuses anything else
rather than re-encoding it, so what was signed is what is checked and stored.
"""

from __future__ import annotations

from typing import Any

import msgpack

from protocol.errors import LocalProtocolError, MalformedPayload
from protocol.limits import DEFAULT_LIMITS, Limits

Value = None | bool | int | str | bytes | list["Value"] | dict[str, "Value"]

_INT_MIN = -(2**63)
_INT_MAX = 2**64 - 1


def _normalise(value: Any, depth: int) -> Any:
    """Copy `value` with sorted maps, checking every type; never mutates the input."""
    if depth > DEFAULT_LIMITS.max_depth:
        raise LocalProtocolError("value nests too deeply")
    if value is None or isinstance(value, bool | str | bytes):
        return value
    if isinstance(value, int):
        if not _INT_MIN <= value <= _INT_MAX:
            raise LocalProtocolError(f"integer {value} does not fit in 64 bits")
        return value
    if isinstance(value, list | tuple):
        return [_normalise(v, depth + 1) for v in value]
    if isinstance(value, dict):
        for k in value:
            if not isinstance(k, str):
                raise LocalProtocolError(f"map key {k!r} is not text")
        return {k: _normalise(value[k], depth + 1) for k in sorted(value)}
    raise LocalProtocolError(f"type {type(value).__name__} cannot be encoded")


def encode(value: Any) -> bytes:
    """The canonical encoding of `value` (lists may be given as tuples)."""
    packed: bytes = msgpack.packb(_normalise(value, 0), use_bin_type=True)
    return packed


def _pairs_to_dict(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[Any] = set()
        for key, _ in pairs:
            if key in seen:
                raise MalformedPayload(f"map repeats the key {key!r}")
            seen.add(key)
    return result


def _refuse_ext(code: int, data: bytes) -> Any:
    raise MalformedPayload(f"extension type {code} is not allowed")


_SCALARS = (type(None), bool, int, str, bytes)


def _check(value: Any, limits: Limits) -> None:
    """Allowed types only, maps sorted by text keys, nesting within the cap.

    Iterative, and dispatching on exact types, because it runs for every payload
    received. Lengths were already enforced by the unpacker's limits.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limits.max_depth:  # PROTOCOL.md §2.6: containers and scalars alike
            raise MalformedPayload(f"nesting deeper than {limits.max_depth} levels")
        kind = type(item)
        if kind in _SCALARS:
            continue
        if kind is list:
            stack.extend((child, depth + 1) for child in item)
        elif kind is dict:
            keys = list(item)
            for key in keys:
                if type(key) is not str:
                    raise MalformedPayload(f"map key {key!r} is not text")
            if keys != sorted(keys):
                raise MalformedPayload("map keys are not in canonical (sorted) order")
            stack.extend((child, depth + 1) for child in item.values())
        elif kind is float:
            raise MalformedPayload("floating-point numbers are not allowed")
        else:
            raise MalformedPayload(f"type {kind.__name__} is not allowed")


def _unpack(data: bytes, limits: Limits, strict_pairs: bool) -> Any:
    try:
        return msgpack.unpackb(
            data,
            raw=False,
            strict_map_key=True,
            use_list=True,
            object_pairs_hook=_pairs_to_dict if strict_pairs else None,
            ext_hook=_refuse_ext,
            timestamp=0,
            max_str_len=limits.max_str_bytes,
            max_bin_len=limits.max_bin_bytes,
            max_array_len=limits.max_array_items,
            max_map_len=limits.max_map_items,
            max_ext_len=0,
        )
    except MalformedPayload:
        raise
    except msgpack.ExtraData as exc:
        raise MalformedPayload("trailing bytes after the payload") from exc
    except UnicodeDecodeError as exc:
        raise MalformedPayload("text is not valid UTF-8") from exc
    except (ValueError, TypeError, msgpack.UnpackException) as exc:
        # msgpack raises ValueError for truncated data, limits and stack depth.
        if "max_ext_len" in str(exc):
            raise MalformedPayload("extension types are not allowed") from exc
        raise MalformedPayload(f"not valid msgpack: {str(exc) or type(exc).__name__}") from exc


def decode(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Decode canonical msgpack, refusing non-canonical, oversized or trailing bytes."""
    if len(data) > limits.max_payload_bytes:
        raise MalformedPayload(f"payload is {len(data)} bytes, over {limits.max_payload_bytes}")
    if not data:
        raise MalformedPayload("payload is empty")
    value = _unpack(data, limits, strict_pairs=False)
    _check(value, limits)
    # _check proved every type allowed and every map sorted, so msgpack's own
    # packing of `value` is the canonical encoding; compare without re-normalising.
    if msgpack.packb(value, use_bin_type=True) != data:
        # The fast path let a repeated key collapse; decode again to name it.
        _unpack(data, limits, strict_pairs=True)
        raise MalformedPayload("payload is not in canonical form (non-minimal encoding)")
    return value
