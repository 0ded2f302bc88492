"""A hostile client against a real node's federation API.

Two real hubs run for the whole module: the Target, which the test attacks, and
the Witness, peered with it, which would receive anything the Target stored
and relayed. Each test plays a different stranger (its own Ed25519 key) and
checks what an organiser would see afterwards: the refusal the stranger got,
the Target still healthy with no new messages, and nothing new at the Witness.

A node stores only its network's members' messages (PROTOCOL.md §14.5), so a
stranger whose messages must get as far as their signature and chain is one of
the network's founders (MEMBER_KEYS): a member hub that misbehaves.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from crypto.httpsig import content_digest
from crypto.nodeid import NodeId, node_id_from_public_key
from protocol import federation as wire
from protocol.codec import encode
from protocol.envelope import Message, MessageId, create_message
from tests.faults.hostile import (
    HEADS,
    MESSAGES,
    PREFIX,
    Client,
    Reply,
    admit,
    announcement,
    forged,
    node_ids,
    oversized,
)
from tests.helpers import T0, chain, key_from, wires
from tests.integration.network import Hub, start_hubs, wait_for

SENTINEL_KEY = key_from(200)
OBSERVER_KEY = key_from(201)
# Strangers whose messages must pass the membership gate: founders of the network.
MEMBER_KEYS = (11, 19, 24)


@dataclass
class Net:
    target: Hub
    witness: Hub
    # Each member key's network.found, seq 1 of its log, by key number (0: the sentinel).
    firsts: dict[int, Message]
    # Honest messages from a member, pushed after each attack as a barrier.
    sentinels: list[Message] = field(default_factory=list)
    sent: int = 0

    def __post_init__(self) -> None:
        self.sentinels = chain(SENTINEL_KEY, 40, start=2, prev=self.firsts[0].id)

    def client(self, key_number: int) -> Client:
        return Client(self.target.url, key_from(key_number))

    def member(self, key_number: int) -> tuple[Client, Message]:
        """A member's client, and its first message: its own messages follow at seq 2."""
        return self.client(key_number), self.firsts[key_number]

    def counts(self) -> tuple[int, int]:
        return self.target.health()["messages"], self.witness.health()["messages"]

    def heads(self, hub: Hub) -> dict[str, tuple[int, MessageId]]:
        return Client(hub.url, OBSERVER_KEY).get_heads()

    def assert_unharmed(self, before: tuple[int, int], stored: int = 0) -> None:
        """The Target is up and holds only `stored` new messages; the Witness, only those.

        An honest message pushed to the Target after the attack is the barrier:
        the Target relays in the order it stores, so once the Witness has the
        sentinel it has everything the Target could have relayed before it.
        """
        target_before, witness_before = before
        health = self.target.health()
        assert health["status"] == "ok"
        # Refusing a stranger is routine: no crash, no error in the node's log.
        assert self.target.process is not None
        troubles = [
            line for line in self.target.process.output if "Traceback" in line or " ERROR " in line
        ]
        assert troubles == [], "".join(self.target.process.output)
        assert health["messages"] == target_before + stored, "the Target stored something"
        sentinel = self.sentinels[self.sent]
        self.sent += 1
        reply = Client(self.target.url, SENTINEL_KEY).push([sentinel.wire])
        assert [r.status for r in reply.results] == ["stored"], str(reply)
        expected = witness_before + stored + 1
        wait_for(
            "the Witness to get the sentinel",
            lambda: self.witness.health()["messages"] >= expected,
        )
        witness_heads = self.heads(self.witness)
        assert witness_heads[sentinel.origin][0] == sentinel.seq
        assert self.witness.health()["messages"] == expected, "the Target relayed something"


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    root = tmp_path_factory.mktemp("hostile")
    keys = [SENTINEL_KEY, *(key_from(n) for n in MEMBER_KEYS)]
    hubs = start_hubs(root, ("Target", None), ("Witness", None), founders=node_ids(keys))
    try:
        target, witness = hubs
        witness.peer_with(target)
        # Each pulls the other's hub.profile and network.found.
        wait_for(
            "the two hubs to swap profiles",
            lambda: (target.health()["messages"], witness.health()["messages"]) == (4, 4),
        )
        firsts = admit(hubs, keys)
        net = Net(target, witness, dict(zip((0, *MEMBER_KEYS), firsts, strict=True)))
        # And each holds every member key's network.found: then both are quiet.
        held = 4 + len(keys)
        wait_for("the members to be admitted", lambda: net.counts() == (held, held))
        yield net
    finally:
        for hub in hubs:
            hub.stop()


