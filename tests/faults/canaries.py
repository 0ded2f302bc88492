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
import datetime as dt
import gzip
import itertools
import re
import secrets
import sqlite3
import time
import zlib
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import msgpack

from node.store import sealing
from tests.faults.websession import Page, WebSession
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
    # What a seeder must do once time has passed (a ballot once voting opens); run last.
    later: list[Callable[[], object]] = field(default_factory=list)
    _event: str | None = None
    _election: tuple[str, int] | None = None
    _candidate: int | None = None

    def mint(self, field_name: str) -> str:
        return self.canaries.mint(field_name)

    def visitor(self) -> WebSession:
        """A web session from a fresh client address, itself planted as a canary."""
        address = next(_ADDRESSES)
        self.canaries.add("client.address", address)
        return WebSession(self.hub.url, source_address=address)

    def member_id(self, email: str) -> int:
        row = self.query("SELECT id FROM members WHERE email_index = blind_index(?)", email)
        assert row, f"{email} is not a member of {self.hub.name}"
        return int(row[0][0])

    def query(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        """`sql` on the hub's database, read only, with its sealing functions (the key
        from the hub's key file, as the node unlocks: node/store/sealing.py)."""
        path = self.hub.data_dir / "hubnet.db"
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            methods = {
                m: (w, p)
                for m, w, p in conn.execute("SELECT method, wrapped, scrypt FROM unlock_methods")
            }
            data_key = sealing.data_key_from(methods, sealing.KeyPlaces.beside(path).keys())
            assert data_key is not None, f"no key file unlocks {self.hub.name}"
            sealer = sealing.Sealer()
            sealer.unlock(data_key)
            sealer.attach_inline(conn)
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
        assert page.status == 303, f"join: {page.status} {page.text[:300]}"
        member = self.member_id(form["email"])
        page = self.organiser.post(f"/organise/members/{member}/approve")
        assert page.status in (200, 303), f"approve: {page.status} {page.text[:300]}"
        return form["email"]

    def member(self, **fields: str) -> WebSession:
        """A member who applied, was approved and is logged in from an address of their own."""
        email = self.apply(**fields)
        session = self.visitor()
        session.login(email, PASSWORD)
        return session

    def submit(self, session: WebSession, path: str, form: dict[str, str] | None = None) -> Page:
        """POST a form as a member would, and require that the hub took it."""
        page = session.post(path, form)
        assert page.status in (200, 303), f"{path}: {page.status} {page.text[:300]}"
        assert 'id="form-errors"' not in page.text, f"{path} refused: {_errors(page.text)}"
        return page

    def public_event(self) -> str:
        """A public event this hub organises (published on purpose): its id, in hex."""
        if self._event is None:
            day = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).date().isoformat()
            form = {
                "title": "Open meeting", "description": "", "start_date": day,
                "start_time": "18:00", "end_date": day, "end_time": "20:00",
                "timezone": "Europe/London", "type": "public-meeting", "visibility": "public",
                "place": "The community hall", "lat": "", "lon": "", "online_url": "",
                "capacity": "", "speakers": "", "cohosts": "",
            }  # fmt: skip
            page = self.submit(self.organiser, "/events/new", form)
            found = re.search(r"/events/([0-9a-f]{64})$", page.location)
            assert found, f"no event after creating one: {page.status} {page.location}"
            self._event = found.group(1)
        return self._event

    def election(self) -> tuple[str, int]:
        """An open election for secretary taking nominations (id, and when voting opens, ms).

        Nominations close 15 seconds on (the form takes seconds, as a browser sends
        them when the field allows) and voting opens then, so ballots can be cast
        later in the same run.
        """
        if self._election is None:
            now = int(time.time() * 1000)
            opens = now - now % 1000 + 15_000
            form = {
                "role": "secretary",
                "method": "plurality",
                "nominations_close": _second(opens),
                "voting_opens": _second(opens),
                "voting_closes": _second(opens + 7 * 86_400_000),
            }
            page = self.submit(self.organiser, "/elections/new", form)
            found = re.search(r"/elections/([0-9a-f]{32})$", page.location)
            assert found, f"no election after opening one: {page.status} {page.location}"
            self._election = (found.group(1), opens)
        return self._election

    def candidate(self) -> int:
        """A member nominated by the organiser who accepted: a candidate in `election()`."""
        if self._candidate is None:
            election, _ = self.election()
            name = self.mint("nominations (the nominee's name)")
            nominee = self.member(name=name)
            member_id = self.member_id(self._email_of(name))
            self.submit(
                self.organiser, f"/elections/{election}/nominate", {"nominee": str(member_id)}
            )
            statement = self.mint("nominations.statement (the candidate's statement)")
            self.submit(
                nominee,
                f"/elections/{election}/accept",
                {"network_name": "", "statement": statement},
            )
            self._candidate = member_id
        return self._candidate

    def _email_of(self, name: str) -> str:
        row = self.query(
            "SELECT unseal('members.email', email) FROM members"
            " WHERE unseal('members.name', name) = ?",
            name,
        )
        assert row, f"nobody called {name} on {self.hub.name}"
        return str(row[0][0])

    def newest(self, table: str) -> int:
        (row,) = self.query(f"SELECT max(id) FROM {table}")
        assert isinstance(row[0], int), f"nothing in {table}"
        return row[0]


