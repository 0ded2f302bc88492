"""`make demo`: three hubs on this machine, peered in a line, with sample activity.

Riverside - Northgate - Hillfield: Riverside and Hillfield are not peered, so a
message written on Riverside reaches Hillfield only through Northgate. The data
lives in ./demo-data and is reused on the next run; delete it to start afresh.
Ctrl-C stops all three nodes.
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
from protocol.kinds.assembly import DelegateMandate, Motion
from protocol.kinds.campaign import Campaign
from protocol.kinds.event import EventDetails

NAMES = ("Riverside", "Northgate", "Hillfield")
HUBNET = [sys.executable, "-m", "node.cli"]


def _hubnet(*args: str) -> str:
    result = subprocess.run([*HUBNET, *args], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise SystemExit(f"hubnet {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def _ts(days: int, hour: int) -> int:
    day = datetime.now(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return int((day + timedelta(days=days)).timestamp())


async def _seed(data_dir: Path, name: str, index: int) -> None:
    """Sample events, a campaign, a delegate's mandate and (on Riverside) a motion."""
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
        await m.append(
            "delegate.mandate",
            DelegateMandate(
                delegate=f"{name} delegate",
                body="national",
                starts=now,
                ends=now + 365 * 86400,
            ),
        )
        if index == 0:
            await m.append(
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
    finally:
        await node.close()


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
            )
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
            for index, ((name, _), data_dir) in enumerate(zip(hubs, dirs, strict=True)):
                asyncio.run(_seed(data_dir, name, index))
        hillfield = f"http://127.0.0.1:{hubs[2][1]}"
        before = _count(hillfield)
        started = time.monotonic()
        _hubnet(
            "announce",
            "--data-dir",
            str(dirs[0]),
            "--title",
            "Hello from Riverside",
            f"Written on Riverside at {datetime.now(UTC):%H:%M:%S} UTC",
        )
        while _count(hillfield) <= before and time.monotonic() - started < 30:
            time.sleep(0.05)
        print("\n" + "=" * 72)
        print(
            f"Riverside's announcement reached Hillfield, through Northgate, in "
            f"{time.monotonic() - started:.2f} s."
        )
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
