"""Signed requests to other nodes' federation API, with their failures named.

PeerUnreachable means try again later (connection refused, timeout, 5xx, 429);
PeerRefused means the peer understood and said no (4xx): retrying the same
request will not help.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from urllib.parse import quote

import aiohttp

from crypto.ed25519 import SigningKey
from crypto.httpsig import sign_request
from crypto.nodeid import NodeId
from node.clock import Clock
from node.outbound import NoOnionProxy, Outbound, connect_errors
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


# Most bytes read from each kind of answer (PROTOCOL.md §9): a peer, or whatever
# answers at an invite's address, could send forever. Each bound is well above the
# largest honest answer: a hub card is three short texts; a heads page is at most
# about 2,000 × 110 bytes; a push answer is one short result per message sent.
MOST_CARD = 64 * 1024
MOST_HEADS_PAGE = 1024 * 1024
MOST_PUSH_RESULTS = 1024 * 1024
MOST_ERROR = 64 * 1024  # a 4xx or 5xx body is one sentence
CHUNK = 64 * 1024
# A file may take longer than a request: the request timeout, plus the time the
# file takes at this slowest rate we wait for. A stalled stream still ends after
# the request timeout with no byte (sock_read).
SLOWEST_FILE_BYTES_PER_SECOND = 128 * 1024


async def _read_at_most(
    response: aiohttp.ClientResponse, most: int, url: str, check_length: bool = True
) -> bytes:
    """The body, or PeerUnreachable as soon as it passes `most` bytes: memory stays
    bounded however long the answer (THREAT_MODEL.md, "the endless answer")."""
    declared = response.content_length
    if check_length and declared is not None and declared > most:
        raise PeerUnreachable(f"{url}: answer of {declared} bytes, over the {most} expected")
    parts: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(CHUNK):
        size += len(chunk)
        if size > most:
            if not check_length:
                break  # an error body: its first bytes say enough
            raise PeerUnreachable(f"{url}: answer longer than {most} bytes")
        parts.append(chunk)
    return b"".join(parts)[:most]


def _raise_for(url: str, status: int, response: aiohttp.ClientResponse, data: bytes) -> None:
    if 300 <= status < 400:
        location = response.headers.get("Location", "nowhere")
        raise PeerRefused(
            status,
            f"{url} redirects to {location[:200]}; federation requests never follow "
            "redirects, so the peer's address must be the one that answers",
        )
    if status == 429:
        raise PeerRateLimited(
            f"{url}: HTTP 429: {wire.decode_error(data)}",
            _retry_after(response.headers.get("Retry-After")),
        )
    if status >= 500:
        raise PeerUnreachable(f"{url}: HTTP {status}: {wire.decode_error(data)}")
    if status >= 400:
        raise PeerRefused(status, wire.decode_error(data))
    raise PeerUnreachable(f"{url}: HTTP {status}, where 200 was expected")


class FederationClient:
    def __init__(
        self,
        # node/outbound.py's Outbound picks each URL's route (an onion through the
        # proxy); a plain session connects directly (tests of the wire format).
        session: Outbound | aiohttp.ClientSession,
        key: SigningKey,
        node_id: NodeId,
        clock: Clock,
        timeout: float = 30.0,
    ) -> None:
        self._session = session
        self._key = key
        self._node_id = node_id
        self._clock = clock
        self._seconds = timeout
        self._timeout = self._time_limit(timeout)

    def _time_limit(self, total: float) -> aiohttp.ClientTimeout:
        # `total` bounds the whole exchange, the body's last byte included.
        return aiohttp.ClientTimeout(
            total=total, sock_connect=min(self._seconds, 10), sock_read=self._seconds
        )

    @contextlib.asynccontextmanager
    async def _exchange(
        self,
        method: str,
        base_url: str,
        target: str,
        body: bytes = b"",
        timeout: aiohttp.ClientTimeout | None = None,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """A signed request whose answer is 200; the failures named (module docstring)."""
        headers = sign_request(
            self._key, self._node_id, method, target, body, created=self._clock() // 1000
        )
        if body:
            headers["Content-Type"] = "application/msgpack"
        url = base_url.rstrip("/") + target
        handed = False
        try:
            async with self._session.request(
                method,
                url,
                data=body or None,
                headers=headers,
                timeout=timeout or self._timeout,
                # A redirect would send a signed request to an address the peer's URL
                # does not name (another port, another host): never follow one.
                allow_redirects=False,
            ) as response:
                status = response.status
                if status != 200:
                    data = await _read_at_most(response, MOST_ERROR, url, check_length=False)
                    _raise_for(url, status, response, data)
                handed = True
                yield response
        except NoOnionProxy as exc:
            raise PeerError(str(exc)) from exc  # no retry helps: the operator must act
        except connect_errors() as exc:
            if handed and not isinstance(exc, (TimeoutError, aiohttp.ClientError)):
                raise  # the caller's own failure (its disk, say), not the peer's
            raise PeerUnreachable(f"{url}: {type(exc).__name__}: {exc}".rstrip(": ")) from exc

    async def _request(
        self, method: str, base_url: str, target: str, most: int, body: bytes = b""
    ) -> bytes:
        """The 200 answer's body, at most `most` bytes, within the request timeout."""
        url = base_url.rstrip("/") + target
        async with self._exchange(method, base_url, target, body) as response:
            return await _read_at_most(response, most, url)

    def _decoded(self, what: str, fn, data: bytes):  # type: ignore[no-untyped-def]
        try:
            return fn(data)
        except MalformedPayload as exc:
            raise PeerUnreachable(f"malformed {what} answer: {exc}") from exc

    async def push(self, base_url: str, envelopes: list[bytes]) -> list[wire.PushResult]:
        data = await self._request(
            "POST", base_url, f"{PREFIX}/messages", MOST_PUSH_RESULTS, wire.encode_push(envelopes)
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
            data = await self._request("GET", base_url, f"{PREFIX}/heads{query}", MOST_HEADS_PAGE)
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
        data = await self._request("GET", base_url, target, wire.MAX_BODY_BYTES)
        page: tuple[list[bytes], bool] = self._decoded("log", wire.decode_log_page, data)
        return page

    async def forks(self, base_url: str, origin: str) -> list[tuple[bytes, bytes]]:
        """The pairs of messages a peer holds as proof that `origin` forked (§9.7)."""
        data = await self._request(
            "GET", base_url, f"{PREFIX}/forks/{quote(origin)}", wire.MAX_BODY_BYTES
        )
        pairs: list[tuple[bytes, bytes]] = self._decoded("forks", wire.decode_fork_pairs, data)
        return pairs

    async def resource(
        self, base_url: str, digest: bytes, size: int, write: Callable[[bytes], None]
    ) -> int:
        """Stream the file with this SHA-256 to `write`, chunk by chunk; its length.

        PeerUnreachable if the answer declares or sends more than `size` bytes (the
        resource message's), or takes longer than the time the file may take. The
        caller checks the length and hash of what it was given.
        """
        target = f"{PREFIX}/resources/{digest.hex()}"
        url = base_url.rstrip("/") + target
        limit = self._time_limit(self._seconds + size / SLOWEST_FILE_BYTES_PER_SECOND)
        received = 0
        async with self._exchange("GET", base_url, target, timeout=limit) as response:
            declared = response.content_length
            if declared is not None and declared != size:
                raise PeerUnreachable(
                    f"{url}: file of {declared} bytes, where its resource says {size}"
                )
            async for chunk in response.content.iter_chunked(CHUNK):
                received += len(chunk)
                if received > size:
                    raise PeerUnreachable(f"{url}: file longer than its {size} bytes")
                write(chunk)
        return received

    async def peering(self, base_url: str, token: str, our_url: str, name: str) -> wire.HubCard:
        body = wire.encode_peering(token, our_url, name)
        data = await self._request("POST", base_url, f"{PREFIX}/peering", MOST_CARD, body)
        card: wire.HubCard = self._decoded("peering", wire.decode_card, data)
        return card
