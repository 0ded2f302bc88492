"""The hub seen from the fediverse: an ActivityPub actor any server can follow.

One service, built by the node (node/node.py) from its parts: the hub's RSA key
(keys.py), the documents it shows (documents.py), signatures (signatures.py), remote
actors and their keys (actors.py, remote.py), the inbox (inbox.py), the durable
deliveries (delivery.py) and the projection that turns the hub's own public events,
news and campaigns into objects (publishing.py). Organisers see and remove followers,
block instances and moderate replies through the methods below, which check the
permission table as every service does.

What comes back from the fediverse stays in its own tables: it is never signed into
the hub's log, never sent to other hubs, and never counted in anything decided.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crypto.nodeid import NodeId
from node.accounts.permissions import Acting, Permission, require
from node.activitypub import documents
from node.activitypub.actors import Actors, host_of
from node.activitypub.delivery import Sender
from node.activitypub.documents import Hub, handle_for
from node.activitypub.inbox import Answer, Inbox
from node.activitypub.keys import ActorKey
from node.activitypub.publishing import publishing_projection
from node.activitypub.remote import Remote
from node.clock import Clock
from node.config import Config
from node.errors import NodeError, NotFound
from node.projections.runner import ProjectionRunner
from node.store.activitypub import Follower, FollowersStore
from node.store.activitypub_objects import ObjectsStore, Published, Reply
from node.store.database import Database

OUTBOX_PAGE = 20
# The handle every hub answers to besides the one made from its name.
FIXED_HANDLE = "hub"


class BlockError(NodeError):
    """What to block was not given as a domain or an account's address."""


