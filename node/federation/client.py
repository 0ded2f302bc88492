"""Signed requests to other nodes' federation API, with their failures named.

PeerUnreachable means try again later (connection refused, timeout, 5xx, 429);
PeerRefused means the peer understood and said no (4xx): retrying the same
request will not help.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from urllib.parse import quote

import aiohttp

from crypto.ed25519 import SigningKey
from crypto.httpsig import sign_request
from crypto.nodeid import NodeId
from node.clock import Clock
from protocol import federation as wire
from protocol.errors import MalformedPayload
from protocol.log import Head

PREFIX = "/federation/v1"


class PeerError(Exception):
    """A request to a peer failed."""


class PeerUnreachable(PeerError):
    """No usable answer: the peer is down, slow, or failing. Retry with back-off."""


class PeerRateLimited(PeerUnreachable):
    """The peer answered 429: over its budget for us; try again after `retry_after` s."""

    def __init__(self, message: str, retry_after: int | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _retry_after(value: str | None) -> int | None:
    """Retry-After in whole seconds (RFC 9110 §10.2.3); a date or junk counts as absent."""
    if value is None or not value.isascii() or not value.isdigit():
        return None
    return min(int(value), 24 * 3600)  # a peer cannot park us for longer than a day


class PeerRefused(PeerError):
    """The peer answered 4xx: it will not accept this request as it is."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"HTTP {status}: {reason}")
        self.status = status
        self.reason = reason


class FederationClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        key: SigningKey,
        node_id: NodeId,
        clock: Clock,
        timeout: float = 30.0,
    ) -> None:
        self._session = session
        self._key = key
        self._node_id = node_id
        self._clock = clock
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 10))

    async def _request(
        self, method: str, base_url: str, target: str, body: bytes = b"", most: int = 0
    ) -> bytes:
        headers = sign_request(
            self._key, self._node_id, method, target, body, created=self._clock() // 1000
        )
        if body:
            headers["Content-Type"] = "application/msgpack"
        url = base_url.rstrip("/") + target
        try:
            async with self._session.request(
                method, url, data=body or None, headers=headers, timeout=self._timeout
            ) as response:
                status = response.status
                retry_after = _retry_after(response.headers.get("Retry-After"))
                if most and status == 200:
                    # Read no more than the caller expects: a peer could send forever.
                    data = await response.content.read(most + 1)
                    if len(data) > most:
                        raise PeerUnreachable(f"{url}: answer longer than {most} bytes")
                else:
                    data = await response.read()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise PeerUnreachable(f"{url}: {type(exc).__name__}: {exc}".rstrip(": ")) from exc
        if status == 429:
            raise PeerRateLimited(f"{url}: HTTP 429: {wire.decode_error(data)}", retry_after)
        if status >= 500:
            raise PeerUnreachable(f"{url}: HTTP {status}: {wire.decode_error(data)}")
        if status >= 400:
            raise PeerRefused(status, wire.decode_error(data))
        return data

    def _decoded(self, what: str, fn, data: bytes):  # type: ignore[no-untyped-def]
        try:
            return fn(data)
        except MalformedPayload as exc:
            raise PeerUnreachable(f"malformed {what} answer: {exc}") from exc

    async def push(self, base_url: str, envelopes: list[bytes]) -> list[wire.PushResult]:
        data = await self._request(
            "POST", base_url, f"{PREFIX}/messages", wire.encode_push(envelopes)
        )
        results: list[wire.PushResult] = self._decoded("push", wire.decode_push_results, data)
        if len(results) != len(envelopes):
            raise PeerUnreachable(f"push answer has {len(results)} results for {len(envelopes)}")
        return results

    async def head_pages(
        self, base_url: str, limit: int = wire.MAX_HEADS_PAGE
    ) -> AsyncGenerator[dict[NodeId, Head], None]:
        """The peer's heads page by page (PROTOCOL.md §9.3), one page in memory at a time.

        Each page's origins come after the last one's (the decoder checks), so the
        walk always ends, however the peer answers.
        """
        after: str | None = None
        while True:
            query = f"?after={after}&limit={limit}" if after else f"?limit={limit}"
            data = await self._request("GET", base_url, f"{PREFIX}/heads{query}")
            page: wire.HeadsPage = self._decoded(
                "heads", lambda d, a=after: wire.decode_heads_page(d, a), data
            )
            yield {origin: Head(seq, mid) for origin, (seq, mid) in page.heads.items()}
            if not page.more or page.last is None:
                return
            after = page.last

    async def log(
        self, base_url: str, origin: str, after: int, limit: int = wire.MAX_LOG_PAGE
    ) -> tuple[list[bytes], bool]:
        target = f"{PREFIX}/log/{quote(origin)}?after={after}&limit={limit}"
        data = await self._request("GET", base_url, target)
        page: tuple[list[bytes], bool] = self._decoded("log", wire.decode_log_page, data)
        return page

    async def forks(self, base_url: str, origin: str) -> list[tuple[bytes, bytes]]:
        """The pairs of messages a peer holds as proof that `origin` forked (§9.7)."""
        data = await self._request("GET", base_url, f"{PREFIX}/forks/{quote(origin)}")
        pairs: list[tuple[bytes, bytes]] = self._decoded("forks", wire.decode_fork_pairs, data)
        return pairs

    async def resource(self, base_url: str, digest: bytes, size: int) -> bytes:
        """The file with this SHA-256, at most `size` bytes (the caller checks the hash)."""
        return await self._request("GET", base_url, f"{PREFIX}/resources/{digest.hex()}", most=size)

    async def peering(self, base_url: str, token: str, our_url: str, name: str) -> wire.HubCard:
        body = wire.encode_peering(token, our_url, name)
        data = await self._request("POST", base_url, f"{PREFIX}/peering", body)
        card: wire.HubCard = self._decoded("peering", wire.decode_card, data)
        return card
