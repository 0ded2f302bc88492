"""A foreign, possibly hostile, client of a node's federation API, for fault tests.

It speaks to a real node over plain HTTP (http.client, so nothing is added to or
normalised in the request), signs with its own Ed25519 key through
crypto.httpsig.sign_request, and can break any part of a request on purpose:
the signature, the digest, the time, the nonce, the body. The builders at the
bottom make messages a well-behaved node would never send.
"""

from __future__ import annotations

import contextlib
import http.client
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from crypto.ed25519 import SigningKey
from crypto.httpsig import sign_request
from crypto.nodeid import NodeId, node_id_from_public_key
from node.federation.invites import parse_invite
from protocol import federation as wire
from protocol.envelope import Message, MessageId, create_message
from protocol.kinds.hub import Announcement
from tests.helpers import T0
from tests.integration.network import founded

PREFIX = "/federation/v1"
MESSAGES = f"{PREFIX}/messages"
HEADS = f"{PREFIX}/heads"


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: its status and raw body, with the federation API's decodings."""

    status: int
    body: bytes

    @property
    def error(self) -> str:
        """The error body's text, "<reason>: <sentence>" (or the decoder's own complaint)."""
        return wire.decode_error(self.body)

    @property
    def results(self) -> list[wire.PushResult]:
        assert self.status == 200, f"HTTP {self.status}: {self.error}"
        return wire.decode_push_results(self.body)

    @property
    def heads(self) -> wire.HeadsPage:
        assert self.status == 200, f"HTTP {self.status}: {self.error}"
        return wire.decode_heads_page(self.body)

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.error if self.status != 200 else '(ok)'}"


