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
from node.config import Config
from node.errors import NodeError
from node.governance.service import Governance
from node.notices import MailSettings, Notices
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
    notices: Notices
    governance: Governance
    clock: Clock

    @classmethod
    async def open(cls, config: Config, clock: Clock = system_clock) -> Node:
        try:
            key = load_key(config.key_path)
        except KeyFileError as exc:
            raise NodeError(str(exc)) from exc
        db = await Database.open(config.database_path)
        verifier = Verifier(config.verify_threads)
        messages = MessageStore(db, key, clock, verifier, config.max_held_per_origin)
        members = Members(
            db,
            clock,
            argon2.PasswordHasher(
                time_cost=config.argon2_time_cost, memory_cost=config.argon2_memory_kib
            ),
        )
        notices = Notices(db, clock, config.name, config.url, mail_settings(config))
        return cls(
            config=config,
            key=key,
            node_id=node_id_from_public_key(key.public_key),
            db=db,
            verifier=verifier,
            messages=messages,
            resources=ResourceFiles(config.data_dir, db, clock),
            members=members,
            sessions=Sessions(
                db,
                clock,
                idle_ms=config.session_idle_minutes * 60_000,
                lifetime_ms=config.session_max_hours * 3_600_000,
            ),
            notices=notices,
            governance=Governance(db, clock, members, messages, notices),
            clock=clock,
        )

    async def start(self) -> None:
        """Start the node's own background work: governance's clock, the email sender."""
        await self.governance.start()
        await self.notices.start()

    async def stop(self) -> None:
        await self.notices.stop()
        await self.governance.stop()

    async def close(self) -> None:
        await self.stop()
        await self.db.close()
        await self.verifier.aclose()


def mail_settings(config: Config) -> MailSettings | None:
    """Email settings, or None when no mail server is configured."""
    if not config.smtp_host:
        return None
    return MailSettings(
        host=config.smtp_host,
        port=config.smtp_port,
        security=config.smtp_security,
        username=config.smtp_username,
        password=config.smtp_password,
        sender=config.smtp_from,
    )
