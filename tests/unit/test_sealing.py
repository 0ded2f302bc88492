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