def _minute(ms: int) -> str:
    return _second(ms)[:16]


def _second(ms: int) -> str:
    # Forms read times in the hub's zone (Europe/London unless its profile says otherwise).
    london = zoneinfo.ZoneInfo("Europe/London")
    return dt.datetime.fromtimestamp(ms / 1000, tz=london).strftime("%Y-%m-%dT%H:%M:%S")


def _errors(text: str) -> str:
    return " / ".join(re.findall(r"<li>(.*?)</li>", text.split('id="form-errors"', 1)[-1])[:3])


def _in_days(days: int) -> str:
    return _minute(int(time.time() * 1000) + days * 86_400_000)


def _password(s: Seeding) -> None:
    password = s.mint("members.password") + " and more"
    email = s.apply(password=password)
    (stored,) = s.query(
        "SELECT password_hash FROM members WHERE email_index = blind_index(?)", email
    )[0]
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


def _rsvp(s: Seeding) -> None:
    """An RSVP ties a member to an event: the member's name and email are the markers."""
    event = s.public_event()
    name = s.mint("rsvps (the member's name)")
    member = s.member(name=name, email=f"{s.mint('rsvps (the member email)')}@example.org")
    s.submit(member, f"/events/{event}/rsvp")
    assert s.query(
        "SELECT 1 FROM rsvps r JOIN members m ON m.id = r.member_id"
        " WHERE unseal('members.name', m.name) = ?",
        name,
    ), "the RSVP was not recorded"


def _registration(s: Seeding) -> None:
    event = s.public_event()
    form = {
        "name": s.mint("registrations.name"),
        "email": f"{s.mint('registrations.email')}@example.org",
    }
    visitor = s.visitor()
    page = s.submit(visitor, f"/events/{event}/register", form)
    assert page.status == 303, page.text[:300]  # to the event, which says so once
    assert "you are registered" in visitor.get(page.location).text


def _mutual_aid(s: Seeding) -> None:
    member = s.member(name=s.mint("mutual_aid (the poster's name)"))
    form = {
        "type": "request",
        "title": s.mint("mutual_aid.title"),
        "text": s.mint("mutual_aid.text"),
    }
    s.submit(member, "/mutual-aid", form)


def _speaker(s: Seeding) -> None:
    """Topics, area and the note for other hubs are published on purpose; the speaker is not."""
    member = s.member(
        name=s.mint("speakers (the speaker's name)"),
        email=f"{s.mint('speakers (the speaker email)')}@example.org",
    )
    s.submit(member, "/speakers/offer", {"topics": "Housing law, tenants' rights"})


def _discussion(s: Seeding) -> None:
    member = s.member(name=s.mint("discussion_topics (the author's name)"))
    form = {
        "category": "general",
        "title": s.mint("discussion_topics.title"),
        "text": s.mint("discussion_posts.text (first post)"),
    }
    page = s.submit(member, "/discussions", form)
    topic = re.search(r"/discussions/(\d+)$", page.location)
    assert topic, f"no topic after starting one: {page.status} {page.location}"
    s.submit(
        member, f"/discussions/{topic.group(1)}/reply", {"text": s.mint("discussion_posts.text")}
    )


def _comment(s: Seeding) -> None:
    """A comment is published under the member's network name on purpose; who wrote it is not."""
    member = s.member(
        name=s.mint("comment_authors (the member's name)"),
        email=f"{s.mint('comment_authors (the member email)')}@example.org",
    )
    s.submit(member, "/account/network-name", {"display_name": f"n{secrets.token_hex(3)}"})
    s.submit(member, f"/discuss/{s.public_event()}", {"text": "Count me in: published on purpose."})


def _nomination(s: Seeding) -> None:
    s.candidate()


