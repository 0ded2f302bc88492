"""A running node's parts, built from its config and closed in reverse order."""

from __future__ import annotations

from dataclasses import dataclass

import argon2

from crypto.ed25519 import SigningKey
from crypto.nodeid import NodeId
from node.accounts.members import Members
from node.accounts.sessions import Sessions
from node.clock import Clock, system_clock
from node.community import Community
from node.config import Config
from node.discussion import Discussion
from node.events import Events
from node.funds.receipts import ReceiptFiles
from node.funds.service import Funds
from node.identity import load_identity
from node.resources import ResourceFiles
from node.store.database import Database
from node.store.messages import MessageStore
from node.verifier import Verifier


@dataclass(slots=True)
class Node:
    config: Config
    key: SigningKey
    node_id: NodeId
    db: Database
    verifier: Verifier
    messages: MessageStore
    resources: ResourceFiles
    members: Members
    sessions: Sessions
    funds: Funds
    clock: Clock
    community: Community
    events: Events
    discussion: Discussion

    @classmethod
    async def open(cls, config: Config, clock: Clock = system_clock) -> Node:
        key, node_id = load_identity(config.data_dir)
        db = await Database.open(config.database_path)
        verifier = Verifier(config.verify_threads)
        messages = MessageStore(
            db, key, clock, verifier, config.max_held_per_origin, origin=node_id
        )
        files = ResourceFiles(config.data_dir, db, clock)
        return cls(
            config=config,
            key=key,
            node_id=node_id,
            db=db,
            verifier=verifier,
            messages=messages,
            resources=files,
            members=Members(
                db,
                clock,
                argon2.PasswordHasher(
                    time_cost=config.argon2_time_cost, memory_cost=config.argon2_memory_kib
                ),
            ),
            sessions=Sessions(
                db,
                clock,
                idle_ms=config.session_idle_minutes * 60_000,
                lifetime_ms=config.session_max_hours * 3_600_000,
            ),
            funds=Funds(db, clock, ReceiptFiles(config.data_dir)),
            clock=clock,
            community=Community.open(db, messages, files, clock),
            events=Events.build(db, messages, node_id, clock),
            discussion=Discussion.build(config, db, clock, messages),
        )

    async def close(self) -> None:
        await self.community.close()
        await self.events.projection.close()
        await self.db.close()
        await self.verifier.aclose()
