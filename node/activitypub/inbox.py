"""The hub's inbox: what other ActivityPub servers send, checked before anything is kept.

In order, cheapest first (docs/THREAT_MODEL.md, "The fediverse inbox"): the body's
size; the sender's instance against the blocks and its rate; the signature's form,
date window and digest; the key (cached, or fetched once with limits); the signature
itself; a replay of the same signed request; the activity's actor against the key's
owner. Only then is the activity read: Follow, Undo, Create/Update/Delete of a reply,
Like and Announce. Anything else is answered 202 and dropped.

Nothing here enters the hub's signed log or is counted in any vote.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from node.activitypub import signatures
from node.activitypub.actors import Actors, host_of
from node.activitypub.delivery import Sender
from node.activitypub.documents import Hub, with_context
from node.activitypub.remote import RemoteError
from node.clock import Clock
from node.store.activitypub import Follower, FollowersStore, blocked_by
from node.store.activitypub_objects import ObjectsStore, Reply

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
PER_INSTANCE_PER_MINUTE = 120
REPLY_MAX_CHARS = 5000


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    reason: str


ACCEPTED = Answer(202, "accepted")


class Inbox:
    def __init__(
        self,
        hub: Callable[[], Hub],
        actors: Actors,
        followers: FollowersStore,
        objects: ObjectsStore,
        sender: Sender,
        clock: Clock,
    ) -> None:
        self._hub = hub
        self._actors = actors
        self._followers = followers
        self._objects = objects
        self._sender = sender
        self._clock = clock
        self._windows: dict[str, tuple[int, int]] = {}  # host -> (minute, count)
        self._seen: dict[bytes, int] = {}  # signature digest -> ms it may be forgotten

    def _rate_ok(self, host: str) -> bool:
        minute = self._clock() // 60_000
        start, count = self._windows.get(host, (minute, 0))
        if start != minute:
            start, count = minute, 0
        if len(self._windows) > 10_000:
            self._windows.clear()
        self._windows[host] = (start, count + 1)
        return count < PER_INSTANCE_PER_MINUTE

    def _replayed(self, signature: str) -> bool:
        now = self._clock()
        self._seen = (
            {k: v for k, v in self._seen.items() if v > now}
            if len(self._seen) > 5000
            else self._seen
        )
        seen = hashlib.sha256(signature.encode()).digest()
        if self._seen.get(seen, 0) > now:
            return True
        # Kept as long as the date window lets the same request be sent again.
        self._seen[seen] = now + 2 * signatures.DATE_WINDOW_S * 1000
        return False

    async def receive(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        if len(body) > MAX_BODY_BYTES:
            return Answer(413, "too large")
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            parsed = signatures.parse_signature(lowered.get("signature", ""))
        except signatures.SignatureRefused as exc:
            return Answer(401, str(exc))
        host = host_of(parsed.key_id)
        blocks = await self._followers.block_targets()
        if not self._rate_ok(host):
            return Answer(429, "too many requests from this instance")
        now_s = self._clock() / 1000
        try:
            key = await self._actors.key(parsed.key_id)
            try:
                signatures.check_request(key.public_pem, "POST", path, lowered, body, now_s)
            except signatures.SignatureRefused:
                # The sender may have a new key since we kept the old one: fetch once more.
                key = await self._actors.key(parsed.key_id, fresh=True)
                signatures.check_request(key.public_pem, "POST", path, lowered, body, now_s)
        except signatures.SignatureRefused as exc:
            return Answer(401, str(exc))
        except RemoteError as exc:
            log.info("inbox: no key for %s: %s", parsed.key_id, exc)
            return Answer(401, "the signing key could not be fetched")
        if self._replayed(parsed.signature):
            return Answer(401, "this signed request was received before")
        try:
            activity = json.loads(body)
        except ValueError:
            return Answer(400, "not JSON")
        if not isinstance(activity, dict) or _id(activity.get("actor")) != key.actor:
            return Answer(401, "the activity's actor is not the key's owner")
        if blocked_by(blocks, host, key.actor):
            if activity.get("type") == "Follow" and key.inbox:
                await self._answer_follow("Reject", activity, key.inbox)
            return Answer(403, "blocked")
        await self._dispatch(activity, key.actor, key.inbox, key.shared_inbox, key.name)
        return ACCEPTED

    async def _dispatch(
        self,
        activity: dict[str, Any],
        actor: str,
        inbox: str | None,
        shared: str | None,
        name: str | None,
    ) -> None:
        hub = self._hub()
        kind = activity.get("type")
        obj = activity.get("object")
        if kind == "Follow" and _id(obj) == hub.actor and inbox:
            follower = Follower(actor, inbox, shared, host_of(actor), self._clock())
            await self._followers.add_follower(follower)
            await self._answer_follow("Accept", activity, inbox)
        elif kind == "Undo" and isinstance(obj, dict):
            undone = obj.get("type")
            if undone == "Follow" and _id(obj.get("actor")) in (None, actor):
                await self._followers.remove_follower(actor)
            elif undone in ("Like", "Announce") and isinstance(obj.get("id"), str):
                await self._objects.unreact(obj["id"], actor)
        elif kind in ("Create", "Update") and isinstance(obj, dict):
            await self._reply(obj, actor, name)
        elif kind == "Delete":
            target = _id(obj)
            if target == actor:
                await self._followers.remove_follower(actor)
            elif target:
                await self._objects.drop_reply(target, actor)
        elif kind in ("Like", "Announce") and isinstance(activity.get("id"), str):
            message = _message_of(hub, _id(obj))
            if message is not None and await self._objects.published(message) is not None:
                reaction = "like" if kind == "Like" else "boost"
                await self._objects.react(activity["id"], message, reaction, actor, self._clock())

    async def _reply(self, obj: dict[str, Any], actor: str, name: str | None) -> None:
        """A Note answering one of the hub's objects, cleaned as all remote text is."""
        reply_id, content = obj.get("id"), obj.get("content")
        if obj.get("type") != "Note" or not isinstance(reply_id, str):
            return
        if not isinstance(content, str) or _id(obj.get("attributedTo")) not in (None, actor):
            return
        message = _message_of(self._hub(), _id(obj.get("inReplyTo")))
        if message is None or await self._objects.published(message) is None:
            return
        existing = await self._objects.reply(reply_id)
        if existing is not None and existing.actor != actor:
            return
        url = obj.get("url")
        author = f"{name or actor.rstrip('/').rsplit('/', 1)[-1]} ({host_of(actor)})"
        import nh3  # on first use: an idle node, or one off the fediverse, never needs it

        await self._objects.keep_reply(
            Reply(
                id=reply_id,
                message=message,
                actor=actor,
                author=author[:200],
                content=nh3.clean(content[:REPLY_MAX_CHARS]),
                url=url if isinstance(url, str) and url.startswith("https://") else None,
                received_at=self._clock(),
                hidden=existing.hidden if existing else False,
            )
        )

    async def _answer_follow(self, verb: str, follow: dict[str, Any], inbox: str) -> None:
        hub = self._hub()
        digest = hashlib.sha256(json.dumps(follow, sort_keys=True).encode()).hexdigest()[:32]
        answer = with_context(
            {
                "id": f"{hub.url}/ap/follows/{digest}#{verb.lower()}",
                "type": verb,
                "actor": hub.actor,
                "object": follow,
            }
        )
        await self._sender.send(inbox, answer)


def _id(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def _message_of(hub: Hub, object_id: str | None) -> bytes | None:
    """The hub's message an object id names: its /ap/objects/ or /events/ address."""
    if object_id is None:
        return None
    for prefix in (f"{hub.url}/ap/objects/", f"{hub.url}/events/"):
        if object_id.startswith(prefix):
            tail = object_id[len(prefix) :].split("#", 1)[0]
            if len(tail) == 64:
                try:
                    return bytes.fromhex(tail)
                except ValueError:
                    return None
    return None