def _notice(s: Seeding) -> None:
    """A member nominates another: the nominee's notice names the nominator."""
    election, _ = s.election()
    nominator = s.member(name=s.mint("notices.text (the nominator's name)"))
    nominee = s.member_id(s.apply())
    s.submit(nominator, f"/elections/{election}/nominate", {"nominee": str(nominee)})
    assert s.query("SELECT 1 FROM notices WHERE member_id = ?", nominee), "no notice"


def _ballot(s: Seeding) -> None:
    """Who voted: a member's ballot, cast once voting opens (so at the end of the seeding)."""
    election, opens = s.election()
    candidate = s.candidate()
    voter = s.member(
        name=s.mint("voters (the voter's name)"),
        email=f"{s.mint('voters (the voter email)')}@example.org",
    )

    def vote() -> None:
        time.sleep(max(0.0, opens / 1000 - time.time() + 1))
        s.submit(voter, f"/elections/{election}/vote", {"choice": str(candidate)})

    s.later.append(vote)


def _funds_note(s: Seeding) -> None:
    form = {
        "kind": "income",
        "amount": "120.00",
        "date": dt.datetime.now(dt.UTC).date().isoformat(),
        "category": "Donations",
        "note": s.mint("funds_entries.note"),
        "corrects": "",
        "against": "",
    }
    s.submit(s.organiser, "/funds/entries", form)


def _budget_proposal(s: Seeding) -> None:
    _funds_note(s)  # money in the kitty for the round
    form = {
        "title": "Spring round",
        "amount": "50.00",
        "proposals_close": _in_days(2),
        "voting_open": _in_days(2),
        "voting_close": _in_days(4),
    }
    s.submit(s.organiser, "/budget", form)
    round_id = s.newest("budget_rounds")
    author = s.member(
        name=s.mint("budget_proposals (the author's name)"),
        email=f"{s.mint('budget_proposals (the author email)')}@example.org",
    )
    form = {
        "title": "Bike racks",
        "description": s.mint("budget_proposals.description"),
        "cost": "10.00",
    }
    s.submit(author, f"/budget/{round_id}/proposals", form)


def _poll_vote(s: Seeding) -> None:
    voter = s.member(
        name=s.mint("poll_electorate (the voter's name)"),
        email=f"{s.mint('poll_electorate (the voter email)')}@example.org",
    )
    proposer = s.member(name=s.mint("polls (the proposer's name)"))
    form = {
        "title": "Meet on Tuesdays?",
        "body": s.mint("polls.body"),
        "kind": "yes-no",
        "options": "",
        "quorum": "0",
        "closes": _in_days(3),
    }
    s.submit(proposer, "/polls", form)
    s.submit(voter, f"/polls/{s.newest('polls')}/vote", {"choice": "0"})


def _calendar_feed(s: Seeding) -> None:
    member = s.member()
    page = s.submit(member, "/account/calendar-feed")
    token = re.search(r"/calendar/mine/([A-Za-z0-9_-]{16,})\.ics", page.text)
    assert token, f"no calendar address on the page: {page.status} {page.text[:300]}"
    s.canaries.add("calendar_feeds.token", token.group(1))


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
    # Opened first, so that voting opens (15 s later) while the rest is seeded.
    PersonalField("nominations", _nomination),
    # Both nominate, so must be done before nominations close; a ballot waits for voting.
    PersonalField("notices.text", _notice),
    PersonalField("voters", _ballot),
    PersonalField("rsvps", _rsvp),
    PersonalField("registrations", _registration),
    PersonalField("mutual_aid", _mutual_aid),
    PersonalField("speakers", _speaker),
    PersonalField("discussion_topics and posts", _discussion),
    PersonalField("comment_authors", _comment),
    PersonalField("funds_entries.note", _funds_note),
    PersonalField("budget_proposals", _budget_proposal),
    PersonalField("poll_electorate", _poll_vote),
    PersonalField("calendar_feeds.token", _calendar_feed),
]


def seed_every_field(
    hub: Hub, organiser: WebSession, canaries: Canaries
) -> list[Callable[[], object]]:
    """Plant a marker in every personal field; what is left to do once time has passed.

    The steps returned (a ballot, once the election's voting opens) must be run before
    the traffic is scanned; a caller seeding several hubs runs them all together at the
    end, so the waits overlap.
    """
    seeding = Seeding(hub, organiser, canaries)
    for personal in PERSONAL_FIELDS:
        before = len(canaries.markers)
        personal.seed(seeding)
        assert len(canaries.markers) > before, f"the seeder for {personal.name} planted nothing"
    return seeding.later


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
