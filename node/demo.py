"""`make demo`: three hubs on this machine, peered in a line, with sample activity.

Riverside - Northgate - Hillfield found one network together (PROTOCOL.md §14), then
peer in a line: Riverside and Hillfield are not peered, so a message written on
Riverside reaches Hillfield only through Northgate. Riverside tables a motion the
other two second and vote on; the demo waits until all three count it the same.
The data lives in ./demo-data and is reused on the next run; delete it to start
afresh. Ctrl-C stops all three nodes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from node import config as settings
from node.node import Node
from node.store.offline import holds_message
from protocol.envelope import Message
from protocol.kinds.assembly import DelegateMandate, DelegateVote, Motion, MotionSecond
from protocol.kinds.campaign import Campaign
from protocol.kinds.event import EventDetails

NAMES = ("Riverside", "Northgate", "Hillfield")
NETWORK = "Demo network"
HUBNET = [sys.executable, "-m", "node.cli"]


def _hubnet(*args: str) -> str:
    result = subprocess.run([*HUBNET, *args], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise SystemExit(f"hubnet {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def _ts(days: int, hour: int) -> int:
    day = datetime.now(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return int((day + timedelta(days=days)).timestamp())


async def _seed(data_dir: Path, name: str, index: int, motion: Message | None) -> Message | None:
    """Sample events, a campaign and a delegate's mandate; Riverside tables a motion
    (returned), the others second it and vote on it."""
    node = await Node.open(settings.load(data_dir))
    try:
        m = node.messages
        await m.append(
            "event",
            EventDetails(
                title=f"{name} public meeting: the library closure",
                starts=_ts(7 + index, 18),
                ends=_ts(7 + index, 20),
                timezone="Europe/London",
                type="public-meeting",
                visibility="public",
                place=f"{name} Community Centre",
                description="Everyone welcome. Tea from 6pm.",
            ),
        )
        await m.append(
            "event",
            EventDetails(
                title="Speaker training",
                starts=_ts(14, 10),
                ends=_ts(14, 16),
                timezone="Europe/London",
                type="training",
                visibility="network",
                online_url="https://meet.example.org/speaker-training",
            ),
        )
        await m.append(
            "campaign",
            Campaign(
                title=f"Keep {name} library open",
                summary="The council plans to close the library. We want it kept open, "
                "with its hours restored.",
                status="active",
                goals=("Reverse the closure decision", "Restore Saturday hours"),
            ),
        )
        now = int(time.time())
        mandate = await m.append(
            "delegate.mandate",
            DelegateMandate(
                delegate=f"{name} delegate",
                body="national",
                starts=now,
                ends=now + 365 * 86400,
            ),
        )
        if motion is not None:
            await m.append("motion.second", MotionSecond(motion=motion.id))
            choice = "for" if index == 1 else "abstain"
            await m.append(
                "delegate.vote", DelegateVote(motion=motion.id, mandate=mandate.id, choice=choice)
            )
            return None
        if index == 0:
            return await m.append(
                "motion",
                Motion(
                    body="national",
                    title="A national day of action for libraries",
                    text="This network calls a day of action for public libraries next spring.",
                    options=("for", "against", "abstain"),
                    seconds_needed=1,
                    closes=now + 14 * 86400,
                    rule="majority",
                    quorum_percent=50,
                ),
            )
        return None
    finally:
        await node.close()


async def _motion_counts(dirs: list[Path]) -> tuple[str, list[tuple[str, str]]]:
    """Riverside's motion's title, and how each hub counts it now: (digest, summary)."""
    counts = []
    title = ""
    for data_dir in dirs:
        node = await Node.open(settings.load(data_dir))
        try:
            if not title:
                motions = [
                    c for c in await node.assembly.motions() if c.motion.origin == node.node_id
                ]
                if not motions:
                    return "", []
                motion = motions[0].motion
                title = motion.body.title
            checked = await node.assembly.result(motion.id)
            if checked is None:
                counts.append(("", "not held"))
                continue
            r = checked.result
            votes = ", ".join(f"{n} {option}" for option, n in r.counts if n)
            counts.append((r.digest, f"{votes or 'no votes'} from {r.participating} hubs"))
        finally:
            await node.close()
    return title, counts


def _holds(data_dir: Path, message_id: str) -> bool:
    return holds_message(data_dir / "hubnet.db", bytes.fromhex(message_id))


def _count(url: str) -> int:
    with urllib.request.urlopen(url + "/healthz", timeout=5) as response:
        return int(json.loads(response.read())["messages"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, default=Path("demo-data"), help="data directories")
    parser.add_argument(
        "--ports", default="8081,8082,8083", help="three ports, comma-separated (first run)"
    )
    args = parser.parse_args()
    ports = [int(p) for p in args.ports.split(",")]
    if len(ports) != 3:
        raise SystemExit("--ports needs three ports, e.g. 8081,8082,8083")
    hubs = tuple(zip(NAMES, ports, strict=True))
    fresh = not args.root.exists()
    dirs = [args.root / name.lower() for name, _ in hubs]
    if fresh:
        for (name, port), data_dir in zip(hubs, dirs, strict=True):
            _hubnet(
                "init",
                "--data-dir",
                str(data_dir),
                "--name",
                name,
                "--url",
                f"http://127.0.0.1:{port}",
                "--no-network",
            )
        # The three found one network together: each signs the same founding statement.
        ids = [_hubnet("id", "--data-dir", str(d)).strip() for d in dirs]
        for data_dir in dirs:
            founders = [w for node_id in ids for w in ("--founder", node_id)]
            _hubnet("network", "found", "--data-dir", str(data_dir), "--name", NETWORK, *founders)
    procs: list[subprocess.Popen[bytes]] = []
    env = {**os.environ, "HUBNET_PULL_INTERVAL": "10", "HUBNET_RETRY_MAX": "5"}
    try:
        for (_, port), data_dir in zip(hubs, dirs, strict=True):
            procs.append(
                subprocess.Popen(
                    [*HUBNET, "run", "--data-dir", str(data_dir), "--port", str(port)], env=env
                )
            )
        deadline = time.monotonic() + 30
        for _, port in hubs:
            while True:
                try:
                    _count(f"http://127.0.0.1:{port}")
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit(
                            "the demo hubs did not start; see the output above"
                        ) from None
                    time.sleep(0.2)
        if fresh:
            # A line: Northgate accepts Riverside's invite, Hillfield accepts Northgate's.
            for inviter, joiner in ((dirs[0], dirs[1]), (dirs[1], dirs[2])):
                invite = _hubnet("peer", "invite", "--data-dir", str(inviter), "--no-qr")
                _hubnet("peer", "add", "--data-dir", str(joiner), invite.splitlines()[0])
            tabled = None
            for index, ((name, _), data_dir) in enumerate(zip(hubs, dirs, strict=True)):
                tabled = asyncio.run(_seed(data_dir, name, index, tabled)) or tabled
        started = time.monotonic()
        out = _hubnet(
            "announce",
            "--data-dir",
            str(dirs[0]),
            "--title",
            "Hello from Riverside",
            f"Written on Riverside at {datetime.now(UTC):%H:%M:%S} UTC",
        )
        announcement = out.split("message ", 1)[1].split()[0]
        while not _holds(dirs[2], announcement) and time.monotonic() - started < 30:
            time.sleep(0.05)
        crossed = time.monotonic() - started

        # Each hub counts the motion from what it holds; they agree once both votes,
        # and enough hubs' witnesses of them, have reached all three (PROTOCOL.md §14.4).
        def agreed(counts: list[tuple[str, str]]) -> bool:
            return len(counts) == 3 and len(set(counts)) == 1 and "from 2 hubs" in counts[0][1]

        title, counts = asyncio.run(_motion_counts(dirs))
        while not agreed(counts) and time.monotonic() - started < 60:
            time.sleep(0.5)
            title, counts = asyncio.run(_motion_counts(dirs))
        print("\n" + "=" * 72)
        if _holds(dirs[2], announcement):
            print(
                f"Riverside's announcement reached Hillfield, through Northgate, in "
                f"{crossed:.2f} s."
            )
        else:
            print("Riverside's announcement has not reached Hillfield yet: see the output above.")
        if agreed(counts):
            digest, summary = counts[0]
            print(f"All three hubs count the motion {title!r} the same: {summary}")
            print(f"  (tally digest {digest[:16]}…, from the same messages on every hub)")
        else:
            print("The three hubs do not count the motion the same yet: see the output above.")
        for (name, port), data_dir in zip(hubs, dirs, strict=True):
            print(f"  {name:<10} http://127.0.0.1:{port}   data: {data_dir}")
        print(f"See what Hillfield holds: .venv/bin/hubnet log --data-dir {dirs[2]}")
        print("Press Ctrl-C to stop all three hubs.")
        print("=" * 72 + "\n", flush=True)
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop cleanly on TERM too
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        killed = 0
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()  # WAL: whatever it had committed is safe
                proc.wait()
                killed += 1
        if killed:
            raise SystemExit(f"{killed} hub(s) did not stop within 20 s and were killed.")
        print("All three hubs stopped.")


if __name__ == "__main__":
    main()
