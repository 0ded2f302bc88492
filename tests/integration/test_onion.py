"""A hub as a Tor onion service: real node processes, a real `tor`, a SOCKS double.

This machine has no internet, so no onion address can be reached for real, and a
private Tor network (directory authorities and relays, as chutney builds) is too
heavy for the suite. So:

- Debian's real `tor` runs deploy/torrc (with `DisableNetwork 1`) and makes the
  hidden service; the node takes its onion address from the hostname file tor
  wrote, and listens on the port the torrc names;
- a SOCKS5 proxy on loopback stands in for Tor's SocksPort (tests/socks.py): it
  connects an onion name to the loopback port of the hub it stands for and records
  every name it is asked for, so the tests show that the nodes handed it the name
  and looked nothing up.

docs/OPERATIONS.md, "A hub on Tor", has the check to make by hand on a machine with
internet.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import re
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from node.federation.invites import Invite, parse_invite
from tests.integration.network import Hub, configure, found_network, free_port, wait_for
from tests.integration.procs import run_cli
from tests.integration.web_session import WebSession, organiser_login
from tests.socks import Asked, SocksDouble

ROOT = Path(__file__).resolve().parents[2]
TOR = "/usr/sbin/tor"


def onion_host(name: str) -> str:
    """A well-formed v3 onion name (56 base32 characters) standing for `name`'s hub."""
    key = hashlib.sha256(name.encode()).digest() + b"\x00\x00\x03"
    return base64.b32encode(key).decode().lower() + ".onion"


def invite_of(hub: Hub) -> Invite:
    return parse_invite(hub.peer_cli("invite", "--no-qr").splitlines()[0])


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def get(port: int, path: str, host: str | None = None) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": host} if host else {})
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


RIVERSIDE = ("Riverside", "https://riverside.example")


@dataclass
class OnionPair:
    a: Hub  # Riverside: its public https address is not reachable here
    b: Hub  # Northgate: its public address is a loopback one
    onion: str  # Riverside's onion URL
    onion_port: int  # where Riverside takes the onion service's requests
    b_onion: str
    socks: SocksDouble


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OnionPair]:
    """Two hubs, each an onion service with the proxy set. Made once for the module
    (hubs take seconds to start); a test that changes a hub's settings puts them back."""
    root = tmp_path_factory.mktemp("onion")
    socks = SocksDouble().start()
    with ThreadPoolExecutor(2) as pool:
        made = pool.map(lambda spec: Hub(root, *spec), [RIVERSIDE, ("Northgate", None)])
    a, b = made
    pair = OnionPair(
        a,
        b,
        f"http://{onion_host('Riverside')}",
        free_port(),
        f"http://{onion_host('Northgate')}",
        socks,
    )
    b_port = free_port()
    configure(a, onion_url=pair.onion, onion_port=pair.onion_port, onion_proxy=socks.url)
    configure(b, onion_url=pair.b_onion, onion_port=b_port, onion_proxy=socks.url)
    socks.routes[(onion_host("Riverside"), 80)] = pair.onion_port
    socks.routes[(onion_host("Northgate"), 80)] = b_port
    found_network([a, b])
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(Hub.start, (a, b)))
        yield pair
    finally:
        a.stop()
        b.stop()
        socks.stop()


def test_a_hub_known_only_by_its_onion_address_federates_through_the_proxy(
    pair: OnionPair,
) -> None:
    a, b = pair.a, pair.b
    invite = invite_of(a)
    assert (invite.url, invite.onion) == ("https://riverside.example", pair.onion)

    b.peer_cli("add", str(invite))
    # Northgate holds Riverside at its onion address alone (the https one is not
    # reachable here), and gave its own onion address back, so neither reaches the
    # other but through the proxy.
    peers = b.peer_cli("list")
    assert pair.onion in peers and "riverside.example" not in peers
    assert pair.b_onion in a.peer_cli("list")

    b.announce("Northgate's news via Tor")
    a.announce("Riverside's news")
    wait_for("Riverside to hold Northgate's news", lambda: "Northgate's news via Tor" in a.texts())
    wait_for("Northgate to hold Riverside's news", lambda: "Riverside's news" in b.texts())

    # The proxy was handed the onion names themselves (socks5h), never an address that
    # a lookup on this machine would have given, and was asked for nothing else.
    assert set(pair.socks.asked) == {
        Asked("name", onion_host("Riverside"), 80),
        Asked("name", onion_host("Northgate"), 80),
    }


def test_without_a_proxy_an_onion_peer_is_refused_with_a_clear_error(pair: OnionPair) -> None:
    a, b = pair.a, pair.b
    b.peer_with(a)
    # The operator takes the proxy away; what Northgate writes meanwhile is for Riverside.
    b.stop()
    configure(b, onion_proxy="")
    try:
        b.announce("Written while the proxy was gone")
        asked = len(pair.socks.asked)
        b.start()
        wait_for(
            "Northgate's peer list to say why Riverside cannot be reached",
            lambda: "no onion_proxy setting" in b.peer_cli("list"),
        )
        row = next(line for line in b.peer_cli("list").splitlines() if a.node_id in line)
        assert "failing" in row
        # Nothing of Northgate's went through the proxy (Riverside's pulls from it do).
        assert Asked("name", onion_host("Riverside"), 80) not in pair.socks.asked[asked:]

        # An invite from a hub that is only an onion service is refused, saying what to set.
        invite = invite_of(a)
        onion_only = Invite(invite.node_id, pair.onion, invite.token)
        result = run_cli("peer", "add", "--data-dir", str(b.data_dir), str(onion_only))
        assert result.returncode != 0
        assert "reachable only as a Tor onion service" in result.stderr
        assert 'onion_proxy = "socks5h://127.0.0.1:9050"' in result.stderr
    finally:
        b.stop()
        configure(b, onion_proxy=pair.socks.url)
        b.start()


