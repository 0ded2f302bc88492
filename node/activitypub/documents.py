"""The JSON documents the hub shows the fediverse: WebFinger, its actor, NodeInfo, and
the objects made from its own messages (events, news, campaigns).

Plain functions from values to dicts. The fields chosen are those Mastodon, Mobilizon
and Gancio read (PROTOCOL.md, "The ActivityPub profile hubnet speaks"). Nothing about
a member is ever put in them: only what the hub already shows every visitor.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from node.markdown import html_of
from protocol.kinds.campaign import Campaign
from protocol.kinds.event import EventDetails
from protocol.kinds.hub import Announcement

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ACTIVITY_JSON = "application/activity+json"
LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
# The terms Mobilizon and Gancio add for events (Mobilizon's own context names them).
EVENT_CONTEXT: dict[str, Any] = {
    "mz": "https://joinmobilizon.org/ns#",
    "ical": "http://www.w3.org/2002/12/cal/ical#",
    "schema": "http://schema.org#",
    "joinMode": {"@id": "mz:joinMode", "@type": "mz:joinModeType"},
    "timezone": {"@id": "mz:timezone", "@type": "schema:Text"},
    "PostalAddress": "schema:PostalAddress",
    "address": {"@id": "schema:address", "@type": "@id"},
    "streetAddress": "schema:streetAddress",
    "isOnline": {"@id": "mz:isOnline", "@type": "schema:Boolean"},
}


@dataclass(frozen=True, slots=True)
class Hub:
    """What the documents say about the hub, all of it public already."""

    url: str  # the hub's base URL, no trailing slash
    handle: str
    name: str
    summary: str | None

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[1].split("/", 1)[0]

    @property
    def actor(self) -> str:
        # The hub's public page is its actor: browsers get HTML, servers get JSON.
        return self.url + "/"

    @property
    def key_id(self) -> str:
        return self.actor + "#main-key"

    @property
    def inbox(self) -> str:
        return self.url + "/ap/inbox"

    @property
    def outbox(self) -> str:
        return self.url + "/ap/outbox"

    @property
    def followers(self) -> str:
        return self.url + "/ap/followers"

    def object_id(self, message: bytes) -> str:
        return f"{self.url}/ap/objects/{message.hex()}"

    def activity_id(self, message: bytes, verb: str, suffix: str = "") -> str:
        return f"{self.url}/ap/objects/{message.hex()}#{verb.lower()}{suffix}"


def handle_for(name: str) -> str:
    """The handle from the hub's short name: lowercase letters, digits and underscores,
    as Mastodon accepts in usernames ("Leeds Tenants' Union" -> "leeds_tenants_union")."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:30].strip("_")
    return slug or "hub"


def webfinger(hub: Hub) -> dict[str, Any]:
    return {
        "subject": f"acct:{hub.handle}@{hub.host}",
        "aliases": [hub.actor],
        "links": [
            {"rel": "self", "type": ACTIVITY_JSON, "href": hub.actor},
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": hub.actor,
            },
        ],
    }


def actor(hub: Hub, public_pem: str) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": [AS_CONTEXT, SECURITY_CONTEXT],
        "id": hub.actor,
        "type": "Group",
        "preferredUsername": hub.handle,
        "name": hub.name,
        "url": hub.actor,
        "inbox": hub.inbox,
        "outbox": hub.outbox,
        "followers": hub.followers,
        "endpoints": {"sharedInbox": hub.inbox},
        "manuallyApprovesFollowers": False,
        "discoverable": True,
        "publicKey": {"id": hub.key_id, "owner": hub.actor, "publicKeyPem": public_pem},
    }
    if hub.summary:
        document["summary"] = html_of(hub.summary)
    return document


def nodeinfo_links(url: str) -> dict[str, Any]:
    return {
        "links": [
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                "href": f"{url}/nodeinfo/2.1",
            }
        ]
    }