def _refused(reply: Reply, status: int, reason: str) -> bool:
    """The answer has this HTTP status and an error body with this reason prefix."""
    return reply.status == status and reply.error.startswith(f"{reason}: ")


# -- the message itself ---------------------------------------------------------------


def test_message_with_a_forged_signature_is_refused(net: Net) -> None:
    before = net.counts()
    client, first = net.member(11)
    message = announcement(client.key, 2, first.id, text="forged")
    reply = client.push([forged(message)])
    [result] = reply.results
    assert result.status == "refused"
    assert result.reason is not None and result.reason.startswith("invalid: ")
    assert "signature" in result.reason
    # From a hub that is not a member, the same forgery is refused before its
    # signature is even looked at: nothing but members' messages is stored.
    stranger = net.client(10)
    reply = stranger.push([forged(announcement(stranger.key, text="forged"))])
    [result] = reply.results
    assert result.status == "refused"
    assert result.reason is not None and result.reason.startswith("not-member: ")
    net.assert_unharmed(before)
    heads = net.heads(net.target)
    assert heads[client.node_id] == (1, first.id)
    assert stranger.node_id not in heads


def test_message_claiming_another_origin_is_refused(net: Net) -> None:
    before = net.counts()
    client = net.client(12)
    heads = net.heads(net.target)
    target_head, witness_head = heads[net.target.node_id], heads[net.witness.node_id]
    bystander = node_id_from_public_key(key_from(77).public_key)
    target_id, witness_id = NodeId(net.target.node_id), NodeId(net.witness.node_id)
    lies = [
        # The Target's own next message, as if the Target had written it.
        announcement(client.key, 2, target_head[1], "I am the Target", target_id),
        # A second seq 1 for the Witness: if accepted it would mark the Witness forked.
        announcement(client.key, 1, None, "I am the Witness", witness_id),
        # A hub that never spoke, signing a founding statement: a kind stored even
        # from a hub that is not a member, so its signature is what refuses it.
        create_message(client.key, "network.found", net.firsts[0].body, 1, None, T0, bystander),
    ]
    reply = client.push([m.wire for m in lies])
    for result in reply.results:
        assert result.status == "refused"
        assert result.reason is not None and result.reason.startswith("invalid: ")
    # Anything else in a non-member's name is refused before its signature is checked.
    nobody = announcement(client.key, 1, None, "I am nobody", bystander)
    [result] = client.push([nobody.wire]).results
    assert result.status == "refused"
    assert result.reason is not None and result.reason.startswith("not-member: ")
    net.assert_unharmed(before)
    after = net.heads(net.target)
    assert after[net.target.node_id] == target_head
    assert after[net.witness.node_id] == witness_head  # still listed: not forked
    assert bystander not in after
    assert "No origin has signed two histories" in net.target.cli("forks")


