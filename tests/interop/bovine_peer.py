"""A fediverse account served by bovine (an independent ActivityPub implementation
from PyPI), for tests/integration/test_fediverse_interop.py.

Run with the Python of tests/interop/.venv (made by `make test`, bovine pinned in
tests/interop/requirements.txt), never the hub's own: bovine signs what it sends and
checks the signatures of what it receives with its own code, so the hub is tested
against someone else's reading of draft-cavage HTTP signatures and ActivityStreams.

Talks over stdin and stdout in JSON lines, on loopback only:
  out {"ready": actor_id}                      once serving
  in  {"follow": hub_actor, "inbox": url}      bovine signs and posts a Follow
  in  {"reply": object, "inbox": url, "content": text}   a Create of a reply Note
  out {"received": activity, "signer": owner}  an activity whose signature bovine verified
  out {"refused": reason}                      one it did not
  out {"posted": status}                       the hub's answer to a post
"""

from __future__ import annotations

import asyncio
import json
import sys

import aiohttp
from aiohttp import web
from bovine import BovineActor
from bovine.activitystreams import Actor, factories_for_actor_object
from bovine.clients.signed_http import legacy_digest_method_uppercase
from bovine.crypto import build_validate_http_signature_raw, generate_rsa_public_private_key
from bovine.crypto.types import CryptographicIdentifier


def say(line: dict) -> None:
    print(json.dumps(line), flush=True)


async def main() -> None:
    public, private = generate_rsa_public_private_key()
    app = web.Application()
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    actor_id = f"{base}/users/bea"
    profile = Actor(
        id=actor_id,
        type="Person",
        preferred_username="bea",
        name="Bea",
        inbox=f"{actor_id}/inbox",
        outbox=f"{actor_id}/outbox",
        public_key=public,
        public_key_name="main-key",
    ).build()
    activities, objects = factories_for_actor_object(profile)
    session = aiohttp.ClientSession()

    async def retrieve(key_id: str) -> CryptographicIdentifier | None:
        headers = {"Accept": "application/activity+json"}
        async with session.get(key_id, headers=headers) as response:
            document = await response.json(content_type=None)
        key = document.get("publicKey", document)
        return CryptographicIdentifier.from_pem(key["publicKeyPem"], key["owner"])

    validate = build_validate_http_signature_raw(retrieve)

    async def actor(request: web.Request) -> web.Response:
        return web.json_response(profile, content_type="application/activity+json")

    async def inbox(request: web.Request) -> web.Response:
        body = await request.read()

        async def read() -> bytes:
            return body

        signer = await validate("post", str(request.url), request.headers, read)
        if signer is None:
            say({"refused": "signature"})
            return web.Response(status=401)
        say({"received": json.loads(body), "signer": signer})
        return web.Response(status=202)

    app.router._frozen = False
    app.router.add_get("/users/bea", actor)
    app.router.add_post("/users/bea/inbox", inbox)
    app.router.freeze()

    bovine = BovineActor(
        actor_id=actor_id,
        public_key_url=f"{actor_id}#main-key",
        secret=private,
        digest_method=legacy_digest_method_uppercase,
    )
    await bovine.init(session=session)
    say({"ready": actor_id})

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    count = 0
    while line := await reader.readline():
        command = json.loads(line)
        count += 1
        if "follow" in command:
            activity = activities.follow(command["follow"], id=f"{actor_id}#follow-{count}")
            sent = activity.build()
        elif "reply" in command:
            note = objects.reply(
                command["reply"], content=command["content"], id=f"{base}/notes/{count}"
            ).build()
            # bovine's reply() copies the type of what it answers (an Event here);
            # Mastodon and Mobilizon answer with a Note.
            note["type"] = "Note"
            note["inReplyTo"] = command["reply"]["id"]
            sent = activities.create(note, id=f"{base}/notes/{count}#create").build()
        else:
            continue
        response = await bovine.post(command["inbox"], sent)
        say({"posted": response.status})
    await session.close()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
