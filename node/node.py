"""A running node's parts, built from its config and closed in reverse order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import argon2

from crypto.ed25519 import SigningKey
from crypto.nodeid import NodeId
from node.accounts.applications import Applications
from node.accounts.confirmations import Confirmations
from node.accounts.invitations import Invitations
from node.accounts.members import Members
from node.accounts.sessions import Sessions
from node.activitypub import ActivityPub
from node.assembly import Assembly
from node.atrest import AtRest, key_places
from node.bundles import Bundles
from node.clock import Clock, system_clock
from node.community import Community
from node.config import Config
from node.discussion import Discussion
from node.events import Events
from node.funds.notices import Notice as FundsNotice
from node.funds.receipts import ReceiptFiles
from node.funds.service import Funds
from node.governance.service import Governance
from node.home import Home
from node.identity import load_identity
from node.languages import HubLanguage
from node.mail_setup import MailSetup, mail_settings
from node.network.delegates import DelegateWork
from node.network.endorsements import Endorsements
from node.network.membership import Membership
from node.network.profile import HubProfiles
from node.network.reveals import AutoReveal
from node.network.witness import Witnessing
from node.news import News
from node.notices import Notices, Words, in_english
from node.projections.hubs import hubs_projection
from node.projections.runner import ProjectionRunner
from node.resources import ResourceFiles
from node.setup_checklist import SetupChecklist
from node.store.accounts import AccountsStore
from node.store.ballots import BallotBox, contest
from node.store.bundles import BundleStore
from node.store.confirmations import ConfirmationsStore
from node.store.database import Database
from node.store.governance import ElectionRecords
from node.store.home import HomeStore
from node.store.hubs import HubInfo, hub_profiles
from node.store.messages import MessageStore
from node.store.network import NetworkStore
from node.store.notices import NoticesStore
from node.store.office import OfficeStore
from node.store.resources import ResourceStore
from node.store.sessions import SessionsStore
from node.store.writings import Writings
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
    notices: Notices
    governance: Governance
    clock: Clock
    community: Community
    events: Events
    discussion: Discussion
    membership: Membership
    witnessing: Witnessing
    assembly: Assembly
    auto_reveal: AutoReveal
    delegates: DelegateWork
    endorsements: Endorsements
    confirmations: Confirmations
    projections: ProjectionRunner
    # Members' personal data sealed at rest: locking and unlocking (node/atrest.py).
    atrest: AtRest
    # The hub's own profile page and time zone; built once the node exists, since a
    # changed name or address replaces `config`.
    profile: HubProfiles = field(init=False)
    # The language of the hub's pages for visitors and members who chose none.
    language: HubLanguage = field(init=False)
    # The hub as an ActivityPub actor (node/activitypub/); reads `config` on each use.
    activitypub: ActivityPub = field(init=False)
    news: News
    mail_setup: MailSetup
    applications: Applications
    invitations: Invitations
    checklist: SetupChecklist
    home: Home
    bundles: Bundles

    @classmethod
    async def open(
        cls, config: Config, clock: Clock = system_clock, words: Words = in_english
    ) -> Node:
        """The node on `config`'s data; `words` puts notices and emails in a member's
        language (the web front end's catalogue; English without one)."""
        key, node_id = load_identity(config.data_dir)
        places = key_places(config)
        db = await Database.open(config.database_path, places)
        verifier = Verifier(config.verify_threads)
        messages = MessageStore(
            db, key, clock, verifier, config.max_held_per_origin, origin=node_id
        )
        # PROTOCOL.md §14: the roster decides what is stored, shown and relayed.
        membership = Membership(NetworkStore(db), node_id, clock)
        await membership.load()
        messages.gate = membership
        messages.on_stored.append(membership.on_stored)
        files = ResourceFiles(config.data_dir, ResourceStore(db), clock)
        notices_store = NoticesStore(db)
        accounts = AccountsStore(db)
        members = Members(
            accounts,
            clock,
            argon2.PasswordHasher(
                time_cost=config.argon2_time_cost, memory_cost=config.argon2_memory_kib
            ),
            # Erased in the transaction that ends a member's account (Members.leave).
            records=(notices_store, ElectionRecords(db), Writings(db)),
        )
        box = BallotBox(db)

        async def voted(member_id: int, link: str) -> bool:
            # A reminder to vote is not shown once the ballot box has the member's vote.
            page, _, key = link.strip("/").partition("/")
            kind = {"elections": "election", "polls": "poll", "budget": "budget"}.get(page)
            return kind is not None and await box.has_voted(contest(kind, key), member_id)

        notices = Notices(
            notices_store,
            clock,
            config.name,
            config.url,
            mail_settings(config),
            acted=voted,
            words=words,
            # Read when a notice is written, by when the node is built and its language read.
            hub_language=lambda: node.language.code,
        )

        async def tell_members(items: Sequence[FundsNotice]) -> None:
            # Budget rounds and polls concern every member of the hub.
            for item in items:
                await notices.notify_members(item.text, item.link)

        # Every table built from the log, kept up by one runner (node/projections/).
        projections = ProjectionRunner.attach(db, messages, clock)
        assembly = Assembly(db, messages, clock, node_id, membership, projections)
        events = Events.build(db, messages, projections, node_id, clock)
        projections.add(hubs_projection(committed=events.projection.hubs_touched))
        governance = Governance(db, clock, members, messages, notices)
        office = OfficeStore(db)
        mail_setup = MailSetup(office, notices, config, clock)
        # Settings saved from the browser take the config file's place (before start).
        await mail_setup.load()
        node = cls(
            config=config,
            key=key,
            node_id=node_id,
            db=db,
            verifier=verifier,
            messages=messages,
            resources=files,
            members=members,
            sessions=Sessions(
                SessionsStore(db),
                clock,
                idle_ms=config.session_idle_minutes * 60_000,
                lifetime_ms=config.session_max_hours * 3_600_000,
            ),
            funds=Funds(
                db,
                clock,
                ReceiptFiles(config.data_dir),
                notify=tell_members,
                shortest_window_ms=config.budget_shortest_window_minutes * 60_000,
            ),
            notices=notices,
            governance=governance,
            clock=clock,
            community=Community.open(db, messages, projections, files, clock, notices),
            events=events,
            discussion=Discussion.build(config, db, clock, messages, notices, projections),
            membership=membership,
            witnessing=Witnessing(messages, membership, config.witness_delay_ms / 1000),
            assembly=assembly,
            auto_reveal=AutoReveal(assembly),
            delegates=DelegateWork(assembly, notices, clock),
            endorsements=Endorsements(db, messages, membership, projections, node_id),
            confirmations=Confirmations(
                ConfirmationsStore(db),
                clock,
                members,
                events.attendance,
                notices,
                config.name,
                config.url,
            ),
            projections=projections,
            atrest=AtRest(db, places, clock),
            news=News(db, messages, node_id),
            mail_setup=mail_setup,
            applications=Applications(
                members, notices, governance, office, config.name, config.url
            ),
            invitations=Invitations(office, members, notices, clock, config.name, config.url),
            checklist=SetupChecklist(
                office,
                messages,
                notices,
                node_id,
                lambda: node.hubs(),
                lambda: node.atrest.key_beside_database(),
            ),
            home=Home(HomeStore(db), clock, node_id, assembly, notices),
            bundles=Bundles(BundleStore(db), messages, membership, key, node_id, clock),
        )
        messages.on_stored.append(node.witnessing.on_stored)
        node.profile = HubProfiles(
            messages, node_id, node.hubs, lambda: node.config, node._reconfigure
        )
        node.language = HubLanguage(office, accounts, clock)
        messages.on_stored.append(node.delegates.on_stored)
        node.activitypub = ActivityPub(lambda: node.config, db, clock, node_id, projections)
        node._show_members_only()
        # Locking forgets what is held in memory about members, with the key.
        node.atrest.on_lock.append(node.funds.budgeting.forget_choices)
        # What each feature keeps about a member goes into their data download and is
        # erased when they leave (node/accounts/personal.py).
        for keeper in (
            node.events.attendance,
            node.community.speakers,
            node.community.speaker_requests,
            node.community.mutual_aid,
        ):
            node.members.keeps_personal_data(keeper)
        return node

    def _show_members_only(self) -> None:
        """Members see only this hub's and member hubs' messages (PROTOCOL.md §14.5)."""

        def shows(origin: NodeId) -> bool:
            return origin == self.node_id or self.membership.is_member(origin)

        self.projections.shows = shows

        async def rebuild(before: frozenset[NodeId], after: frozenset[NodeId]) -> None:
            # A hub that left is taken out of what is shown, one admitted is put in:
            # the roster's projections are read again from the log, which keeps both.
            await self.projections.rebuild(self.projections.roster_names())
            self.events.projection.hubs_touched()

        self.membership.listeners.append(rebuild)

    def _reconfigure(self, config: Config) -> None:
        # Pages and the federation API read `config` on each request, so a new name or
        # address shows at once; what copied them at start (email footers) on restart.
        self.config = config

    async def hubs(self) -> dict[NodeId, HubInfo]:
        """Every hub heard of, by origin, from its latest profile (caught up first, so a
        profile just published shows)."""
        await self.projections.caught_up()
        return await hub_profiles(self.db)

    async def start(self) -> None:
        """Start the node's own background work: the projections (first catching up with
        what was stored while the node was down), governance's clock, the email sender."""
        await self.projections.caught_up()
        await self.profile.load()
        await self.language.load()
        await self.projections.start()
        await self.governance.start()
        await self.notices.start()
        await self.membership.start()
        await self.witnessing.start()
        await self.auto_reveal.start()
        await self.delegates.start()
        await self.activitypub.start()
        await self.atrest.start()

    async def stop(self) -> None:
        await self.atrest.stop()
        await self.activitypub.stop()
        await self.delegates.stop()
        await self.auto_reveal.stop()
        await self.witnessing.stop()
        await self.membership.stop()
        await self.notices.stop()
        await self.governance.stop()
        await self.projections.stop()

    async def close(self) -> None:
        await self.stop()
        await self.db.close()
        await self.verifier.aclose()