class Client:
    """Requests to one node, signed (or not) by `key`."""

    def __init__(self, base_url: str, key: SigningKey, timeout: float = 30) -> None:
        parts = urlsplit(base_url)
        assert parts.hostname in ("127.0.0.1", "localhost", "::1"), "loopback only"
        self.host = parts.hostname
        self.port = parts.port or 80
        self.key = key
        self.node_id = node_id_from_public_key(key.public_key)
        self.timeout = timeout

    # -- building requests -------------------------------------------------------

    def sign(
        self,
        method: str,
        target: str,
        body: bytes = b"",
        *,
        created: int | None = None,
        nonce: str | None = None,
    ) -> dict[str, str]:
        """The three signature headers for a request, as an honest node would make them."""
        when = int(time.time()) if created is None else created
        return sign_request(self.key, self.node_id, method, target, body, when, nonce)

    # -- sending -------------------------------------------------------------------

    def send(
        self, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Reply:
        """Send exactly this request; return the answer, whatever its status."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            all_headers = {"Content-Type": "application/msgpack", **(headers or {})}
            # The server may answer (413) and close before a huge body is sent;
            # its answer is still waiting to be read.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                conn.request(method, target, body=body or None, headers=all_headers)
            response = conn.getresponse()
            return Reply(response.status, response.read())
        finally:
            conn.close()

    def signed(self, method: str, target: str, body: bytes = b"", **sign_args: object) -> Reply:
        """Sign the request (see `sign` for the arguments) and send it."""
        headers = self.sign(method, target, body, **sign_args)  # type: ignore[arg-type]
        return self.send(method, target, body, headers)

    def push(self, envelopes: list[bytes]) -> Reply:
        return self.signed("POST", MESSAGES, wire.encode_push(envelopes))

    def get_heads(self) -> dict[str, tuple[int, MessageId]]:
        """The node's heads, origin -> (seq, id), keyed by plain text, every page of them."""
        heads: dict[str, tuple[int, MessageId]] = {}
        target = HEADS
        while True:
            page = self.signed("GET", target).heads
            heads.update((str(origin), head) for origin, head in page.heads.items())
            if not page.more or page.last is None:
                return heads
            target = f"{HEADS}?after={page.last}"

    def join(self, invite: str, our_url: str = "http://127.0.0.1:9") -> None:
        """Peer with the node through an invite line its organiser made (PROTOCOL.md §12).

        Only peers may push or read (strangers may only ask to peer). The default
        address is a closed port: the node's own calls to us fail at once and back off.
        """
        token = parse_invite(invite).token
        reply = self.signed(
            "POST", f"{PREFIX}/peering", wire.encode_peering(token, our_url, "Test")
        )
        assert reply.status == 200, str(reply)

    def log(self, origin: str, after: int = 0) -> list[bytes]:
        """Every envelope the node serves from `origin`'s log after seq `after`."""
        envelopes: list[bytes] = []
        while True:
            reply = self.signed("GET", f"{PREFIX}/log/{origin}?after={after}")
            assert reply.status == 200, str(reply)
            page, more = wire.decode_log_page(reply.body)
            envelopes += page
            after += len(page)
            if not more or not page:
                return envelopes


# -- keys the test plays as member hubs ----------------------------------------------------


def node_ids(keys: Sequence[SigningKey]) -> list[str]:
    return [node_id_from_public_key(key.public_key) for key in keys]


class Running(Protocol):
    """A running hub (`tests.integration.network.Hub`, or one served in the test process)."""

    name: str
    url: str

    @property
    def node_id(self) -> str: ...

    def cli(self, *words: str) -> str: ...


def invite(hub: Running) -> str:
    """A fresh invite line from `hub`'s organiser (`hubnet peer invite`)."""
    return hub.cli("peer", "invite", "--no-qr").splitlines()[0]


def admit(
    hubs: Sequence[Running],
    keys: Sequence[SigningKey],
    founders: Sequence[str] | None = None,
    timeout: float = 30,
) -> list[Message]:
    """Make keys the test plays peers and members at every hub: each key peers with
    each hub by invite (only peers may push, PROTOCOL.md §9), each hub holds each
    key's signed founding statement, and takes the key's other messages (§14.5).

    The hubs founded their network naming these keys (`start_hubs(founders=...)` or
    `found_network(others=...)`); `founders` are all its founders, by default the
    hubs and the keys. Returns each key's `network.found`: its messages then start
    at seq 2, with that message's id as prev. Call it before a key writes anything.
    """
    if founders is None:
        founders = [hub.node_id for hub in hubs] + node_ids(keys)
    made = [founded(key, founders) for key in keys]
    for hub in hubs:
        for key, message in zip(keys, made, strict=True):
            client = Client(hub.url, key)
            client.join(invite(hub))
            reply = client.push([message.wire])
            assert {r.status for r in reply.results} <= {"stored", "duplicate"}, str(reply)
            # The node recomputes its roster just after storing the statement. A
            # message at seq 2 with a made-up prev is refused as not-member until then,
            # and for its broken chain after: nothing is stored either way.
            probe = announcement(key, 2, MessageId(bytes(32)), "probe")
            deadline = time.monotonic() + timeout
            while True:
                [result] = client.push([probe.wire]).results
                assert result.reason is not None, "the probe was stored"
                if not result.reason.startswith("not-member: "):
                    break
                assert time.monotonic() < deadline, f"{hub.name} never admitted {key}"
                time.sleep(0.25)
    return made


# -- messages a well-behaved node never sends -------------------------------------------


def announcement(
    key: SigningKey,
    seq: int = 1,
    prev: MessageId | None = None,
    text: str = "hostile",
    origin: NodeId | None = None,
) -> Message:
    """An announcement signed by `key`, claiming `origin` (by default the key's own id)."""
    return create_message(key, "announcement", Announcement(text=text), seq, prev, T0, origin)


def forged(message: Message) -> bytes:
    """The message's envelope with one bit of its signature flipped."""
    signature = bytearray(message.signature)
    signature[0] ^= 0x01
    return envelope(message.payload, bytes(signature))


def envelope(payload: bytes, signature: bytes) -> bytes:
    """An envelope [payload bin, signature bin] built by hand, whatever the sizes."""
    size = len(payload)
    if size <= 0xFF:
        header = b"\xc4" + size.to_bytes(1, "big")
    elif size <= 0xFFFF:
        header = b"\xc5" + size.to_bytes(2, "big")
    else:
        header = b"\xc6" + size.to_bytes(4, "big")
    return b"\x92" + header + payload + b"\xc4" + len(signature).to_bytes(1, "big") + signature


def oversized(key: SigningKey, payload_bytes: int) -> bytes:
    """An envelope whose signed payload is `payload_bytes` long (over the limit if > 64 KiB).

    The payload is a canonical msgpack map whose announcement text is padded to
    the size wanted, signed by `key`: only its size is wrong.
    """
    from protocol.codec import encode

    fields = {
        "body": {"text": ""},
        "kind": "announcement",
        "origin": node_id_from_public_key(key.public_key),
        "seq": 1,
        "ts": T0,
        "v": 1,
    }
    base = len(encode(fields))
    # A str 16 header is 3 bytes against fixstr's 1; str 32 (5 bytes) past 65535.
    pad = payload_bytes - base - (2 if payload_bytes - base < 65536 else 4)
    fields["body"] = {"text": "x" * pad}
    payload = encode(fields)
    assert len(payload) == payload_bytes, (len(payload), payload_bytes)
    return envelope(payload, key.sign(payload))


def joined(hub: Running, key: SigningKey, timeout: float = 30) -> Client:
    """A client of `hub` that has peered with it through a fresh invite from its organiser."""
    client = Client(hub.url, key, timeout)
    client.join(invite(hub))
    return client
