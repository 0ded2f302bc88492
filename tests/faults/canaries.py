"""Privacy canaries: unique markers planted in every personal field, and a scanner for them.

A later feature that stores something personal adds one line to PERSONAL_FIELDS:

    PersonalField("rsvps.note", lambda s: s.rsvp(note=s.mint("rsvps.note"))),

The seeder gets a `Seeding` (the hub, an organiser's logged-in web session, and
`mint(field)` for a fresh marker) and must put the marker in that field the way
a member would, through the web UI. `tests/faults/test_privacy.py` then runs
federation between real nodes with every byte between them recorded by the fault
proxies, and `scan` must find none of the markers, in any of the forms below.
The same test publishes one marker on purpose and requires the scanner to find
it, so a recording or scanning fault cannot pass for privacy.
"""

from __future__ import annotations

import base64
import gzip
import itertools
import re
import secrets
import sqlite3
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import msgpack

from tests.faults.websession import WebSession
from tests.integration.network import Hub

PASSWORD = "a long enough password"
# Marker addresses: distinct loopback addresses the node sees as its client's.
_ADDRESSES = (f"127.{x}.{y}.{z}" for x, y, z in itertools.product((83,), range(60, 250), (201,)))


@dataclass(frozen=True)
class Hit:
    field: str
    marker: str
    form: str  # how it was found: raw, hex, base64, utf-16, http-body, msgpack
    where: str  # which proxy, connection and direction

    def __str__(self) -> str:
        return f"{self.field} ({self.marker!r}) found as {self.form} in {self.where}"


@dataclass
class Canaries:
    """Every marker planted, by the field it was planted in."""

    markers: dict[str, str] = field(default_factory=dict)  # marker -> field

    def mint(self, field_name: str) -> str:
        marker = "zq" + secrets.token_hex(8)
        self.markers[marker] = field_name
        return marker

    def add(self, field_name: str, value: str) -> None:
        """A value the node derived (a hash, a token) that must not leave it either."""
        if len(value) < 8:
            raise ValueError(f"{value!r} is too short to search for without false hits")
        self.markers[value] = field_name


@dataclass
class Seeding:
    """What a seeder may use: the hub, its organiser's session, and fresh markers."""

    hub: Hub
    organiser: WebSession
    canaries: Canaries

    def mint(self, field_name: str) -> str:
        return self.canaries.mint(field_name)

    def visitor(self) -> WebSession:
        """A web session from a fresh client address, itself planted as a canary."""
        address = next(_ADDRESSES)
        self.canaries.add("client.address", address)
        return WebSession(self.hub.url, source_address=address)

    def member_id(self, email: str) -> int:
        row = self.query("SELECT id FROM members WHERE email = ?", email)
        assert row, f"{email} is not a member of {self.hub.name}"
        return int(row[0][0])

    def query(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        conn = sqlite3.connect(f"file:{self.hub.data_dir / 'hubnet.db'}?mode=ro", uri=True)
        try:
            return list(conn.execute(sql, args).fetchall())
        finally:
            conn.close()

    def apply(self, **fields: str) -> str:
        """Apply to join through the public form, and have the organiser approve; the email."""
        form = {
            "name": "A member",
            "email": f"{self.mint('members.email')}@example.org",
            "phone": "",
            "statement": "",
            "password": PASSWORD,
            "sign_charter": "yes",
            "accept_privacy": "yes",
            **fields,
        }
        page = self.visitor().post("/join", form)
        assert page.status == 200, f"join: {page.status} {page.text[:300]}"
        member = self.member_id(form["email"])
        page = self.organiser.post(f"/organise/members/{member}/approve")
        assert page.status in (200, 303), f"approve: {page.status} {page.text[:300]}"
        return form["email"]


def _password(s: Seeding) -> None:
    password = s.mint("members.password") + " and more"
    email = s.apply(password=password)
    (stored,) = s.query("SELECT password_hash FROM members WHERE email = ?", email)[0]
    assert isinstance(stored, str)
    s.canaries.add("members.password_hash", stored)
    salt, digest = stored.split("$")[-2:]  # $argon2id$v=19$m=…,t=…,p=…$salt$hash
    s.canaries.add("members.password_hash (salt)", salt)
    s.canaries.add("members.password_hash (hash)", digest)


def _session(s: Seeding) -> None:
    email = s.apply()
    member = s.visitor()
    member.login(email, PASSWORD)
    for name, value in member.cookies.items():
        if name.endswith("hubnet_session"):
            s.canaries.add("sessions.token", value)


def _reset_link(s: Seeding) -> None:
    email = s.apply()
    page = s.organiser.post(f"/organise/members/{s.member_id(email)}/reset")
    token = re.search(r"/reset/([A-Za-z0-9_-]{16,})", page.text)
    assert token, f"no reset link on the page: {page.status} {page.text[:300]}"
    s.canaries.add("reset_links.token", token.group(1))


@dataclass(frozen=True)
class PersonalField:
    name: str
    seed: Callable[[Seeding], object]


# One line per personal field. A feature that stores something personal adds its line.
PERSONAL_FIELDS: list[PersonalField] = [
    PersonalField("members.name", lambda s: s.apply(name=s.mint("members.name"))),
    PersonalField("members.email", lambda s: s.apply()),  # apply() mints the email
    PersonalField("members.phone", lambda s: s.apply(phone=s.mint("members.phone"))),
    PersonalField("members.statement", lambda s: s.apply(statement=s.mint("members.statement"))),
    PersonalField("members.password", _password),
    PersonalField("sessions.token", _session),
    PersonalField("reset_links.token", _reset_link),
    PersonalField("client.address", lambda s: s.visitor().get("/")),  # every visitor's is one
]


def seed_every_field(hub: Hub, organiser: WebSession, canaries: Canaries) -> None:
    seeding = Seeding(hub, organiser, canaries)
    for personal in PERSONAL_FIELDS:
        before = len(canaries.markers)
        personal.seed(seeding)
        assert len(canaries.markers) > before, f"the seeder for {personal.name} planted nothing"


# -- the scanner ----------------------------------------------------------------------------


def _base64_cores(data: bytes) -> list[bytes]:
    """The part of base64 that `data` always encodes to, at each of the three alignments."""
    cores = []
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data)
        start = 4 if offset else 0  # the first group mixes in the prefix
        end = (offset + len(data)) // 3 * 4  # the last partial group depends on what follows
        core = encoded[start:end]
        cores += [core, core.replace(b"+", b"-").replace(b"/", b"_")]
    return cores


