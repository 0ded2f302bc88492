"""The federation HTTP API under /federation/v1/ (PROTOCOL.md §9).

Thin handlers: check the request's signature (middleware), decode the body with
protocol.federation, call the message store or the peer books, encode the answer.
Every error leaves as a msgpack body {"error": "<reason>: <sentence>"} with a 4xx
or 5xx status; nothing a peer sends can make a handler answer 500 with a trace.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import sqlite3
from collections.abc import Awaitable, Callable

from aiohttp import web

from crypto.errors import BadNodeId, RequestSignatureError
from crypto.httpsig import check_content_digest, verify_request_headers
from crypto.nodeid import NodeId, parse_node_id, public_key_from_node_id
from node.appkeys import FEDERATION, NODE
from node.digits import is_digits
from node.federation.guards import SIGNATURE_MAX_AGE
from protocol import federation as wire
from protocol.errors import ProtocolError

log = logging.getLogger(__name__)

PREFIX = "/federation/v1"
MSGPACK = "application/msgpack"
NON_PEERS = "*"  # the rate-limit bucket all non-peers share
NOT_PEER = (
    "this hub exchanges messages only with its peers; to peer with it, ask one of its "
    "organisers for an invite (PROTOCOL.md §12)"
)
_KEYID = re.compile(r'keyid="([a-z2-7]{56})"')
_SENDER = web.RequestKey("sender", NodeId)
_IS_PEER = web.RequestKey("is_peer", bool)


class ApiError(Exception):
    """An error with its HTTP status and machine-readable reason prefix."""

    def __init__(
        self, status: int, reason: str, message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{reason}: {message}")
        self.status = status
        self.text = f"{reason}: {message}"
        self.retry_after = retry_after


def _error(status: int, text: str, retry_after: float | None = None) -> web.Response:
    # RFC 9110 §10.2.3: whole seconds; round up so the sender is not early.
    headers = {"Retry-After": str(max(1, math.ceil(retry_after)))} if retry_after else None
    return web.Response(
        status=status, body=wire.encode_error(text), content_type=MSGPACK, headers=headers
    )


def _ok(body: bytes) -> web.Response:
    return web.Response(body=body, content_type=MSGPACK)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        response = _error(exc.status, exc.text, exc.retry_after)
        if not request.content.at_eof():
            # Refused before its body was read (or while it was arriving): close the
            # connection rather than read and drop what the sender still has to send.
            response.force_close()
        return response
    except ProtocolError as exc:
        return _error(400, str(exc))
    except web.HTTPRequestEntityTooLarge:
        return _error(413, f"invalid: body over {wire.MAX_BODY_BYTES} bytes")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _error(exc.status, f"invalid: {exc.reason}")
    except sqlite3.OperationalError as exc:
        # Disk full, read-only or locked: not acknowledged, so the sender retries.
        log.error("database unavailable while serving %s: %s", request.path, exc)
        return _error(503, "unavailable: the database cannot be written; retry later")


# A body must arrive whole within this many seconds of its headers, else the
# connection is closed: a sender that never finishes holds nothing for long.
BODY_TIMEOUT = 10.0
# The largest peering body (§9.6: three texts of at most 500 characters each).
MAX_PEERING_BYTES = 16 * 1024
_BODY = web.RequestKey("body", bytes)


@web.middleware
async def signature_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every federation request must be signed by a node (RFC 9421) and not replayed.

    Everything that can be checked without the body is checked before a byte of
    it is read: the signature over the headers (it covers Content-Digest), that
    the sender is not blocked and is a peer or asks to peer, and the declared
    length. Only then is the body read, within BODY_TIMEOUT, and checked against
    the signed digest. So an unsigned, forged or stranger's request never makes
    the node hold its body, however large it says it is.
    """
    federation = request.config_dict[FEDERATION]
    node = request.config_dict[NODE]
    # PROTOCOL.md §10: verify under the sender's key in force, which differs from
    # the key inside its node id only after a key.rotate. The keyid is read ahead
    # only to look that key up; verification itself uses the signed keyid.
    hint = _KEYID.search(request.headers.get("Signature-Input", ""))
    rotated = await node.messages.key_in_force(hint.group(1)) if hint else None

    def resolve_key(key_id: str) -> bytes:
        if rotated is not None and hint is not None and key_id == hint.group(1):
            return rotated
        return public_key_from_node_id(key_id)

    try:
        signed = verify_request_headers(
            request.method,
            request.raw_path,  # percent-encoding is signed as sent
            request.headers,
            now=node.clock() // 1000,
            max_age=SIGNATURE_MAX_AGE,
            resolve_key=resolve_key,
        )
    except RequestSignatureError as exc:
        raise ApiError(401, "invalid", f"request signature refused: {exc.reason}") from exc
    sender = signed.key_id
    peer = await federation.peers.get(sender)
    if peer is not None and peer.blocked:
        raise ApiError(403, "blocked", "this hub has blocked your node")
    blocked = await federation.peers.blocked_origins()
    if sender in blocked:
        raise ApiError(403, "blocked", "this hub has blocked your node")
    # DESIGN.md "Who is in the network": strangers may ask to peer and nothing more.
    # Refused before the replay cache, so a flood of strangers cannot crowd it.
    if peer is None and request.match_info.handler is not peering:
        raise ApiError(403, "not-peer", NOT_PEER)
    limit = MAX_PEERING_BYTES if request.match_info.handler is peering else wire.MAX_BODY_BYTES
    declared = request.content_length
    if declared is not None and declared > limit:
        raise ApiError(413, "invalid", f"body over {limit} bytes")
    try:
        async with asyncio.timeout(BODY_TIMEOUT):
            body = await _read_at_most(request, limit)
    except TimeoutError:
        raise ApiError(
            408, "invalid", f"the body did not arrive within {BODY_TIMEOUT:.0f} s"
        ) from None
    try:
        check_content_digest(request.headers, body)
    except RequestSignatureError as exc:
        raise ApiError(401, "invalid", f"request signature refused: {exc.reason}") from exc
    if not federation.replay.first_use(sender, signed.nonce):
        raise ApiError(401, "duplicate", "this request signature was already used")
    request[_SENDER] = sender
    request[_IS_PEER] = peer is not None
    request[_BODY] = body
    return await handler(request)


