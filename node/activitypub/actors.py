"""Remote actors and their keys: fetched once with a signed GET, then kept a day.

The inbox asks here for the key a request names. A key document may be the actor
itself (Mastodon: keyId = actor#main-key) or a key object naming its owner; either
way the actor's inbox, shared inbox and display name are kept with the key, for the
Accept sent back and for the name shown beside a reply.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from node.activitypub import signatures
from node.activitypub.keys import ActorKey
from node.activitypub.remote import Remote, RemoteError
from node.clock import Clock
from node.store.activitypub import FollowersStore, RemoteKey

KEY_KEPT_MS = 24 * 3600 * 1000
# A key not in the cache is fetched at most this often per key id, so a flood of
# requests naming keys that fail does not become a flood of fetches.
REFETCH_MS = 60 * 1000


def _text(value: Any, limit: int = 500) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class Actors:
    def __init__(
        self,
        store: FollowersStore,
        remote: Remote,
        clock: Clock,
        key: ActorKey,
        key_id: Callable[[], str],
    ) -> None:
        self._store = store
        self._remote = remote
        self._clock = clock
        self._key = key
        self._key_id = key_id
        self._tried: dict[str, int] = {}

    async def key(self, key_id: str, *, fresh: bool = False) -> RemoteKey:
        """The key `key_id` names, from the cache or fetched; RemoteError if none."""
        now = self._clock()
        if not fresh:
            kept = await self._store.remote_key(key_id)
            if kept is not None and now - kept.fetched_at < KEY_KEPT_MS:
                return kept
        last = self._tried.get(key_id)
        if last is not None and now - last < REFETCH_MS:
            kept = await self._store.remote_key(key_id)
            if kept is None:
                raise RemoteError(f"{key_id} was tried a moment ago")
            return kept
        self._tried[key_id] = now
        if len(self._tried) > 10_000:
            self._tried.clear()
        found = await self._fetch_key(key_id)
        await self._store.keep_remote_key(found)
        return found

    async def _fetch_key(self, key_id: str) -> RemoteKey:
        document = await self.fetch(key_id.split("#", 1)[0])
        key = document.get("publicKey")
        if isinstance(key, list):
            key = next((k for k in key if isinstance(k, dict) and k.get("id") == key_id), None)
        if isinstance(key, dict):
            actor = document
        elif isinstance(document.get("publicKeyPem"), str):
            key, owner = document, document.get("owner")
            if not isinstance(owner, str):
                raise RemoteError(f"{key_id} names no owner")
            actor = await self.fetch(owner)
        else:
            raise RemoteError(f"{key_id} holds no public key")
        pem, owner = key.get("publicKeyPem"), key.get("owner")
        actor_id = actor.get("id")
        if not isinstance(pem, str) or not isinstance(actor_id, str):
            raise RemoteError(f"{key_id} holds no usable key")
        if owner != actor_id or host_of(actor_id) != host_of(key_id):
            # A key vouched for by an actor on another server proves nothing.
            raise RemoteError(f"{key_id} is not its actor's key")
        endpoints = actor.get("endpoints")
        shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
        inbox = actor.get("inbox")
        name = _text(actor.get("name"), 100) or _text(actor.get("preferredUsername"), 100)
        return RemoteKey(
            key_id=key_id,
            actor=actor_id,
            public_pem=pem,
            inbox=inbox if isinstance(inbox, str) else None,
            shared_inbox=shared if isinstance(shared, str) else None,
            name=name,
            fetched_at=self._clock(),
        )

    async def fetch(self, url: str) -> dict[str, Any]:
        """A signed GET (servers in "authorized fetch" mode refuse unsigned ones)."""
        headers = signatures.sign(
            self._key.private(), self._key_id(), "GET", url, None, self._clock() / 1000
        )
        return await self._remote.fetch_json(url, headers)
