"""Creating a node's data directory: key, config and database, once."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

import argon2

from crypto.ed25519 import SigningKey
from crypto.errors import KeyFileError
from crypto.keyfile import save_key
from crypto.nodeid import NodeId, node_id_from_public_key
from node import config as settings
from node.accounts.members import AccountError, Members, check_email
from node.activitypub.keys import load_or_create_key
from node.clock import Clock, system_clock
from node.errors import NodeError
from node.network.actions import NetworkActions, founding_statement
from node.network.membership import Membership
from node.store.accounts import AccountsStore
from node.store.database import Database
from node.store.messages import MessageStore
from node.store.network import NetworkStore
from node.store.office import FIRST_PASSWORD, OfficeStore
from node.verifier import Verifier
from protocol.errors import SchemaViolation
from protocol.kinds.hub import HubProfile
from protocol.schema import check_body

# A network's name to found one, its id to join one, False for none (None: the default).
NetworkChoice = str | bytes | Literal[False] | None


async def _choose_network(
    store: MessageStore, networks: NetworkStore, clock: Clock, name: str, choice: NetworkChoice
) -> None:
    if choice is False:
        return
    membership = Membership(networks, store.node_id, clock)
    await membership.load()
    actions = NetworkActions(store, membership)
    if isinstance(choice, bytes):
        await actions.join(choice)
    else:
        network_name = choice or f"{name} network"[:100]
        await actions.found(founding_statement(network_name, [store.node_id]))


async def init_data_dir(
    data_dir: Path,
    name: str,
    url: str,
    organiser_email: str = "organiser@localhost",
    organiser_name: str = "Organiser",
    clock: Clock = system_clock,
    network: NetworkChoice = None,
) -> tuple[NodeId, str]:
    """Create a new node in `data_dir`; refuse if one is already there.

    `network`: a name to found a new network of this hub alone (the default is the
    hub's name followed by "network"), the id of a network to ask to join, or False
    for none yet. Returns the node id and the first organiser's password, shown once.
    """
    config_path = data_dir / settings.CONFIG_FILE
    if config_path.exists() or (data_dir / settings.KEY_FILE).exists():
        raise NodeError(
            f"{data_dir} already holds a node; start it with 'hubnet run --data-dir {data_dir}'"
        )
    # Validate before writing anything, so a bad --url leaves no half-made node.
    values = {"name": name, "url": url}
    # As the node will run: its HUBNET_* variables apply (the founder's password is
    # hashed with the argon2 settings the node will check it with).
    draft = settings.resolve({}, "", values)
    try:
        check_email(organiser_email)
    except AccountError as exc:
        raise NodeError(f"--organiser-email: {exc}") from exc
    profile = HubProfile(name=name, url=url)
    try:
        check_body(profile)
    except SchemaViolation as exc:
        raise NodeError(f"cannot describe the hub that way: {exc.message}") from exc
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise NodeError(f"cannot create data directory {data_dir}: {exc.strerror}") from exc
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise NodeError(f"data directory {data_dir} is not writable by this user")
    key = SigningKey.generate()
    try:
        save_key(key, data_dir / settings.KEY_FILE)
    except KeyFileError as exc:
        raise NodeError(str(exc)) from exc
    # Beside it, the key the hub signs with on the fediverse (node/activitypub/keys.py).
    load_or_create_key(data_dir)
    db = await Database.open(data_dir / settings.DATABASE_FILE)
    verifier = Verifier(1)
    try:
        # The node's first message tells other hubs who it is.
        store = MessageStore(db, key, clock, verifier)
        await store.append("hub.profile", profile)
        await _choose_network(store, NetworkStore(db), clock, name, network)
        # The founders act as an interim steering group until the first election.
        password = secrets.token_urlsafe(12)
        hasher = argon2.PasswordHasher(
            time_cost=draft["argon2_time_cost"], memory_cost=draft["argon2_memory_kib"]
        )
        founder = await Members(AccountsStore(db), clock, hasher).create_founder(
            organiser_name, organiser_email, password
        )
        # The first-run checklist ticks "change the password" once this hash is gone.
        office = OfficeStore(db)
        first = await office.password_hash(founder.id)
        await office.put({FIRST_PASSWORD: f"{founder.id} {first}"}, clock())
    finally:
        await db.close()
        verifier.close()
    # The config is written last: its presence marks a complete node.
    tmp = config_path.with_suffix(".tmp")
    tmp.write_text(settings.render_file(values), encoding="utf-8")
    tmp.replace(config_path)
    return node_id_from_public_key(key.public_key), password
