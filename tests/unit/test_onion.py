"""Onion addresses, the proxy setting, invites that carry an onion URL, and the route
each outbound URL takes (node/onion.py, node/outbound.py)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from crypto.ed25519 import SigningKey
from crypto.nodeid import node_id_from_public_key
from node.activitypub.remote import Remote, RemoteError, check_url
from node.config import load, render_file
from node.doctor import Level, check_onion_address, check_onion_proxy
from node.errors import ConfigError, NodeError
from node.federation.invites import Invite, parse_invite
from node.onion import own_onion_url, parse_proxy, read_hostname_file
from node.outbound import NoOnionProxy, OnionRefusingResolver, Outbound, connect_errors
from node.store.database import Database
from node.store.hubs import put_profile_txn
from node.store.peers import PeerStore
from protocol.envelope import create_message
from protocol.kinds.hub import HubProfile
from tests.helpers import T0

HOST = "7ogn6ergtilnctylou2ev47zjpaw75l3c7bhs7inqnv6x36rxdfaaaad.onion"
ONION = f"http://{HOST}"
NODE_ID = node_id_from_public_key(SigningKey(bytes(range(32))).public_key)


def settings(tmp_path: Path, **values: object) -> Path:
    (tmp_path / "config.toml").write_text(
        render_file({"name": "Riverside", "url": "https://riverside.example", **values})
    )
    return tmp_path


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"onion_proxy": "socks5://127.0.0.1:9050"}, "must start socks5h://"),
        ({"onion_proxy": "http://127.0.0.1:8118"}, "SOCKS5 proxy's address with its port"),
        ({"onion_proxy": "socks5h://127.0.0.1"}, "with its port"),
        ({"onion_proxy_all": True}, "onion_proxy_all needs onion_proxy"),
        ({"onion_url": "http://riverside.example"}, "version 3 onion address"),
        ({"onion_url": "http://abcdefghijklmnop.onion"}, "version 3 onion address"),
        ({"onion_url": f"{ONION}/hub"}, "only the scheme and the onion address"),
        ({"onion_port": 8080, "port": 8080}, "onion_port must differ from port"),
    ],
)
def test_onion_settings_that_cannot_work_are_refused_with_the_reason(
    tmp_path: Path, values: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load(settings(tmp_path, **values), environ={})


def test_the_proxy_setting_keeps_its_credentials_for_tors_stream_isolation() -> None:
    proxy = parse_proxy("socks5h://hub%20a:secret@127.0.0.1:9050")
    assert (proxy.host, proxy.port, proxy.username, proxy.password) == (
        "127.0.0.1",
        9050,
        "hub a",
        "secret",
    )


def test_own_onion_address_from_the_setting_the_hostname_file_or_an_onion_url(
    tmp_path: Path,
) -> None:
    assert own_onion_url(load(settings(tmp_path), environ={})) is None
    assert own_onion_url(load(settings(tmp_path, onion_url=ONION + "/"), environ={})) == ONION
    (tmp_path / "hostname").write_text(HOST + "\n")
    config = load(settings(tmp_path, onion_hostname_file=str(tmp_path / "hostname")), environ={})
    assert own_onion_url(config) == ONION
    assert own_onion_url(load(settings(tmp_path, url=ONION), environ={})) == ONION


def test_a_missing_or_odd_hostname_file_says_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist yet; tor writes it"):
        read_hostname_file(tmp_path / "hostname")
    (tmp_path / "hostname").write_text("riverside.example\n")
    with pytest.raises(ConfigError, match="does not hold a v3 onion address"):
        read_hostname_file(tmp_path / "hostname")


def test_an_invite_with_an_onion_address_round_trips_and_an_old_one_still_reads() -> None:
    invite = Invite(NODE_ID, "https://riverside.example", "token", bytes(32), ONION)
    assert parse_invite(str(invite)) == invite
    old = parse_invite(f"hubnet://invite?id={NODE_ID}&token=t&url=https%3A%2F%2Fa.example")
    assert old.onion is None
    assert old.address_for(has_onion_proxy=True) == "https://a.example"
    # A hub that is only an onion service writes no separate onion field.
    assert "onion=" not in str(Invite(NODE_ID, ONION, "token", None, ONION))


def test_an_invite_is_followed_to_its_onion_address_only_with_a_proxy() -> None:
    both = Invite(NODE_ID, "https://riverside.example", "token", None, ONION)
    assert both.address_for(has_onion_proxy=True) == ONION
    assert both.address_for(has_onion_proxy=False) == "https://riverside.example"
    only = Invite(NODE_ID, ONION, "token")
    assert only.address_for(has_onion_proxy=True) == ONION
    with pytest.raises(NodeError, match="reachable only as a Tor onion service"):
        only.address_for(has_onion_proxy=False)


def test_a_damaged_onion_field_is_refused() -> None:
    text = f"hubnet://invite?id={NODE_ID}&token=t&url=https%3A%2F%2Fa.example&onion=http%3A%2F%2Fx.onion"
    with pytest.raises(NodeError, match="onion address must name a version 3"):
        parse_invite(text)


async def test_onion_hosts_go_through_the_proxy_and_others_only_with_proxy_all() -> None:
    proxy = "socks5h://127.0.0.1:9050"
    some = Outbound(proxy)
    everything = Outbound(proxy, everything=True)
    none = Outbound("")
    try:
        assert some.through_proxy(ONION + "/federation/v1/heads")
        assert not some.through_proxy("https://northgate.example/")
        assert everything.through_proxy("https://northgate.example/")
        assert not none.through_proxy("https://northgate.example/")
        with pytest.raises(NoOnionProxy, match="no onion_proxy setting"):
            none.through_proxy(f"http://{HOST.upper()}./")
        assert some.session_for(ONION) is not some.session_for("https://northgate.example")
    finally:
        for outbound in (some, everything, none):
            await outbound.close()


async def test_no_onion_name_is_ever_handed_to_the_dns() -> None:
    asked: list[str] = []

    class Inner:
        async def resolve(self, host: str, port: int = 0, family: int = 0) -> list[object]:
            asked.append(host)
            return []

        async def close(self) -> None:
            return None

    resolver = OnionRefusingResolver(Inner())  # type: ignore[arg-type]
    with pytest.raises(NoOnionProxy):
        await resolver.resolve(HOST, 80, socket.AF_INET)
    await resolver.resolve("riverside.example", 443, socket.AF_INET)
    assert asked == ["riverside.example"]


async def test_a_new_public_url_in_a_profile_leaves_a_peer_held_at_its_onion_address(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "node.db")
    try:
        peers = PeerStore(db, lambda: T0)
        onion_hub, public_hub = SigningKey(bytes(32)), SigningKey(bytes([1]) * 32)
        onion_id = node_id_from_public_key(onion_hub.public_key)
        public_id = node_id_from_public_key(public_hub.public_key)
        await peers.add(onion_id, ONION, "Riverside")
        await peers.add(public_id, "https://northgate.example", "Northgate")

        async def profiles(key: SigningKey, *urls: str) -> None:
            previous = None
            for seq, url in enumerate(urls, start=1):
                body = HubProfile(name="Hub", url=url)
                message = create_message(key, "hub.profile", body, seq, previous, T0 + seq)
                previous = message.id
                async with db.write() as conn:
                    await put_profile_txn(conn, message)

        await profiles(onion_hub, "https://riverside.example", "https://moved.example")
        await profiles(public_hub, "https://northgate.example", "https://moved.example")
        onion_peer, public_peer = await peers.get(onion_id), await peers.get(public_id)
        assert onion_peer is not None and onion_peer.url == ONION
        assert public_peer is not None and public_peer.url == "https://moved.example"

        # A new onion address in the profile is the peer's new address.
        other = "http://" + "b" * 56 + ".onion"
        await profiles(onion_hub, "https://riverside.example", "https://moved.example", other)
        onion_peer = await peers.get(onion_id)
        assert onion_peer is not None and onion_peer.url == other
    finally:
        await db.close()


async def test_doctor_says_whether_the_onion_proxy_answers(tmp_path: Path) -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        config = load(settings(tmp_path, onion_proxy=f"socks5h://127.0.0.1:{port}"), environ={})
        [answers] = await check_onion_proxy(config)
        assert answers.level is Level.OK
    finally:
        server.close()
        await server.wait_closed()
    [silent] = await check_onion_proxy(config)
    assert silent.level is Level.WARN and "does not answer" in silent.what
    assert "systemctl start tor" in silent.fix


def test_doctor_warns_of_an_onion_address_with_no_port_of_its_own(tmp_path: Path) -> None:
    without = check_onion_address(load(settings(tmp_path, onion_url=ONION), environ={}))
    assert [f.level for f in without] == [Level.OK, Level.WARN]
    assert "pass for this machine's own" in without[1].what
    config = load(settings(tmp_path, onion_url=ONION, onion_port=8081), environ={})
    assert [f.level for f in check_onion_address(config)] == [Level.OK]
    missing = settings(tmp_path, onion_hostname_file=str(tmp_path / "none"))
    [fail] = check_onion_address(load(missing, environ={}))
    assert fail.level is Level.FAIL and "is tor running?" in fail.what


async def test_fediverse_servers_at_onion_addresses_are_reached_over_http_through_the_proxy() -> (
    None
):
    assert check_url(f"{ONION}/users/hub", allow_loopback=False) == HOST
    with pytest.raises(RemoteError, match="plain http"):
        check_url("http://mastodon.example/users/hub", allow_loopback=False)
    remote = Remote(allow_loopback=False)
    try:
        with pytest.raises(RemoteError, match="no onion_proxy setting"):
            await remote.fetch_json(f"{ONION}/users/hub", {})
    finally:
        await remote.close()


async def test_a_proxy_that_answers_nonsense_is_an_unreachable_server_not_a_crash() -> None:
    # The SOCKS library is imported on first use (node/outbound.py), and its errors,
    # which are not OSErrors, are still caught as a failed connection.
    async def nonsense(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(3)  # the SOCKS5 greeting
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(nonsense, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    remote = Remote(allow_loopback=False, proxy=f"socks5h://127.0.0.1:{port}")
    try:
        with pytest.raises(RemoteError, match="could not be fetched") as raised:
            await remote.fetch_json(f"{ONION}/users/hub", {})
        assert not isinstance(raised.value.__cause__, OSError | TimeoutError)
        assert isinstance(raised.value.__cause__, connect_errors())
    finally:
        await remote.close()
        server.close()
        await server.wait_closed()
