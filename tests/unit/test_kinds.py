"""protocol.kinds and protocol.schema: every kind's body rules (PROTOCOL.md §5)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from protocol.errors import SchemaViolation
from protocol.kinds import KINDS, Opaque, parse_body
from protocol.schema import describe, dump, parse

REF = bytes(range(32))  # a message id
REF2 = bytes(range(32, 64))
NODE = "a" * 56
T = 1_767_225_600  # 2026-01-01T00:00:00Z, in seconds as body timestamps are

EVENT: dict[str, Any] = {
    "title": "Housing rights workshop",
    "starts": T + 86_400,
    "ends": T + 86_400 + 7_200,
    "timezone": "Europe/London",
    "type": "training",
    "visibility": "public",
    "description": "Bring your **tenancy agreement**.",
    "place": "Community Centre, 1 High Street",
    "lat": 53_800_755,
    "lon": -1_549_077,
    "online_url": "https://meet.example.org/housing",
    "capacity": 40,
    "speakers": ["Ana", "Bo"],
    "cohosts": [NODE],
}

# One full example per kind: every field given, as it comes out of decode().
EXAMPLES: dict[str, dict[str, Any]] = {
    "hub.profile": {
        "name": "Leeds Hub",
        "url": "https://leeds.example.org",
        "region": "Yorkshire",
        "area": "Leeds and Bradford",
        "description": "We meet every Tuesday.",
        "lat": 53_800_755,
        "lon": -1_549_077,
        "meeting_place": "Quaker Meeting House, 188 Woodhouse Lane",
        "contact": "hello@leeds.example.org",
        "timezone": "Europe/London",
    },
    "charter.adopt": {"version": "1.0", "title": "Network charter", "text": "We agree that..."},
    "event": EVENT,
    "event.update": {**EVENT, "event": REF, "capacity": 60},
    "event.cancel": {"event": REF, "reason": "The venue is flooded."},
    "campaign": {
        "title": "Fair rents",
        "summary": "Rents up 30% in two years.",
        "status": "active",
        "principles": ["Housing is a right"],
        "goals": ["Rent controls", "Register of landlords"],
        "events": [REF2],
        "resources": [REF],
    },
    "campaign.update": {
        "campaign": REF,
        "text": "We won!",
        "status": "won",
        "events": [REF2],
        "resources": [REF],
    },
    "campaign.endorse": {"campaign": REF, "statement": "Bristol Hub joins."},
    "announcement": {"text": "New members night on Friday.", "title": "Members night"},
    "resource": {
        "hash": REF,
        "name": "leaflet.pdf",
        "media_type": "application/pdf",
        "size": 123_456,
        "title": "Know your rights",
        "description": "A4, two sides.",
        "tags": ["housing", "leaflet"],
    },
    "delegate.mandate": {
        "delegate": "Sam",
        "body": "national",
        "starts": T,
        "ends": T + 365 * 86_400,
    },
    "delegate.recall": {"mandate": REF, "reason": "Stood down."},
    "motion": {
        "body": "region:Yorkshire",
        "title": "Regional day of action",
        "text": "This assembly resolves...",
        "options": ["For", "Against", "Abstain"],
        "seconds_needed": 3,
        "closes": T + 14 * 86_400,
        "rule": "two-thirds",
        "quorum_percent": 50,
        "sealed": True,
    },
    "motion.second": {"motion": REF},
    "delegate.vote": {"motion": REF, "mandate": REF2, "choice": "For"},
    "delegate.reveal": {"motion": REF, "vote": REF2, "choice": "For", "secret": REF},
    "key.rotate": {"new_key": REF, "new_key_signature": REF + REF2, "next_key_digest": REF2},
    "network.found": {
        "name": "Northern Hubs",
        "charter": REF,
        "founders": ["a" * 56, "b" * 56],
        "sponsors_needed": 2,
        "regions": ["North East", "Yorkshire"],
    },
    "network.join": {"network": REF},
    "network.sponsor": {"network": REF, "hub": NODE},
    "network.leave": {"network": REF, "reason": "The hub has closed."},
    "network.witness": {
        "network": REF,
        "origins": ["a" * 56, "b" * 56],
        "seqs": [3, 9],
        "ids": [REF, REF2],
    },
    "charter.endorse": {
        "network": REF,
        "organisation": "Riverside Tenants' Union",
        "kind": "union",
        "date": "2026-03-01",
        "website": "https://tenants.example.org",
        "statement": "We stand with the network's charter.",
    },
    "charter.endorse.withdraw": {"endorsement": REF, "reason": "Recorded in error."},
    "speaker.offer": {
        "topics": ["housing law", "tenant organising"],
        "area": "West Yorkshire",
        "note": "Evenings only.",
    },
    "speaker.withdraw": {"offer": REF},
    "speaker.request": {
        "to": NODE,
        "offer": REF,
        "topic": "housing law",
        "starts": 1_790_000_000,
        "timezone": "Europe/London",
        "place": "Riverside Community Centre",
        "message": "A public meeting on renters' rights; about 40 people.",
    },
    "speaker.answer": {
        "to": NODE,
        "request": REF,
        "answer": "accept",
        "message": "Glad to come; I can stay for questions.",
    },
    "event.attendance": {"event": REF, "count": 12},
    "directory.entry": {
        "name": "Riverside Food Bank",
        "category": "food",
        "area": "Riverside ward",
        "hours": "Mon and Thu 10:00-14:00",
        "contact": "0113 496 0000",
        "description": "Bring a voucher from an advice centre.",
        "url": "https://foodbank.example.org",
        "replaces": REF,
    },
    "directory.withdraw": {"entry": REF},
    "comment": {
        "subject": REF,
        "author": "river_ann",
        "text": "I'll bring *leaflets*.",
        "reply_to": REF2,
    },
    "comment.update": {"comment": REF, "text": "I'll bring leaflets and tea."},
    "comment.delete": {"comment": REF},
    "announcement.update": {
        "announcement": REF,
        "text": "Members night moved to Saturday.",
        "title": "Members night",
    },
    "announcement.withdraw": {"announcement": REF},
    "report": {"to": NODE, "comment": REF, "reason": "harassment"},
    "key.commit": {"next_key_digest": REF2},
    "key.revoke": {"new_key": REF, "next_key_digest": REF2, "reason": "The laptop was stolen."},
    "fork.proof": {"hub": NODE, "seq": 12, "first": REF, "second": REF2},
    "fork.resolve": {
        "seq": 12,
        "keep": REF,
        "new_key": REF2,
        "next_key_digest": REF,
        "reason": "We restored an old backup.",
    },
}


def required_fields(kind: str) -> list[str]:
    return [name for name, _, required in describe(KINDS[kind]) if required]


def minimal(kind: str) -> dict[str, Any]:
    body = {k: v for k, v in EXAMPLES[kind].items() if k in required_fields(kind)}
    # Rules across fields that need an optional field to hold.
    if kind in ("event", "event.update"):
        body["place"] = EXAMPLES[kind]["place"]
    if kind == "delegate.vote":
        body["choice"] = "For"
    if kind == "motion":
        # `sealed` defaults to false, and dump() writes it even then (see below).
        body["sealed"] = False
    return body


def same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return set(a) == set(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def refused(kind: str, body: Any) -> str:
    with pytest.raises(SchemaViolation) as info:
        parse_body(kind, 1, body)
    return str(info.value)


ALL_KINDS = list(KINDS)


def test_there_are_forty_one_kinds_with_examples() -> None:
    assert len(KINDS) == 41
    assert set(EXAMPLES) == set(KINDS)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_full_example_parses_and_dumps_to_the_same_map(kind: str) -> None:
    body = parse_body(kind, 1, EXAMPLES[kind])
    assert isinstance(body, KINDS[kind])
    assert same(dump(body), EXAMPLES[kind])


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_minimal_example_parses_and_dumps_to_the_same_map(kind: str) -> None:
    body = parse_body(kind, 1, minimal(kind))
    assert same(dump(body), minimal(kind))


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_parse_does_not_change_the_map(kind: str) -> None:
    body = {k: list(v) if isinstance(v, list) else v for k, v in EXAMPLES[kind].items()}
    parse_body(kind, 1, body)
    assert same(body, EXAMPLES[kind])


@pytest.mark.parametrize(("kind", "field"), [(k, f) for k in ALL_KINDS for f in required_fields(k)])
def test_missing_required_field_is_refused(kind: str, field: str) -> None:
    body = dict(EXAMPLES[kind])
    del body[field]
    assert f"{kind} body.{field} is required" in refused(kind, body)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_unknown_field_is_refused(kind: str) -> None:
    body = {**EXAMPLES[kind], "colour": "red"}
    assert "has unknown fields: colour" in refused(kind, body)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_body_that_is_not_a_map_is_refused(kind: str) -> None:
    assert f"{kind} body must be a map" in refused(kind, [1, 2])


def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return 1  # an integer is not a bool
    if isinstance(value, int):
        return True  # nor is a bool an integer
    if isinstance(value, str):
        return value.encode()  # bytes are not text
    if isinstance(value, bytes):
        return value.hex()  # text is not bytes
    return "x"  # lists


@pytest.mark.parametrize(("kind", "field"), [(k, f) for k in ALL_KINDS for f in EXAMPLES[k]])
def test_field_of_the_wrong_type_is_refused(kind: str, field: str) -> None:
    body = {**EXAMPLES[kind], field: _wrong_type(EXAMPLES[kind][field])}
    message = refused(kind, body)
    assert f"{kind} body.{field} must be" in message


@pytest.mark.parametrize(("kind", "field"), [(k, f) for k in ALL_KINDS for f in EXAMPLES[k]])
def test_nil_field_is_refused(kind: str, field: str) -> None:
    body = {**EXAMPLES[kind], field: None}
    assert f"{kind} body.{field} must be left out rather than nil" in refused(kind, body)


def _text_fields(kind: str) -> list[tuple[str, int, int]]:
    rows = []
    for name, description, _ in describe(KINDS[kind]):
        match = re.fullmatch(r"text \((\d+)–(\d+) chars\)", description)
        if match:
            rows.append((name, int(match[1]), int(match[2])))
    return rows


TEXT_FIELDS = [(k, *row) for k in ALL_KINDS for row in _text_fields(k)]


@pytest.mark.parametrize(("kind", "field", "low", "high"), TEXT_FIELDS)
def test_over_long_text_is_refused(kind: str, field: str, low: int, high: int) -> None:
    body = {**EXAMPLES[kind], field: "x" * (high + 1)}
    assert f"{kind} body.{field} must be {low} to {high} characters, got {high + 1}" in refused(
        kind, body
    )


@pytest.mark.parametrize(("kind", "field", "low", "high"), TEXT_FIELDS)
def test_empty_text_is_refused(kind: str, field: str, low: int, high: int) -> None:
    body = {**EXAMPLES[kind], field: ""}
    assert f"{kind} body.{field} must be {low} to {high} characters, got 0" in refused(kind, body)


def test_text_length_counts_characters_not_bytes() -> None:
    body = {**EXAMPLES["announcement"], "title": "é" * 200}
    assert parse_body("announcement", 1, body).title == "é" * 200
    body["title"] = "é" * 201
    assert "must be 1 to 200 characters, got 201" in refused("announcement", body)


@pytest.mark.parametrize(
    ("kind", "changes", "message"),
    [
        ("event", {"ends": EVENT["starts"] - 1}, "ends must not be before starts"),
        ("event.update", {"ends": EVENT["starts"] - 1}, "ends must not be before starts"),
        ("event", {"place": None, "online_url": None}, "give a place, an online link or both"),
        ("hub.profile", {"lon": None}, "lat and lon must be given together"),
        ("hub.profile", {"lat": None}, "lat and lon must be given together"),
        ("motion", {"options": ["For", "For"]}, "options must differ"),
        ("delegate.vote", {"commitment": REF2}, "give exactly one of choice and commitment"),
        ("delegate.vote", {"choice": None}, "give exactly one of choice and commitment"),
        ("delegate.mandate", {"ends": T}, "ends must be after starts"),
        ("delegate.mandate", {"ends": T - 1}, "ends must be after starts"),
    ],
)
def test_cross_field_rules(kind: str, changes: dict[str, Any], message: str) -> None:
    body = {**EXAMPLES[kind], **changes}
    body = {k: v for k, v in body.items() if v is not None}
    text = refused(kind, body)
    assert text.startswith(f"invalid: {kind} body: ")
    assert message in text


def test_event_may_end_when_it_starts() -> None:
    parse_body("event", 1, {**EVENT, "ends": EVENT["starts"]})


def test_event_online_only_is_allowed() -> None:
    body = {k: v for k, v in EVENT.items() if k not in ("place", "lat", "lon")}
    assert parse_body("event", 1, body).place is None


def test_sealed_vote_carries_only_a_commitment() -> None:
    vote = parse_body("delegate.vote", 1, {"motion": REF, "mandate": REF2, "commitment": REF})
    assert vote.choice is None
    assert vote.commitment == REF


@pytest.mark.parametrize(
    ("kind", "field", "value", "message"),
    [
        ("hub.profile", "lat", 90_000_001, "must be between -90000000 and 90000000"),
        ("hub.profile", "lon", -180_000_001, "must be between -180000000 and 180000000"),
        ("hub.profile", "url", "ftp://example.org", "is not in the required form"),
        ("hub.profile", "url", "https://exa mple.org", "is not in the required form"),
        ("event", "timezone", "Europe/London!", "is not in the required form"),
        ("event", "type", "party", "must be one of"),
        ("event", "visibility", "members", "must be one of"),
        ("event", "capacity", 0, "must be between 1 and 1000000"),
        ("event", "starts", -1, "must be between 0 and 9007199254740992"),
        ("event", "speakers", ["x"] * 21, "must have 0 to 20 items, got 21"),
        ("event", "speakers", [1], "body.speakers[0] must be text"),
        ("event", "cohosts", ["A" * 56], "body.cohosts[0] is not in the required form"),
        ("event", "cohosts", ["a" * 55], "body.cohosts[0] must be 56 to 56 characters"),
        ("event.cancel", "event", REF[:31], "must be 32 bytes, got 31"),
        ("event.attendance", "count", -1, "must be between 0 and 100000"),
        ("event.attendance", "count", 100_001, "must be between 0 and 100000"),
        ("speaker.request", "to", "A" * 56, "is not in the required form"),
        ("speaker.answer", "answer", "maybe", "must be one of"),
        ("campaign", "status", "paused", "must be one of"),
        ("campaign.update", "status", "paused", "must be one of"),
        ("resource", "hash", REF + b"\x00", "must be 32 bytes, got 33"),
        ("resource", "name", "../etc/passwd", "is not in the required form"),
        ("resource", "name", "a\nb", "is not in the required form"),
        ("resource", "media_type", "PDF", "is not in the required form"),
        ("resource", "size", 0, "must be between 1 and 52428800"),
        ("resource", "size", 50 * 1024 * 1024 + 1, "must be between 1 and 52428800"),
        ("delegate.mandate", "body", "global", "is not in the required form"),
        ("delegate.mandate", "body", "region:", "is not in the required form"),
        ("delegate.mandate", "body", "region:a\x00b", "is not in the required form"),
        ("motion", "options", ["For"], "must have 2 to 20 items, got 1"),
        ("motion", "options", [str(i) for i in range(21)], "must have 2 to 20 items, got 21"),
        ("motion", "rule", "unanimous", "must be one of 'majority', 'two-thirds'"),
        ("motion", "quorum_percent", 101, "must be between 0 and 100"),
        ("motion", "seconds_needed", 1001, "must be between 0 and 1000"),
        ("motion", "sealed", 1, "must be true or false"),
        ("delegate.vote", "commitment", REF[:16], "must be 32 bytes"),
        ("key.rotate", "new_key", REF[:31], "must be 32 bytes, got 31"),
        ("key.rotate", "new_key_signature", REF, "must be 64 bytes, got 32"),
    ],
)
def test_field_rules(kind: str, field: str, value: Any, message: str) -> None:
    body = {**EXAMPLES[kind], field: value}
    if kind == "delegate.vote" and field == "commitment":
        del body["choice"]
    text = refused(kind, body)
    assert f"body.{field}" in text
    assert message in text


def test_region_body_names_a_region() -> None:
    body = {**EXAMPLES["delegate.mandate"], "body": "region:North East"}
    assert parse_body("delegate.mandate", 1, body).body == "region:North East"


def test_literal_is_not_matched_by_another_type() -> None:
    assert "must be one of" in refused("motion", {**EXAMPLES["motion"], "rule": b"majority"})


def test_empty_lists_are_left_out_when_dumped() -> None:
    body = parse_body("campaign", 1, {**EXAMPLES["campaign"], "principles": [], "goals": []})
    assert "principles" not in dump(body)
    assert "goals" not in dump(body)


@pytest.mark.parametrize("kind", ["poll.open", "event.rsvp-count", "x"])
def test_unknown_kind_has_an_opaque_body(kind: str) -> None:
    body = parse_body(kind, 1, {"question": "Pizza?", "n": 3, "x": [b"\x00"]})
    assert isinstance(body, Opaque)
    assert body == {"question": "Pizza?", "n": 3, "x": [b"\x00"]}


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_known_kind_at_a_newer_version_has_an_opaque_body(kind: str) -> None:
    body = parse_body(kind, 2, {"anything": "goes"})
    assert isinstance(body, Opaque)
    assert body == {"anything": "goes"}


def test_parse_names_the_class_when_asked() -> None:
    from protocol.kinds.hub import Announcement

    with pytest.raises(SchemaViolation, match=r"^invalid: body\.text is required$"):
        parse(Announcement, {})


def test_update_after_event_parses() -> None:
    # EventUpdate extends EventDetails; the schema cache must not be shared between them.
    parse_body("event", 1, EXAMPLES["event"])
    assert parse_body("event.update", 1, EXAMPLES["event.update"]).event == REF
    parse_body("event", 1, EXAMPLES["event"])


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_describe_lists_every_field_once(kind: str) -> None:
    names = [name for name, _, _ in describe(KINDS[kind])]
    assert len(names) == len(set(names))
    # Every field is in the full example, except the sealed vote's alternative to
    # choice and a motion's admit and remove (a regional, sealed motion has neither).
    expected_missing = {
        "delegate.vote": {"commitment"},
        "motion": {"admit", "remove"},
    }.get(kind, set())
    assert set(names) - set(EXAMPLES[kind]) == expected_missing
    assert set(EXAMPLES[kind]) <= set(names)


def test_motion_sealed_may_be_left_out_but_is_always_dumped() -> None:
    # Two accepted encodings of an open motion: `sealed` absent, or false. Our encoder
    # always writes it, as dump() leaves out only None and empty lists.
    body = {k: v for k, v in EXAMPLES["motion"].items() if k != "sealed"}
    motion = parse_body("motion", 1, body)
    assert motion.sealed is False
    assert dump(motion)["sealed"] is False


MEMBERSHIP_MOTION = {
    **EXAMPLES["motion"],
    "body": "national",
    "sealed": False,
    "options": ["For", "Against"],
    "rule": "two-thirds",
}


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"admit": NODE, "remove": NODE}, "admits a hub or removes one, not both"),
        ({"admit": NODE, "body": "region:Yorkshire"}, "only the national body"),
        ({"admit": NODE, "sealed": True}, "voted openly"),
        ({"admit": NODE, "options": ["Against", "For"]}, "'For' as its first option"),
        ({"remove": NODE, "rule": "majority"}, "needs a two-thirds rule"),
    ],
)
def test_motion_to_admit_or_remove_a_hub_follows_its_rules(
    changes: dict[str, Any], problem: str
) -> None:
    assert problem in refused("motion", {**MEMBERSHIP_MOTION, **changes})


def test_motion_to_admit_or_remove_a_hub_parses() -> None:
    admit = parse_body("motion", 1, {**MEMBERSHIP_MOTION, "admit": NODE, "rule": "majority"})
    remove = parse_body("motion", 1, {**MEMBERSHIP_MOTION, "remove": NODE})
    assert admit.changes_roster and remove.changes_roster


def test_network_found_lists_founders_once_in_order() -> None:
    body = {**EXAMPLES["network.found"], "founders": ["b" * 56, "a" * 56]}
    assert "ascending order" in refused("network.found", body)
    body = {**EXAMPLES["network.found"], "founders": ["a" * 56, "a" * 56]}
    assert "ascending order" in refused("network.found", body)


def test_witness_lists_must_be_the_same_length() -> None:
    body = {**EXAMPLES["network.witness"], "seqs": [3]}
    assert "same length" in refused("network.witness", body)


def test_a_fork_proof_names_two_different_messages() -> None:
    body = {**EXAMPLES["fork.proof"], "second": EXAMPLES["fork.proof"]["first"]}
    assert "two messages" in refused("fork.proof", body)


@pytest.mark.parametrize("seq", [0, -1, 2**53 + 1])
def test_a_fork_proof_or_resolution_seq_is_a_log_position(seq: int) -> None:
    assert "seq" in refused("fork.proof", {**EXAMPLES["fork.proof"], "seq": seq})
    assert "seq" in refused("fork.resolve", {**EXAMPLES["fork.resolve"], "seq": seq})


def test_a_fork_resolution_names_a_successor_key_of_32_bytes() -> None:
    assert "new_key" in refused("fork.resolve", {**EXAMPLES["fork.resolve"], "new_key": b"\x01"})