def test_truncated_and_malformed_envelopes_are_refused_one_by_one(net: Net) -> None:
    before = net.counts()
    client = net.client(13)
    whole = announcement(client.key, text="cut short").wire
    reply = client.push([whole[:-10], whole[: len(whole) // 2], b"", b"\x92\xc4"])
    assert len(reply.results) == 4
    for result in reply.results:
        assert result.status == "refused"
        assert result.reason is not None and result.reason.startswith("invalid: ")
    net.assert_unharmed(before)


def test_body_that_is_not_a_push_is_refused(net: Net) -> None:
    before = net.counts()
    client = net.client(14)
    good = wire.encode_push([announcement(client.key, text="inside a bad body").wire])
    bodies = {
        "not msgpack": b"GET / HTTP/1.1\r\n\r\n",
        "reserved byte": b"\xc1",
        "truncated": good[:-7],
        "trailing bytes": good + b"\x00",
        "not a map": encode([b"x"]),
        "messages not bin": encode({"messages": ["text"]}),
        "extra field": encode({"messages": [], "more": True}),
        "non-canonical": b"\x81\xa8messages\xdc\x00\x00",  # empty list as array 16
    }
    for name, body in bodies.items():
        reply = client.signed("POST", MESSAGES, body)
        assert _refused(reply, 400, "invalid"), f"{name}: {reply}"
    net.assert_unharmed(before)


def test_oversized_body_is_refused(net: Net) -> None:
    before = net.counts()
    client = net.client(15)
    body = b"\x00" * (wire.MAX_BODY_BYTES + 1024 * 1024)
    reply = client.signed("POST", MESSAGES, body)
    assert _refused(reply, 413, "invalid"), str(reply)
    net.assert_unharmed(before)


def test_push_under_the_body_limit_is_accepted(net: Net) -> None:
    # The other side of the limit: PROTOCOL.md §9 allows a body of up to 8 MiB,
    # and 1000 messages of 4 KiB (a push an honest node may send) fit in it.
    before = net.counts()
    client, first = net.member(24)
    messages = chain(client.key, 1000, start=2, prev=first.id, text="x" * 3900)
    body = wire.encode_push(wires(messages))
    assert 4 * 1024 * 1024 - 100_000 < len(body) < wire.MAX_BODY_BYTES
    reply = client.signed("POST", MESSAGES, body)
    assert reply.status == 200, f"a {len(body)}-byte push was refused: {reply}"
    assert {r.status for r in reply.results} == {"stored"}
    net.assert_unharmed(before, stored=1000)


def test_message_over_the_size_limits_is_refused(net: Net) -> None:
    before = net.counts()
    client = net.client(16)
    # A payload one byte over 64 KiB, in an envelope still within its own limit:
    # the push is read, and that message alone is refused.
    reply = client.push([oversized(client.key, 64 * 1024 + 1)])
    [result] = reply.results
    assert result.status == "refused"
    assert result.reason is not None and result.reason.startswith("invalid: ")
    assert "65537 bytes" in result.reason
    # An envelope over its limit cannot be part of a valid push body at all.
    reply = client.push([oversized(client.key, 70_000)])
    assert _refused(reply, 400, "invalid"), str(reply)
    net.assert_unharmed(before)


# -- the request's signature -------------------------------------------------------------


def test_wrong_content_digest_is_refused(net: Net) -> None:
    before = net.counts()
    client = net.client(17)
    signed_body = wire.encode_push([announcement(client.key, text="signed").wire])
    sent_body = wire.encode_push([announcement(client.key, text="swapped in").wire])
    # The body was swapped after signing: the digest no longer matches it.
    headers = client.sign("POST", MESSAGES, signed_body)
    reply = client.send("POST", MESSAGES, sent_body, headers)
    assert _refused(reply, 401, "invalid"), str(reply)
    assert "content-digest" in reply.error
    # The digest was swapped too: it matches the body, but the signature covers the old one.
    headers = client.sign("POST", MESSAGES, signed_body)
    headers["Content-Digest"] = content_digest(sent_body)
    reply = client.send("POST", MESSAGES, sent_body, headers)
    assert _refused(reply, 401, "invalid"), str(reply)
    net.assert_unharmed(before)


def test_request_signed_outside_the_time_window_is_refused(net: Net) -> None:
    before = net.counts()
    client = net.client(18)
    body = wire.encode_push([announcement(client.key, text="from the past").wire])
    now = int(time.time())
    reply = client.signed("POST", MESSAGES, body, created=now - 600)
    assert _refused(reply, 401, "invalid"), str(reply)
    assert "too old" in reply.error
    reply = client.signed("POST", MESSAGES, body, created=now + 600)
    assert _refused(reply, 401, "invalid"), str(reply)
    net.assert_unharmed(before)


def test_replayed_request_is_refused(net: Net) -> None:
    before = net.counts()
    client, found = net.member(19)
    body = wire.encode_push([announcement(client.key, 2, found.id, "said once").wire])
    headers = client.sign("POST", MESSAGES, body)
    first = client.send("POST", MESSAGES, body, headers)
    assert [r.status for r in first.results] == ["stored"]
    again = client.send("POST", MESSAGES, body, headers)
    assert _refused(again, 401, "duplicate"), str(again)
    # A read is no different: the same signature never works twice.
    headers = client.sign("GET", HEADS)
    assert client.send("GET", HEADS, b"", headers).status == 200
    again = client.send("GET", HEADS, b"", headers)
    assert _refused(again, 401, "duplicate"), str(again)
    net.assert_unharmed(before, stored=1)


def test_unsigned_requests_are_refused(net: Net) -> None:
    before = net.counts()
    client = net.client(20)
    body = wire.encode_push([announcement(client.key, text="no signature").wire])
    for method, target, payload in (
        ("POST", MESSAGES, body),
        ("GET", HEADS, b""),
        ("GET", f"{PREFIX}/log/{net.target.node_id}", b""),
        ("POST", f"{PREFIX}/peering", wire.encode_peering("x", "http://127.0.0.1:9", "Evil")),
    ):
        reply = client.send(method, target, payload)
        assert _refused(reply, 401, "invalid"), f"{target}: {reply}"
    # Signature headers with no digest of the body are no better.
    headers = client.sign("POST", MESSAGES, body)
    del headers["Content-Digest"]
    reply = client.send("POST", MESSAGES, body, headers)
    assert _refused(reply, 401, "invalid"), str(reply)
    net.assert_unharmed(before)


def test_peering_with_a_made_up_invite_is_refused(net: Net) -> None:
    client = net.client(21)
    body = wire.encode_peering("guessed-token", "http://127.0.0.1:9", "Evil")
    reply = client.signed("POST", f"{PREFIX}/peering", body)
    assert _refused(reply, 403, "invalid"), str(reply)
    peers = net.target.peer_cli("list")
    assert client.node_id not in peers and "Evil" not in peers


def test_reads_with_bad_or_tampered_targets_are_refused(net: Net) -> None:
    client = net.client(22)
    origin = net.target.node_id
    for target in (
        f"{PREFIX}/log/not-a-node-id",
        f"{PREFIX}/log/{origin.upper()}",
        f"{PREFIX}/log/{origin}?after=-1",
        f"{PREFIX}/log/{origin}?limit=100000",
        # Digits to str.isdigit() but not to int(): once a 500 (found by the fuzzer).
        f"{PREFIX}/log/{origin}?after=0&limit=59%C2%B9",
        f"{PREFIX}/log/{origin}?after=%E2%91%A0",
    ):
        reply = client.signed("GET", target)
        assert _refused(reply, 400, "invalid"), f"{target}: {reply}"
    # The query is signed: changing it after signing breaks the signature.
    headers = client.sign("GET", f"{PREFIX}/log/{origin}?after=0")
    reply = client.send("GET", f"{PREFIX}/log/{origin}?after=1", b"", headers)
    assert _refused(reply, 401, "invalid"), str(reply)
    # So is the path.
    headers = client.sign("GET", HEADS)
    reply = client.send("GET", f"{PREFIX}/log/{origin}", b"", headers)
    assert _refused(reply, 401, "invalid"), str(reply)
    assert net.target.health()["status"] == "ok"


def test_flood_from_a_stranger_is_rate_limited_after_its_burst(net: Net) -> None:
    before = net.counts()
    client = net.client(23)
    started = time.monotonic()
    replies = [client.signed("GET", HEADS) for _ in range(45)]
    elapsed = time.monotonic() - started
    statuses = [r.status for r in replies]
    # The burst (30) is served; past it, at most one more a second.
    assert statuses[:30] == [200] * 30
    assert statuses.count(200) <= 30 + int(elapsed) + 1, statuses
    limited = [r for r in replies if r.status != 200]
    assert limited, "45 requests in a row were all served"
    for reply in limited:
        assert _refused(reply, 429, "rate-limited"), str(reply)
    # Other strangers are not held back by this one, and the node is well.
    net.assert_unharmed(before)
    # The limit is a rate, not a ban: after a pause the stranger is served again.
    time.sleep(1.2)
    assert client.signed("GET", HEADS).status == 200
