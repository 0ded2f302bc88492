"""No client address kept (the forget_client_addresses setting, on by default): after a
busy run, no log line, database row (the file and its WAL) or metric holds one.

The hubs listen on addresses of their own (127.0.8.1 and .2, and their URLs say so),
so any other address found is a client's: 127.42.13.7 and .8 are the browsers (the
connections are made from them), and 127.0.0.1 is where the peer's pushes and pulls,
and the `hubnet` commands' requests, come from (the kernel's choice for loopback).
"""

from __future__ import annotations

import functools
import http.client
import socket
import sqlite3
import time
import urllib.request
from pathlib import Path

from tests.faults.websession import WebSession
from tests.integration.network import Hub, configure, found_network, wait_for
from tests.integration.web_session import organiser_login

BROWSER = "127.42.13.7"
NEIGHBOUR = "127.42.13.8"  # another household
CANARIES = (BROWSER, NEIGHBOUR, "127.0.0.1")
TOO_MANY = "Too many applications have come from your address"
QUICK_HASHES = {"HUBNET_ARGON2_MEMORY_KIB": "19456", "HUBNET_ARGON2_TIME_COST": "2"}


def _apply(session: WebSession, n: int) -> int:
    page = session.post(
        "/join",
        {
            "name": f"Applicant {n}",
            "email": f"applicant{n}-{time.monotonic_ns()}@example.org",
            "password": "a long enough password 42",
            "sign_charter": "yes",
            "accept_privacy": "yes",
        },
    )
    assert page.status in (303, 429), page.text[:500]
    assert (page.status == 429) == (TOO_MANY in page.text), page.text[:500]
    return page.status


def _malformed_request(hub: Hub) -> None:
    # What a scanner sends: the node answers 400 and its HTTP library logs an error
    # naming the client (aiohttp's "Error handling request from …").
    with socket.create_connection((hub.host, hub.port), source_address=(BROWSER, 0)) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nNot a header\r\n\r\n")
        assert b" 400 " in conn.recv(100)


def _found_in(data: bytes) -> list[str]:
    return [c for c in CANARIES if c.encode() in data]


def test_no_client_address_in_logs_database_or_metrics_after_a_busy_run(
    tmp_path: Path,
) -> None:
    canary = Hub(tmp_path, "Canary", host="127.0.8.1")
    lookout = Hub(tmp_path, "Lookout", host="127.0.8.2")
    found_network([canary, lookout])
    canary.start(env=QUICK_HASHES)
    lookout.start()
    assert canary.process is not None
    output = canary.process.output  # every line it logs, kept after it stops
    try:
        lookout.peer_with(canary)
        browser = WebSession(canary.url, source_address=BROWSER)
        for path in ("/", "/calendar", "/join", "/login", "/network", "/library"):
            assert browser.get(path).status == 200, path
        # Wrong passwords (the login limit counts them), then the right one.
        email, password = organiser_login(canary.init_output)
        for n in range(3):
            page = browser.post("/login", {"email": email, "password": f"wrong {n}"})
            assert page.status == 400
        browser.login(email, password)
        assert browser.get("/organise/members").status == 200
        page = browser.post("/organise/news", {"title": "Open meeting", "text": "Tuesday."})
        assert page.status == 303
        # Applications to join: five from one address, then it is refused; the
        # neighbour's address is counted apart, though neither is kept.
        visitor = WebSession(canary.url, source_address=BROWSER)
        assert [_apply(visitor, n) for n in range(6)] == [303] * 5 + [429]
        assert _apply(WebSession(canary.url, source_address=NEIGHBOUR), 9) == 303
        _malformed_request(canary)
        # Pushes and pulls from the peer.
        lookout.announce_many([f"Lookout news {n}" for n in range(3)])
        wait_for("the pushes to arrive", lambda: "Lookout news 2" in canary.texts())
        metrics = urllib.request.Request(canary.url + "/metrics")
        with _opener(BROWSER).open(metrics, timeout=10) as response:
            scraped = response.read()
        assert b"hubnet_" in scraped

        # Scanned while the node runs, so the write-ahead log is still there.
        files = {
            p.name: p.read_bytes()
            for p in canary.data_dir.iterdir()
            if p.is_file() and p.name.startswith("hubnet.db")
        }
        assert any(name.endswith("-wal") for name in files), sorted(files)
        rows = _every_row(canary.data_dir / "hubnet.db")
    finally:
        lookout.stop()
        canary.stop()
    log = "".join(output).encode()
    assert b"Error handling request" in log  # the scanner's request was logged…
    found = {
        "log": _found_in(log),
        "metrics": _found_in(scraped),
        "rows": _found_in(rows),
        **{name: _found_in(data) for name, data in files.items()},
    }
    assert not any(found.values()), found  # …without its address


def _opener(source: str) -> urllib.request.OpenerDirector:
    class FromAddress(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            connect = functools.partial(http.client.HTTPConnection, source_address=(source, 0))
            return self.do_open(connect, req)  # type: ignore[arg-type]

    return urllib.request.build_opener(FromAddress())


def _every_row(path: Path) -> bytes:
    """Every value in every table, as text and bytes, read through SQLite itself."""
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        out = []
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    out.append(value if isinstance(value, bytes) else str(value).encode())
        return b"\n".join(out)
    finally:
        conn.close()


def test_with_the_setting_off_the_log_names_the_client_as_before(tmp_path: Path) -> None:
    # The scan above can fail: the same request, with the setting off, leaves the
    # browser's address in the log where the default keeps none.
    hub = Hub(tmp_path, "Debugging", host="127.0.8.3")
    found_network([hub])
    configure(hub, forget_client_addresses=False)
    hub.start()
    assert hub.process is not None
    output = hub.process.output
    try:
        _malformed_request(hub)
        wait_for("the request to be logged", lambda: "Error handling request" in "".join(output))
    finally:
        hub.stop()
    assert BROWSER in "".join(output)
