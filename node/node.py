"""A running node's parts, built from its config and closed in reverse order."""

from __future__ import annotations

from dataclasses import dataclass

import argon2

from crypto.ed25519 import SigningKey
from crypto.errors import KeyFileError
from crypto.keyfile import load_key
from crypto.nodeid import NodeId, node_id_from_public_key
from node.accounts.members import Members
from node.accounts.sessions import Sessions
from node.clock import Clock, system_clock
from node.community import Community
from node.config import Config
from node.discussion import Discussion
from node.errors import NodeError
from node.events import Events
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
    community: Community
    events: Events
    discussion: Discussion

    @classmethod
    async def open(cls, config: Config, clock: Clock = system_clock) -> Node:
        try:
            key = load_key(config.key_path)
        except KeyFileError as exc:
            raise NodeError(str(exc)) from exc
        db = await Database.open(config.database_path)
        verifier = Verifier(config.verify_threads)
        messages = MessageStore(db, key, clock, verifier, config.max_held_per_origin)
        files = ResourceFiles(config.data_dir, db, clock)
        node = cls(
            config=config,
            key=key,
            node_id=node_id_from_public_key(key.public_key),
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
            clock=clock,
            community=Community.open(db, messages, files, clock),
            events=Events.build(db, messages, node_id_from_public_key(key.public_key), clock),
            discussion=Discussion.build(config, db, clock, messages),
        )
        # What each feature keeps about a member goes into their data download and is
        # erased when they leave (node/accounts/personal.py).
        for keeper in (
            node.events.attendance,
            node.community.speakers,
            node.community.mutual_aid,
        ):
            node.members.keeps_personal_data(keeper)
        return node

    async def close(self) -> None:
        await self.community.close()
        await self.events.projection.close()
        await self.db.close()
        await self.verifier.aclose()
