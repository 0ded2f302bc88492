"""SQL for the hub's followers on the fediverse, the blocks organisers set, and the
remote keys the inbox checks signatures with (node/activitypub/)."""

from __future__ import annotations

from dataclasses import dataclass

from node.store.database import Database


@dataclass(frozen=True, slots=True)
class Follower:
    actor: str
    inbox: str
    shared_inbox: str | None
    host: str
    followed_at: int

    @property
    def delivers_to(self) -> str:
        """Where activities for this follower go: its server's shared inbox if offered."""
        return self.shared_inbox or self.inbox


@dataclass(frozen=True, slots=True)
class RemoteKey:
    key_id: str
    actor: str
    public_pem: str
    inbox: str | None
    shared_inbox: str | None
    name: str | None
    fetched_at: int


def blocked_by(targets: set[str], host: str, actor: str | None = None) -> bool:
    """Whether `host` (or `actor`) is covered by a block: a domain blocks itself and
    every subdomain; an actor's address blocks that account alone."""
    host = host.lower()
    if actor is not None and actor in targets:
        return True
    parts = host.split(".")
    return any(".".join(parts[i:]) in targets for i in range(len(parts)))


class FollowersStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_follower(self, follower: Follower) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO ap_followers (actor, inbox, shared_inbox, host, followed_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (actor) DO UPDATE SET"
                " inbox = excluded.inbox, shared_inbox = excluded.shared_inbox",
                (
                    follower.actor,
                    follower.inbox,
                    follower.shared_inbox,
                    follower.host,
                    follower.followed_at,
                ),
            )

    async def remove_follower(self, actor: str) -> bool:
        async with self._db.write() as conn:
            cursor = await conn.execute("DELETE FROM ap_followers WHERE actor = ?", (actor,))
            return cursor.rowcount > 0

    async def followers(self, limit: int = 1000, offset: int = 0) -> list[Follower]:
        rows = await self._db.fetchall(
            "SELECT actor, inbox, shared_inbox, host, followed_at FROM ap_followers"
            " ORDER BY followed_at DESC, actor LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [Follower(*row) for row in rows]

    async def follower_count(self) -> int:
        row = await self._db.fetchone("SELECT count(*) FROM ap_followers")
        return int(row[0]) if row else 0

    # -- blocks -----------------------------------------------------------------------

    async def block(self, target: str, now: int) -> None:
        """Block `target` and drop its followers and waiting deliveries at once."""
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT OR IGNORE INTO ap_blocks (target, blocked_at) VALUES (?, ?)",
                (target, now),
            )
            for table, column in (("ap_followers", "actor"), ("ap_deliveries", "inbox")):
                if "/" in target:
                    await conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (target,))
                else:
                    # A domain covers its subdomains (blocked_by above).
                    await conn.execute(
                        f"DELETE FROM {table} WHERE host = ? OR host LIKE ?",
                        (target, "%." + target),
                    )

    async def unblock(self, target: str) -> None:
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM ap_blocks WHERE target = ?", (target,))

    async def blocks(self) -> list[tuple[str, int]]:
        rows = await self._db.fetchall(
            "SELECT target, blocked_at FROM ap_blocks ORDER BY blocked_at DESC, target"
        )
        return [(str(t), int(at)) for t, at in rows]

    async def block_targets(self) -> set[str]:
        return {t for t, _ in await self.blocks()}

    # -- remote keys ------------------------------------------------------------------

    async def remote_key(self, key_id: str) -> RemoteKey | None:
        row = await self._db.fetchone(
            "SELECT key_id, actor, public_pem, inbox, shared_inbox, name, fetched_at"
            " FROM ap_keys WHERE key_id = ?",
            (key_id,),
        )
        return RemoteKey(*row) if row else None

    async def remote_actor(self, actor: str) -> RemoteKey | None:
        row = await self._db.fetchone(
            "SELECT key_id, actor, public_pem, inbox, shared_inbox, name, fetched_at"
            " FROM ap_keys WHERE actor = ? ORDER BY fetched_at DESC LIMIT 1",
            (actor,),
        )
        return RemoteKey(*row) if row else None

    async def keep_remote_key(self, key: RemoteKey) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT OR REPLACE INTO ap_keys"
                " (key_id, actor, public_pem, inbox, shared_inbox, name, fetched_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    key.key_id,
                    key.actor,
                    key.public_pem,
                    key.inbox,
                    key.shared_inbox,
                    key.name,
                    key.fetched_at,
                ),
            )