def test_with_onion_proxy_all_a_clearnet_peer_is_reached_through_the_proxy_too(
    tmp_path: Path,
) -> None:
    socks = SocksDouble().start()
    with ThreadPoolExecutor(2) as pool:
        hidden, public = pool.map(lambda name: Hub(tmp_path, name), ["Hidden", "Hillfield"])
    try:
        public.start()
        configure(hidden, onion_proxy=socks.url, onion_proxy_all=True)
        socks.routes[("127.0.0.1", public.port)] = public.port
        hidden.peer_cli("add", str(invite_of(public)))
        # Hillfield's url is a plain loopback address, and still the connection went
        # through the proxy: Hillfield saw the proxy's address, not Hidden's.
        assert socks.asked == [Asked("ipv4", "127.0.0.1", public.port)]
        assert hidden.node_id in public.peer_cli("list")
    finally:
        public.stop()
        socks.stop()


def test_through_the_onion_port_a_member_logs_in_over_http_and_metrics_stay_private(
    pair: OnionPair,
) -> None:
    a, host = pair.a, onion_host("Riverside")
    # Through Tor: plain http to the .onion address. Its cookies are not Secure, so the
    # browser sends them back and the member logs in.
    through_tor = WebSession(f"http://127.0.0.1:{pair.onion_port}")
    through_tor.login(*organiser_login(a.init_output))
    assert through_tor.get("/account")[0] == 200
    cookie = get(pair.onion_port, "/login", host).headers["Set-Cookie"]
    assert cookie.startswith("hubnet_csrf=") and "Secure" not in cookie

    # At the public address (https, behind a proxy in real life) cookies are Secure and
    # the page names the onion address, which Tor Browser offers to switch to.
    public = get(a.port, "/login")
    assert public.headers["Set-Cookie"].startswith("__Host-hubnet_csrf=")
    assert "Secure" in public.headers["Set-Cookie"]
    assert public.headers["Onion-Location"] == pair.onion + "/login"
    assert get(pair.onion_port, "/login", host).headers["Onion-Location"] is None

    # A feed's absolute links name the address its reader came by.
    feed = get(pair.onion_port, "/feeds/announcements.atom", host).body
    assert f"{pair.onion}/feeds/announcements.atom".encode() in feed
    assert b"riverside.example" not in feed

    # Tor connects from loopback, but a request through it is not this machine's own.
    assert get(a.port, "/metrics").status == 200
    assert get(pair.onion_port, "/metrics").status == 403


def test_real_tor_makes_the_hidden_service_whose_address_the_node_takes(tmp_path: Path) -> None:
    if not os.path.exists(TOR):
        pytest.fail(f"{TOR} is missing: `make test` installs Debian's tor (apt-get install tor)")
    hub = Hub(tmp_path, "Riverside")
    onion_port = free_port()
    service = tmp_path / "tor" / "hubnet"
    # deploy/torrc as shipped, pointed at this test's directory and port, with tor kept
    # off the network (there is none here) and its SOCKS port closed.
    shipped = (ROOT / "deploy" / "torrc").read_text()
    assert "HiddenServicePort 80 127.0.0.1:8081" in shipped
    torrc = shipped.replace("/var/lib/tor/hubnet/", f"{service}/")
    torrc = torrc.replace("127.0.0.1:8081", f"127.0.0.1:{onion_port}")
    torrc += f"DataDirectory {tmp_path / 'tor' / 'data'}\nSocksPort 0\nDisableNetwork 1\n"
    (tmp_path / "torrc").write_text(torrc)
    (tmp_path / "tor").mkdir(mode=0o700)
    tor = subprocess.Popen(
        [TOR, "-f", str(tmp_path / "torrc"), "--Log", "notice stdout"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        hostname = service / "hostname"
        deadline = time.monotonic() + 30
        while not hostname.exists() and tor.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert hostname.exists(), "tor made no hidden service"
        address = hostname.read_text().strip()
        assert re.fullmatch(r"[a-z2-7]{56}\.onion", address), address

        configure(hub, onion_hostname_file=str(hostname), onion_port=onion_port)
        assert invite_of(hub).onion == f"http://{address}"
        hub.start()
        assert hub.process is not None
        assert f"hubnet: onion service port 127.0.0.1:{onion_port}\n" in hub.process.output
        assert get(onion_port, "/healthz").status == 200
        assert f"ok    onion address http://{address}\n" in hub.cli("doctor", "--offline")
    finally:
        hub.stop()
        tor.terminate()
        output, _ = tor.communicate(timeout=10)
    assert "[err]" not in output, output
