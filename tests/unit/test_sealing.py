"""Members' personal data sealed at rest: the sealing itself (crypto/sealing.py), the
SQL functions and the lock (node/store/sealing.py), and migration 22 leaving no value
in the clear behind it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto import sealing
from crypto.sealing import DataKey, ScryptParams, SealError
from node.store.database import Database
from node.store.sealing import KeyPlaces, MembersDataLocked
from tests.unit.test_migrations import build_at

KEY = DataKey.from_bytes(bytes(range(32)))


@given(st.text(max_size=200), st.sampled_from(["members.name", "members.email"]))
def test_a_sealed_value_opens_for_its_own_column(value: str, column: str) -> None:
    assert KEY.unseal(column, KEY.seal(column, value)) == value
    assert KEY.unseal(column, KEY.seal_stable(column, value)) == value


def test_a_value_moved_to_another_column_is_refused() -> None:
    sealed = KEY.seal("members.name", "Ann Canary")
    with pytest.raises(SealError, match=r"members\.email"):
        KEY.unseal("members.email", sealed)


def test_a_changed_byte_anywhere_is_refused() -> None:
    sealed = KEY.seal("members.email", "ann@example.org")
    for i in range(len(sealed)):
        tampered = bytearray(sealed)
        tampered[i] ^= 0x01
        with pytest.raises(SealError):
            KEY.unseal("members.email", bytes(tampered))


def test_another_nodes_key_does_not_open_it() -> None:
    other = DataKey.from_bytes(bytes(32))
    with pytest.raises(SealError):
        other.unseal("members.name", KEY.seal("members.name", "Ann"))


def test_the_same_value_seals_differently_each_time_but_stably_when_asked() -> None:
    assert KEY.seal("members.name", "Ann") != KEY.seal("members.name", "Ann")
    stable = KEY.seal_stable("ballot_choices.choices", "[1,0]")
    assert stable == KEY.seal_stable("ballot_choices.choices", "[1,0]")
    assert stable != KEY.seal_stable("ballot_choices.choices", "[0,1]")
    assert b"[1,0]" not in stable


def test_the_blind_index_finds_an_address_as_typed_any_way() -> None:
    assert KEY.blind_index(" Ann@Example.ORG ") == KEY.blind_index("ann@example.org")
    assert KEY.blind_index("ann@example.org") != KEY.blind_index("bob@example.org")
    assert KEY.blind_index("ann@example.org") != DataKey.from_bytes(bytes(32)).blind_index(
        "ann@example.org"
    )


# Made by the first implementation, on cryptography's AES-GCM, X25519, HKDF and
# scrypt: what a hub sealed then must open now, on either AES-GCM, byte for byte.
VECTORS = {
    "public": "d71ae77a14d98f8167c0683c1c6621ec031c41b7e47df0aa6e67443e2ec5b929",
    "stable": "012e8ae76dd11d9cfd335c5a5a1539fa6551adc0fe466aaa96884240afb2516d751f",
    "index": "4d2c44f9c1300686e7e73bdf5a8a158dcadede046b7bc93728f7d69ed06203fa",
    "sealed": "0177ebd556fd396f79b3abf5d7e52b69d4f666110387744766ea914689aeea69245759e3782f1a",
    "to_key": "0265636f88f572645a24fe26cde706df314d1a0edb164482246945f938ee16134d69835847d3"
    "715117532185d0e6a064dc7b0b4ea7eec517fc5c18ca5c9eaaecab151843d7",
    "wrapped": "012d32aa2db1cb13e7e6b1dd3c7ed0f0a78ef2f6cfa109c14017390a194e679d4049c46a593"
    "4d1f4e7de7b419a307af301d7ef62ee9cacb82e6905b40f",
    "kek": "02c5afc0c63fefa9ba52d7ad905be524810f4c2026f0fbb6be462b464b71d74b",
}


# cryptography's AES-GCM always; libsodium's where this CPU has AES instructions (a
# Raspberry Pi 4 has none, and uses cryptography's alone).
AES_HERE = ["cryptography", *(["libsodium"] if sealing._sodium_has_aes() else [])]


@pytest.fixture(params=AES_HERE)
def aes_from(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test below runs on every AES-GCM this machine has."""
    if request.param == "cryptography":
        monkeypatch.setattr(sealing, "_sodium_has_aes", lambda: False)
    return str(request.param)


def test_values_sealed_by_the_first_implementation_open_alike(aes_from: str) -> None:
    key = DataKey.from_bytes(bytes(range(32)))
    assert key.public_key().hex() == VECTORS["public"]
    stable = key.seal_stable("ballot_choices.choices", "[1,0]")
    assert stable.hex() == VECTORS["stable"]
    assert key.blind_index("ann@example.org").hex() == VECTORS["index"]
    assert key.unseal("members.name", bytes.fromhex(VECTORS["sealed"])) == "Ann Canary"
    assert key.unseal("notices.body", bytes.fromhex(VECTORS["to_key"])) == "A notice"
    assert sealing.unwrap(bytes(range(32, 64)), bytes.fromhex(VECTORS["wrapped"])) == bytes(
        range(32)
    )
    params = ScryptParams(bytes(16), 2**10, 8, 1)
    assert sealing.passphrase_kek("correct horse battery", params).hex() == VECTORS["kek"]
    # Equal bytes for a stable seal on either AES-GCM, and the first implementation's
    # values opened by each: what one seals, the other opens. And on each, a value
    # moved to another column is refused.
    fresh = key.seal("members.email", "bob@example.org")
    assert key.unseal("members.email", fresh) == "bob@example.org"
    with pytest.raises(SealError):
        key.unseal("members.name", fresh)


