"""A stand-in fediverse account for tests: its actor document and inbox on a real
loopback server, and requests signed as Mastodon signs them.

The signing here is written out from draft-cavage-http-signatures-12 with
cryptography alone, not with the library the hub uses (apsig), so a mistake in how
the hub reads signatures is not repeated in how the tests make them.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def cavage_headers(
    key: rsa.RSAPrivateKey,
    key_id: str,
    url: str,
    body: bytes,
    *,
    date: float | None = None,
    signed: tuple[str, ...] = ("(request-target)", "host", "date", "digest"),
) -> dict[str, str]:
    parts = urlsplit(url)
    headers = {
        "Host": parts.netloc,
        "Date": email.utils.formatdate(time.time() if date is None else date, usegmt=True),
        "Digest": "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode(),
        "Content-Type": "application/activity+json",
    }
    values = {
        "(request-target)": f"post {parts.path}",
        **{k.lower(): v for k, v in headers.items()},
    }
    text = "\n".join(f"{h}: {values[h]}" for h in signed).encode()
    signature = base64.b64encode(key.sign(text, padding.PKCS1v15(), hashes.SHA256())).decode()
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(signed)}",'
        f'signature="{signature}"'
    )
    return headers


@dataclass
class Account:
    """One account on a fake instance at `base` (http://127.0.0.1:port)."""

    base: str
    name: str = "ann"
    key: rsa.RSAPrivateKey = KEY
    received: list[dict[str, Any]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def id(self) -> str:
        return f"{self.base}/users/{self.name}"

    @property
    def key_id(self) -> str:
        return self.id + "#main-key"

    def document(self) -> dict[str, Any]:
        pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {
            "@context": ["https://www.w3.org/ns/activitystreams"],
            "id": self.id,
            "type": "Person",
            "preferredUsername": self.name,
            "name": self.name.title(),
            "inbox": self.id + "/inbox",
            "endpoints": {"sharedInbox": self.base + "/inbox"},
            "publicKey": {"id": self.key_id, "owner": self.id, "publicKeyPem": pem.decode()},
        }

    def routes(self) -> list[web.RouteDef]:
        async def actor(request: web.Request) -> web.Response:
            return web.json_response(self.document(), content_type="application/activity+json")

        async def inbox(request: web.Request) -> web.Response:
            body = await request.read()
            self.raw.append(body)
            self.received.append(json.loads(body))
            self.arrived.set()
            return web.Response(status=202)

        return [
            web.get(f"/users/{self.name}", actor),
            web.post(f"/users/{self.name}/inbox", inbox),
            web.post("/inbox", inbox),
        ]

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> dict[str, Any]:
        """The first activity received that `predicate` accepts (waiting for it)."""
        async with asyncio.timeout(timeout):
            while True:
                for activity in self.received:
                    if predicate(activity):
                        return activity
                self.arrived.clear()
                await self.arrived.wait()

    def signed(self, url: str, activity: dict[str, Any], **kw: Any) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(activity).encode()
        return body, cavage_headers(self.key, self.key_id, url, body, **kw)