def encoded_forms(marker: str) -> list[tuple[str, bytes, bool]]:
    """(form, bytes to look for, case-insensitive?) for one marker."""
    raw = marker.encode()
    forms = [("raw", raw.lower(), True), ("hex", raw.hex().encode(), True)]
    forms.append(("utf-16", marker.lower().encode("utf-16-le"), True))
    forms += [("base64", core, False) for core in _base64_cores(raw)]
    return forms


def http_bodies(stream: bytes) -> list[bytes]:
    """The bodies of the HTTP/1.1 messages in one direction of a connection, decoded."""
    bodies, rest = [], stream
    while rest:
        head, sep, rest = rest.partition(b"\r\n\r\n")
        if not sep:
            break
        headers = {}
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
        if headers.get(b"transfer-encoding") == b"chunked":
            body = bytearray()
            while rest:
                size_line, _, rest = rest.partition(b"\r\n")
                try:
                    size = int(size_line.split(b";")[0], 16)
                except ValueError:
                    break
                body += rest[:size]
                rest = rest[size + 2 :]
                if size == 0:  # the last chunk; hubnet sends no trailers
                    break
            data = bytes(body)
        else:
            length = int(headers.get(b"content-length", b"0") or 0)
            data, rest = rest[:length], rest[length:]
        encoding = headers.get(b"content-encoding", b"")
        try:
            if encoding == b"gzip":
                data = gzip.decompress(data)
            elif encoding == b"deflate":
                data = zlib.decompress(data)
        except (OSError, zlib.error):
            pass  # scanned as it is
        bodies.append(data)
    return bodies


def msgpack_leaves(data: bytes, depth: int = 0) -> list[bytes]:
    """Every string and byte string inside `data` if it is msgpack, unpacking nested msgpack."""
    if depth > 8:
        return []
    try:
        value = msgpack.unpackb(data, raw=True, strict_map_key=False)
    except Exception:  # not msgpack: nothing more to look into
        return []
    leaves: list[bytes] = []
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, bytes):
            leaves.append(item)
            leaves += msgpack_leaves(item, depth + 1)
        elif isinstance(item, list | tuple):
            todo += item
        elif isinstance(item, dict):
            todo += [*item.keys(), *item.values()]
    return leaves


def scan(streams: Iterable[tuple[str, bytes]], canaries: Canaries) -> list[Hit]:
    """Every marker found in the recorded `streams` ((where, bytes) pairs), in any form."""
    searches = [
        (field_name, marker, form, needle, folded)
        for marker, field_name in canaries.markers.items()
        for form, needle, folded in encoded_forms(marker)
    ]
    hits: set[Hit] = set()
    for where, stream in streams:
        corpora = [("", stream)]
        for body in http_bodies(stream):
            corpora.append(("http-body", body))
            leaves = msgpack_leaves(body)
            if leaves:
                corpora.append(("msgpack", b"\n".join(leaves)))
        for layer, corpus in corpora:
            lowered = corpus.lower()
            for field_name, marker, form, needle, folded in searches:
                if needle in (lowered if folded else corpus):
                    label = f"{form} in {layer}" if layer else form
                    hits.add(Hit(field_name, marker, label, where))
    return sorted(hits, key=str)
