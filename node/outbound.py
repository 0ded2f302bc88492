"""Every HTTP connection this node opens to another server, and the one rule for its route.

Federation (push, pull, files, forks, peering), the fediverse (actors, keys,
deliveries) and `hubnet doctor` all ask `Outbound` for the session a URL takes:

- a `.onion` host goes through the onion_proxy setting's SOCKS5 proxy, its name
  handed to the proxy unresolved (socks5h): this machine never looks it up;
- with onion_proxy_all, every other host goes through the proxy too, so no server
  sees this hub's own address;
- otherwise a direct connection, whose resolver refuses `.onion` names, so no path
  (a redirect, a stored URL) can send one to the DNS (RFC 7686 §2).

A `.onion` URL with no proxy set raises `NoOnionProxy`, whose sentence says what to
set; callers report it where the operator looks (the peers page, the log).
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from node.onion import HOW_TO_SET_PROXY, Proxy, is_onion, parse_proxy

# What a failed connection can raise without the proxy: aiohttp's own errors and the
# socket's.
_DIRECT_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientError, OSError, TimeoutError)


def connect_errors() -> tuple[type[BaseException], ...]:
    """What a failed connection can raise, through the proxy or not: the direct ones and
    the SOCKS library's own (which are none of those), once a proxied session has
    imported that library. Called in the `except` clause, so only when something was
    raised: `except connect_errors() as exc:`."""
    socks = sys.modules.get("aiohttp_socks")
    if socks is None:
        # Never imported: no proxied session was made, so none of its errors exist.
        return _DIRECT_ERRORS
    return (*_DIRECT_ERRORS, socks.ProxyError, socks.ProxyConnectionError, socks.ProxyTimeoutError)


class NoOnionProxy(OSError):
    """An onion address, and no proxy to reach it through (an OSError, as a failed
    lookup is, so every caller that handles an unreachable server handles it)."""

    def __init__(self, host: str) -> None:
        # The reason first: `hubnet peer list` shows a peer's error cut at 60 characters.
        super().__init__(
            f"no onion_proxy setting, so no way to reach the Tor onion address {host}: "
            f"{HOW_TO_SET_PROXY}"
        )


class OnionRefusingResolver(AbstractResolver):
    """A resolver that never sends an onion name to the DNS, around another resolver."""

    def __init__(self, inner: AbstractResolver) -> None:
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if is_onion(host):
            raise NoOnionProxy(host)
        return await self._inner.resolve(host, port, family)

    async def close(self) -> None:
        await self._inner.close()


class Outbound:
    """The node's two client sessions, direct and through the proxy, made on first use.

    `resolver` makes the direct session's resolver (the fediverse's keeps only public
    addresses); `limit`, `limit_per_host` and `headers` apply to both sessions.
    """

    def __init__(
        self,
        proxy: str,
        everything: bool = False,
        *,
        resolver: Callable[[], AbstractResolver] = DefaultResolver,
        limit: int = 100,
        limit_per_host: int = 0,
        headers: dict[str, str] | None = None,
        timeout: aiohttp.ClientTimeout | None = None,
    ) -> None:
        self._proxy: Proxy | None = parse_proxy(proxy) if proxy else None
        self._everything = everything and self._proxy is not None
        self._resolver = resolver
        self._options: dict[str, Any] = {"limit": limit, "limit_per_host": limit_per_host}
        self._session_options: dict[str, Any] = {"headers": headers}
        if timeout is not None:
            self._session_options["timeout"] = timeout
        self._direct: aiohttp.ClientSession | None = None
        self._proxied: aiohttp.ClientSession | None = None

    def through_proxy(self, url: str) -> bool:
        """Whether a request to `url` goes through the proxy; NoOnionProxy if it must
        and there is none."""
        host = urlsplit(url).hostname or ""
        if self._proxy is None:
            if is_onion(host):
                raise NoOnionProxy(host)
            return False
        return self._everything or is_onion(host)

    def session_for(self, url: str) -> aiohttp.ClientSession:
        if self.through_proxy(url):
            if self._proxied is None or self._proxied.closed:
                assert self._proxy is not None
                # Imported here, on first use: a node with no onion_proxy never needs the
                # SOCKS libraries (some 30 modules).
                import aiohttp_socks

                connector = aiohttp_socks.ProxyConnector(
                    host=self._proxy.host,
                    port=self._proxy.port,
                    username=self._proxy.username,
                    password=self._proxy.password,
                    rdns=True,  # the name goes to the proxy: never looked up here
                    **self._options,
                )
                self._proxied = aiohttp.ClientSession(connector=connector, **self._session_options)
            return self._proxied
        if self._direct is None or self._direct.closed:
            direct = aiohttp.TCPConnector(
                resolver=OnionRefusingResolver(self._resolver()), **self._options
            )
            self._direct = aiohttp.ClientSession(connector=direct, **self._session_options)
        return self._direct

    def request(
        self, method: str, url: str, **kwargs: Any
    ) -> AbstractAsyncContextManager[aiohttp.ClientResponse]:
        """As aiohttp.ClientSession.request, on the session `url` takes."""
        return self.session_for(url).request(method, url, **kwargs)

    async def close(self) -> None:
        for session in (self._direct, self._proxied):
            if session is not None:
                await session.close()
        self._direct = self._proxied = None