async def _read_at_most(request: web.Request, limit: int) -> bytes:
    """The whole body, refused (413) as soon as it passes `limit` bytes.

    A body without Content-Length (chunked) is counted as it arrives.
    """
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "invalid", f"body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def push(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    federation = request.config_dict[FEDERATION]
    body = request[_BODY]
    envelopes = wire.decode_push(body)
    sender = request[_SENDER]
    # Counted in messages and bytes, not requests: one push may carry 1,000 of them.
    wait = federation.budget.take(sender, len(envelopes), len(body))
    if wait:
        raise ApiError(
            429,
            "rate-limited",
            f"this push would take your node over its budget here; nothing of it was "
            f"stored, send it again in {math.ceil(wait)} s",
            retry_after=wait,
        )
    report = await node.messages.ingest(envelopes, source=sender)
    await federation.peers.contact(sender)
    return _ok(
        wire.encode_push_results(
            [wire.PushResult(o.status.value, o.reason) for o in report.outcomes]
        )
    )


async def heads(request: web.Request) -> web.Response:
    """PROTOCOL.md §9.3: one page of heads, origins in order after `after`."""
    federation = request.config_dict[FEDERATION]
    after = request.query.get("after", "")
    if after:
        try:
            after = parse_node_id(after)
        except BadNodeId as exc:
            raise ApiError(400, "invalid", f"after: {exc}") from exc
    limit = _int_query(request, "limit", wire.MAX_HEADS_PAGE, 1, wire.MAX_HEADS_PAGE)
    page, more = await federation.heads.offered_page(after, limit)
    return _ok(wire.encode_heads_page([(o, h.seq, h.id) for o, h in page], more))


