"""Bodies of the federation HTTP API (PROTOCOL.md §9), as pure encode/decode functions.

Every body is canonical msgpack, like a payload, so one decoder with one set of
checks serves both. Messages travel inside these bodies as envelope bytes (bin),
exactly as signed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import msgpack

from crypto.errors import BadNodeId
from crypto.nodeid import NodeId, parse_node_id
from protocol.codec import decode, encode
from protocol.envelope import MessageId
from protocol.errors import MalformedPayload
from protocol.limits import DEFAULT_LIMITS, Limits

MAX_PUSH_MESSAGES = 1000
MAX_LOG_PAGE = 500
# A page of heads is at most about 2,000 × 110 bytes (220 KB), far below the body
# limit however many origins a node holds: /heads is paged (PROTOCOL.md §9.3).
MAX_HEADS_PAGE = 2000
MAX_BODY_BYTES = 8 * 1024 * 1024

BODY_LIMITS = Limits(
    max_payload_bytes=MAX_BODY_BYTES,
    max_bin_bytes=DEFAULT_LIMITS.max_envelope_bytes,
    max_array_items=max(MAX_PUSH_MESSAGES, MAX_HEADS_PAGE),
    max_depth=4,
)


def _map(data: bytes, what: str) -> dict[str, Any]:
    value = decode(data, BODY_LIMITS)
    if not isinstance(value, dict):
        raise MalformedPayload(f"{what} body must be a map")
    return value


def _envelopes(value: Any, what: str, most: int) -> list[bytes]:
    if not isinstance(value, list) or not all(isinstance(w, bytes) for w in value):
        raise MalformedPayload(f"{what}: messages must be a list of bin")
    if len(value) > most:
        raise MalformedPayload(f"{what}: at most {most} messages at once, got {len(value)}")
    return value


def node_id_value(
    value: Any, what: str, refused: type[MalformedPayload] = MalformedPayload
) -> NodeId:
    """`value` as a node id, or `refused` naming `what` (bundles refuse with their own
    error class, which names the bundle)."""
    if not isinstance(value, str):
        raise refused(f"{what} must be a node id")
    try:
        return parse_node_id(value)
    except BadNodeId as exc:
        raise refused(f"{what}: {exc}") from exc


# -- POST /federation/v1/messages ----------------------------------------------------


def encode_push(envelopes: list[bytes]) -> bytes:
    return encode({"messages": envelopes})


def decode_push(data: bytes) -> list[bytes]:
    body = _map(data, "push")
    if set(body) != {"messages"}:
        raise MalformedPayload("push body must have exactly the field messages")
    return _envelopes(body["messages"], "push", MAX_PUSH_MESSAGES)


@dataclass(frozen=True, slots=True)
class PushResult:
    status: str  # stored, duplicate, held, fork or refused
    reason: str | None = None


def encode_push_results(results: list[PushResult]) -> bytes:
    # Built already canonical (keys in order, text as str) and packed as it is: the same
    # bytes `encode` gives, without walking a 500-map answer to copy and check it.
    packed: bytes = msgpack.packb(
        {
            "results": [
                {"reason": r.reason, "status": r.status} if r.reason else {"status": r.status}
                for r in results
            ]
        },
        use_bin_type=True,
    )
    return packed


def decode_push_results(data: bytes) -> list[PushResult]:
    body = _map(data, "push response")
    results = body.get("results")
    if not isinstance(results, list):
        raise MalformedPayload("push response must have a results list")
    out = []
    for item in results:
        if not isinstance(item, dict) or not isinstance(item.get("status"), str):
            raise MalformedPayload("each push result must be a map with a status")
        reason = item.get("reason")
        out.append(PushResult(item["status"], reason if isinstance(reason, str) else None))
    return out


# -- GET /federation/v1/heads?after=ORIGIN&limit=N ------------------------------------


@dataclass(frozen=True, slots=True)
class HeadsPage:
    """One page of a node's heads: origins in ascending order, each after the last."""

    heads: dict[NodeId, tuple[int, MessageId]]  # in ascending order of origin
    more: bool  # further origins follow the last one here

    @property
    def last(self) -> NodeId | None:
        """The origin to ask for the next page after; None for an empty page."""
        return next(reversed(self.heads)) if self.heads else None


def encode_heads_page(heads: list[tuple[NodeId, int, MessageId]], more: bool) -> bytes:
    """`heads` sorted by origin, as the sender found them; at most MAX_HEADS_PAGE."""
    rows = sorted(heads)
    if len(rows) > MAX_HEADS_PAGE:
        raise ValueError(f"a heads page holds at most {MAX_HEADS_PAGE} origins")
    return encode({"heads": [[o, seq, bytes(i)] for o, seq, i in rows], "more": more})