class ActivityPub:
    def __init__(
        self,
        config: Callable[[], Config],
        db: Database,
        clock: Clock,
        node_id: NodeId,
        projections: ProjectionRunner,
    ) -> None:
        self._config = config
        self._clock = clock
        self._key = ActorKey(config().data_dir)
        self.followers_store = FollowersStore(db)
        self.objects = ObjectsStore(db)
        settings = config()
        self.remote = Remote(
            allow_loopback=settings.activitypub_allow_loopback == 1,
            proxy=settings.onion_proxy,
            proxy_all=settings.onion_proxy_all,
        )
        key_id = lambda: self.hub().key_id  # noqa: E731
        self.actors = Actors(self.followers_store, self.remote, clock, self._key, key_id)
        self.sender = Sender(
            self.objects,
            self.followers_store,
            self.remote,
            clock,
            self._key,
            key_id,
            catch_up=projections.caught_up,
        )
        self.inbox = Inbox(
            self.hub, self.actors, self.followers_store, self.objects, self.sender, clock
        )
        projections.add(
            publishing_projection(node_id, self.hub, lambda: self.enabled, self.sender.wake)
        )

    @property
    def enabled(self) -> bool:
        return self._config().activitypub == "on"

    def hub(self, summary: str | None = None) -> Hub:
        config = self._config()
        return Hub(config.url.rstrip("/"), handle_for(config.name), config.name, summary)

    async def start(self) -> None:
        if self.enabled:
            await self.sender.start()

    async def stop(self) -> None:
        await self.sender.stop()
        await self.remote.close()

    # -- documents --------------------------------------------------------------------

    def webfinger(self, resource: str) -> dict[str, Any] | None:
        hub = self.hub()
        if resource in (hub.actor, hub.url):
            return documents.webfinger(hub)
        user, _, host = resource.removeprefix("acct:").lstrip("@").partition("@")
        if host.lower() == hub.host.lower() and user.lower() in (hub.handle, FIXED_HANDLE):
            return documents.webfinger(hub)
        return None

    def actor(self, summary: str | None) -> dict[str, Any]:
        return documents.actor(self.hub(summary), self._key.public_pem())

    async def nodeinfo(self) -> dict[str, Any]:
        # On first use: importlib.metadata brings zipfile, csv and email parsing with it.
        from importlib.metadata import version

        return documents.nodeinfo(version("hubnet"), await self.objects.outbox_count())

    async def outbox(self, page: str | None) -> dict[str, Any]:
        """The outbox as an OrderedCollection, and its pages newest first."""
        hub = self.hub()
        if page is None:
            return documents.with_context(
                {
                    "id": hub.outbox,
                    "type": "OrderedCollection",
                    "totalItems": await self.objects.outbox_count(),
                    "first": f"{hub.outbox}?page=first",
                }
            )
        before = int(page) if page.isdigit() and len(page) < 19 else None
        items = await self.objects.outbox_page(before, OUTBOX_PAGE)
        document: dict[str, Any] = {
            "id": f"{hub.outbox}?page={page}",
            "type": "OrderedCollectionPage",
            "partOf": hub.outbox,
            "orderedItems": [
                documents.activity(
                    hub, "Create", i.document, hub.activity_id(i.message, "create"), i.published_at
                )
                for i in items
            ],
        }
        if len(items) == OUTBOX_PAGE:
            document["next"] = f"{hub.outbox}?page={items[-1].seq}"
        return documents.with_context(document)

    async def followers_collection(self) -> dict[str, Any]:
        # How many, not who: followers are not listed for anyone to read.
        return documents.with_context(
            {
                "id": self.hub().followers,
                "type": "OrderedCollection",
                "totalItems": await self.followers_store.follower_count(),
            }
        )

    async def object(self, message_hex: str) -> Published:
        try:
            message = bytes.fromhex(message_hex) if len(message_hex) == 64 else b""
        except ValueError:
            message = b""
        found = await self.objects.published(message) if message else None
        if found is None:
            raise NotFound("Nothing was published at that address.")
        return found

    async def receive(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        return await self.inbox.receive(path, headers, body)

    # -- for members and organisers -----------------------------------------------------

    async def replies(self, message: bytes) -> list[Reply]:
        """Replies from the fediverse to one of the hub's objects, for members to read."""
        return await self.objects.replies(message)

    async def reactions(self, message: bytes) -> dict[str, int]:
        return await self.objects.reaction_counts(message)

    async def followers(self, by: Acting) -> list[Follower]:
        require(by, Permission.MANAGE_PEERS)
        return await self.followers_store.followers()

    async def blocks(self, by: Acting) -> list[tuple[str, int]]:
        require(by, Permission.MANAGE_PEERS)
        return await self.followers_store.blocks()

    async def remove_follower(self, by: Acting, actor: str) -> bool:
        require(by, Permission.MANAGE_PEERS)
        return await self.followers_store.remove_follower(actor)

    async def block(self, by: Acting, target: str) -> str:
        """Block an instance (a domain: "example.social") or one account (its address)."""
        require(by, Permission.MANAGE_PEERS)
        return await self._block(_block_target(target))

    async def unblock(self, by: Acting, target: str) -> None:
        require(by, Permission.MANAGE_PEERS)
        await self.followers_store.unblock(target.strip())

    async def hide_reply(self, by: Acting, reply_id: str) -> None:
        require(by, Permission.MODERATE)
        if not await self.objects.hide_reply(reply_id):
            raise NotFound("That reply is not here any more.")

    async def block_sender(self, by: Acting, reply_id: str, *, instance: bool) -> str:
        """Block who wrote a reply (or their whole instance); their replies go too."""
        require(by, Permission.MODERATE)
        reply = await self.objects.reply(reply_id)
        if reply is None:
            raise NotFound("That reply is not here any more.")
        return await self._block(host_of(reply.actor) if instance else reply.actor)

    async def _block(self, target: str) -> str:
        await self.followers_store.block(target, self._clock())
        if "/" in target:
            await self.objects.drop_from(target, None)
        else:
            await self.objects.drop_from(None, target)
        return target


def _block_target(text: str) -> str:
    target = text.strip()
    if target.startswith(("https://", "http://")):
        if not host_of(target):
            raise BlockError("Give an instance's name, like example.social, or an address.")
        return target
    target = target.removeprefix("@").lower()
    if "@" in target:  # user@instance: the instance's name is what can be blocked
        target = target.rsplit("@", 1)[1]
    if not target or "." not in target or any(c in target for c in " /\\:"):
        raise BlockError("Give an instance's name, like example.social, or an address.")
    return target
