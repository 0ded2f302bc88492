"""The client's address behind trusted proxies (web/client_address.py)."""

from __future__ import annotations

from multidict import CIMultiDict

from web.client_address import UNKNOWN, networks, resolve

PROXIES = networks(("127.0.0.1", "10.0.0.0/8"))


def test_a_header_from_a_socket_that_is_not_a_trusted_proxy_is_ignored() -> None:
    headers = {"X-Forwarded-For": "198.51.100.7", "Forwarded": "for=198.51.100.8"}
    assert resolve("203.0.113.5", headers, PROXIES) == "203.0.113.5"
    assert resolve("127.0.0.1", headers, ()) == "127.0.0.1"


def test_the_client_is_the_right_most_address_that_is_not_a_trusted_proxy() -> None:
    # The client wrote "1.2.3.4" itself; the outer proxy appended what it saw, then an inner one.
    headers = {"X-Forwarded-For": "1.2.3.4, 198.51.100.7, 10.1.2.3"}
    assert resolve("127.0.0.1", headers, PROXIES) == "198.51.100.7"


def test_repeated_headers_are_one_chain_and_forwarded_is_read_when_there_is_no_xff() -> None:
    headers = CIMultiDict([("X-Forwarded-For", "1.2.3.4"), ("X-Forwarded-For", "198.51.100.7")])
    assert resolve("127.0.0.1", headers, PROXIES) == "198.51.100.7"
    forwarded = {"Forwarded": 'for=1.2.3.4, for="[2001:db8::1]:4711";proto=https'}
    assert resolve("127.0.0.1", forwarded, PROXIES) == "2001:db8::1"
    assert resolve("127.0.0.1", {"Forwarded": "for=192.0.2.60:8080"}, PROXIES) == "192.0.2.60"


def test_odd_headers_through_a_trusted_proxy() -> None:
    assert resolve("127.0.0.1", {}, PROXIES) == "127.0.0.1"  # the proxy itself, no header
    assert resolve("127.0.0.1", {"X-Forwarded-For": "10.0.0.9"}, PROXIES) == "10.0.0.9"
    assert resolve("127.0.0.1", {"X-Forwarded-For": "1.2.3.4, junk"}, PROXIES) == UNKNOWN
    assert resolve("::ffff:127.0.0.1", {"X-Forwarded-For": "192.0.2.1"}, PROXIES) == "192.0.2.1"
    assert resolve(None, {"X-Forwarded-For": "192.0.2.1"}, PROXIES) == UNKNOWN


def test_with_no_addresses_kept_one_address_gives_one_key_within_the_hour_only() -> None:
    from tests.helpers import ManualClock
    from web.client_address import KEY_LIFETIME_MS, AddressKeys

    clock = ManualClock(KEY_LIFETIME_MS * 1000)
    keys = AddressKeys(clock)
    first = keys.key("198.51.100.7")
    assert first == keys.key("198.51.100.7") != keys.key("198.51.100.8")
    assert "198.51.100.7" not in first and first.startswith("h:")
    clock.advance(KEY_LIFETIME_MS)
    # A new key: what was counted (or written down) last hour matches nothing now.
    assert keys.key("198.51.100.7") != first