def decode_heads_page(data: bytes, after: str | None = None) -> HeadsPage:
    """A page of heads asked for after origin `after` (None: from the first).

    The origins must be ascending and after `after`, so a client walking the pages
    always moves on: a peer cannot keep it on one page, or send one origin twice.
    """
    body = _map(data, "heads")
    rows, more = body.get("heads"), body.get("more")
    if set(body) != {"heads", "more"} or not isinstance(rows, list) or not isinstance(more, bool):
        raise MalformedPayload("heads body must have exactly a heads list and more")
    if len(rows) > MAX_HEADS_PAGE:
        raise MalformedPayload(f"a heads page holds at most {MAX_HEADS_PAGE} origins")
    heads: dict[NodeId, tuple[int, MessageId]] = {}
    previous = after
    for row in rows:
        if (
            not isinstance(row, list)
            or len(row) != 3
            or not isinstance(row[1], int)
            or isinstance(row[1], bool)
            or row[1] < 1
            or not isinstance(row[2], bytes)
            or len(row[2]) != 32
        ):
            raise MalformedPayload("each head must be [origin, seq >= 1, 32-byte id]")
        origin = node_id_value(row[0], "head origin")
        if previous is not None and origin <= previous:
            raise MalformedPayload("heads must be in ascending order of origin, after `after`")
        heads[origin] = (row[1], MessageId(row[2]))
        previous = origin
    return HeadsPage(heads, more)


# -- GET /federation/v1/log/{origin}?after=N&limit=M ----------------------------------


def encode_log_page(envelopes: list[bytes], more: bool) -> bytes:
    return encode({"messages": envelopes, "more": more})


def decode_log_page(data: bytes) -> tuple[list[bytes], bool]:
    body = _map(data, "log page")
    more = body.get("more")
    if not isinstance(more, bool):
        raise MalformedPayload("log page must say whether there is more")
    return _envelopes(body.get("messages"), "log page", MAX_LOG_PAGE), more


# -- POST /federation/v1/peering ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class HubCard:
    """Who a node is, as exchanged when two hubs peer."""

    node_id: NodeId
    url: str
    name: str


def encode_peering(token: str, url: str, name: str) -> bytes:
    return encode({"token": token, "url": url, "name": name})


def decode_peering(data: bytes) -> tuple[str, str, str]:
    body = _map(data, "peering")
    token, url, name = body.get("token"), body.get("url"), body.get("name")
    if set(body) != {"token", "url", "name"} or not all(
        isinstance(v, str) and 0 < len(v) <= 500 for v in (token, url, name)
    ):
        raise MalformedPayload("peering body must have text fields token, url and name")
    assert isinstance(token, str) and isinstance(url, str) and isinstance(name, str)
    problem = node_url_problem(url)
    if problem is not None:
        raise MalformedPayload(f"peering url {problem}")
    return token, url, name


def node_url_problem(url: str) -> str | None:
    """Why `url` cannot be a node's address, or None if it can (PROTOCOL.md §9).

    An http(s) URL with a host and nothing after the path: a query or fragment
    would be glued to every federation path, so the node would ask for other
    addresses than the ones it signs (and a fragment is never sent at all).
    """
    if any(c.isspace() for c in url):
        return "must not contain spaces"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        return f"is not a valid address ({exc})"
    if parts.scheme not in ("http", "https"):
        return "must be an http:// or https:// address"
    if not parts.hostname:
        return "must name a host"
    if parts.query or "?" in url:
        return "must not have a query (the part from '?')"
    if parts.fragment or "#" in url:
        return "must not have a fragment (the part from '#')"
    return None


def encode_card(card: HubCard) -> bytes:
    return encode({"node_id": card.node_id, "url": card.url, "name": card.name})


def decode_card(data: bytes) -> HubCard:
    body = _map(data, "hub card")
    url, name = body.get("url"), body.get("name")
    if not isinstance(url, str) or not isinstance(name, str):
        raise MalformedPayload("hub card must have text fields node_id, url and name")
    return HubCard(node_id_value(body.get("node_id"), "hub card node_id"), url, name)


# -- errors ----------------------------------------------------------------------


def encode_error(reason: str) -> bytes:
    """An error body: one text, prefixed by a machine-readable reason ("invalid: …")."""
    return encode({"error": reason})


def decode_error(data: bytes) -> str:
    try:
        body = decode(data, BODY_LIMITS)
    except MalformedPayload:
        return "invalid: unreadable error body"
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, str) else "invalid: unreadable error body"


# -- GET /federation/v1/forks/{origin} ---------------------------------------------

# Pairs of messages one answer carries: one pair proves a fork; a few show its extent.
MAX_FORK_PAIRS = 16


def encode_fork_pairs(pairs: list[tuple[bytes, bytes]]) -> bytes:
    return encode({"forks": [[a, b] for a, b in pairs]})


def decode_fork_pairs(data: bytes) -> list[tuple[bytes, bytes]]:
    body = _map(data, "forks")
    raw = body.get("forks")
    if not isinstance(raw, list) or len(raw) > MAX_FORK_PAIRS:
        raise MalformedPayload(f"forks must be a list of at most {MAX_FORK_PAIRS} pairs")
    pairs: list[tuple[bytes, bytes]] = []
    for item in raw:
        if not isinstance(item, list) or len(item) != 2:
            raise MalformedPayload("each fork is a pair of envelopes")
        first, second = _envelopes(item, "fork", 2)
        pairs.append((first, second))
    return pairs