def nodeinfo(version: str, local_posts: int) -> dict[str, Any]:
    # Counts of members are not told: how many people a hub has is its own business.
    return {
        "version": "2.1",
        "software": {
            "name": "hubnet",
            "version": version,
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": False,
        "usage": {"users": {}, "localPosts": local_posts},
        "metadata": {},
    }


def _iso(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _degrees(millionths: int) -> float:
    return millionths / 1_000_000


def event_object(
    hub: Hub, message: bytes, body: EventDetails, published: int, *, cancelled: bool = False
) -> dict[str, Any]:
    """An `Event` as Mobilizon and Gancio read one (PROTOCOL.md, ActivityPub profile)."""
    document: dict[str, Any] = {
        "id": hub.object_id(message),
        "type": "Event",
        "name": body.title,
        "content": html_of(body.description),
        "mediaType": "text/html",
        "startTime": _iso(body.starts),
        "endTime": _iso(body.ends),
        "timezone": body.timezone,
        "joinMode": "external",
        "attributedTo": hub.actor,
        "url": f"{hub.url}/events/{message.hex()}",
        "published": _iso(published),
        "to": [PUBLIC],
        "cc": [hub.followers],
        "ical:status": "CANCELLED" if cancelled else "CONFIRMED",
        "isOnline": body.place is None,
        "commentsEnabled": True,
    }
    if body.place:
        place: dict[str, Any] = {
            "type": "Place",
            "name": body.place,
            "address": {"type": "PostalAddress", "streetAddress": body.place},
        }
        if body.lat is not None and body.lon is not None:
            place["latitude"] = _degrees(body.lat)
            place["longitude"] = _degrees(body.lon)
        document["location"] = place
    if body.online_url:
        document["attachment"] = [{"type": "Link", "name": "Online", "href": body.online_url}]
    return document


def news_object(hub: Hub, message: bytes, body: Announcement, published: int) -> dict[str, Any]:
    """News with a title is an `Article` (Mastodon shows its name and link), without one
    a `Note` (shown in full)."""
    document: dict[str, Any] = {
        "id": hub.object_id(message),
        "type": "Article" if body.title else "Note",
        "content": html_of(body.text),
        "mediaType": "text/html",
        "attributedTo": hub.actor,
        "url": hub.actor,
        "published": _iso(published),
        "to": [PUBLIC],
        "cc": [hub.followers],
    }
    if body.title:
        document["name"] = body.title
    return document


def campaign_object(
    hub: Hub, message: bytes, body: Campaign, published: int, latest: str | None = None
) -> dict[str, Any]:
    parts = [body.summary]
    if body.goals:
        parts.append("\n".join(f"- {goal}" for goal in body.goals))
    if latest:
        parts.append(latest)
    return {
        "id": hub.object_id(message),
        "type": "Article",
        "name": body.title,
        "content": html_of("\n\n".join(parts)),
        "mediaType": "text/html",
        "attributedTo": hub.actor,
        "url": f"{hub.url}/campaigns/{message.hex()}",
        "published": _iso(published),
        "to": [PUBLIC],
        "cc": [hub.followers],
    }


def activity(
    hub: Hub, verb: str, obj: dict[str, Any] | str, activity_id: str, when: int
) -> dict[str, Any]:
    """A Create, Update or Delete by the hub, addressed as its object is."""
    document: dict[str, Any] = {
        "@context": [AS_CONTEXT, EVENT_CONTEXT],
        "id": activity_id,
        "type": verb,
        "actor": hub.actor,
        "published": _iso(when),
        "to": [PUBLIC],
        "cc": [hub.followers],
        "object": obj,
    }
    return document


def tombstone(object_id: str) -> dict[str, Any]:
    return {"id": object_id, "type": "Tombstone"}


def with_context(obj: dict[str, Any]) -> dict[str, Any]:
    return {"@context": [AS_CONTEXT, EVENT_CONTEXT], **obj}