def _int_query(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not is_digits(raw) or not lo <= int(raw) <= hi:
        raise ApiError(400, "invalid", f"{name} must be a whole number from {lo} to {hi}")
    return int(raw)


async def origin_log(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    federation = request.config_dict[FEDERATION]
    try:
        origin = parse_node_id(request.match_info["origin"])
    except BadNodeId as exc:
        raise ApiError(400, "invalid", f"origin: {exc}") from exc
    after = _int_query(request, "after", 0, 0, 2**53)
    limit = _int_query(request, "limit", wire.MAX_LOG_PAGE, 1, wire.MAX_LOG_PAGE)
    if origin in await federation.peers.blocked_origins():
        raise ApiError(403, "blocked", "this hub does not pass on that origin's messages")
    if origin in await node.messages.forked_origins():
        raise ApiError(409, "forked", "that origin signed two histories; this hub keeps it apart")
    envelopes = await node.messages.log_wires(origin, after_seq=after, limit=limit + 1)
    return _ok(wire.encode_log_page(envelopes[:limit], more=len(envelopes) > limit))


async def fork_evidence(request: web.Request) -> web.Response:
    """The messages behind this hub's `fork.proof` about an origin (PROTOCOL.md §9.7).

    Served even though the origin is forked (that is the point): the receiver of a
    proof checks these itself before it stops relaying the origin.
    """
    node = request.config_dict[NODE]
    try:
        origin = parse_node_id(request.match_info["origin"])
    except BadNodeId as exc:
        raise ApiError(400, "invalid", f"origin: {exc}") from exc
    pairs = await node.messages.fork_pairs(origin, wire.MAX_FORK_PAIRS)
    if not pairs:
        raise ApiError(404, "not-found", "this hub holds no fork of that origin")
    return _ok(wire.encode_fork_pairs(pairs))


async def resource(request: web.Request) -> web.StreamResponse:
    """A content-addressed file; the receiver checks it against the hash it asked for."""
    node = request.config_dict[NODE]
    text = request.match_info["hash"]
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise ApiError(400, "invalid", "a resource is named by its SHA-256 in lower-case hex")
    digest = bytes.fromhex(text)
    if not node.resources.has(digest):
        raise ApiError(404, "not-found", "this hub does not hold that file")
    return web.FileResponse(
        node.resources.path(digest),
        headers={
            "Content-Type": "application/octet-stream",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "attachment",
        },
    )


async def peering(request: web.Request) -> web.Response:
    """The second half of an invite: the invited node introduces itself."""
    node = request.config_dict[NODE]
    federation = request.config_dict[FEDERATION]
    token, url, name = wire.decode_peering(request[_BODY])
    sender = request[_SENDER]
    if sender == node.node_id:
        raise ApiError(400, "invalid", "a node cannot peer with itself")
    # A valid invite is never refused for rate: newcomers have a budget no flood can
    # spend. Only wrong tokens from non-peers count, per sender and all together
    # (node ids cost nothing to make). The check is a read, so a flood of wrong
    # tokens never queues on the writer.
    if not await federation.peers.invite_usable(token, sender):
        if not request[_IS_PEER] and not (
            federation.limiter.allow(sender) and federation.shared_limiter.allow(NON_PEERS)
        ):
            raise ApiError(
                429,
                "rate-limited",
                "too many peering requests from nodes that are not peers; retry later",
                retry_after=federation.limiter.seconds_per_request,
            )
        raise ApiError(403, "invalid", "the invite is unknown, used or expired; ask for a new one")
    if not await federation.peers.use_invite(token, sender):
        raise ApiError(403, "invalid", "the invite is unknown, used or expired; ask for a new one")
    await federation.peers.add(sender, url, name)
    await federation.peers.contact(sender)
    federation.peers_changed()
    log.info("peered with %s (%s) at %s", name, sender, url)
    card = wire.HubCard(node.node_id, node.config.url, node.config.name)
    return _ok(wire.encode_card(card))


def create_federation_app() -> web.Application:
    """The /federation/v1 sub-application; the node and federation come from the parent."""
    app = web.Application(
        middlewares=[errors_middleware, signature_middleware],
        client_max_size=wire.MAX_BODY_BYTES,
    )
    app.router.add_post("/messages", push)
    app.router.add_get("/heads", heads)
    app.router.add_get("/log/{origin}", origin_log)
    app.router.add_get("/forks/{origin}", fork_evidence)
    app.router.add_post("/peering", peering)
    app.router.add_get("/resources/{hash}", resource)
    return app