@given(st.binary(min_size=32, max_size=32), st.binary(max_size=80))
def test_the_key_derivation_is_hkdf_sha256(key: bytes, info: bytes) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    expected = HKDF(hashes.SHA256(), 32, salt=None, info=info).derive(key)
    assert sealing._hkdf_sha256(key, info) == expected


def test_sealing_to_a_key_of_low_order_is_refused() -> None:
    with pytest.raises(SealError):
        sealing.seal_to(bytes(32), "notices.body", "A notice")
    forged = bytes([sealing.TO_KEY]) + bytes(32) + bytes(12 + 32)
    with pytest.raises(SealError, match=r"notices\.body"):
        KEY.unseal("notices.body", forged)


def test_a_wrapped_key_opens_only_with_its_key_file_or_passphrase() -> None:
    data_key, kek = sealing.new_key(), sealing.new_key()
    assert sealing.unwrap(kek, sealing.wrap(kek, data_key)) == data_key
    with pytest.raises(SealError):
        sealing.unwrap(sealing.new_key(), sealing.wrap(kek, data_key))
    # Small scrypt costs here; the node's are in crypto/sealing.py.
    params = ScryptParams(b"salt" * 4, n=2**10)
    wrapped = sealing.wrap(sealing.passphrase_kek("correct horse battery", params), data_key)
    assert sealing.unwrap(sealing.passphrase_kek("correct horse battery", params), wrapped)
    with pytest.raises(SealError):
        sealing.unwrap(sealing.passphrase_kek("correct horse batter", params), wrapped)


async def test_a_locked_database_answers_queries_for_members_details_with_the_lock(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "hubnet.db")
    try:
        async with db.write() as conn:
            await conn.execute(
                "INSERT INTO members (email_index, email, name, status, charter_version,"
                " charter_signed_at, privacy_version, privacy_accepted_at, applied_at)"
                " VALUES (blind_index(?1), seal('members.email', ?1), seal('members.name', ?2),"
                " 'active', '1', 0, '1', 0, 0)",
                ("ann@example.org", "Ann Canary"),
            )
        query = "SELECT unseal('members.name', name) FROM members"
        assert await db.fetchall(query) == [("Ann Canary",)]
        data_key = db.sealer.data_key()
        db.sealer.lock()
        with pytest.raises(MembersDataLocked):
            await db.fetchall(query)
        with pytest.raises(MembersDataLocked):
            async with db.write() as conn:
                await conn.execute(
                    "UPDATE members SET status = 'left'"
                    " WHERE email_index = blind_index('ann@example.org')"
                )
        # What needs no member's details goes on.
        assert await db.fetchall("SELECT status FROM members") == [("active",)]
    finally:
        await db.close()
    # Opened again without its key file: locked from the start.
    (tmp_path / "data.key").rename(tmp_path / "elsewhere.key")
    db = await Database.open(tmp_path / "hubnet.db", KeyPlaces((tmp_path / "absent.key",)))
    try:
        assert db.sealer.locked
        with pytest.raises(MembersDataLocked):
            await db.fetchall("SELECT unseal('members.name', name) FROM members")
        # It still takes what another hub's message may raise (a notice), sealed to the
        # node's public key, which only the data key opens.
        async with db.write() as conn:
            await conn.execute(
                "INSERT INTO notices (member_id, text, link, created_at)"
                " VALUES (1, seal('notices.text', 'Ann Canary applied'), NULL, 0)"
            )
        assert b"Ann Canary" not in (tmp_path / "hubnet.db-wal").read_bytes()
        with pytest.raises(MembersDataLocked):
            await db.fetchall("SELECT unseal('notices.text', text) FROM notices")
        db.sealer.unlock(data_key)
        assert await db.fetchall("SELECT unseal('notices.text', text) FROM notices") == [
            ("Ann Canary applied",)
        ]
    finally:
        await db.close()


async def test_sealing_an_older_database_leaves_no_detail_in_the_clear(tmp_path: Path) -> None:
    """Migration 22 seals every row, and the VACUUM after it leaves no old page behind:
    not in the file, not in the write-ahead log."""
    path = tmp_path / "hubnet.db"
    build_at(path, 21)
    canaries = (b"ana@example.org", b"jo@example.net", b"Jo Bloggs", b"new@example.org")
    canaries += (b"A week away from discussions", b"A personal attack in")
    wal = path.with_name("hubnet.db-wal")
    before = path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert all(c in before for c in canaries)
    db = await Database.open(path)
    try:
        stored = path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
        assert [c for c in canaries if c in stored] == []
        assert await db.fetchall(
            "SELECT unseal('registrations.name', name) FROM registrations"
        ) == [("Jo Bloggs",)]
    finally:
        await db.close()
    # The node's first start made the key file beside the database.
    assert len((tmp_path / "data.key").read_bytes()) == 32
