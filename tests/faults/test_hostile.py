"""A hostile client against a real node's federation API.

Two real hubs run for the whole module: the Target, which the test attacks, and
the Witness, peered with it, which would receive anything the Target stored
and relayed. Only peers may push or read (a stranger may only ask to peer), so
most tests play a hostile peer: its own Ed25519 key, peered through an invite.
The last tests play strangers. Each checks what an organiser would see
afterwards: the refusal the attacker got, the Target still healthy with no new
messages, and nothing new at the Witness.

A node stores only its network's members' messages (PROTOCOL.md §14.5), so a
peer whose messages must get as far as their signature and chain is also one of
the network's founders (MEMBER_KEYS): a member hub that misbehaves.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from crypto.ed25519 import SigningKey
from crypto.httpsig import content_digest
from crypto.nodeid import NodeId, node_id_from_public_key
from protocol import federation as wire
from protocol.codec import encode
from protocol.envelope import Message, MessageId, create_message
from protocol.kinds.keys import KeyRevoke
from tests.faults.hostile import (
    HEADS,
    MESSAGES,
    PREFIX,
    Client,
    Reply,
    admit,
    announcement,
    forged,
    invite,
    node_ids,
    oversized,
)
from tests.helpers import T0, chain, key_from, wires
from tests.integration.network import Hub, start_hubs, wait_for

SENTINEL_KEY = key_from(200)
OBSERVER_KEY = key_from(201)
# Peers whose messages must pass the membership gate: founders of the network.
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
        """A hostile peer of the Target: peered through an invite, as a hub would be."""
        client = self.stranger(key_number)
        client.join(invite(self.target))
        return client

    def stranger(self, key_number: int) -> Client:
        """A node the Target has never peered with."""
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
        # The observer who reads heads is a peer of both; the sentinel's pusher and
        # the member keys peer with both in `admit`.
        for hub in hubs:
            Client(hub.url, OBSERVER_KEY).join(invite(hub))
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


def test_forged_revocation_at_a_used_seq_marks_nobody_forked(net: Net) -> None:
    # The stranger's own key signs a key.revoke naming itself, "from" the Witness and
    # from the Target itself, at seq 1, which both have used (PROTOCOL.md §6, §7.3).
    before = net.counts()
    client = net.client(14)
    heads = net.heads(net.target)
    origins = [NodeId(net.witness.node_id), NodeId(net.target.node_id)]
    lies = [
        create_message(client.key, "key.revoke", KeyRevoke(client.key.public_key), 1, None, T0, o)
        for o in origins
    ]
    reply = client.push([m.wire for m in lies])
    for result in reply.results:
        assert result.status == "refused"
        assert result.reason is not None and result.reason.startswith("invalid: ")
    net.assert_unharmed(before)
    after = net.heads(net.target)
    for origin in origins:
        assert after[origin] == heads[origin]  # still listed: not forked
        assert client.log(origin)  # and served: no 409
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
    client = net.stranger(21)
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


# -- strangers -----------------------------------------------------------------------------


def test_stranger_may_ask_to_peer_and_nothing_more(net: Net) -> None:
    before = net.counts()
    client = net.stranger(25)
    message = announcement(client.key, text="from a stranger")
    for method, target, body in (
        ("POST", MESSAGES, wire.encode_push([message.wire])),
        ("GET", HEADS, b""),
        ("GET", f"{PREFIX}/log/{net.target.node_id}", b""),
        ("GET", f"{PREFIX}/resources/{'0' * 64}", b""),
    ):
        reply = client.signed(method, target, body)
        assert _refused(reply, 403, "not-peer"), f"{target}: {reply}"
        assert "ask one of its organisers for an invite" in reply.error
    net.assert_unharmed(before)
    assert client.node_id not in net.heads(net.target)


def test_forged_message_from_a_stranger_is_refused_as_not_peer(net: Net) -> None:
    # Before the message's signature is even looked at: strangers cannot push at all.
    before = net.counts()
    client = net.stranger(26)
    reply = client.push([forged(announcement(client.key, text="forged"))])
    assert _refused(reply, 403, "not-peer"), str(reply)
    net.assert_unharmed(before)


def test_flood_of_strangers_does_not_keep_a_newcomer_from_peering(net: Net) -> None:
    # Many fresh keys guess invites, faster than the limit all non-peers share
    # refills; a newcomer with a real invite still peers at once, mid-flood.
    line = invite(net.target)

    def guess(n: int) -> Reply:
        flooder = Client(net.target.url, SigningKey(n.to_bytes(2, "big") * 16))
        body = wire.encode_peering(f"guess-{n}", "http://127.0.0.1:9", "Flood")
        return flooder.signed("POST", f"{PREFIX}/peering", body)

    # Eight at a time, so the flood outpaces the shared bucket's refill (10 a second)
    # however busy the machine running the test is.
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(guess, range(160)))
    statuses = [reply.status for reply in replies]
    for reply in replies:
        if reply.status == 429:
            assert _refused(reply, 429, "rate-limited"), str(reply)
        else:
            assert _refused(reply, 403, "invalid"), str(reply)
    assert statuses.count(429) > 0, "160 guesses from fresh keys were all answered"
    newcomer = net.stranger(27)
    started = time.monotonic()
    newcomer.join(line)
    assert time.monotonic() - started < 5
    assert newcomer.node_id in net.target.peer_cli("list")
