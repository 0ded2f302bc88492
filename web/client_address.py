"""Who a request comes from, behind a reverse proxy or not.

Every per-address limit (login throttling, the join limit, public event
registrations) and the /metrics allow-list use `client_address`. The socket's
address is the client unless that address is in the `trusted_proxies` setting:
only then is the proxy's header read, X-Forwarded-For first (the header both of
deploy/'s examples append to) and Forwarded when there is none. A client can put
anything in the header before it reaches the proxy, but the proxy appends the
address it saw, so the client is the right-most address in the chain that is not
itself a trusted proxy. A header sent by a client straight to the node is ignored.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import re
import secrets
from collections.abc import Iterable, Mapping

from aiohttp import web

from node.appkeys import NODE
from node.clock import Clock
from web.onion import ONION_CLIENT, via_onion

# How long one key for the per-address limits lives (the forget_client_addresses setting).
KEY_LIFETIME_MS = 60 * 60 * 1000
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")
UNKNOWN = "unknown"
# A Forwarded element's for= value: a token or a quoted string (RFC 7239 §4).
_FORWARDED_FOR = re.compile(r'(?:^|[;,\s])for\s*=\s*("[^"]*"|[^;,\s]*)', re.I)


@functools.lru_cache(maxsize=16)
def networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """The settings' addresses and networks (node/config.py has checked them)."""
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("["):  # Forwarded writes IPv6 as "[2001:db8::1]:4711"
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:  # an IPv4 address with a port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def within(address: str | None, allowed: Iterable[Network]) -> bool:
    parsed = _address(address) if address else None
    return parsed is not None and any(parsed in network for network in allowed)


def _all(headers: Mapping[str, str], name: str) -> list[str]:
    # A header may come several times (a multidict); a plain mapping holds one.
    getall = getattr(headers, "getall", None)
    return list(getall(name, [])) if getall else [headers.get(name, "")]


def _chain(headers: Mapping[str, str]) -> list[str]:
    """The addresses a proxy header lists, the client's first."""
    entries = [e.strip() for value in _all(headers, "X-Forwarded-For") for e in value.split(",")]
    if any(entries):
        return entries
    forwarded = _all(headers, "Forwarded")
    return [m.group(1).strip('"') for value in forwarded for m in _FORWARDED_FOR.finditer(value)]


def resolve(remote: str | None, headers: Mapping[str, str], trusted: Iterable[Network]) -> str:
    """The client's address: see the module's docstring."""
    trusted = tuple(trusted)
    if not remote:
        return UNKNOWN
    if not within(remote, trusted):
        return remote
    chain = _chain(headers)
    for entry in reversed(chain):
        if not within(entry, trusted):
            parsed = _address(entry)
            # An entry that is no address ("unknown", garbage) is one key for all such.
            return str(parsed) if parsed is not None else UNKNOWN
    # Every hop is a trusted proxy: the left-most is the nearest thing to a client.
    first = _address(chain[0]) if chain else None
    return str(first) if first is not None else remote


def client_address(request: web.Request) -> str:
    if via_onion(request):
        # Tor connects from loopback and passes on the visitor's own headers: there is
        # no address to know, and no header to believe (web/onion.py).
        return ONION_CLIENT
    config = request.config_dict[NODE].config
    return resolve(request.remote, request.headers, networks(config.trusted_proxies))


def from_trusted_proxy(request: web.Request) -> bool:
    config = request.config_dict[NODE].config
    return within(request.remote, networks(config.trusted_proxies))


class AddressKeys:
    """What the per-address limits count under when no address is kept: an HMAC-SHA256
    of the address under a random key held only in memory and replaced every hour.

    Within the hour one address always gives the same value, so the limits work; a
    value written down somewhere cannot be matched to an address once its key is
    gone, even by someone who has the node's disk and tries every address.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._hour: int | None = None
        self._key = b""

    def key(self, address: str) -> str:
        hour = self._clock() // KEY_LIFETIME_MS
        if hour != self._hour:
            self._hour, self._key = hour, secrets.token_bytes(32)
        return "h:" + hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()[:32]


ADDRESS_KEYS = web.AppKey("address_keys", AddressKeys)


def client_key(request: web.Request) -> str:
    """What a per-address limit counts a request under: its client's address, or with
    the forget_client_addresses setting (the default) that address's keyed hash."""
    address = client_address(request)
    if not request.config_dict[NODE].config.forget_client_addresses:
        return address
    return request.config_dict[ADDRESS_KEYS].key(address)
