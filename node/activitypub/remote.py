"""Talking to other ActivityPub servers: fetching their actors and keys, delivering to
their inboxes. Every request is bounded (time, size) and goes only to public addresses.

An address from the fediverse is untrusted input: a keyId or an inbox naming
127.0.0.1, a private network or a link-local address could make the hub probe its own
network for whoever sent it. The resolver below drops such addresses after DNS (so a
name that resolves to one is refused too); `activitypub_allow_loopback` lets tests on
one machine reach loopback, and only loopback.

A `.onion` server (and with onion_proxy_all, every server) is reached through the
onion proxy (node/outbound.py), which looks the name up itself: Tor refuses to
connect to private and loopback addresses (its ClientRejectInternalAddresses), so
the address check is the proxy's there. An onion address may be plain http: Tor
encrypts the connection and the address is the server's key.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from node.onion import is_onion
from node.outbound import Outbound, connect_errors

FETCH_MAX_BYTES = 256 * 1024
FETCH_TIMEOUT_S = 10
DELIVER_TIMEOUT_S = 15
ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
USER_AGENT = "hubnet (ActivityPub)"


class RemoteError(Exception):
    """A remote server could not be reached, or answered with something unusable."""


def address_allowed(address: str, allow_loopback: bool) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.is_loopback:
        return allow_loopback
    return ip.is_global


class PublicResolver(AbstractResolver):
    """DNS through aiohttp's own resolver, keeping only the addresses allowed."""

    def __init__(self, allow_loopback: bool) -> None:
        self._inner = DefaultResolver()
        self._allow_loopback = allow_loopback

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        kept = [r for r in found if address_allowed(r["host"], self._allow_loopback)]
        if not kept:
            raise OSError(f"{host} resolves to no public address")
        return kept

    async def close(self) -> None:
        await self._inner.close()


def check_url(url: str, allow_loopback: bool) -> str:
    """The URL's host, if the URL may be fetched at all; RemoteError if not."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise RemoteError(f"not a web address: {url[:200]!r}")
    host = parts.hostname
    if parts.scheme == "http" and not allow_loopback and not is_onion(host):
        raise RemoteError("plain http is only used between hubs on one test machine")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host.lower()
    # aiohttp does not ask the resolver about address literals: check them here.
    if not address_allowed(host, allow_loopback):
        raise RemoteError(f"{host} is not a public address")
    return host


class Remote:
    """The HTTP client sessions for the fediverse, made on first use and closed at stop."""

    def __init__(self, allow_loopback: bool, proxy: str = "", proxy_all: bool = False) -> None:
        self.allow_loopback = allow_loopback
        self._outbound = Outbound(
            proxy,
            proxy_all,
            resolver=lambda: PublicResolver(allow_loopback),
            limit=32,
            limit_per_host=4,
            headers={"User-Agent": USER_AGENT},
        )

    async def close(self) -> None:
        await self._outbound.close()

    async def fetch_json(self, url: str, headers: dict[str, str]) -> dict[str, Any]:
        check_url(url, self.allow_loopback)
        try:
            async with asyncio.timeout(FETCH_TIMEOUT_S):
                async with self._outbound.request(
                    "GET", url, headers={"Accept": ACCEPT, **headers}, allow_redirects=False
                ) as response:
                    if response.status != 200:
                        raise RemoteError(f"{url} answered {response.status}")
                    if (response.content_length or 0) > FETCH_MAX_BYTES:
                        raise RemoteError(f"{url} is larger than {FETCH_MAX_BYTES} bytes")
                    body = await response.content.read(FETCH_MAX_BYTES + 1)
        except connect_errors() as exc:
            raise RemoteError(f"{url} could not be fetched: {exc}") from exc
        if len(body) > FETCH_MAX_BYTES:
            raise RemoteError(f"{url} is larger than {FETCH_MAX_BYTES} bytes")
        try:
            document = json.loads(body)
        except ValueError as exc:
            raise RemoteError(f"{url} did not answer JSON") from exc
        if not isinstance(document, dict):
            raise RemoteError(f"{url} did not answer a JSON object")
        return document

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST an activity; the response status (bodies are not read past 64 KiB)."""
        check_url(url, self.allow_loopback)
        try:
            async with asyncio.timeout(DELIVER_TIMEOUT_S):
                async with self._outbound.request(
                    "POST",
                    url,
                    data=body,
                    headers={"Content-Type": "application/activity+json", **headers},
                    allow_redirects=False,
                ) as response:
                    await response.content.read(64 * 1024)
                    return response.status
        except connect_errors() as exc:
            raise RemoteError(f"{url} could not be reached: {exc}") from exc
