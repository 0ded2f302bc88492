"""A node's Prometheus metrics, in a registry of its own (several nodes share a test process).

Counters and histograms move as things happen (messages ingested, pushes,
requests); gauges that describe the database (outbox depth, members, sessions)
are read from it when /metrics is scraped. Labels are node ids, routes and
reasons: never anything about a member.
"""

from __future__ import annotations

import collections
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from crypto.nodeid import NodeId
from node.federation.service import Federation
from node.node import Node
from node.recovery import is_recovering
from node.store.outcomes import IngestReport, Status
from protocol.envelope import Message

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class NodeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.received = Counter(
            "hubnet_messages_received",
            "Messages received from peers, by what became of them",
            ["outcome"],
            registry=r,
        )
        self.refused = Counter(
            "hubnet_messages_refused",
            "Messages from peers refused, by reason prefix (PROTOCOL.md §9.1)",
            ["reason"],
            registry=r,
        )
        self.stored = Counter(
            "hubnet_messages_stored",
            "Messages stored, this node's own (own) or other origins' (other)",
            ["origin"],
            registry=r,
        )
        self.push_seconds = Histogram(
            "hubnet_push_duration_seconds",
            "Time to deliver one batch to a peer",
            ["peer", "result"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.pull_behind = Gauge(
            "hubnet_pull_behind_messages",
            "Messages a peer held that this node lacked, at the last pull from it",
            ["peer"],
            registry=r,
        )
        self.request_seconds = Histogram(
            "hubnet_http_request_duration_seconds",
            "Time to answer HTTP requests, by route",
            ["method", "route", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        # (method, route, status) -> its series of request_seconds (web/metrics.py observe).
        self.latency_series: dict[tuple[str, str, int], Any] = {}
        self.outbox = Gauge(
            "hubnet_outbox_depth",
            "Messages waiting to be pushed to each peer",
            ["peer"],
            registry=r,
        )
        self.last_contact = Gauge(
            "hubnet_peer_last_contact_timestamp_seconds",
            "When each peer last answered or wrote to this node (Unix time)",
            ["peer"],
            registry=r,
        )
        self.peer_failures = Gauge(
            "hubnet_peer_consecutive_failures",
            "Failed deliveries to each peer in a row",
            ["peer"],
            registry=r,
        )
        self.messages = Gauge("hubnet_messages", "Messages in the database", registry=r)
        self.held = Gauge("hubnet_held_messages", "Messages held until a gap fills", registry=r)
        self.members = Gauge("hubnet_members", "Member accounts by status", ["status"], registry=r)
        self.sessions = Gauge("hubnet_sessions", "Open login sessions", registry=r)
        self.recovering = Gauge(
            "hubnet_recovering", "1 while a restored node catches up with its own log", registry=r
        )
        self.projection_failures = Counter(
            "hubnet_projection_failures",
            "Failed attempts to apply stored messages to a table built from the log",
            ["projection"],
            registry=r,
        )
        self.projection_failing = Gauge(
            "hubnet_projection_failing",
            "Failed attempts in a row of each projection failing now (0: keeping up)",
            ["projection"],
            registry=r,
        )
        self.projection_messages = Counter(
            "hubnet_projection_messages",
            "Stored messages applied to each table built from the log",
            ["projection"],
            registry=r,
        )
        self.projection_seconds = Counter(
            "hubnet_projection_seconds",
            "Seconds spent applying stored messages to each table built from the log",
            ["projection"],
            registry=r,
        )
        self._own: NodeId | None = None
        self._projection_failures_seen: dict[str, int] = {}
        self._projection_messages_seen: dict[str, int] = {}
        self._projection_seconds_seen: dict[str, float] = {}

    def attach(self, node: Node, federation: Federation) -> None:
        self._own = node.node_id
        node.messages.on_ingested.append(self.observe_ingest)
        node.messages.on_stored.append(self.observe_stored)
        federation.on_push.append(self.observe_push)
        federation.on_pull.append(self.observe_pull)

    def observe_ingest(self, report: IngestReport) -> None:
        # Counted first and added once per label: a push of 500 is 500 outcomes, and
        # each labelled inc takes a lock.
        statuses = collections.Counter(o.status.value for o in report.outcomes)
        reasons = collections.Counter(
            o.error.reason
            for o in report.outcomes
            if o.status is Status.REFUSED and o.error is not None
        )
        for status, count in statuses.items():
            self.received.labels(status).inc(count)
        for reason, count in reasons.items():
            self.refused.labels(reason).inc(count)

    def observe_stored(self, messages: list[Message]) -> None:
        own = sum(1 for m in messages if m.origin == self._own)
        if own:
            self.stored.labels("own").inc(own)
        if len(messages) - own:
            self.stored.labels("other").inc(len(messages) - own)

    def observe_push(self, peer: NodeId, seconds: float, delivered: bool) -> None:
        self.push_seconds.labels(peer, "delivered" if delivered else "failed").observe(seconds)

    def observe_pull(self, peer: NodeId, behind: int) -> None:
        self.pull_behind.labels(peer).set(behind)

    async def refresh(self, node: Node, federation: Federation) -> None:
        """Read the gauges that describe the database, just before a scrape."""
        peers = await federation.peers.all()
        for gauge in (self.outbox, self.last_contact, self.peer_failures):
            gauge.clear()
        for peer in peers:
            self.outbox.labels(peer.node_id).set(peer.outbox_depth)
            self.peer_failures.labels(peer.node_id).set(peer.failures)
            if peer.last_contact is not None:
                self.last_contact.labels(peer.node_id).set(peer.last_contact / 1000)
        self.messages.set(await node.messages.count())
        self.held.set(await node.messages.held_count())
        self.members.clear()
        for status, count in (await node.members.counts()).items():
            self.members.labels(status).set(count)
        self.sessions.set(await node.sessions.count_open())
        self.recovering.set(1 if await is_recovering(node.db) else 0)
        self.observe_projections(node)

    def observe_projections(self, node: Node) -> None:
        runner = node.projections
        failing = runner.failing()
        for name in runner.projections:
            count = runner.failures[name]
            seen = self._projection_failures_seen.get(name, 0)
            # Created at 0 for every projection, so an alert sees the series exist.
            self.projection_failures.labels(name).inc(count - seen)
            self._projection_failures_seen[name] = count
            self.projection_failing.labels(name).set(failing.get(name, 0))
            applied = runner.applied[name]
            self.projection_messages.labels(name).inc(
                applied - self._projection_messages_seen.get(name, 0)
            )
            self._projection_messages_seen[name] = applied
            spent = runner.seconds[name]
            self.projection_seconds.labels(name).inc(
                spent - self._projection_seconds_seen.get(name, 0.0)
            )
            self._projection_seconds_seen[name] = spent
