"""A seeded mutator over real signed federation requests, for fuzzing at scale.

Hypothesis (tests/faults/test_fuzz.py) explores the request space cleverly but
spends tens of milliseconds choosing each example; 100,000 requests need
something cheaper. This starts from the requests an honest peer sends (a push of
real signed messages, heads, a log page, a resource, a peering request), signs
them for real, and breaks them at random: bytes of the body flipped, cut,
inserted or spliced from another body, random msgpack, a tampered or shifted
signature header, a mangled path or method. Some bodies are broken *before*
signing, so the request passes authentication and the broken body reaches the
handlers. The same seed gives the same requests, apart from the time and nonce
in each signature.
"""

from __future__ import annotations

import random
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass

import msgpack

from crypto.ed25519 import SigningKey
from crypto.httpsig import sign_request
from crypto.nodeid import node_id_from_public_key
from protocol import federation as wire
from tests.faults.hostile import PREFIX, founded
from tests.helpers import chain, key_from, wires


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    body: bytes
    headers: dict[str, str]
    how: str  # which mutation made it, for failure messages


class Signer:
    def __init__(self, key: SigningKey) -> None:
        self.key = key
        self.node_id = node_id_from_public_key(key.public_key)

    def sign(self, method: str, target: str, body: bytes, created: int) -> dict[str, str]:
        return sign_request(self.key, self.node_id, method, target, body, created)


def random_msgpack(rng: random.Random, depth: int = 0) -> object:
    """A small random value msgpack can hold (maps with str or bytes keys, nested)."""
    pick = rng.randrange(10 if depth < 3 else 6)
    if pick == 0:
        return None
    if pick == 1:
        return rng.random() < 0.5
    if pick == 2:
        return rng.choice([0, 1, -1, 2**31, 2**63 - 1, -(2**63), 2**64 - 1, rng.randrange(1000)])
    if pick == 3:
        return "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(12)))
    if pick == 4:
        return rng.randbytes(rng.randrange(40))
    if pick == 5:
        return rng.random()
    if pick < 8:
        return [random_msgpack(rng, depth + 1) for _ in range(rng.randrange(5))]
    return {
        rng.choice(
            ["v", "kind", "seq", "sig", "payload", "messages", "token", "url", "x"]
        ): random_msgpack(rng, depth + 1)
        for _ in range(rng.randrange(5))
    }


def mutate_bytes(rng: random.Random, data: bytes, corpus: list[bytes]) -> bytes:
    """`data` with one to eight random edits, or cut, or spliced with another body."""
    out = bytearray(data)
    choice = rng.randrange(6)
    if choice == 0 and out:
        del out[rng.randrange(len(out)) :]  # truncated
    elif choice == 1:
        other = rng.choice(corpus)
        cut = rng.randrange(len(out) + 1)
        out = out[:cut] + other[rng.randrange(len(other) + 1) :]  # spliced
    else:
        for _ in range(rng.randint(1, 8)):
            op = rng.randrange(4)
            if op == 0 or not out:
                out.insert(rng.randrange(len(out) + 1), rng.randrange(256))
            elif op == 1:
                out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
            elif op == 2:
                del out[rng.randrange(len(out))]
            else:
                # Boundary bytes make length prefixes and type tags go wrong.
                out[rng.randrange(len(out))] = rng.choice([0x00, 0x7F, 0x80, 0xC1, 0xDC, 0xFF])
    return bytes(out)


def author_of(seed: int) -> SigningKey:
    """The key whose messages a Mutator made from `seed` pushes."""
    return key_from(120 + seed % 100)


class Mutator:
    """Makes request after request from seeded randomness; `peer` is peered with the node.

    `founders`: the founders of the node's network, the author among them, so that
    the author's log starts with its founding statement and the rest of it is stored
    (a node stores only its network's members' messages, PROTOCOL.md §14.5).
    """

    def __init__(
        self,
        seed: int,
        peer: SigningKey,
        stranger: SigningKey,
        origin: str,
        founders: Sequence[str],
    ) -> None:
        self.rng = random.Random(seed)
        self.signers = {"peer": Signer(peer), "stranger": Signer(stranger)}
        author = author_of(seed)
        found = founded(author, founders)
        messages = wires([found, *chain(author, 5, start=2, prev=found.id)])
        push = wire.encode_push(messages)
        self.templates: list[tuple[str, str, bytes]] = [
            ("POST", f"{PREFIX}/messages", push),
            ("POST", f"{PREFIX}/messages", wire.encode_push(messages[:1])),
            ("GET", f"{PREFIX}/heads", b""),
            ("GET", f"{PREFIX}/log/{origin}?after=0&limit=5", b""),
            ("GET", f"{PREFIX}/resources/" + "0" * 64, b""),
            ("POST", f"{PREFIX}/peering", wire.encode_peering("x" * 20, "http://a.example", "F")),
        ]
        self.corpus = [body for _, _, body in self.templates if body] + messages

    def next(self) -> Request:
        rng = self.rng
        method, target, body = rng.choice(self.templates)
        how = []
        if rng.random() < 0.35:  # broken before signing: passes authentication
            body = self._body(body)
            how.append("body")
        if rng.random() < 0.1:
            target = self._path(target)
            how.append("path")
        if rng.random() < 0.05:
            method = rng.choice(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
            how.append("method")
        signer = rng.choices(["peer", "stranger", "none"], weights=[6, 2, 1])[0]
        how.append(signer)
        headers = {"Content-Type": "application/msgpack"}
        if signer != "none":
            created = int(time.time())
            if rng.random() < 0.03:
                created += rng.choice([-86400, -600, 600, 2**31])
                how.append("time")
            headers.update(self.signers[signer].sign(method, target, body, created))
        if rng.random() < 0.15:  # broken after signing: the signature no longer matches
            if rng.random() < 0.5:
                body = self._body(body)
                how.append("body-after")
            else:
                names = ["Signature", "Signature-Input", "Content-Digest", "Content-Type"]
                name = rng.choice(names)
                value = headers.get(name, "sig=:AAAA:")
                edited = mutate_bytes(rng, value.encode("latin-1"), [b";", b"=", b'"', b":"])
                headers[name] = "".join(chr(b) for b in edited if 0x20 <= b < 0x7F)
                how.append(f"header {name}")
        return Request(method, target, body, headers, " ".join(how))

    def _body(self, body: bytes) -> bytes:
        rng = self.rng
        if rng.random() < 0.2:
            return msgpack.packb(random_msgpack(rng), use_bin_type=True)
        if rng.random() < 0.05:
            return rng.randbytes(rng.randrange(600))
        return mutate_bytes(rng, body or rng.choice(self.corpus), self.corpus)

    def _path(self, target: str) -> str:
        rng = self.rng
        junk = "".join(chr(rng.randrange(0x21, 0x250)) for _ in range(rng.randrange(1, 12)))
        choice = rng.randrange(4)
        if choice == 0:
            target = target + junk
        elif choice == 1:
            target = target.rsplit("/", 1)[0] + "/" + junk
        elif choice == 2:
            target = target + rng.choice(["?after=-1", "?after=x&limit=99999999999", "?limit=0"])
        else:
            target = f"{PREFIX}/{junk}/{junk}"
        return urllib.parse.quote(target, safe="/?=&")
