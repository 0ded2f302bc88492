"""A running node's parts, built from its config and closed in reverse order."""

from __future__ import annotations

from dataclasses import dataclass

import argon2

from crypto.ed25519 import SigningKey
from crypto.nodeid import NodeId
from node.accounts.members import Members
from node.accounts.sessions import Sessions
from node.clock import Clock, system_clock
from node.config import Config
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
    clock: Clock

    @classmethod
    async def open(cls, config: Config, clock: Clock = system_clock) -> Node:
        key, node_id = load_identity(config.data_dir)
        db = await Database.open(config.database_path)
        verifier = Verifier(config.verify_threads)
        messages = MessageStore(
            db, key, clock, verifier, config.max_held_per_origin, origin=node_id
        )
        return cls(
            config=config,
            key=key,
            node_id=node_id,
            db=db,
            verifier=verifier,
            messages=messages,
            resources=ResourceFiles(config.data_dir, db, clock),
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
            clock=clock,
        )

    async def close(self) -> None:
        await self.db.close()
        await self.verifier.aclose()
